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

#[test]
fn sighup_keeps_each_hosts_rate_limit() {
    let feed = rss(&[(
        "Notes on etcd defragmentation schedules",
        "https://a.example/etcd",
    )]);
    let limited = TestServer::start({
        let feed = feed.clone();
        move |_| Reply::ok(feed.clone(), "application/rss+xml")
    });
    let clock = TestServer::start(move |_| Reply::ok(feed.clone(), "application/rss+xml"));
    // One request in ten minutes to `localhost`; the other host, polled
    // every second or two, tells the time.
    let limited_url = limited.url("/feed").replace("127.0.0.1", "localhost");
    let desk = fast_desk(
        &(source("limited", &limited_url, "articles")
            + &source("clock", &clock.url("/feed"), "articles")),
        "[hosts.localhost]\nrate = \"1/10m\"\n",
    );
    let daemon = Daemon::start(&desk, &[]);
    wait_until(
        Duration::from_secs(20),
        "the first poll of `localhost`",
        || !limited.seen().is_empty(),
    );
    for reload in 1..=5 {
        daemon.signal("HUP");
        wait_until(Duration::from_secs(20), "the reload", || {
            daemon.log().matches("feeds.toml reloaded").count() >= reload
        });
        let ticks = clock.seen().len();
        wait_until(
            Duration::from_secs(20),
            "two more polls of the clock",
            || clock.seen().len() >= ticks + 2,
        );
    }
    assert_eq!(
        limited.seen().len(),
        1,
        "five reloads let more requests through to a host limited to one in ten minutes\n{}",
        daemon.log()
    );
}

#[test]
fn sigterm_right_after_sighup_with_20000_sources_stops_within_the_grace_period() {
    // A listener that never answers: every fetch is still running at the stop.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let sources: String = (0..20_000)
        .map(|n| {
            source(
                &format!("s{n}"),
                &format!("http://127.0.0.1:{port}/f{n}"),
                "articles",
            )
        })
        .collect();
    let desk = crate::Desk::new(&format!("[daemon]\ngrace_period = \"2s\"\n\n{sources}"));
    let mut daemon = Daemon::start(&desk, &[]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(120));
    // Mid-way through starting the polls of 20,000 due sources.
    wait_until(Duration::from_secs(60), "the first polls", || {
        daemon.log().contains("polling source=")
    });
    daemon.signal("HUP");
    daemon.wait_for_notification("RELOADING=1", Duration::from_secs(20));
    let asked = std::time::Instant::now();
    daemon.signal("TERM");
    // The grace period, and as much again for a busy machine (it took
    // minutes before the fix).
    let status = daemon.wait_exit(Duration::from_secs(2 + 8));
    let took = asked.elapsed();
    let log = daemon.log();
    assert!(status.success(), "{status}\n{log}");
    // The stop began at once, not after the reload of 20,000 sources.
    let stopping = log
        .find("stopping: finishing in-flight fetches")
        .expect("the stop is logged");
    if let Some(reloaded) = log.find("feeds.toml reloaded") {
        assert!(
            stopping < reloaded,
            "the stop waited for the reload ({took:?})"
        );
    }
    eprintln!("stopped {took:?} after SIGTERM (grace period 2 s)");
}
