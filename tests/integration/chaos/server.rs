//! The chaos server: raw TCP on 127.0.0.1, one kind of misbehaviour per
//! path, each answer bounded in time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// What the local file an external entity names holds: it must never be
/// found in the database.
pub(super) const LOCAL_SECRET: &str = "NEWSDESK-LOCAL-SECRET-7f3a9c";

/// How long any one answer of the chaos server may go on.
const ANSWER_BOUND: Duration = Duration::from_secs(30);

pub(super) struct ChaosServer {
    pub(super) port: u16,
    stop: Arc<AtomicBool>,
    pub(super) churn: Arc<AtomicUsize>,
}

impl ChaosServer {
    pub(super) fn start(secret_file: &Path) -> ChaosServer {
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

    pub(super) fn url(&self, path: &str) -> String {
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
pub(super) fn gzip_bomb() -> &'static [u8] {
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

pub(super) fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>{items}</channel></rss>"
    )
}

pub(super) fn item(guid: &str, title: &str, link: &str) -> String {
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
