//! Submissions while the daemon polls 500 loopback feeds: every one lands,
//! none twice, and neither the writer nor the listener meets a lock error.

use std::time::Duration;

use serde_json::json;

use crate::daemon::{Daemon, free_port, wait_until};
use crate::server::{Reply, TestServer};
use crate::submissions::{add_contributor, exchange, submit_json, wait_listening};
use crate::{Desk, source};

const FEEDS: usize = 500;
const THREADS: usize = 8;
const PER_THREAD: usize = 20;

/// `/feed/N`: three items of feed N; `/page/N`: a page titled "Page N".
fn site() -> TestServer {
    TestServer::start(|seen| {
        let path = seen.path.split('?').next().unwrap_or_default().to_owned();
        if let Some(n) = path.strip_prefix("/feed/") {
            let items: String = (0..3)
                .map(|k| format!("<item><guid>f{n}-{k}</guid><title>Feed {n} story {k}</title><link>http://stories.example/{n}/{k}</link><description>Story {k} of feed {n}, told at enough length to need no page.</description></item>"))
                .collect();
            return Reply::ok(
                format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed {n}</title>{items}</channel></rss>"
                ),
                "application/rss+xml",
            );
        }
        match path.strip_prefix("/page/") {
            Some(n) => Reply::ok(
                format!(
                    "<html><head><title>Submitted page {n}</title></head><body><p>Text of page {n}.</p></body></html>"
                ),
                "text/html",
            ),
            None => Reply::status(404),
        }
    })
}

fn polls(desk: &Desk) -> i64 {
    desk.count("SELECT COUNT(*) FROM fetch_log")
}

#[test]
fn submissions_while_500_feeds_are_polled_all_land_with_no_lock_error() {
    let site = site();
    let port = free_port();
    let sources: String = (0..FEEDS)
        .map(|n| {
            source(
                &format!("f{n}"),
                &site.url(&format!("/feed/{n}")),
                "articles",
            )
        })
        .collect();
    let desk = Desk::new(&format!(
        "[contributions]\nallow_private_hosts = [\"127.0.0.1\"]\n\n\
         [daemon]\nlisten = \"127.0.0.1:{port}\"\nsubmission_rate = \"10000/min\"\n\n{sources}"
    ));
    let text = std::fs::read_to_string(desk.config()).unwrap().replace(
        "enrich = false",
        "enrich = false\nconcurrency = 16\nper_host = 16\ninterval = \"2s\"\nmin_interval = \"1s\"\nmax_interval = \"3s\"",
    );
    std::fs::write(desk.config(), text).unwrap();
    let tokens = [
        add_contributor(&desk, "alice"),
        add_contributor(&desk, "bob"),
    ];
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    wait_until(
        Duration::from_secs(120),
        "the polls to be under way",
        || polls(&desk) >= 100,
    );
    let polled_before = polls(&desk);

    let answers: Vec<(usize, u16, String)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (site, tokens) = (&site, &tokens);
                scope.spawn(move || {
                    (0..PER_THREAD)
                        .map(|i| {
                            let n = thread * PER_THREAD + i;
                            let link = json!({ "url": site.url(&format!("/page/{n}")) });
                            let answer = submit_json(port, &tokens[n % 2], &link);
                            (n, answer.status, answer.body)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let refused: Vec<_> = answers
        .iter()
        .filter(|(_, status, _)| *status != 201)
        .collect();
    assert!(refused.is_empty(), "{refused:#?}\n{}", daemon.log());

    let total = (THREADS * PER_THREAD) as i64;
    assert_eq!(desk.count("SELECT COUNT(*) FROM submissions"), total);
    assert_eq!(
        desk.count(
            "SELECT COUNT(DISTINCT candidate_id) FROM entries WHERE source_id = 'submissions'"
        ),
        total
    );
    assert!(polls(&desk) > polled_before, "the polls went on meanwhile");
    let log = daemon.log();
    for lock_error in [
        "database is locked",
        "cannot write to the database",
        "could not be stored",
    ] {
        assert!(!log.contains(lock_error), "{lock_error}:\n{log}");
    }
    assert_eq!(exchange(port, "GET", "/healthz", &[], b"").status, 200);
}
