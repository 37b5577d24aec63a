//! The scriptable review commands (the contract in DESIGN.md) against a
//! database filled by a real poll of a loopback feed.

use serde_json::Value;

use crate::server::{Reply, TestServer};
use crate::{Desk, source};

fn rss(titles: &[&str]) -> String {
    let items: String = titles
        .iter()
        .enumerate()
        .map(|(i, title)| {
            format!("<item><guid>g{i}</guid><title>{title}</title><link>https://e.example/{i}</link><description>About {title}, long enough.</description></item>")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    )
}

fn polled_desk(titles: &[&str]) -> (Desk, TestServer) {
    let body = rss(titles);
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(&source("blog", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    (desk, server)
}

fn statuses(desk: &Desk) -> Vec<(i64, String)> {
    let mut all: Vec<(i64, String)> = desk
        .json(&["review", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    all.sort();
    all
}

fn fails(desk: &Desk, args: &[&str]) -> String {
    let output = desk.cmd().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "newsdesk {args:?}");
    assert!(output.stdout.is_empty(), "nothing on stdout for a failure");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn review_accept_into_an_unknown_section_lists_the_known_ones() {
    let (desk, _server) = polled_desk(&["One", "Two"]);
    let before = statuses(&desk);
    let stderr = fails(
        &desk,
        &["review", "accept", "1", "2", "--section", "gossip"],
    );
    assert!(
        stderr.contains("no section \"gossip\"")
            && stderr.contains("known sections: articles, releases"),
        "{stderr}"
    );
    assert_eq!(statuses(&desk), before);
    let stderr = fails(&desk, &["review", "list", "--section", "gossip"]);
    assert!(stderr.contains("known sections"), "{stderr}");
}

#[test]
fn review_decisions_on_a_drafted_candidate_change_nothing_of_the_others() {
    let (desk, _server) = polled_desk(&["One", "Two", "Three"]);
    desk.sqlite()
        .execute("UPDATE candidates SET status = 'drafted' WHERE id = 2", [])
        .unwrap();
    let before = statuses(&desk);
    for verb in ["accept", "reject", "defer"] {
        let stderr = fails(&desk, &["review", verb, "1", "2", "3"]);
        assert!(
            stderr.contains("candidate #2 is already in a draft; nothing was changed"),
            "{stderr}"
        );
        assert_eq!(statuses(&desk), before, "{verb}: all or nothing");
    }
    let stderr = fails(&desk, &["review", "reject", "3", "1", "404"]);
    assert!(stderr.contains("no candidate #404"), "{stderr}");
    assert_eq!(statuses(&desk), before);
    let output = desk.cmd().args(["review", "reject", "x"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(2),
        "a non-numeric id is a usage error"
    );
}

#[test]
fn review_list_json_is_stable_best_first_and_limited() {
    let (desk, _server) = polled_desk(&["One", "Two", "Three"]);
    desk.ok(&[
        "review",
        "accept",
        "3",
        "--section",
        "releases",
        "--note",
        "Good.",
    ]);
    let list = desk.json(&["review", "list", "--json"]);
    let first = &list[0];
    let mut keys: Vec<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "dated_ahead",
            "decided_at",
            "id",
            "mention",
            "note",
            "published",
            "related",
            "score",
            "section",
            "seen_in",
            "session",
            "source",
            "status",
            "submitted_by",
            "suggested_section",
            "summary",
            "title",
            "url"
        ]
    );
    crate::assert_best_first(&list);
    let limited = desk.json(&["review", "list", "--limit", "2", "--json"]);
    assert_eq!(limited.as_array().unwrap().len(), 2);
    assert_eq!(limited[0], list[0]);
    let accepted: Value = desk.json(&["review", "list", "--status", "accepted", "--json"]);
    assert_eq!(accepted[0]["note"], "Good.");
    assert_eq!(accepted[0]["section"], "releases");
    assert_eq!(accepted[0]["seen_in"], serde_json::json!(["blog"]));
    let shown = desk.json(&["review", "show", "3", "--json"]);
    assert!(
        shown["score_parts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["reason"].as_str().unwrap().ends_with("days old"))
    );
}

/// `review list` on a mistyped `--db` (or after the database was deleted)
/// made a new, empty database and answered "no candidates".
#[test]
fn commands_that_only_look_never_create_a_database() {
    let desk = Desk::new("");
    let missing = desk.dir.path().join("typo.db");
    for args in [
        vec!["review", "list"],
        vec!["review", "show", "1"],
        vec!["review", "reject", "1"],
        vec!["sources"],
    ] {
        let output = desk
            .cmd()
            .arg("--db")
            .arg(&missing)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("no database at {}", missing.display()))
                && stderr.contains("run `newsdesk poll` first"),
            "{args:?}: {stderr}"
        );
        assert!(!missing.exists(), "{args:?} created {}", missing.display());
    }
}

/// `review list --limit 2` said "2 candidates" when 3 existed, and one
/// candidate was "1 candidates".
#[test]
fn the_listing_counts_what_a_limit_left_out_and_says_candidate_for_one() {
    let (desk, _server) = polled_desk(&["One", "Two", "Three"]);
    let cut = desk.ok(&["review", "list", "--limit", "2"]);
    assert!(cut.trim_end().ends_with("\n2 of 3 candidates"), "{cut}");
    let all = desk.ok(&["review", "list"]);
    assert!(all.trim_end().ends_with("\n3 candidates"), "{all}");
    desk.ok(&["review", "reject", "1", "2"]);
    let one = desk.ok(&["review", "list", "--status", "rejected", "--limit", "1"]);
    assert!(one.trim_end().ends_with("\n1 of 2 candidates"), "{one}");
    let new = desk.ok(&["review", "list", "--status", "new"]);
    assert!(new.trim_end().ends_with("\n1 candidate"), "{new}");
}

/// The SEEN IN column is as wide as its widest cell: a story from three
/// feeds keeps every title in line.
#[test]
fn the_listing_keeps_its_columns_in_line_however_many_feeds_saw_a_story() {
    let server = TestServer::start(|seen| {
        let body = match seen.path.as_str() {
            "/one" => rss(&["Shared story"]),
            _ => rss(&["Shared story", "Only in the first"]),
        };
        Reply::ok(body, "application/rss+xml")
    });
    let desk = Desk::new(
        &[
            source("kubernetes-blog", &server.url("/all"), "articles"),
            source("cncf-blog-mirror", &server.url("/one"), "articles"),
            source("planet-kubernetes", &server.url("/one"), "articles"),
        ]
        .concat(),
    );
    desk.ok(&["poll"]);
    let out = desk.ok(&["review", "list"]);
    let lines: Vec<&str> = out.lines().take(3).collect();
    let title_at = lines[0].find("TITLE").unwrap();
    assert!(lines[1].contains("cncf-blog-mirror"), "{out}");
    for line in &lines[1..] {
        let title = line.split("  ").last().unwrap().trim_start();
        assert_eq!(line.find(title), Some(title_at), "{out}");
    }
}

/// A database with nothing in it yet says how to fill it.
#[test]
fn an_empty_queue_says_to_poll_and_a_refused_connection_is_one_line() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let desk = Desk::new(&source(
        "blog",
        &format!("http://127.0.0.1:{port}/feed"),
        "articles",
    ));
    let output = desk.cmd().arg("poll").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line =
        format!("cannot connect to 127.0.0.1: connection refused (nothing listens on port {port})");
    assert!(stderr.contains(&line), "{stderr}");
    assert!(!stderr.contains("client error"), "{stderr}");
    let out = desk.ok(&["review", "list"]);
    assert!(
        out.contains("0 candidates\n  help: nothing has been fetched yet: `newsdesk poll`"),
        "{out}"
    );
}
