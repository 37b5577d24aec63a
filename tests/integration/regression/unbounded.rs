//! Input without bounds: templates that never end, durations past the
//! calendar, dates in the far future, titles of a megabyte.

use crate::Desk;

fn with_newsletter_lines(desk: &Desk, lines: &str) {
    let text = std::fs::read_to_string(desk.config()).unwrap().replacen(
        "title = \"Test Weekly\"\n",
        &format!("title = \"Test Weekly\"\n{lines}"),
        1,
    );
    std::fs::write(desk.config(), text).unwrap();
}

#[test]
fn mutually_recursive_partials_are_refused_by_check_and_draft() {
    let desk = Desk::new("");
    let partials = desk.dir.path().join("templates/partials");
    std::fs::create_dir_all(&partials).unwrap();
    std::fs::write(
        partials.join("section.md.hbs"),
        "## {{title}}\n{{#each items}}{{> item}}{{/each}}\n",
    )
    .unwrap();
    std::fs::write(
        partials.join("item.md.hbs"),
        "### {{title}}\n{{> section}}\n",
    )
    .unwrap();
    with_newsletter_lines(&desk, "templates_dir = \"templates\"\n");
    for command in ["check", "draft"] {
        let output = desk.cmd().arg(command).output().unwrap();
        let said = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{command}: {said}");
        assert!(
            said.contains("partials call each other in a loop"),
            "{command}: {said}"
        );
        assert!(said.contains("item → section → item"), "{command}: {said}");
    }
}

#[test]
fn an_interval_of_a_hundred_billion_days_is_refused_with_the_range() {
    let desk = Desk::new("");
    let text = std::fs::read_to_string(desk.config()).unwrap().replace(
        "timeout = \"3s\"",
        "timeout = \"3s\"\ninterval = \"100000000000d\"\nmax_body_size = \"5TB\"",
    );
    std::fs::write(desk.config(), text).unwrap();
    let output = desk.cmd().arg("check").output().unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(
        said.contains("`interval` = \"100000000000d\" is too long"),
        "{said}"
    );
    assert!(said.contains("goes from above zero up to 366d"), "{said}");
    assert!(said.contains("sizes go from 1B up to 1.0 GiB"), "{said}");
}

fn rss_item(title: &str, link: &str, summary: &str, date: &str) -> String {
    format!(
        "<item><guid>{link}</guid><title>{title}</title><link>{link}</link><description>{summary}</description><pubDate>{date}</pubDate></item>"
    )
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    )
}

#[test]
fn an_entry_dated_2999_is_one_story_with_the_same_title_dated_today() {
    const STORY: &str = "Gateway API 1.5 makes TLSRoute and GRPCRoute standard";
    let today = chrono::Utc::now().to_rfc2822();
    let ahead = rss(&rss_item(
        STORY,
        "https://a.example/gateway",
        "From the future.",
        "Tue, 01 Jan 2999 09:00:00 GMT",
    ));
    let now = rss(&rss_item(
        STORY,
        "https://b.example/gateway-api",
        "From today.",
        &today,
    ));
    let server = crate::server::TestServer::start(move |seen| match seen.path.as_str() {
        "/ahead" => crate::server::Reply::ok(ahead.clone(), "application/rss+xml"),
        _ => crate::server::Reply::ok(now.clone(), "application/rss+xml"),
    });
    let desk = Desk::new(
        &(crate::source("ahead", &server.url("/ahead"), "articles")
            + &crate::source("today", &server.url("/today"), "articles")),
    );
    desk.ok(&["poll", "--source", "ahead"]);
    desk.ok(&["poll", "--source", "today"]);
    let list = desk.json(&["review", "list", "--json"]);
    let candidates = list.as_array().unwrap();
    assert_eq!(candidates.len(), 1, "{list:#}");
    let published = candidates[0]["published"].as_str().unwrap();
    let year: i32 = published[..4].parse().unwrap();
    assert!(
        year < 2999,
        "recency from the fetch, not from 2999: {published}"
    );
}

#[test]
fn a_megabyte_title_is_cut_at_ingest_and_the_cut_marked() {
    let huge = "cluster ".repeat(131_072);
    let feed = rss(&rss_item(
        &huge,
        "https://a.example/huge",
        &huge,
        "Tue, 01 Dec 2026 09:00:00 GMT",
    ));
    let server = crate::server::TestServer::start(move |_| {
        crate::server::Reply::ok(feed.clone(), "application/rss+xml")
    });
    let desk = Desk::new(&crate::source("huge", &server.url("/feed"), "articles"));
    let text = std::fs::read_to_string(desk.config()).unwrap().replace(
        "timeout = \"3s\"",
        "timeout = \"3s\"\nmax_body_size = \"8MB\"",
    );
    std::fs::write(desk.config(), text).unwrap();
    desk.ok(&["poll"]);
    let list = desk.json(&["review", "list", "--json", "--limit", "3"]);
    let candidate = &list.as_array().unwrap()[0];
    let title = candidate["title"].as_str().unwrap();
    assert!(
        title.chars().count() <= 301,
        "{} chars",
        title.chars().count()
    );
    assert!(
        title.ends_with('…'),
        "the cut is marked: …{}",
        &title[title.len() - 20..]
    );
    let summary = candidate["summary"].as_str().unwrap();
    assert!(
        summary.chars().count() <= 601,
        "{} chars",
        summary.chars().count()
    );
    assert!(summary.ends_with('…'));
}
