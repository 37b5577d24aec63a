//! Hostile servers: a raw TCP "chaos" server on 127.0.0.1 answers each
//! path with one kind of misbehaviour (a drip, a reset, an endless body, a
//! gzip bomb, redirect loops, throttling, things that are not feeds,
//! broken encodings, entity expansion, an external entity naming a local
//! file, a 100,000-entry feed, churning GUIDs, a broken .ics, a 50 MB
//! page). Every case is bounded in time by the fetch timeout and the body
//! cap; the server's own loops are bounded too, so nothing outlives the
//! test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Desk, source};

/// What the local file an external entity names holds: it must never be
/// found in the database.
const LOCAL_SECRET: &str = "NEWSDESK-LOCAL-SECRET-7f3a9c";

/// How long any one answer of the chaos server may go on.
const ANSWER_BOUND: Duration = Duration::from_secs(30);

struct ChaosServer {
    port: u16,
    stop: Arc<AtomicBool>,
    churn: Arc<AtomicUsize>,
}

impl ChaosServer {
    fn start(secret_file: &Path) -> ChaosServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let churn = Arc::new(AtomicUsize::new(0));
        let secret = secret_file.display().to_string();
        let (stop_flag, churn_count) = (stop.clone(), churn.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (secret, churn) = (secret.clone(), churn_count.clone());
                thread::spawn(move || {
                    let _ = answer(stream, port, &secret, &churn);
                });
            }
        });
        ChaosServer { port, stop, churn }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for ChaosServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// 1 GiB of zeros, gzip-compressed (about 1 MB on the wire); made once,
/// when first asked for.
fn gzip_bomb() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(make_gzip_bomb)
}

fn make_gzip_bomb() -> Vec<u8> {
    use flate2::{Compression, write::GzEncoder};
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        encoder.write_all(&zeros).unwrap();
    }
    encoder.finish().unwrap()
}

fn head(status: &str, headers: &[(&str, String)]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

fn full(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = head(
        status,
        &[
            ("Content-Type", content_type.into()),
            ("Content-Length", body.len().to_string()),
        ],
    );
    out.extend_from_slice(body);
    out
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>{items}</channel></rss>"
    )
}

fn item(guid: &str, title: &str, link: &str) -> String {
    format!(
        "<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link><description>{title}, described at some length.</description></item>"
    )
}

fn answer(
    mut stream: TcpStream,
    port: u16,
    secret: &str,
    churn: &AtomicUsize,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let started = Instant::now();
    let rss_type = "application/rss+xml";
    match path.as_str() {
        "/good" => stream.write_all(&full(
            "200 OK",
            rss_type,
            rss(&item("g1", "A good story", "https://example.org/good")).as_bytes(),
        ))?,
        "/drip" => {
            stream.write_all(&head("200 OK", &[("Content-Type", rss_type.into())]))?;
            for byte in rss("").bytes() {
                if started.elapsed() > ANSWER_BOUND {
                    break;
                }
                stream.write_all(&[byte])?;
                thread::sleep(Duration::from_secs(1));
            }
        }
        "/reset" => {
            let body = rss(&item("r1", "Reset", "https://example.org/r")).repeat(100);
            stream.write_all(&head(
                "200 OK",
                &[
                    ("Content-Type", rss_type.into()),
                    ("Content-Length", (body.len() * 2).to_string()),
                ],
            ))?;
            stream.write_all(&body.as_bytes()[..body.len() / 2])?;
            stream.flush()?;
            // SO_LINGER 0: close with a TCP reset, mid-body.
            socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO))?;
            drop(stream);
            return Ok(());
        }
        "/endless" => {
            stream.write_all(&head(
                "200 OK",
                &[
                    ("Content-Type", rss_type.into()),
                    ("Transfer-Encoding", "chunked".into()),
                ],
            ))?;
            let start = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>";
            stream.write_all(format!("{:x}\r\n{start}\r\n", start.len()).as_bytes())?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
            // At most 1 GiB, and never longer than the bound.
            for _ in 0..16 * 1024 {
                if started.elapsed() > ANSWER_BOUND {
                    break;
                }
                stream.write_all(chunk.as_bytes())?;
            }
        }
        "/bomb" => {
            let bomb = gzip_bomb();
            stream.write_all(&head(
                "200 OK",
                &[
                    ("Content-Type", rss_type.into()),
                    ("Content-Encoding", "gzip".into()),
                    ("Content-Length", bomb.len().to_string()),
                ],
            ))?;
            stream.write_all(bomb)?;
        }
        "/loop" => stream.write_all(&head(
            "302 Found",
            &[
                ("Location", "/loop".into()),
                ("Content-Length", "0".into()),
            ],
        ))?,
        p if p.starts_with("/chain/") => {
            let hop: u32 = p["/chain/".len()..].parse().unwrap_or(0);
            if hop >= 30 {
                stream.write_all(&full(
                    "200 OK",
                    rss_type,
                    rss(&item("c1", "End of the chain", "https://example.org/c")).as_bytes(),
                ))?;
            } else {
                stream.write_all(&head(
                    "301 Moved Permanently",
                    &[
                        ("Location", format!("http://127.0.0.1:{port}/chain/{}", hop + 1)),
                        ("Content-Length", "0".into()),
                    ],
                ))?;
            }
        }
        "/to-loopback" | "/to-localhost" | "/to-link-local" => {
            let target = match path.as_str() {
                "/to-loopback" => format!("http://127.0.0.1:{port}/good"),
                "/to-localhost" => format!("http://localhost:{port}/good"),
                // Never contacted: the redirect is refused before any request.
                _ => "http://169.254.169.254/latest/meta-data/".to_owned(),
            };
            stream.write_all(&head(
                "302 Found",
                &[("Location", target), ("Content-Length", "0".into())],
            ))?
        }
        "/429" => stream.write_all(&head(
            "429 Too Many Requests",
            &[
                ("Retry-After", "3600".into()),
                ("Content-Length", "0".into()),
            ],
        ))?,
        "/503" => stream.write_all(&head(
            "503 Service Unavailable",
            &[
                ("Retry-After", "7200".into()),
                ("Content-Length", "0".into()),
            ],
        ))?,
        "/html" => stream.write_all(&full(
            "200 OK",
            "text/html",
            b"<!doctype html><html><head><title>Blog</title></head><body><h1>Not a feed</h1></body></html>",
        ))?,
        "/image" => {
            let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
            png.extend(std::iter::repeat_n(0u8, 4096));
            stream.write_all(&full("200 OK", "image/png", &png))?
        }
        "/empty" => stream.write_all(&full("200 OK", rss_type, b""))?,
        "/bom-nul-invalid" => {
            let mut body = b"\xEF\xBB\xBF".to_vec();
            body.extend_from_slice(
                rss(&format!(
                    "{}{}",
                    item("b1", "Nul\0 in a title", "https://example.org/nul"),
                    item("b2", "Bad \u{FFFD} bytes", "https://example.org/bad")
                ))
                .replace('\u{FFFD}', "\u{1}")
                .as_bytes(),
            );
            // Invalid UTF-8 where the replacement stood.
            let at = body.iter().position(|b| *b == 1).unwrap();
            body.splice(at..=at, [0xC3, 0x28, 0xFF]);
            stream.write_all(&full("200 OK", "application/rss+xml; charset=utf-8", &body))?
        }
        "/laughs" => {
            let mut doc = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n");
            doc.push_str("<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n");
            for level in 2..=9 {
                let prev = format!("&lol{};", level - 1);
                doc.push_str(&format!("<!ENTITY lol{level} \"{}\">\n", prev.repeat(10)));
            }
            doc.push_str("]>\n<rss version=\"2.0\"><channel><title>&lol9;</title>");
            doc.push_str(&item("l1", "Laughs &lol9;", "https://example.org/laughs"));
            doc.push_str("</channel></rss>");
            stream.write_all(&full("200 OK", rss_type, doc.as_bytes()))?
        }
        "/xxe" => {
            let doc = format!(
                "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM \"file://{secret}\">]>\n<rss version=\"2.0\"><channel><title>x</title>{}</channel></rss>",
                item("x1", "Leak &xxe;", "https://example.org/xxe")
            );
            stream.write_all(&full("200 OK", rss_type, doc.as_bytes()))?
        }
        "/huge-feed" => {
            // Small entries, so the document stays under the body cap.
            let items: String = (0..100_000)
                .map(|i| format!("<item><title>E{i}</title><link>https://example.org/h/{i}</link></item>"))
                .collect();
            stream.write_all(&full("200 OK", rss_type, rss(&items).as_bytes()))?
        }
        "/churn" => {
            let round = churn.fetch_add(1, Ordering::Relaxed);
            let items: String = (0..20)
                .map(|i| item(&format!("round{round}-{i}"), &format!("Churning story {i}"), &format!("https://example.org/churn/{i}")))
                .collect();
            stream.write_all(&full("200 OK", rss_type, rss(&items).as_bytes()))?
        }
        "/broken.ics" => {
            let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Half a sess\r\n ion with a \r\nDTSTART:2026-13-45T99\r\nBEGIN:VEVENT\r\nSUMMARY\r\n:::\r\nEND:VCALENDAR";
            stream.write_all(&full("200 OK", "text/calendar", ics.as_bytes()))?
        }
        "/huge.html" => {
            stream.write_all(&head(
                "200 OK",
                &[
                    ("Content-Type", "text/html".into()),
                    ("Content-Length", (50usize << 20).to_string()),
                ],
            ))?;
            let row = "<div class=\"post\"><a href=\"/p\">A post</a></div>\n".repeat(1024);
            let mut sent = 0;
            while sent < 50 << 20 && started.elapsed() < ANSWER_BOUND {
                stream.write_all(row.as_bytes())?;
                sent += row.len();
            }
        }
        _ => stream.write_all(&full("404 Not Found", "text/plain", b"no such chaos"))?,
    }
    let _ = stream.flush();
    // Let the client read what was sent before the socket closes.
    let mut rest = Vec::new();
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = stream.read_to_end(&mut rest);
    Ok(())
}

/// The chaos sources, each with what its error in `sources` must mention.
const CASES: &[(&str, &str, &str)] = &[
    ("drip", "/drip", "within 3s"),
    ("reset", "/reset", ""),
    ("endless", "/endless", "larger than"),
    ("bomb", "/bomb", "larger than"),
    ("loop", "/loop", "redirect"),
    ("chain", "/chain/0", "redirect"),
    ("throttled", "/429", "429"),
    ("unavailable", "/503", "503"),
    ("html", "/html", "not a feed"),
    ("image", "/image", "not a feed"),
    ("empty", "/empty", "empty"),
];

fn chaos_sources(server: &ChaosServer) -> String {
    let mut text = source("good", &server.url("/good"), "articles");
    for (id, path, _) in CASES {
        text.push_str(&source(id, &server.url(path), "articles"));
    }
    for (id, path) in [
        ("bom", "/bom-nul-invalid"),
        ("laughs", "/laughs"),
        ("xxe", "/xxe"),
        ("huge-feed", "/huge-feed"),
        ("churn", "/churn"),
    ] {
        text.push_str(&source(id, &server.url(path), "articles"));
    }
    text.push_str(&format!(
        "[[source]]\nid = \"broken-ics\"\nkind = \"ical\"\nurl = \"{}\"\nsection = \"articles\"\n\n",
        server.url("/broken.ics")
    ));
    text.push_str(&format!(
        "[[source]]\nid = \"huge-page\"\nkind = \"html\"\nurl = \"{}\"\nsection = \"articles\"\nselectors = {{ item = \"div.post\", title = \"a\", link = \"a@href\" }}\n\n",
        server.url("/huge.html")
    ));
    text
}

fn sources_by_id(desk: &Desk) -> std::collections::HashMap<String, Value> {
    desk.json(&["sources", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap().to_owned(), s.clone()))
        .collect()
}

/// Memory a poll of every hostile source may use at most: the body cap
/// (10 MB) per fetch in flight bounds it, not the size of what servers send.
const MEMORY_BOUND_MIB: f64 = 400.0;

#[test]
fn hostile_servers_fail_alone_with_a_clear_error_and_bounded_memory() {
    let secret_dir = tempfile::tempdir().unwrap();
    let secret_file = secret_dir.path().join("secret.txt");
    let secret = LOCAL_SECRET;
    std::fs::write(&secret_file, secret).unwrap();
    // Made before the poll starts, so the bomb is served at once.
    gzip_bomb();
    let server = ChaosServer::start(&secret_file);
    let desk = Desk::new(&chaos_sources(&server));

    let started = Instant::now();
    let (output, rss) = poll_measuring_memory(&desk);
    let took = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Every fetch is bounded by the 3 s timeout; sixteen bounded fetches
    // and a 100,000-entry parse cannot take minutes.
    assert!(took < Duration::from_secs(120), "poll took {took:?}");

    let sources = sources_by_id(&desk);
    assert_eq!(sources["good"]["last_error"], Value::Null);
    assert_eq!(sources["good"]["candidates"], 1);
    let mut unclear = Vec::new();
    for (id, _, mentions) in CASES {
        let error = sources[*id]["last_error"].as_str().unwrap_or("(no error)");
        eprintln!("{id:>12}: {error}");
        if !error.to_lowercase().contains(mentions) {
            unclear.push(format!("{id}: {error:?} should mention {mentions:?}"));
        }
    }
    for id in [
        "bom",
        "laughs",
        "xxe",
        "huge-feed",
        "churn",
        "broken-ics",
        "huge-page",
    ] {
        eprintln!(
            "{id:>12}: {} entries; {}",
            sources[id]["entries"],
            sources[id]["last_error"].as_str().unwrap_or("no error")
        );
    }
    assert!(unclear.is_empty(), "{unclear:#?}");
    // Broken encodings still give their entries, as text.
    assert!(
        sources["bom"]["entries"].as_i64().unwrap() >= 1,
        "{:#}",
        sources["bom"]
    );
    // Entities are never expanded a billion times, nor read from disk.
    let laughs_size: i64 = desk.count(
        "SELECT COALESCE(MAX(LENGTH(title) + LENGTH(COALESCE(summary, ''))), 0) FROM entries",
    );
    assert!(laughs_size < 100_000, "an entry of {laughs_size} bytes");
    let dump = std::fs::read(desk.db()).unwrap();
    assert!(
        !dump.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the local file's contents reached the database"
    );
    // The 100,000-entry feed is kept to the first max_entries.
    let huge = &sources["huge-feed"];
    assert_eq!(
        huge["entries"].as_i64(),
        Some(newsdesk::config::DEFAULT_MAX_ENTRIES as i64),
        "{huge:#}"
    );
    assert_eq!(huge["consecutive_failures"], 0, "{huge:#}");
    assert!(
        huge["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("100000 entries"),
        "{huge:#}"
    );
    assert!(
        sources["broken-ics"]["last_error"].as_str().is_some()
            || sources["broken-ics"]["entries"].as_i64() == Some(0)
    );
    let page_error = sources["huge-page"]["last_error"].as_str().unwrap_or("");
    assert!(page_error.contains("larger than"), "{page_error}");
    eprintln!(
        "poll of {} hostile sources: {took:?}, peak RSS {rss:.1} MiB",
        CASES.len() + 7
    );
    assert!(rss < MEMORY_BOUND_MIB, "peak RSS {rss:.1} MiB");

    // GUIDs that change every poll add nothing the second time.
    let candidates = desk.count("SELECT COUNT(*) FROM candidates");
    desk.ok(&["poll", "--source", "churn"]);
    assert!(server.churn.load(Ordering::Relaxed) >= 2);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), candidates);
}

/// Peak resident memory so far of a running process (VmHWM, KiB); 0 once
/// it is gone.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// Runs `newsdesk poll` and follows its peak resident memory (VmHWM)
/// while it runs; returns the output and the peak in MiB.
fn poll_measuring_memory(desk: &Desk) -> (std::process::Output, f64) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
        .arg("--config")
        .arg(desk.config())
        .arg("poll")
        .env_remove("NEWSDESK_DB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak_kib = 0u64;
    while child.try_wait().unwrap().is_none() {
        peak_kib = peak_kib.max(peak_rss_kib(pid));
        thread::sleep(Duration::from_millis(20));
    }
    (child.wait_with_output().unwrap(), peak_kib as f64 / 1024.0)
}

/// Polls with host names pinned (`NEWSDESK_RESOLVE`); the sources by id.
fn poll_pinned(desk: &Desk, pin: &str) -> std::collections::HashMap<String, Value> {
    let output = desk
        .cmd()
        .env("NEWSDESK_RESOLVE", pin)
        .arg("poll")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    sources_by_id(desk)
}

/// A feed on a public host name (pinned to 127.0.0.1 the way curl's
/// `--resolve` does, so the test stays on loopback) that redirects into
/// loopback, `localhost` or the link-local metadata address is refused; the
/// same redirect is followed when the configuration allows it, and a
/// source that is itself on loopback may redirect within it.
#[test]
fn a_public_feed_cannot_redirect_into_private_addresses() {
    let secret_dir = tempfile::tempdir().unwrap();
    let server = ChaosServer::start(&secret_dir.path().join("none"));
    let public = |path: &str| format!("http://feeds.public.test:{}{path}", server.port);
    let pin = format!("feeds.public.test:{}:127.0.0.1", server.port);
    let sources = [
        source("to-loopback", &public("/to-loopback"), "articles"),
        source("to-localhost", &public("/to-localhost"), "articles"),
        source("to-link-local", &public("/to-link-local"), "articles"),
        source("local", &server.url("/to-loopback"), "articles"),
    ]
    .concat();
    let desk = Desk::new(&sources);
    let by_id = poll_pinned(&desk, &pin);
    for (id, target, kind) in [
        ("to-loopback", "127.0.0.1", "loopback"),
        ("to-localhost", "localhost", "loopback"),
        ("to-link-local", "169.254.169.254", "link-local"),
    ] {
        let error = by_id[id]["last_error"].as_str().unwrap_or("");
        assert!(
            error.contains(&format!(
                "refused a redirect from a public address to {target} ({kind})"
            )),
            "{id}: {error}"
        );
    }
    assert_eq!(by_id["local"]["last_error"], Value::Null);
    assert_eq!(by_id["local"]["entries"], 1);

    // Allowed by the configuration: followed.
    let allowing = Desk::new(&source("to-loopback", &public("/to-loopback"), "articles"));
    let config = std::fs::read_to_string(allowing.config()).unwrap().replace(
        "enrich = false\n",
        "enrich = false\nallow_private_redirects = true\n",
    );
    std::fs::write(allowing.config(), config).unwrap();
    let by_id = poll_pinned(&allowing, &pin);
    assert_eq!(
        by_id["to-loopback"]["last_error"],
        Value::Null,
        "{:#}",
        by_id["to-loopback"]
    );
    assert_eq!(by_id["to-loopback"]["entries"], 1);
}

/// The same hostile sources under the daemon, polled again and again: it
/// keeps running, the good source keeps its schedule, memory stays under
/// the bound, and SIGTERM still stops it cleanly.
#[test]
fn the_daemon_outlives_hostile_servers_and_keeps_good_sources_on_time() {
    use crate::daemon::{Daemon, fast_desk, integrity_ok};

    gzip_bomb();
    let secret_dir = tempfile::tempdir().unwrap();
    let secret_file = secret_dir.path().join("secret.txt");
    std::fs::write(&secret_file, LOCAL_SECRET).unwrap();
    let server = ChaosServer::start(&secret_file);
    let desk = fast_desk(&chaos_sources(&server), "[daemon]\ngrace_period = \"3s\"\n");
    let mut daemon = Daemon::start(&desk, &[]);
    daemon.wait_for_notification("READY=1", Duration::from_secs(20));
    // Until every hostile source has failed twice under the daemon and the
    // good one has been polled four times, the daemon must live and stay
    // within the memory bound.
    let watched = Instant::now();
    let mut peak_kib = 0u64;
    let failed_twice =
        || desk.count("SELECT COUNT(*) FROM sources WHERE consecutive_failures >= 2");
    let good_polls = || desk.count("SELECT COUNT(*) FROM fetch_log WHERE source_id = 'good'");
    while failed_twice() < CASES.len() as i64 || good_polls() < 4 {
        assert!(
            daemon.child.try_wait().unwrap().is_none(),
            "the daemon died:\n{}",
            daemon.log()
        );
        assert!(
            watched.elapsed() < Duration::from_secs(120),
            "hostile sources not retried: {} failed twice\n{}",
            failed_twice(),
            daemon.log()
        );
        peak_kib = peak_kib.max(peak_rss_kib(daemon.child.id()));
        thread::sleep(Duration::from_millis(100));
    }
    // The good source's polls, in order: its interval is 2 s (1–3 s as
    // the schedule adapts); hostile neighbours must not stretch the gaps.
    let times: Vec<String> = desk
        .sqlite()
        .prepare("SELECT started_at FROM fetch_log WHERE source_id = 'good' ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let seconds: Vec<i64> = times
        .iter()
        .map(|t| chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp())
        .collect();
    let widest = seconds
        .windows(2)
        .map(|w| w[1] - w[0])
        .max()
        .unwrap_or(i64::MAX);
    let peak_mib = peak_kib as f64 / 1024.0;
    eprintln!(
        "good source polled {} times in {:.1} s while every hostile one failed twice, widest gap {widest} s; daemon peak RSS {peak_mib:.1} MiB",
        seconds.len(),
        watched.elapsed().as_secs_f64()
    );
    assert!(seconds.len() >= 4, "{times:?}");
    assert!(widest <= 6, "the good source waited {widest} s: {times:?}");
    assert!(peak_mib < MEMORY_BOUND_MIB, "peak RSS {peak_mib:.1} MiB");
    let failing: i64 = desk.count(
        "SELECT COUNT(*) FROM sources WHERE consecutive_failures > 0 AND last_error IS NOT NULL",
    );
    assert!(failing >= CASES.len() as i64, "{failing} failing sources");

    daemon.signal("TERM");
    let stopped = Instant::now();
    assert!(
        daemon.wait_exit(Duration::from_secs(10)).success(),
        "{}",
        daemon.log()
    );
    eprintln!("stopped {:?} after SIGTERM", stopped.elapsed());
    integrity_ok(&desk.db());
    let dump = std::fs::read(desk.db()).unwrap();
    let secret = LOCAL_SECRET.as_bytes();
    assert!(!dump.windows(secret.len()).any(|w| w == secret));
}
