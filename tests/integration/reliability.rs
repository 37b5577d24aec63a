//! Crashes and contention: SIGKILL at many random moments of the daemon's
//! poll cycles and of `newsdesk draft`, and the editor deciding hundreds of
//! candidates while the daemon polls 500 feeds. After every kill the
//! database is intact, no candidate or decision is lost or duplicated, and
//! no draft file is half-written.

use std::collections::{HashMap, HashSet};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::daemon::{Daemon, fast_desk, integrity_ok, wait_until};
use crate::server::{Reply, TestServer};
use crate::{Desk, source};

/// A feed that grows as it is polled: `count` stories, the first half of
/// them also carried by the next feed (cross-posts).
fn growing_feed(feed: usize, count: usize) -> String {
    let items: String = (0..count)
        .map(|i| {
            // Stories 0..count/2 are shared with the neighbouring feed.
            let link = if i < count / 2 {
                format!("https://example.org/shared/{}/{i}", feed / 2)
            } else {
                format!("https://example.org/f{feed}/{i}")
            };
            format!(
                "<item><guid isPermaLink=\"false\">f{feed}-{i}</guid><title>Story {i} of feed {feed} about scheduling</title><link>{link}</link><description>Story {i}, long enough that no page needs reading.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>f{feed}</title>{items}</channel></rss>"
    )
}

/// Everything the test has seen committed, which a crash may never undo.
#[derive(Default)]
struct Ledger {
    /// Candidate id → canonical URL.
    candidates: HashMap<i64, String>,
    /// Candidates whose `review accept` exited 0.
    accepted: HashSet<i64>,
}

impl Ledger {
    /// Checks the invariants after a kill, then remembers the new state.
    fn check(&mut self, desk: &Desk, draft: &std::path::Path, moment: &str) {
        integrity_ok(&desk.db());
        let db = desk.sqlite();
        let schema: i64 = db
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'candidates'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        if schema == 0 {
            // Killed before its first migration committed (a busy machine
            // starts it slowly): the database is empty, which loses
            // nothing only if nothing was ever stored.
            assert!(
                self.candidates.is_empty() && self.accepted.is_empty(),
                "{moment}: the schema is gone with {} candidates",
                self.candidates.len()
            );
            return;
        }
        let now: HashMap<i64, (String, String)> = db
            .prepare("SELECT id, COALESCE(canonical_url, ''), status FROM candidates")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, (row.get(1)?, row.get(2)?))))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (id, url) in &self.candidates {
            let (now_url, _) = now
                .get(id)
                .unwrap_or_else(|| panic!("{moment}: candidate #{id} ({url}) was lost"));
            assert_eq!(now_url, url, "{moment}: candidate #{id} changed its URL");
        }
        let mut urls = HashSet::new();
        for (url, _) in now.values() {
            assert!(
                url.is_empty() || urls.insert(url.clone()),
                "{moment}: two candidates for {url}"
            );
        }
        for id in &self.accepted {
            let status = &now[id].1;
            assert!(
                status == "accepted" || status == "drafted",
                "{moment}: the decision on #{id} was lost (now {status})"
            );
        }
        if draft.exists() {
            let text = std::fs::read_to_string(draft).unwrap();
            assert!(
                text.contains("<!-- newsdesk:closing -->"),
                "{moment}: a half-written draft:\n{text}"
            );
            for (id, (_, status)) in &now {
                if status == "drafted" {
                    assert!(
                        text.contains(&format!("<!-- newsdesk:item {id} -->")),
                        "{moment}: #{id} is marked drafted but is not in the draft"
                    );
                }
            }
        }
        let leftovers: Vec<String> = std::fs::read_dir(draft.parent().unwrap())
            .map(|dir| {
                dir.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".tmp"))
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            leftovers.len() <= 1,
            "{moment}: temp files pile up: {leftovers:?}"
        );
        self.candidates = now.into_iter().map(|(id, (url, _))| (id, url)).collect();
    }
}

#[test]
fn sigkill_at_fifty_moments_of_polling_and_drafting_loses_nothing() {
    let requests = Arc::new(AtomicUsize::new(0));
    let served = requests.clone();
    let server = TestServer::start(move |seen| {
        let Some(feed) = seen.path.strip_prefix("/f").and_then(|n| n.parse().ok()) else {
            return Reply::status(404);
        };
        let n = served.fetch_add(1, Ordering::Relaxed);
        let count = (4 + n / 3).min(120);
        Reply::ok(growing_feed(feed, count), "application/rss+xml")
            .delayed(Duration::from_millis(fastrand::u64(0..150)))
    });
    let sources: String = (0..8)
        .map(|i| source(&format!("s{i}"), &server.url(&format!("/f{i}")), "articles"))
        .collect();
    let desk = fast_desk(&sources, "");
    let draft = desk.dir.path().join("articles/test-weekly-2026-12-02.md");
    let mut ledger = Ledger::default();
    let mut rng = fastrand::Rng::with_seed(20261125);
    let (mut daemon_kills, mut draft_kills, mut drafts_finished) = (0, 0, 0);

    for round in 0..50 {
        if round % 3 == 2 && !ledger.candidates.is_empty() {
            // The editor accepts two more; that command is not killed.
            let fresh: Vec<String> = desk
                .sqlite()
                .prepare("SELECT id FROM candidates WHERE status = 'new' ORDER BY id LIMIT 2")
                .unwrap()
                .query_map([], |row| row.get::<_, i64>(0))
                .unwrap()
                .map(|id| id.unwrap().to_string())
                .collect();
            if !fresh.is_empty() {
                let mut args = vec!["review", "accept", "--section", "articles"];
                args.extend(fresh.iter().map(String::as_str));
                desk.ok(&args);
                ledger
                    .accepted
                    .extend(fresh.iter().map(|id| id.parse::<i64>().unwrap()));
            }
            let mut child = Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
                .arg("--config")
                .arg(desk.config())
                .args(["draft", "--date", "2026-12-02"])
                .env_remove("NEWSDESK_DB")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_millis(rng.u64(0..60)));
            match child.try_wait().unwrap() {
                Some(_) => drafts_finished += 1,
                None => {
                    child.kill().unwrap();
                    draft_kills += 1;
                }
            }
            child.wait().unwrap();
            ledger.check(&desk, &draft, &format!("round {round}, after draft"));
        } else {
            let mut daemon = Daemon::start(&desk, &[]);
            std::thread::sleep(Duration::from_millis(rng.u64(150..1500)));
            daemon.signal("KILL");
            daemon.wait_exit(Duration::from_secs(5));
            daemon_kills += 1;
            ledger.check(&desk, &draft, &format!("round {round}, after the daemon"));
        }
    }
    eprintln!(
        "{daemon_kills} daemon kills, {draft_kills} draft kills, {drafts_finished} drafts finished before their kill; {} candidates, {} accepted",
        ledger.candidates.len(),
        ledger.accepted.len()
    );
    assert!(daemon_kills >= 30 && draft_kills + drafts_finished >= 10);
    assert!(ledger.candidates.len() > 20, "polls must have happened");

    // Unkilled, the draft takes in every accepted candidate exactly once.
    desk.ok(&["draft", "--date", "2026-12-02"]);
    ledger.check(&desk, &draft, "the final draft");
    let text = std::fs::read_to_string(&draft).unwrap();
    for id in &ledger.accepted {
        let marker = format!("<!-- newsdesk:item {id} -->");
        assert_eq!(
            text.matches(&marker).count(),
            1,
            "#{id} in the draft:\n{text}"
        );
    }
}

/// Feeds of five stories each, served fast.
fn small_feed(feed: usize) -> String {
    let items: String = (0..5)
        .map(|i| {
            format!(
                "<item><guid>https://example.org/s{feed}/{i}</guid><title>Feed {feed} story {i} on queues</title><link>https://example.org/s{feed}/{i}</link><description>Story {i} of feed {feed}, described at some length.</description></item>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>s{feed}</title>{items}</channel></rss>"
    )
}

#[test]
fn hundreds_of_decisions_while_the_daemon_polls_500_feeds_all_land() {
    let server = TestServer::start(move |seen| {
        match seen.path.strip_prefix("/s").and_then(|n| n.parse().ok()) {
            // A new body each time, so every poll writes.
            Some(feed) => Reply::ok(small_feed(feed), "application/rss+xml"),
            None => Reply::status(404),
        }
    });
    let sources: String = (0..500)
        .map(|i| source(&format!("s{i}"), &server.url(&format!("/s{i}")), "articles"))
        .collect();
    let desk = fast_desk(&sources, "");
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config())
            .unwrap()
            .replace("timeout = \"3s\"", "timeout = \"3s\"\nper_host = 16"),
    )
    .unwrap();
    let mut daemon = Daemon::start(&desk, &[]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(20));
    wait_until(Duration::from_secs(60), "candidates to decide on", || {
        desk.db().exists() && desk.count("SELECT COUNT(*) FROM candidates") >= 400
    });

    let started = Instant::now();
    let mut decided: HashMap<i64, &str> = HashMap::new();
    let mut failures = Vec::new();
    for (n, id) in (1..=400i64).enumerate() {
        let (verb, status) = if n % 2 == 0 {
            ("accept", "accepted")
        } else {
            ("reject", "rejected")
        };
        let output = desk
            .cmd()
            .args(["review", verb, &id.to_string()])
            .output()
            .unwrap();
        if output.status.success() {
            decided.insert(id, status);
        } else {
            failures.push(format!(
                "#{id}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
    }
    let polls_meanwhile = desk.count("SELECT COUNT(*) FROM fetch_log");
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(15));
    let log = daemon.log();
    assert!(
        status.success(),
        "{status}: {}",
        &log[log.len().saturating_sub(3000)..]
    );
    integrity_ok(&desk.db());
    eprintln!(
        "400 decisions in {:?} while the daemon recorded {polls_meanwhile} polls",
        started.elapsed()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(polls_meanwhile >= 1000, "the daemon must have kept polling");
    let db = desk.sqlite();
    for (id, status) in decided {
        let stored: String = db
            .query_row("SELECT status FROM candidates WHERE id = ?1", [id], |row| {
                row.get(0)
            })
            .unwrap();
        assert_eq!(stored, status, "#{id}");
    }
}
