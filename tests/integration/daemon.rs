//! The real `newsdesk daemon` process: scheduling, back-off, reload,
//! systemd notifications, metrics, clean and unclean stops.

use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::server::{Reply, TestServer};
use crate::{Desk, fixture, source};

/// A running daemon with a fake NOTIFY_SOCKET bound by the test.
pub(crate) struct Daemon {
    pub(crate) child: Child,
    log: std::path::PathBuf,
    /// Notifications received so far, read continuously as systemd does.
    messages: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    pub(crate) fn start(desk: &Desk, extra_env: &[(&str, &str)]) -> Daemon {
        Daemon::start_with(desk, extra_env, false)
    }

    /// With `journal`, JOURNAL_STREAM names the log file, as systemd would
    /// name the journal's stream.
    pub(crate) fn start_with(desk: &Desk, extra_env: &[(&str, &str)], journal: bool) -> Daemon {
        let socket = desk
            .dir
            .path()
            .join(format!("notify-{}.sock", fastrand::u32(..)));
        let notify = UnixDatagram::bind(&socket).unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let received = messages.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = notify.recv(&mut buffer) {
                received
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buffer[..n]).into_owned());
            }
        });
        let log = desk
            .dir
            .path()
            .join(format!("daemon-{}.log", fastrand::u32(..)));
        let mut command = Command::new(assert_cmd::cargo::cargo_bin("newsdesk"));
        command
            .arg("--config")
            .arg(desk.config())
            .arg("daemon")
            .env("NOTIFY_SOCKET", &socket)
            .env("NEWSDESK_LOG", "debug")
            .env_remove("NEWSDESK_DB")
            .env_remove("WATCHDOG_USEC")
            .env_remove("JOURNAL_STREAM")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        if journal {
            use std::os::unix::fs::MetadataExt;
            let meta = std::fs::metadata(&log).unwrap();
            command.env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()));
        }
        for (name, value) in extra_env {
            command.env(name, value);
        }
        Daemon {
            child: command.spawn().unwrap(),
            log,
            messages,
        }
    }

    /// Waits for a notification containing `wanted` (or panics).
    pub(crate) fn wait_for_notification(&self, wanted: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(found) = self
                .messages
                .lock()
                .unwrap()
                .iter()
                .find(|m| m.contains(wanted))
            {
                return found.clone();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "no {wanted} notification within {within:?}; got {:?}\nlog:\n{}",
            self.messages.lock().unwrap(),
            self.log()
        );
    }

    pub(crate) fn count_notifications(&self, wanted: &str) -> usize {
        self.messages
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.contains(wanted))
            .count()
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub(crate) fn wait_exit(&mut self, within: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "daemon still running after {within:?}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn requests_to(server: &TestServer, path: &str) -> usize {
    server.seen().iter().filter(|s| s.path == path).count()
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn integrity_ok(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let result: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(result, "ok");
}

/// feeds.toml with second-scale intervals so the test sees several cycles.
pub(crate) fn fast_desk(sources: &str, daemon_section: &str) -> Desk {
    let desk = Desk::new(sources);
    let text = std::fs::read_to_string(desk.config()).unwrap().replace(
        "timeout = \"3s\"",
        "timeout = \"3s\"\ninterval = \"2s\"\nmin_interval = \"1s\"\nmax_interval = \"3s\"\nbackoff_start = \"1s\"\nbackoff_max = \"2s\"",
    );
    std::fs::write(desk.config(), format!("{text}\n{daemon_section}")).unwrap();
    desk
}

#[test]
fn daemon_polls_on_schedule_backs_off_reloads_and_stops_cleanly() {
    let good = fixture("written/kubernetes-blog.xml");
    let zenn = fixture("written/zenn-rss2.xml");
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/good" if seen.header("If-None-Match") == Some("\"k8s\"") => Reply::status(304),
        "/good" => Reply::ok(good.clone(), "application/rss+xml").header("ETag", "\"k8s\""),
        "/bad" => Reply::status(500),
        "/new" => Reply::ok(zenn.clone(), "application/rss+xml"),
        _ => Reply::status(404),
    });
    let port = free_port();
    let sources = source("good", &server.url("/good"), "articles")
        + &source("bad", &server.url("/bad"), "articles");
    let daemon_section =
        format!("[daemon]\nlisten = \"127.0.0.1:{port}\"\ngrace_period = \"5s\"\n");
    let desk = fast_desk(&sources, &daemon_section);
    let mut daemon = Daemon::start(&desk, &[("WATCHDOG_USEC", "1000000")]);

    let ready = daemon.wait_for_notification("READY=1", Duration::from_secs(10));
    assert!(ready.contains("STATUS=2 sources"), "{ready}");
    // The watchdog asked for 1 s: pings come every half of it.
    let pings = daemon.count_notifications("WATCHDOG=1");
    wait_until(Duration::from_secs(10), "three more watchdog pings", || {
        daemon.count_notifications("WATCHDOG=1") >= pings + 3
    });

    // Several cycles: the good source is polled on its interval, the bad one
    // backs off (1 s, then 2 s) while the good one keeps going.
    wait_until(
        Duration::from_secs(30),
        "three polls of each source",
        || requests_to(&server, "/good") >= 3 && requests_to(&server, "/bad") >= 3,
    );
    // Never sooner than the schedule allows: min_interval 1 s, and the
    // bad source's first back-off 1 s (less 10 % jitter either way).
    for path in ["/good", "/bad"] {
        let times: Vec<Instant> = server
            .seen()
            .iter()
            .filter(|s| s.path == path)
            .map(|s| s.at)
            .collect();
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(850),
                "{path} polled again after {gap:?}"
            );
        }
    }
    // Conditional requests after the first.
    assert!(
        server
            .seen()
            .iter()
            .filter(|s| s.path == "/good")
            .skip(1)
            .all(|s| s.header("If-None-Match") == Some("\"k8s\""))
    );
    let sources = desk.json(&["sources", "--json"]);
    let bad = sources
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "bad")
        .unwrap();
    assert!(bad["consecutive_failures"].as_u64().unwrap() >= 2, "{bad}");
    assert!(bad["next_poll_at"].is_string());
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM entries WHERE source_id = 'good'"),
        5
    );

    // Metrics parse as Prometheus text and count what happened.
    let body = reqwest_free_get(port, "/metrics");
    let lines = body.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("valid exposition");
    let value = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
    };
    assert_eq!(
        value("newsdesk_fetches_total", Some(("outcome", "fetched"))),
        Some(1.0)
    );
    assert!(value("newsdesk_fetches_total", Some(("outcome", "not_modified"))).unwrap() >= 1.0);
    assert!(value("newsdesk_fetches_total", Some(("outcome", "failed"))).unwrap() >= 2.0);
    assert_eq!(value("newsdesk_entries_added_total", None), Some(5.0));
    assert!(
        value(
            "newsdesk_source_consecutive_failures",
            Some(("source", "bad"))
        )
        .unwrap()
            >= 2.0
    );
    assert_eq!(
        value(
            "newsdesk_source_consecutive_failures",
            Some(("source", "good"))
        ),
        Some(0.0)
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "newsdesk_fetch_duration_seconds_count")
    );
    let health = reqwest_free_get(port, "/healthz");
    assert_eq!(health.lines().next(), Some("ok"), "{health}");
    assert!(
        health.contains("submissions over HTTP: off (no [[contributors]]"),
        "{health}"
    );

    // SIGHUP with a new source: picked up without restart.
    let with_new = std::fs::read_to_string(desk.config()).unwrap()
        + &source("new", &server.url("/new"), "articles");
    std::fs::write(desk.config(), &with_new).unwrap();
    daemon.signal("HUP");
    wait_until(
        Duration::from_secs(5),
        "the added source to be polled",
        || requests_to(&server, "/new") > 0,
    );
    wait_until(
        Duration::from_secs(5),
        "entries of the added source",
        || desk.count("SELECT COUNT(*) FROM entries WHERE source_id = 'new'") == 5,
    );

    // SIGHUP with a broken file: reported, the running configuration stays.
    std::fs::write(desk.config(), with_new.replace("[[source]]", "[[sauce]]")).unwrap();
    daemon.signal("HUP");
    wait_until(
        Duration::from_secs(5),
        "the reload error in the log",
        || daemon.log().contains("not reloaded"),
    );
    let before = requests_to(&server, "/new");
    wait_until(Duration::from_secs(6), "polls to go on", || {
        requests_to(&server, "/new") > before
    });

    // SIGTERM: clean exit within the grace period, database intact.
    let stopping = Instant::now();
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(8));
    assert!(status.success(), "exit status {status}\n{}", daemon.log());
    assert!(stopping.elapsed() < Duration::from_secs(6));
    daemon.wait_for_notification("STOPPING=1", Duration::from_secs(1));
    integrity_ok(&desk.db());
    let log = daemon.log();
    assert!(
        log.contains("daemon started") && log.contains("stopped"),
        "{log}"
    );
}

/// The body of a GET that must answer 200.
fn reqwest_free_get(port: u16, path: &str) -> String {
    let (status, body) = http_get(port, path);
    assert_eq!(status, 200, "{body}");
    body
}

/// GET `path` on 127.0.0.1:`port` over a plain TCP stream (the test checks
/// the daemon's server, not a client library): the status and the body.
pub(crate) fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

#[test]
fn sigterm_during_a_slow_fetch_waits_for_it_within_the_grace_period() {
    let body = fixture("written/zenn-rss2.xml");
    let server = TestServer::start(move |_| {
        Reply::ok(body.clone(), "application/rss+xml").delayed(Duration::from_secs(2))
    });
    let desk = fast_desk(
        &source("slow", &server.url("/slow"), "articles"),
        "[daemon]\ngrace_period = \"10s\"\n",
    );
    let mut daemon = Daemon::start(&desk, &[]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(10));
    wait_until(Duration::from_secs(5), "the slow request", || {
        requests_to(&server, "/slow") > 0
    });
    // The server has the request and holds its answer for 2 s: in flight.
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(8));
    assert!(status.success());
    // The in-flight fetch was allowed to finish and was recorded.
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 5);
    integrity_ok(&desk.db());

    // A grace period shorter than the fetch: cancelled, still exit 0.
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config())
            .unwrap()
            .replace("grace_period = \"10s\"", "grace_period = \"1s\""),
    )
    .unwrap();
    std::fs::remove_file(desk.db()).unwrap();
    let mut daemon = Daemon::start_with(&desk, &[], true);
    daemon.wait_for_notification("READY=1", Duration::from_secs(10));
    let before = requests_to(&server, "/slow");
    wait_until(Duration::from_secs(5), "the slow request", || {
        requests_to(&server, "/slow") > before
    });
    let stopping = Instant::now();
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(5)).success());
    assert!(
        stopping.elapsed() < Duration::from_millis(1900),
        "{:?}",
        stopping.elapsed()
    );
    assert!(
        daemon.log().contains("grace period over"),
        "{}",
        daemon.log()
    );
    integrity_ok(&desk.db());
}

#[test]
fn kill_9_mid_poll_loses_and_duplicates_nothing_and_the_schedule_resumes() {
    let files = [
        "written/kubernetes-blog.xml",
        "written/cncf-blog.xml",
        "written/zenn-rss2.xml",
        "written/qiita-atom.xml",
        "real/rss2/google-cloud-blog.rss",
        "real/rss2/macworld-no-guid.rss",
        "real/jsonfeed/escaped-slashes-1.1.json",
        "real/large/large-atom.xml",
    ];
    let bodies: Vec<Vec<u8>> = files.iter().map(|f| fixture(f)).collect();
    // 24 sources, three per fixture (cross-posts of each other), each answer
    // 300 ms late, two at a time: polling takes ~4 s, time to kill it.
    let server = TestServer::start(move |seen| {
        let index: usize = seen
            .path
            .trim_start_matches("/f")
            .parse()
            .unwrap_or(usize::MAX);
        match bodies.get(index % 8) {
            Some(body) => {
                Reply::ok(body.clone(), "application/xml").delayed(Duration::from_millis(300))
            }
            None => Reply::status(404),
        }
    });
    let sources: String = (0..24)
        .map(|i| source(&format!("s{i}"), &server.url(&format!("/f{i}")), "articles"))
        .collect();
    let desk = Desk::new(&sources);
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config()).unwrap().replace(
            "timeout = \"3s\"",
            "timeout = \"3s\"\nconcurrency = 2\ninterval = \"1h\"",
        ),
    )
    .unwrap();

    let mut daemon = Daemon::start(&desk, &[]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(10));
    wait_until(Duration::from_secs(10), "a few recorded polls", || {
        desk.count("SELECT COUNT(*) FROM fetch_log") >= 4
    });
    daemon.signal("KILL");
    daemon.wait_exit(Duration::from_secs(5));
    integrity_ok(&desk.db());
    let polled_before: Vec<String> = {
        let db = desk.sqlite();
        let mut stmt = db
            .prepare("SELECT DISTINCT source_id FROM fetch_log")
            .unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(
        polled_before.len() < 24,
        "the kill came too late to test anything"
    );
    let requests_before = server.seen().len();

    let mut daemon = Daemon::start(&desk, &[]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(10));
    wait_until(Duration::from_secs(20), "every source polled", || {
        desk.count("SELECT COUNT(DISTINCT source_id) FROM fetch_log") == 24
    });
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(10)).success());
    integrity_ok(&desk.db());

    // The schedule resumed: sources recorded before the kill (interval 1 h)
    // were not fetched again.
    let refetched: Vec<&String> = polled_before
        .iter()
        .filter(|id| {
            let index: usize = id.trim_start_matches('s').parse().unwrap();
            server.seen()[requests_before..]
                .iter()
                .any(|s| s.path == format!("/f{index}"))
        })
        .collect();
    assert!(
        refetched.is_empty(),
        "re-polled after restart: {refetched:?}"
    );
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM fetch_log"),
        24,
        "each source recorded exactly once"
    );

    // Nothing lost, nothing twice: every source has all of its fixture's
    // entries, and one candidate per distinct canonical URL.
    for i in 0..24 {
        let expected = newsdesk::source::feed::parse(
            &fixture(files[i % 8]),
            None,
            &url::Url::parse(&server.url(&format!("/f{i}"))).unwrap(),
        )
        .unwrap()
        .entries
        .iter()
        .map(|e| e.key.clone())
        .collect::<std::collections::HashSet<_>>()
        .len() as i64;
        assert_eq!(
            desk.count(&format!(
                "SELECT COUNT(*) FROM entries WHERE source_id = 's{i}'"
            )),
            expected,
            "s{i}"
        );
    }
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE canonical_url IS NOT NULL"),
        desk.count(
            "SELECT COUNT(DISTINCT canonical_url) FROM entries WHERE canonical_url IS NOT NULL"
        )
    );
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM entries WHERE candidate_id IS NULL"),
        0
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates c WHERE NOT EXISTS (SELECT 1 FROM entries e WHERE e.candidate_id = c.id)"), 0);
}

/// The daemon reads the article page of a thin candidate after the poll
/// that brought it, once: later health ticks with nothing new fetch no page
/// again.
#[test]
fn the_daemon_enriches_thin_candidates_once_after_the_poll_that_brought_them() {
    let page = fixture("real/html/github-page.html");
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/feed.xml" => Reply::ok(
            format!(
                "<rss version=\"2.0\"><channel><title>t</title>\
                 <item><title>Miniflux v2</title><link>{}/miniflux</link></item>\
                 </channel></rss>",
                seen.header("Host").map(|h| format!("http://{h}")).unwrap()
            ),
            "application/rss+xml",
        ),
        "/miniflux" => Reply::ok(page.clone(), "text/html; charset=utf-8"),
        _ => Reply::status(404),
    });
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"blog\"\nkind = \"feed\"\nurl = \"{}\"\nsection = \"articles\"\nenrich = true\ninterval = \"1h\"\n",
        server.url("/feed.xml")
    ));
    // A 2 s watchdog makes the health tick (and the enrichment check) 1 s.
    let mut daemon = Daemon::start(&desk, &[("WATCHDOG_USEC", "2000000")]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(10));
    wait_until(Duration::from_secs(15), "the page's description", || {
        desk.db().exists()
            && desk.count(
                "SELECT COUNT(*) FROM candidates WHERE summary IS NOT NULL AND length(summary) > 20",
            ) == 1
    });
    // Several more ticks with nothing new: the page is not read again.
    let pings = daemon.count_notifications("WATCHDOG=1");
    wait_until(Duration::from_secs(15), "four more health ticks", || {
        daemon.count_notifications("WATCHDOG=1") >= pings + 4
    });
    assert_eq!(requests_to(&server, "/miniflux"), 1, "{}", daemon.log());
    daemon.signal("TERM");
    assert!(daemon.wait_exit(Duration::from_secs(10)).success());
}
