//! The daemon beside other processes, and its signals.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::daemon::{Daemon, fast_desk, wait_until};
use crate::server::{Reply, TestServer};
use crate::source;

fn rss(items: &[(&str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, link)| {
            format!(
                "<item><guid>{link}</guid><title>{title}</title><link>{link}</link><description>{title}, in a few words.</description><pubDate>01 Dec 2026 09:00:00 GMT</pubDate></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    )
}

/// The count, once the daemon has created the database's tables.
fn count_if_there(desk: &crate::Desk, sql: &str) -> Option<i64> {
    let db = rusqlite::Connection::open(desk.db()).ok()?;
    db.query_row(sql, [], |row| row.get(0)).ok()
}

#[test]
fn a_story_polled_by_the_daemon_and_by_poll_is_one_candidate() {
    const STORY: &str = "Kubernetes 1.36 graduates in-place pod resize to stable";
    let story_arrived = Arc::new(AtomicBool::new(false));
    let arrived = story_arrived.clone();
    let server = TestServer::start(move |seen| {
        let filler = (
            "Notes on etcd defragmentation schedules",
            "https://a.example/etcd",
        );
        match seen.path.as_str() {
            "/a" if arrived.load(Ordering::SeqCst) => Reply::ok(
                rss(&[filler, (STORY, "https://a.example/resize")]),
                "application/rss+xml",
            ),
            "/a" => Reply::ok(rss(&[filler]), "application/rss+xml"),
            "/b" => Reply::ok(
                rss(&[(STORY, "https://b.example/k8s-resize")]),
                "application/rss+xml",
            ),
            _ => Reply::status(404),
        }
    });
    // The daemon polls `a`; `poll` with another configuration, `b`, into
    // the same database.
    let desk = fast_desk(&source("a", &server.url("/a"), "articles"), "");
    let poll_config = desk.dir.path().join("poll.toml");
    let text = std::fs::read_to_string(desk.config()).unwrap();
    let (head, _) = text.split_once("[[source]]").unwrap();
    std::fs::write(
        &poll_config,
        format!("{head}{}", source("b", &server.url("/b"), "articles")),
    )
    .unwrap();
    let _daemon = Daemon::start(&desk, &[]);
    // Its title index is loaded with the first story it places.
    wait_until(Duration::from_secs(20), "the daemon's first poll", || {
        count_if_there(&desk, "SELECT count(*) FROM candidates") == Some(1)
    });
    let polled = std::process::Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
        .arg("--config")
        .arg(&poll_config)
        .arg("--db")
        .arg(desk.db())
        .arg("poll")
        .output()
        .unwrap();
    assert!(
        polled.status.success(),
        "{}",
        String::from_utf8_lossy(&polled.stderr)
    );
    story_arrived.store(true, Ordering::SeqCst);
    wait_until(
        Duration::from_secs(20),
        "the daemon's poll of the story",
        || desk.count("SELECT count(*) FROM entries WHERE source_id = 'a'") == 2,
    );
    let titled = desk.count(&format!(
        "SELECT count(*) FROM candidates WHERE title = '{STORY}'"
    ));
    assert_eq!(
        titled, 1,
        "the same story from `a` and `b` is one candidate"
    );
}
