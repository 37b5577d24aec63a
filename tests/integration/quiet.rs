//! A source gone quiet: it answers (200, then 304) but has brought nothing
//! new for longer than its `quiet_after`. Told by `sources`, counted in
//! `/metrics`; the time is set in the database, not waited for.

use std::time::Duration;

use crate::daemon::{Daemon, free_port, http_get, wait_until};
use crate::server::{Reply, TestServer};
use crate::{Desk, fixture, source};

#[test]
fn a_source_answering_with_nothing_new_for_its_quiet_after_is_flagged() {
    let body = fixture("written/kubernetes-blog.xml");
    let server = TestServer::start(move |seen| match seen.header("If-None-Match") {
        Some("\"v1\"") => Reply::status(304),
        _ => Reply::ok(body.clone(), "application/rss+xml").header("ETag", "\"v1\""),
    });
    let port = free_port();
    let desk = Desk::new(&format!(
        "{}quiet_after = \"10d\"\n\n{}[daemon]\nlisten = \"127.0.0.1:{port}\"\n",
        source("old-blog", &server.url("/old"), "articles"),
        source("fresh-blog", &server.url("/fresh"), "articles"),
    ));
    desk.ok(&["poll"]);
    // Its newest entry was first seen on 2 October; the poll after that
    // answers 304.
    desk.sqlite()
        .execute(
            "UPDATE entries SET first_seen_at = '2026-10-02T08:00:00Z' WHERE source_id = 'old-blog'",
            [],
        )
        .unwrap();
    desk.ok(&["poll"]);

    let table = desk.ok(&["sources"]);
    let old = table.lines().find(|l| l.starts_with("old-blog")).unwrap();
    assert!(old.contains("quiet"), "{table}");
    assert!(table.contains("quiet since 2026-10-02 ("), "{table}");
    let fresh = table.lines().find(|l| l.starts_with("fresh-blog")).unwrap();
    assert!(fresh.contains(" ok "), "{table}");
    let json = desk.json(&["sources", "--json"]);
    let since = |id: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()["quiet_since"]
            .clone()
    };
    assert_eq!(since("old-blog"), "2026-10-02T08:00:00Z");
    assert_eq!(since("fresh-blog"), serde_json::Value::Null);

    // The daemon's gauge, refreshed by its health checks.
    let _daemon = Daemon::start(&desk, &[("WATCHDOG_USEC", "1000000")]);
    wait_until(Duration::from_secs(20), "the quiet-sources gauge", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && {
            let (status, body) = http_get(port, "/metrics");
            status == 200 && body.lines().any(|l| l == "newsdesk_quiet_sources 1")
        }
    });
}
