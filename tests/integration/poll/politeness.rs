//! Polite polling: conditional requests, the next poll from what the
//! server said, per-host rates, permanent redirects.

use super::*;

#[test]
fn second_poll_is_conditional_and_adds_nothing() {
    let server = feed_server(&[
        (
            "/k8s.xml",
            "written/kubernetes-blog.xml",
            "application/rss+xml",
        ),
        ("/zenn.xml", "written/zenn-rss2.xml", "application/rss+xml"),
    ]);
    let desk = Desk::new(
        &(source("k8s", &server.url("/k8s.xml"), "articles")
            + &source("zenn", &server.url("/zenn.xml"), "articles")),
    );
    desk.ok(&["poll"]);
    let entries = desk.count("SELECT COUNT(*) FROM entries");
    let candidates = desk.count("SELECT COUNT(*) FROM candidates");
    assert_eq!(entries, 10);
    assert_eq!(candidates, 10);
    // The first request asked for compression and got it.
    assert!(
        server.seen()[0]
            .header("Accept-Encoding")
            .unwrap()
            .contains("gzip")
    );

    server.forget();
    let out = desk.ok(&["poll"]);
    assert!(out.contains("not modified        2"), "{out}");
    assert!(out.contains("new entries         0"), "{out}");
    for seen in server.seen() {
        assert!(seen.header("If-None-Match").is_some(), "{seen:?}");
    }
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), entries);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), candidates);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM fetch_log WHERE outcome = 'not_modified'"),
        2
    );
}

#[test]
fn a_server_without_validators_costs_no_reparse_when_unchanged() {
    let body = fixture("written/zenn-rss2.xml");
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(&source("zenn", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    let out = desk.ok(&["poll"]);
    assert!(out.contains("unchanged           1"), "{out}");
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 5);
}

#[test]
fn the_next_poll_honours_cache_control_ttl_retry_after_and_backs_off() {
    let body = fixture("written/zenn-rss2.xml");
    let with_ttl = String::from_utf8(fixture("written/kubernetes-blog.xml"))
        .unwrap()
        .replacen("<channel>", "<channel><ttl>180</ttl>", 1);
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/plain" => Reply::ok(body.clone(), "application/rss+xml"),
        "/cached" => Reply::ok(body.clone(), "application/rss+xml")
            .header("Cache-Control", "public, max-age=7200"),
        "/ttl" => Reply::ok(with_ttl.clone(), "application/rss+xml"),
        "/limited" => Reply::status(429).header("Retry-After", "5400"),
        "/broken" => Reply::status(500),
        _ => Reply::status(404),
    });
    let desk = Desk::new(
        &["plain", "cached", "ttl", "limited", "broken"]
            .iter()
            .map(|id| source(id, &server.url(&format!("/{id}")), "articles"))
            .collect::<String>(),
    );
    desk.ok(&["poll"]);
    let within = |seconds: i64, expected: i64| {
        (expected * 88 / 100..=expected * 112 / 100).contains(&seconds)
    };
    // Interval 1 h; new entries shorten it to 45 min (± 10 % jitter).
    assert!(
        within(next_poll_in(&desk, "plain"), 45 * 60),
        "{}",
        next_poll_in(&desk, "plain")
    );
    // max-age=7200 and <ttl>180</ttl> are floors.
    assert!(
        within(next_poll_in(&desk, "cached"), 7200),
        "{}",
        next_poll_in(&desk, "cached")
    );
    assert!(
        within(next_poll_in(&desk, "ttl"), 3 * 3600),
        "{}",
        next_poll_in(&desk, "ttl")
    );
    // 429 with Retry-After: 1.5 h rather than the 5 min first back-off.
    assert!(
        within(next_poll_in(&desk, "limited"), 5400),
        "{}",
        next_poll_in(&desk, "limited")
    );
    // Errors back off: 5 min, then 10 min.
    assert!(
        within(next_poll_in(&desk, "broken"), 300),
        "{}",
        next_poll_in(&desk, "broken")
    );
    desk.ok(&["poll", "--source", "broken"]);
    assert!(
        within(next_poll_in(&desk, "broken"), 600),
        "{}",
        next_poll_in(&desk, "broken")
    );
    // `sources` says when the next try is: 10 min ± 10 % jitter, shown in
    // whole minutes rounded down, a moment after the poll.
    let table = desk.ok(&["sources"]);
    assert!(
        (8..=11).any(|m| table.contains(&format!("next try in {m}m"))),
        "{table}"
    );
}

#[test]
fn a_host_rate_spaces_request_starts() {
    let body = fixture("written/zenn-rss2.xml");
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let sources: String = (0..4)
        .map(|i| source(&format!("s{i}"), &server.url(&format!("/{i}")), "articles"))
        .collect();
    let desk = Desk::new(&format!(
        "[hosts.\"127.0.0.1\"]\nrate = \"4/1s\"\nper_host = 4\n\n{sources}"
    ));
    let polled_at = std::time::Instant::now();
    desk.ok(&["poll"]);
    let mut starts: Vec<std::time::Instant> = server.seen().iter().map(|s| s.at).collect();
    starts.sort();
    assert_eq!(starts.len(), 4);
    // The limiter starts requests 250 ms apart, all after the poll began,
    // so the fourth reaches the server at least 750 ms after that. Gaps
    // between arrivals prove nothing on a busy machine: a request held up
    // after its start may arrive just before the next one.
    let last = starts[3] - polled_at;
    assert!(
        last >= Duration::from_millis(750),
        "the 4th request came {last:?} after the poll began; the rate allows it at 750 ms"
    );
}

#[test]
fn a_permanent_redirect_is_followed_recorded_and_shown() {
    let body = fixture("written/zenn-rss2.xml");
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/old" => Reply::status(301).header("Location", "/new"),
        "/new" => Reply::ok(body.clone(), "application/rss+xml"),
        "/loop" => Reply::status(302).header("Location", "/loop"),
        _ => Reply::status(404),
    });
    let desk = Desk::new(
        &(source("moved", &server.url("/old"), "articles")
            + &source("looping", &server.url("/loop"), "articles")),
    );
    desk.ok(&["poll"]);
    assert_eq!(titles_of(&desk, "moved").len(), 5);
    let sources = desk.json(&["sources", "--json"]);
    assert_eq!(sources[0]["moved_to"], server.url("/new"));
    assert!(
        sources[1]["last_error"]
            .as_str()
            .unwrap()
            .contains("more than 5 redirects")
    );
    let table = desk.ok(&["sources"]);
    assert!(
        table.contains(&format!("moved permanently to {}", server.url("/new"))),
        "{table}"
    );
}

/// Seconds from now until the source's stored next poll.
fn next_poll_in(desk: &Desk, id: &str) -> i64 {
    let next: String = desk
        .sqlite()
        .query_row(
            "SELECT next_poll_at FROM sources WHERE id = ?1",
            [id],
            |row| row.get(0),
        )
        .unwrap();
    let next = chrono::DateTime::parse_from_rfc3339(&next).unwrap();
    (next.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds()
}
