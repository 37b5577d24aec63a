//! Links a team submits over HTTP: the real daemon on loopback, tokens made
//! by the real `newsdesk contributors add`, requests over plain TCP (the
//! test checks the daemon's server, not a client library).

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::Desk;
use crate::daemon::{Daemon, free_port, wait_until};
use crate::server::{Reply, TestServer};

/// One HTTP exchange's answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) head: String,
    pub(crate) body: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends one request to 127.0.0.1:`port` and reads the whole answer.
pub(crate) fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    // A server refusing a large body may close before reading it all.
    let _ = stream.write_all(body);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer to {method} {path}: {response:?}"));
    Answer {
        status: head.split(' ').nth(1).unwrap().parse().unwrap(),
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// POSTs `value` as JSON to /api/submissions with `token`.
pub(crate) fn submit_json(port: u16, token: &str, value: &Value) -> Answer {
    submit(
        port,
        token,
        "application/json",
        value.to_string().as_bytes(),
    )
}

/// POSTs a form (`url=…&note=…`) to /api/submissions with `token`.
fn submit_form(port: u16, token: &str, form: &str) -> Answer {
    submit(
        port,
        token,
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    )
}

fn submit(port: u16, token: &str, content_type: &str, body: &[u8]) -> Answer {
    let bearer = format!("Bearer {token}");
    exchange(
        port,
        "POST",
        "/api/submissions",
        &[("Authorization", &bearer), ("Content-Type", content_type)],
        body,
    )
}

/// `newsdesk contributors add NAME`: the token it prints.
pub(crate) fn add_contributor(desk: &Desk, name: &str) -> String {
    let token = desk.ok(&["contributors", "add", name]).trim().to_owned();
    assert!(token.starts_with("newsdesk_"), "{token}");
    token
}

/// A desk whose daemon listens on a free port, polling nothing, and takes
/// links on 127.0.0.1 (where the test's pages are).
pub(crate) fn listening_desk(daemon_extra: &str) -> (Desk, u16) {
    let port = free_port();
    let desk = Desk::new(&format!(
        "[contributions]\nallow_private_hosts = [\"127.0.0.1\"]\n\n\
         [daemon]\nlisten = \"127.0.0.1:{port}\"\n{daemon_extra}\n"
    ));
    (desk, port)
}

/// Waits until the daemon's listener answers `/healthz`.
pub(crate) fn wait_listening(daemon: &Daemon, port: u16) {
    wait_until(Duration::from_secs(30), "the listener", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let health = exchange(port, "GET", "/healthz", &[], b"");
    assert_eq!(health.status, 200, "{health:?}\n{}", daemon.log());
}

/// Pages `/page/N` titled "Page N", `/gone` a 404.
pub(crate) fn pages() -> TestServer {
    TestServer::start(|seen| {
        let path = seen.path.split('?').next().unwrap_or_default();
        match path.strip_prefix("/page/") {
            Some(n) => Reply::ok(
                format!(
                    "<html><head><title>Page {n}</title><meta name=\"description\" content=\"About page {n}, at some length.\"></head><body><p>Text.</p></body></html>"
                ),
                "text/html",
            ),
            None => Reply::status(404),
        }
    })
}

#[test]
fn contributors_add_prints_a_token_once_and_keeps_only_its_sha256() {
    let desk = Desk::new("# The team's tokens, kept by hash.\n");
    let token = add_contributor(&desk, "alice");
    let text = std::fs::read_to_string(desk.config()).unwrap();
    assert!(!text.contains(&token), "{text}");
    let hash: String = {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert!(
        text.contains(&format!("token_sha256 = \"{hash}\"")),
        "{text}"
    );
    assert!(
        text.contains("# The team's tokens, kept by hash."),
        "{text}"
    );
    assert!(desk.ok(&["check"]).contains("contributors: 1"));
    let again = desk
        .cmd()
        .args(["contributors", "add", "alice"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a contributor"));
    let listed = desk.ok(&["contributors", "list"]);
    assert!(
        listed.contains("alice") && !listed.contains(&token),
        "{listed}"
    );
    desk.ok(&["contributors", "remove", "alice"]);
    assert!(
        !std::fs::read_to_string(desk.config())
            .unwrap()
            .contains(&hash)
    );
}

#[test]
fn a_broken_contributors_entry_fails_check_with_its_line() {
    let desk = Desk::new("[[contributors]]\nname = \"bob\"\ntoken_sha256 = \"newsdesk_plain\"\n");
    let output = desk.cmd().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("feeds.toml:") && stderr.contains("not 64 hex digits"),
        "{stderr}"
    );
}

#[test]
fn the_api_answers_401_201_200_400_413_and_429() {
    let site = pages();
    let (desk, port) = listening_desk("submission_rate = \"6/h\"");
    let token = add_contributor(&desk, "alice");
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    let link = json!({ "url": site.url("/page/1"), "note": "Worth a read", "section": "articles" });

    let none = exchange(
        port,
        "POST",
        "/api/submissions",
        &[("Content-Type", "application/json")],
        link.to_string().as_bytes(),
    );
    assert_eq!(none.status, 401, "{none:?}");
    assert_eq!(
        none.header("WWW-Authenticate"),
        Some("Bearer realm=\"newsdesk\"")
    );
    assert_eq!(submit_json(port, "newsdesk_not-a-token", &link).status, 401);

    let created = submit_json(port, &token, &link);
    assert_eq!(created.status, 201, "{created:?}");
    let added = created.json();
    assert_eq!(added["title"], "Page 1");
    assert_eq!(added["submitted_by"], json!(["alice"]));
    assert_eq!(added["section"], "articles");
    assert_eq!(
        added["message"],
        format!("queued as #{}: Page 1", added["id"])
    );

    // The same link again, as a form this time.
    let form = format!("url={}&note=again", percent(&site.url("/page/1")));
    let again = submit_form(port, &token, &form);
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.json()["duplicate_of"], added["id"]);
    assert!(
        again.json()["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("already queued as #{}", added["id"]))
    );

    let bad = submit_json(port, &token, &json!({ "url": "ftp://example.com/x" }));
    assert_eq!(
        (bad.status, bad.json()["error"].as_str()),
        (400, Some("not an http(s) URL"))
    );
    let section = submit_json(
        port,
        &token,
        &json!({ "url": site.url("/page/2"), "section": "nope" }),
    );
    assert_eq!(section.status, 400);
    assert!(
        section.body.contains("no section \\\"nope\\\""),
        "{section:?}"
    );
    let gone = submit_json(port, &token, &json!({ "url": site.url("/gone") }));
    assert_eq!(gone.status, 400);
    assert!(gone.body.contains("HTTP 404"), "{gone:?}");

    let big = json!({ "url": site.url("/page/3"), "note": "x".repeat(17 * 1024) });
    let too_large = submit_json(port, &token, &big);
    assert_eq!(too_large.status, 413, "{too_large:?}");

    // Six per hour: 201, 200 and three 400s took five.
    assert_eq!(
        submit_json(port, &token, &json!({ "url": site.url("/page/4") })).status,
        201
    );
    let limited = submit_json(port, &token, &json!({ "url": site.url("/page/5") }));
    assert_eq!(limited.status, 429, "{limited:?}");
    let retry: u64 = limited.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=600).contains(&retry), "{retry}");

    let queue = exchange(
        port,
        "GET",
        "/api/queue?status=new",
        &[("Authorization", &format!("Bearer {token}"))],
        b"",
    );
    assert_eq!(queue.status, 200, "{queue:?}");
    let listed = queue.json();
    let titles = crate::listed_titles(&listed);
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert!(
        titles.contains(&"Page 1") && titles.contains(&"Page 4"),
        "{titles:?}"
    );
    assert_eq!(exchange(port, "GET", "/api/queue", &[], b"").status, 401);

    assert_eq!(
        desk.count("SELECT COUNT(*) FROM submissions WHERE contributor = 'alice'"),
        3
    );
    assert!(!daemon.log().contains(&token), "the token is never logged");
}

#[test]
fn two_contributors_submitting_the_same_story_make_one_candidate_crediting_both() {
    let site = pages();
    let (desk, port) = listening_desk("");
    let alice = add_contributor(&desk, "alice");
    let bob = add_contributor(&desk, "bob");
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    let first = submit_json(
        port,
        &alice,
        &json!({ "url": site.url("/page/7"), "note": "Nice" }),
    );
    assert_eq!(first.status, 201, "{first:?}");
    // Bob's copy carries a tracking parameter: the same story.
    let second = submit_json(
        port,
        &bob,
        &json!({ "url": format!("{}?utm_source=chat", site.url("/page/7")) }),
    );
    assert_eq!(second.status, 200, "{second:?}");
    assert_eq!(second.json()["id"], first.json()["id"]);
    assert_eq!(second.json()["submitted_by"], json!(["alice", "bob"]));
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 1);
    let shown = desk.json(&["review", "show", &first.json()["id"].to_string(), "--json"]);
    assert_eq!(shown["submitted_by"], json!(["alice", "bob"]));
}

#[test]
fn a_link_with_related_to_is_filed_under_its_candidate_and_a_private_one_refused() {
    let site = pages();
    let port = free_port();
    // No allow_private_hosts here: links on 127.0.0.1 are refused…
    let desk = Desk::new(&format!("[daemon]\nlisten = \"127.0.0.1:{port}\"\n"));
    let token = add_contributor(&desk, "frank");
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    let private = submit_json(port, &token, &json!({ "url": site.url("/page/1") }));
    assert_eq!(private.status, 400, "{private:?}");
    assert!(
        private.json()["error"]
            .as_str()
            .unwrap()
            .contains("loopback"),
        "{private:?}"
    );
    assert!(
        site.seen().is_empty(),
        "nothing fetched from a private address"
    );
    drop(daemon);

    // …unless the team's own host is allowed.
    let (desk, port) = listening_desk("");
    let token = add_contributor(&desk, "frank");
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    let item = submit_json(port, &token, &json!({ "url": site.url("/page/1") }));
    assert_eq!(item.status, 201, "{item:?}");
    let id = item.json()["id"].as_i64().unwrap();
    let form = format!(
        "url={}&related_to={id}&section=",
        percent(&site.url("/page/9"))
    );
    let related = submit_form(port, &token, &form);
    assert_eq!(related.status, 201, "{related:?}");
    assert_eq!(related.json()["status"], "related");
    assert_eq!(related.json()["related_to"], id);
    assert!(
        related.json()["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("linked under #{id}: Page 9"))
    );
    let again = submit_json(
        port,
        &token,
        &json!({ "url": site.url("/page/9"), "related_to": id }),
    );
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.json()["status"], "already related");
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates"),
        1,
        "a related link is no item of its own"
    );
}

#[test]
fn submissions_are_off_until_a_contributor_is_added_and_then_on_without_a_restart() {
    let site = pages();
    let (desk, port) = listening_desk("");
    let daemon = Daemon::start(&desk, &[]);
    wait_listening(&daemon, port);
    assert!(
        daemon.log().contains("submissions over HTTP: off"),
        "{}",
        daemon.log()
    );
    let off = submit_json(port, "whatever", &json!({ "url": site.url("/page/1") }));
    assert_eq!(off.status, 404, "{off:?}");
    assert!(
        off.json()["error"]
            .as_str()
            .unwrap()
            .contains("newsdesk contributors add")
    );

    let token = add_contributor(&desk, "carol");
    assert_eq!(
        submit_json(port, &token, &json!({ "url": site.url("/page/1") })).status,
        201
    );
    let health = exchange(port, "GET", "/healthz", &[], b"");
    assert!(
        health
            .body
            .contains("submissions over HTTP: on (1 contributor"),
        "{health:?}"
    );

    desk.ok(&["contributors", "remove", "carol"]);
    assert_eq!(
        submit_json(port, &token, &json!({ "url": site.url("/page/2") })).status,
        404
    );
}

#[test]
fn a_contributors_file_and_the_systemd_credential_keep_tokens_out_of_feeds_toml() {
    let site = pages();
    let (desk, port) = listening_desk("contributors_file = \"contributors.toml\"");
    let token = add_contributor(&desk, "dave");
    let file = desk.dir.path().join("contributors.toml");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(
        !std::fs::read_to_string(desk.config())
            .unwrap()
            .contains("token_sha256")
    );

    // What LoadCredential=contributors:… hands over: a copy, preferred.
    let credentials = tempfile::tempdir().unwrap();
    std::fs::copy(&file, credentials.path().join("contributors")).unwrap();
    std::fs::remove_file(&file).unwrap();
    let daemon = Daemon::start(
        &desk,
        &[(
            "CREDENTIALS_DIRECTORY",
            credentials.path().to_str().unwrap(),
        )],
    );
    wait_listening(&daemon, port);
    assert!(
        daemon
            .log()
            .contains("on (1 contributor in the systemd credential contributors)"),
        "{}",
        daemon.log()
    );
    assert_eq!(
        submit_json(port, &token, &json!({ "url": site.url("/page/1") })).status,
        201
    );
}

/// The URL as a form value.
pub(crate) fn percent(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
