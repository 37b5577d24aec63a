//! What `add` will not read: private addresses given or redirected to, and
//! more of a page than its head, or more of a title than a feed's; and
//! what it does with a server that never answers.

use std::io::Read;
use std::net::TcpListener;
use std::sync::mpsc;

use crate::Desk;
use crate::server::{Body, Reply, TestServer};

use super::desk;

const HEAD: &str = "<html><head><title>Big page</title>\
    <meta property=\"og:title\" content=\"A very long page\"></head><body>";

/// Runs `add ARGS`, which must fail with exit 1; its stderr.
fn refused(desk: &Desk, args: &[&str]) -> String {
    let output = desk.cmd().arg("add").args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn a_private_address_given_directly_is_refused_before_any_request() {
    // No allowance at all: even loopback is refused.
    let desk = Desk::new("");
    let stderr = refused(
        &desk,
        &["http://169.254.169.254/latest/meta-data/", "--by", "m"],
    );
    assert!(
        stderr.contains(
            "refused: 169.254.169.254 is a link-local address; a link must be on a public one"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: list the host in [contributions] allow_private_hosts"),
        "{stderr}"
    );
    for (url, kind) in [
        ("http://10.1.2.3/wiki", "private"),
        ("http://localhost:9/x", "loopback"),
        ("http://[::1]:9/x", "loopback"),
    ] {
        let stderr = refused(&desk, &[url, "--by", "m"]);
        assert!(
            stderr.contains(&format!("is a {kind} address")),
            "{url}: {stderr}"
        );
    }
    // A server on loopback that is not allowed is never asked.
    let server = TestServer::start(|_| Reply::ok("<title>x</title>", "text/html"));
    let stderr = refused(&desk, &[&server.url("/page"), "--by", "m"]);
    assert!(
        stderr.contains("127.0.0.1 is a loopback address"),
        "{stderr}"
    );
    assert!(server.seen().is_empty());
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 0);
}

#[test]
fn a_redirect_to_the_metadata_address_is_refused() {
    let server = TestServer::start(|seen| match seen.path.as_str() {
        "/moved" => {
            Reply::status(302).header("Location", "http://169.254.169.254/latest/meta-data/")
        }
        _ => Reply::status(404),
    });
    let desk = desk("");
    let stderr = refused(&desk, &[&server.url("/moved"), "--by", "m"]);
    assert!(
        stderr.contains("refused: the page redirects to 169.254.169.254, a link-local address"),
        "{stderr}"
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 0);
}

#[test]
fn a_20_mb_page_is_read_only_as_far_as_its_head() {
    let mut big = HEAD.as_bytes().to_vec();
    big.resize(20_000_000, b'x');
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/big" => Reply::ok(big.clone(), "text/html"),
        "/endless" => Reply {
            body: Body::Endless,
            ..Reply::ok("", "text/html")
        },
        _ => Reply::status(404),
    });
    let desk = desk("");
    let added = desk.json(&["add", &server.url("/big"), "--by", "m", "--json"]);
    assert_eq!(added[0]["title"], "A very long page");
    // A body that never ends is cut too: the page is added, titled from its URL.
    let added = desk.json(&["add", &server.url("/endless"), "--by", "m", "--json"]);
    assert_eq!(added[0]["title"], "127.0.0.1/endless");
}

#[test]
fn a_server_that_never_answers_costs_the_timeout_and_the_link_is_kept() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (accepted, on_accept) = mpsc::channel();
    std::thread::spawn(move || {
        // Holds the connection open and reads the request, never answering.
        if let Ok((mut socket, _)) = listener.accept() {
            accepted.send(()).unwrap();
            let mut sink = Vec::new();
            let _ = socket.read_to_end(&mut sink);
        }
    });
    let desk = desk("");
    let url = format!("http://127.0.0.1:{port}/slow/post");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
        .arg("--config")
        .arg(desk.config())
        .args(["add", &url, "--by", "m", "--json"])
        .env_remove("NEWSDESK_DB")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    on_accept
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the request reached the server");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let added: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(added[0]["title"], "127.0.0.1/slow/post");
    assert_eq!(added[0]["status"], "new");
}

#[test]
fn a_megabyte_page_title_is_cut_like_a_feeds() {
    let title = "Kubernetes ".repeat(100_000);
    let page = format!("<html><head><title>{title}</title></head><body></body></html>");
    let server = TestServer::start(move |_| Reply::ok(page.clone(), "text/html"));
    let desk = desk("");
    let added = desk.json(&["add", &server.url("/long"), "--by", "a", "--json"]);
    let stored = added[0]["title"].as_str().unwrap();
    assert!(
        stored.chars().count() <= 300 && stored.ends_with('…'),
        "the title kept {} characters",
        stored.chars().count()
    );
}
