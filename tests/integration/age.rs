//! Age at first sight (issue 17): a first poll keeps a feed's back
//! catalogue out of the queue, visibly, and a longer `max_age` brings it
//! back; an entry dated in the future counts as published at the fetch;
//! a conference's future sessions stay queued at their start.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use serde_json::Value;

use crate::server::{Reply, TestServer};
use crate::{Desk, source};

fn rss(items: &[(&str, &str, chrono::DateTime<Utc>)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, date)| {
            format!(
                "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>https://blog.example/{guid}</link>\
                 <pubDate>{}</pubDate><description>About {title}, at some length so that no page needs fetching.</description></item>",
                date.to_rfc2822()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    )
}

fn titles(list: &Value) -> Vec<&str> {
    let mut titles = crate::listed_titles(list);
    titles.sort();
    titles
}

#[test]
fn a_first_poll_keeps_the_back_catalogue_out_and_a_longer_max_age_brings_it_back() {
    let now = Utc::now();
    let old = now - Duration::days(400);
    let ahead = now + Duration::days(90);
    let body = rss(&[
        ("fresh", "Fresh post", now - Duration::days(2)),
        ("old", "Back catalogue post", old),
        ("ahead", "Post dated ahead", ahead),
    ]);
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let with_max_age = |max_age: &str| {
        source("blog", &server.url("/feed"), "articles") + &format!("max_age = \"{max_age}\"\n")
    };
    let desk = Desk::new(&with_max_age("30d"));
    desk.ok(&["poll"]);

    let queue = desk.json(&["review", "list", "--json"]);
    assert_eq!(
        titles(&queue),
        ["Fresh post", "Post dated ahead"],
        "{queue:#}"
    );
    let kept_out = desk.json(&["review", "list", "--status", "kept-out", "--json"]);
    assert_eq!(kept_out.as_array().unwrap().len(), 1, "{kept_out:#}");
    assert_eq!(kept_out[0]["title"], "Back catalogue post");
    assert_eq!(kept_out[0]["source"], "blog");
    assert_eq!(
        kept_out[0]["kept_out"],
        format!(
            "older than 30d when first seen (published {})",
            old.format("%Y-%m-%d")
        )
    );
    let table = desk.ok(&["review", "list", "--status", "kept-out"]);
    assert!(
        table.contains("Back catalogue post — older than 30d when first seen")
            && table.contains("1 entry kept out"),
        "{table}"
    );

    // Dated 90 days ahead: published when fetched, the feed's date shown.
    let dated = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Post dated ahead")
        .unwrap();
    let published =
        chrono::DateTime::parse_from_rfc3339(dated["published"].as_str().unwrap()).unwrap();
    assert!(
        (published.to_utc() - now).num_minutes().abs() < 10,
        "{dated:#}"
    );
    assert_eq!(
        dated["dated_ahead"],
        ahead.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let shown = desk.ok(&["review", "show", &dated["id"].to_string()]);
    assert!(
        shown.contains("(the feed dates it ") && shown.contains("taken as published when fetched"),
        "{shown}"
    );
    let fresh = queue
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Fresh post")
        .unwrap();
    assert_eq!(fresh["dated_ahead"], Value::Null);

    // A longer max_age: the next poll reads the unchanged feed again and
    // queues what is no longer too old.
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config())
            .unwrap()
            .replace("max_age = \"30d\"", "max_age = \"1000d\""),
    )
    .unwrap();
    desk.ok(&["poll"]);
    let queue = desk.json(&["review", "list", "--json"]);
    assert_eq!(
        titles(&queue),
        ["Back catalogue post", "Fresh post", "Post dated ahead"],
        "{queue:#}"
    );
    let kept_out = desk.json(&["review", "list", "--status", "kept-out", "--json"]);
    assert_eq!(kept_out, serde_json::json!([]));
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM entries"),
        3,
        "no entry stored twice"
    );

    // A shorter one keeps out what is new from now on, but takes nothing
    // back from the queue.
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config())
            .unwrap()
            .replace("max_age = \"1000d\"", "max_age = \"1d\""),
    )
    .unwrap();
    desk.ok(&["poll"]);
    assert_eq!(titles(&desk.json(&["review", "list", "--json"])).len(), 3);
}

#[test]
fn a_conferences_future_sessions_stay_queued_at_their_start_and_past_ones_are_kept_out() {
    let start = Utc::now() + Duration::days(60);
    let past = Utc::now() - Duration::days(200);
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let event = |uid: &str, title: &str, at: chrono::DateTime<Utc>| {
        format!(
            "BEGIN:VEVENT\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nDTEND:{}\r\nSUMMARY:{title} - Ada Lovelace\\, Acme\r\n\
             UID:{uid}\r\nURL:http://kccncna2027.sched.com/event/{uid}\r\nCATEGORIES:Platform Engineering\r\nEND:VEVENT\r\n",
            stamp(Utc::now()),
            stamp(at),
            stamp(at + Duration::minutes(30))
        )
    };
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Sched.com test//EN\r\n{}{}END:VCALENDAR\r\n",
        event("0123456789abcdef0123456789abcdef", "Scaling GitOps", start),
        event(
            "fedcba9876543210fedcba9876543210",
            "Last year's keynote",
            past
        )
    );
    let served = Arc::new(Mutex::new(ics));
    let body = served.clone();
    let server =
        TestServer::start(move |_| Reply::ok(body.lock().unwrap().clone(), "text/calendar"));
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"kubecon\"\nkind = \"ical\"\nurl = \"{}\"\nsection = \"articles\"\nmax_age = \"30d\"\n",
        server.url("/all.ics")
    ));
    desk.ok(&["poll"]);
    let queue = desk.json(&["review", "list", "--json"]);
    assert_eq!(titles(&queue), ["Scaling GitOps"], "{queue:#}");
    let session = &queue[0];
    assert_eq!(
        session["published"],
        start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "a session is dated at its start, even in the future"
    );
    assert_eq!(session["dated_ahead"], Value::Null);
    assert!(session["session"]["start"].is_string(), "{session:#}");
    let kept_out = desk.json(&["review", "list", "--status", "kept-out", "--json"]);
    assert_eq!(kept_out[0]["title"], "Last year's keynote", "{kept_out:#}");
}
