//! Submissions over HTTP while the daemon polls loopback feeds: 1,000
//! `POST /api/submissions` from 8 clients at once while the daemon polls
//! 500 feeds of tests/fixtures/bench/feedserver.py every 1–2 s. Reports
//! latency (p50, p90, p99, max), the answers by status, how many links
//! were lost (answered or not, not in the database) or duplicated (more
//! than one candidate or submission for one link), the polls stored
//! meanwhile and the lock errors in the daemon's log. See
//! benches/README.md.
//!
//! `cargo bench --bench submissions` (release) or
//! `cargo bench --profile dev --bench submissions` (debug build); env
//! SUBMISSIONS, FEEDS, CLIENTS change the sizes; KEEP=1 keeps the work
//! directory (database, feeds.toml, the daemon's log).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A child process stopped when the bench ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One request over a fresh connection: the status and the body.
fn exchange(port: u16, head: &str, body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, body.to_owned())
}

fn get(port: u16, path: &str) -> (u16, String) {
    exchange(
        port,
        &format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"),
        b"",
    )
}

/// `/page/N`: an article page titled "Submitted page N", each answered
/// on a thread of its own so the pages never wait on each other.
fn start_pages() -> u16 {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    std::thread::spawn(move || {
        for request in server.incoming_requests() {
            std::thread::spawn(move || {
                let n = request.url().trim_start_matches("/page/").to_owned();
                let html = format!(
                    "<html><head><title>Submitted page {n}</title><meta name=\"description\" content=\"Page {n} of the bench.\"></head><body><p>Text.</p></body></html>"
                );
                let header = tiny_http::Header::from_bytes("Content-Type", "text/html").unwrap();
                let _ = request.respond(tiny_http::Response::from_string(html).with_header(header));
            });
        }
    });
    port
}

/// feedserver.py with `feeds` feeds; its port.
fn start_feeds(root: &Path, work: &Path, feeds: usize) -> (Running, u16) {
    let ready = work.join("feedserver.ready");
    let child = Command::new("python3")
        .arg(root.join("tests/fixtures/bench/feedserver.py"))
        .args(["--n", &feeds.to_string(), "--port", "0", "--slow-frac", "0"])
        .args(["--max-seconds", "3600"])
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 runs tests/fixtures/bench/feedserver.py");
    let server = Running(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(base) = std::fs::read_to_string(&ready) {
            let port = base.trim().rsplit(':').next().unwrap().parse().unwrap();
            return (server, port);
        }
        assert!(Instant::now() < deadline, "feedserver.py not ready");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn.query_row(sql, [], |row| row.get(0)).unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    // `cargo bench` passes --bench; there is nothing to filter.
    let submissions = setting("SUBMISSIONS", 1000);
    let feeds = setting("FEEDS", 500);
    let clients = setting("CLIENTS", 8);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = env!("CARGO_BIN_EXE_newsdesk");
    let work = tempfile::tempdir().unwrap();

    let (_feedserver, feed_port) = start_feeds(root, work.path(), feeds);
    let page_port = start_pages();
    let (_, urls) = get(feed_port, "/urls.txt");
    let port = free_port();
    let mut config = format!(
        "[newsletter]\ntitle = \"bench\"\n\n[defaults]\nconcurrency = 16\nper_host = 16\nenrich = false\n\
         interval = \"1s\"\nmin_interval = \"1s\"\nmax_interval = \"2s\"\nbackoff_start = \"1s\"\nbackoff_max = \"2s\"\n\n\
         [contributions]\nallow_private_hosts = [\"127.0.0.1\"]\n\n\
         [daemon]\nlisten = \"127.0.0.1:{port}\"\nsubmission_rate = \"100000/min\"\n\n\
         [[sections]]\nid = \"articles\"\ntitle = \"Articles\"\n\n"
    );
    for (i, url) in urls.lines().filter(|l| !l.is_empty()).enumerate() {
        config.push_str(&format!(
            "[[source]]\nid = \"f{i}\"\nkind = \"feed\"\nurl = \"{url}\"\nsection = \"articles\"\n\n"
        ));
    }
    let config_path = work.path().join("feeds.toml");
    std::fs::write(&config_path, config).unwrap();
    let db = work.path().join("newsdesk.db");
    let tokens: Vec<String> = ["alice", "bob", "carol", "dave"]
        .iter()
        .map(|name| {
            let out = Command::new(binary)
                .arg("--config")
                .arg(&config_path)
                .args(["contributors", "add", name])
                .output()
                .unwrap();
            assert!(out.status.success());
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        })
        .collect();
    let log = work.path().join("daemon.log");
    let _daemon = Running(
        Command::new(binary)
            .arg("--config")
            .arg(&config_path)
            .arg("--db")
            .arg(&db)
            .arg("daemon")
            .env("NEWSDESK_LOG", "info")
            .env_remove("NOTIFY_SOCKET")
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() || !db.exists() {
        assert!(started.elapsed() < Duration::from_secs(60), "no daemon");
        std::thread::sleep(Duration::from_millis(50));
    }
    while count(&db, "SELECT COUNT(*) FROM fetch_log") < feeds as i64 {
        std::thread::sleep(Duration::from_millis(200));
    }
    println!(
        "first poll of {feeds} feeds stored after {:.1} s; submitting {submissions} links from {clients} clients",
        started.elapsed().as_secs_f64()
    );
    let polls_before = count(&db, "SELECT COUNT(*) FROM fetch_log");

    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(u16, Duration)>> = Mutex::new(Vec::new());
    let wall = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= submissions {
                        break;
                    }
                    let body = format!("{{\"url\":\"http://127.0.0.1:{page_port}/page/{n}\"}}");
                    let head = format!(
                        "POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                         Authorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        tokens[n % tokens.len()],
                        body.len()
                    );
                    let sent = Instant::now();
                    let (status, _) = exchange(port, &head, body.as_bytes());
                    results.lock().unwrap().push((status, sent.elapsed()));
                }
            });
        }
    });
    let wall = wall.elapsed();
    let results = results.into_inner().unwrap();
    let polls_during = count(&db, "SELECT COUNT(*) FROM fetch_log") - polls_before;

    let mut latencies: Vec<Duration> = results.iter().map(|(_, d)| *d).collect();
    latencies.sort();
    let mut statuses = std::collections::BTreeMap::new();
    for (status, _) in &results {
        *statuses.entry(*status).or_insert(0) += 1;
    }
    let pages = format!("'http://127.0.0.1:{page_port}/page/%'");
    let stored = count(
        &db,
        &format!("SELECT COUNT(DISTINCT url) FROM submissions WHERE url LIKE {pages}"),
    );
    let rows = count(
        &db,
        &format!("SELECT COUNT(*) FROM submissions WHERE url LIKE {pages}"),
    );
    let candidates = count(
        &db,
        "SELECT COUNT(DISTINCT candidate_id) FROM entries WHERE source_id = 'submissions'",
    );
    // A page the daemon could not read in time is still queued, titled
    // from its URL.
    let unread = count(
        &db,
        "SELECT COUNT(*) FROM candidates WHERE source_id = 'submissions' AND title NOT LIKE 'Submitted page %'",
    );
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let lock_errors = log_text
        .lines()
        .filter(|l| {
            l.contains("database is locked")
                || l.contains("cannot write to the database")
                || l.contains("could not be stored")
        })
        .count();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "latency ms: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap())
    );
    println!(
        "{} submissions in {:.2} s ({:.0}/s); answers by status: {statuses:?}",
        results.len(),
        wall.as_secs_f64(),
        results.len() as f64 / wall.as_secs_f64()
    );
    println!(
        "lost: {}  duplicated: {} (submission rows {rows}, candidates {candidates}, links {submissions})",
        submissions as i64 - stored,
        (rows - stored) + (candidates - stored).max(0)
    );
    println!("pages not read (queued thin, titled from the URL): {unread}");
    println!(
        "polls stored meanwhile: {polls_during}; lock errors in the daemon's log: {lock_errors}"
    );
    // KEEP=1 leaves the database and the daemon's log for a closer look.
    if std::env::var_os("KEEP").is_some() {
        println!("kept: {}", work.keep().display());
    }
}
