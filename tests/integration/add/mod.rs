//! `newsdesk add`: links by hand against a loopback site, through the same
//! dedup layers as feeds, credited to who brought them.

mod guard;
mod related;
mod sites;

use serde_json::Value;

use crate::server::{Reply, TestServer};
use crate::{Desk, source};

/// `[contributions]` letting links name the test server's 127.0.0.1 (a
/// link added by hand must otherwise be on a public address), then `more`
/// of the table.
pub fn loopback_contributions(more: &str) -> String {
    format!("[contributions]\nallow_private_hosts = [\"127.0.0.1\"]\n{more}\n")
}

/// A desk whose links may be on 127.0.0.1, `extra` appended.
pub fn desk(extra: &str) -> Desk {
    Desk::new(&format!("{}{extra}", loopback_contributions("")))
}

const OG_PAGE: &str = r#"<html><head><title>Tag title</title>
<meta property="og:title" content="mirrord: run locally in the cloud">
<meta property="og:description" content="Connects a local process to a Kubernetes cluster.">
<meta property="og:site_name" content="GitHub">
<meta property="article:published_time" content="2026-11-20T09:00:00Z">
</head><body><p>Body text.</p></body></html>"#;

/// A site: `/og` with OpenGraph tags, `/amp/post` naming `/post` canonical,
/// `/story` (also the feed's item at `/feed`), `/tricky` (a title full of
/// Markdown), `/follow-up`, `/gone` a 404.
pub fn site() -> TestServer {
    TestServer::start(|seen| {
        let base = seen
            .header("host")
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        match seen.path.split('?').next().unwrap_or_default() {
            "/og" => Reply::ok(OG_PAGE, "text/html"),
            "/amp/post" => Reply::ok(
                r#"<html><head><title>A post</title><link rel="canonical" href="/post"></head><body><p>The first paragraph.</p></body></html>"#,
                "text/html",
            ),
            "/tricky" => Reply::ok(
                "<html><head><title>Fix *all* the [things](x)</title></head></html>",
                "text/html",
            ),
            "/follow-up" => Reply::ok(
                "<html><head><title>The follow-up</title></head></html>",
                "text/html",
            ),
            "/story" => Reply::ok(
                "<html><head><title>The story</title></head></html>",
                "text/html",
            ),
            "/feed" => Reply::ok(
                format!(
                    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><guid>s1</guid><title>The story</title><link>{base}/story</link><description>About the story, at some length so no page needs fetching.</description></item></channel></rss>"
                ),
                "application/rss+xml",
            ),
            _ => Reply::status(404),
        }
    })
}

pub fn show(desk: &Desk, id: &Value) -> Value {
    desk.json(&["review", "show", &id.to_string(), "--json"])
}

#[test]
fn a_page_with_og_tags_is_queued_with_its_title_summary_and_contributor() {
    let server = site();
    let desk = desk("");
    let added = desk.json(&[
        "add",
        &server.url("/og"),
        "--by",
        "alice",
        "--note",
        "Nice tool",
        "--json",
    ]);
    let added = &added[0];
    assert_eq!(added["status"], "new");
    assert_eq!(added["title"], "mirrord: run locally in the cloud");
    assert_eq!(added["submitted_by"], serde_json::json!(["alice"]));
    assert_eq!(added["duplicate_of"], Value::Null);
    let shown = show(&desk, &added["id"]);
    assert_eq!(
        shown["summary"],
        "Connects a local process to a Kubernetes cluster."
    );
    assert_eq!(shown["published"], "2026-11-20T09:00:00Z");
    assert_eq!(shown["source"], "submissions");
    assert_eq!(
        desk.count(
            "SELECT COUNT(*) FROM submissions WHERE contributor = 'alice' AND comment = 'Nice tool'"
        ),
        1
    );
    let text = desk.ok(&["review", "show", &added["id"].to_string()]);
    assert!(text.contains("by:        alice"), "{text}");
}

#[test]
fn the_canonical_url_becomes_the_candidates_and_the_given_one_is_kept() {
    let server = site();
    let desk = desk("");
    let added = desk.json(&["add", &server.url("/amp/post"), "--by", "bob", "--json"]);
    assert_eq!(added[0]["url"], server.url("/post"));
    let shown = show(&desk, &added[0]["id"]);
    assert_eq!(shown["summary"], "The first paragraph.");
    assert_eq!(shown["seen_at"][0]["url"], server.url("/amp/post"));
}

#[test]
fn a_story_already_polled_says_already_queued_and_records_the_submission() {
    let server = site();
    let desk = desk(&source("blog", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    let out = desk.ok(&[
        "add",
        &format!("{}?utm_source=chat", server.url("/story")),
        "--by",
        "carol",
    ]);
    assert_eq!(
        out.trim(),
        "already queued as #1 (seen in blog; submitted by carol)"
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 1);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM submissions WHERE candidate_id = 1"),
        1
    );
    let listed = desk.json(&["review", "list", "--json"]);
    assert_eq!(listed[0]["submitted_by"], serde_json::json!(["carol"]));
    // A second contributor of the same story is credited on the same candidate.
    let out = desk.ok(&["add", &server.url("/story"), "--by", "dave"]);
    assert_eq!(
        out.trim(),
        "already queued as #1 (seen in blog; submitted by carol, dave)"
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 1);
    // The built-in source is never polled.
    desk.ok(&["poll"]);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM fetch_log WHERE source_id = 'submissions'"),
        0
    );
    assert!(!desk.ok(&["sources"]).contains("submissions"));
}

#[test]
fn an_unreachable_page_is_still_added_thin_with_a_title_from_its_url() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let desk = desk("");
    let url = format!("http://127.0.0.1:{port}/notes/some-post/");
    let added = desk.json(&["add", &url, "--by", "erin", "--json"]);
    assert_eq!(added[0]["title"], format!("127.0.0.1/notes/some-post"));
    assert_eq!(show(&desk, &added[0]["id"])["summary"], Value::Null);
}

#[test]
fn a_404_is_refused_with_its_status_unless_forced() {
    let server = site();
    let desk = desk("");
    let output = desk
        .cmd()
        .args(["add", &server.url("/gone"), "--by", "f"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 0);
    let out = desk.ok(&["add", &server.url("/gone"), "--by", "f", "--force"]);
    assert!(out.starts_with("queued as #1"), "{out}");
}

#[test]
fn links_from_stdin_carry_their_comments() {
    let server = site();
    let desk = desk("");
    let input = format!(
        "{} Worth a look\n\n{}\n",
        server.url("/og"),
        server.url("/amp/post")
    );
    let output = desk
        .cmd()
        .args(["add", "-", "--by", "gina", "--note", "from chat"])
        .write_stdin(input)
        .output()
        .unwrap();
    crate::stdout_of_success(output, format_args!("newsdesk add -"));
    let comments: Vec<String> = desk
        .sqlite()
        .prepare("SELECT comment FROM submissions ORDER BY id")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(comments, ["Worth a look", "from chat"]);
}

#[test]
fn accept_puts_it_in_the_next_issue_with_its_contributor() {
    let server = site();
    let desk = desk("");
    desk.ok(&[
        "add",
        &server.url("/og"),
        "--by",
        "hana",
        "--accept",
        "--section",
        "releases",
        "--note",
        "Try it",
    ]);
    let accepted = desk.json(&["review", "list", "--status", "accepted", "--json"]);
    assert_eq!(accepted.as_array().unwrap().len(), 1);
    assert_eq!(accepted[0]["section"], "releases");
    assert_eq!(accepted[0]["note"], "Try it");
    assert_eq!(accepted[0]["submitted_by"], serde_json::json!(["hana"]));
}

#[test]
fn usage_and_input_errors_exit_2_and_1() {
    let desk = desk("");
    let code = |args: &[&str]| desk.cmd().args(args).output().unwrap().status.code();
    assert_eq!(code(&["add"]), Some(2));
    assert_eq!(code(&["add", "-", "https://example.com/"]), Some(2));
    assert_eq!(code(&["add", "ftp://example.com/x"]), Some(1));
    assert_eq!(
        code(&["add", "https://example.com/", "--section", "nope"]),
        Some(1)
    );
}

#[test]
fn a_story_in_a_past_issue_is_not_queued_unless_forced() {
    let server = site();
    let desk = desk("");
    let repo = desk.dir.path();
    std::fs::create_dir_all(repo.join("drafts")).unwrap();
    std::fs::write(
        repo.join("drafts/2026-11-04.md"),
        format!(
            "## Notable Articles\n\n### [The story]({})\nGood read.\n",
            server.url("/story")
        ),
    )
    .unwrap();
    crate::git_init(repo);
    crate::git(repo, &["add", "drafts"]);
    crate::git(repo, &["commit", "-q", "-m", "past issue"]);
    let added = desk.json(&["add", &server.url("/story"), "--by", "ivan", "--json"]);
    assert_eq!(added[0]["id"], Value::Null);
    assert_eq!(
        added[0]["published_in"],
        "published in drafts/2026-11-04.md (2026-11-04)"
    );
    let out = desk.ok(&["add", &server.url("/story"), "--by", "ivan"]);
    assert!(
        out.starts_with("published in drafts/2026-11-04.md (2026-11-04); not queued"),
        "{out}"
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 0);
    let out = desk.ok(&["add", &server.url("/story"), "--by", "ivan", "--force"]);
    assert!(out.starts_with("queued as #1"), "{out}");
}

#[test]
fn a_rejected_story_says_so() {
    let server = site();
    let desk = desk("");
    desk.ok(&["add", &server.url("/og"), "--by", "jo"]);
    desk.ok(&["review", "reject", "1"]);
    let out = desk.ok(&[
        "add",
        &server.url("/og"),
        "--by",
        "kim",
        "--accept",
        "--section",
        "articles",
    ]);
    assert_eq!(out.trim(), "already rejected as #1 (submitted by jo, kim)");
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE status = 'rejected'"),
        1
    );
}

#[test]
fn accept_without_a_section_uses_contributions_section_or_says_what_to_do() {
    let server = site();
    let desk = desk("");
    let output = desk
        .cmd()
        .args(["add", &server.url("/og"), "--by", "lu", "--accept"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("which section? --accept needs one")
            && stderr.contains("pass --section S, or set [contributions] section"),
        "{stderr}"
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 0);

    let desk = Desk::new(&loopback_contributions("section = \"releases\""));
    desk.ok(&["add", &server.url("/og"), "--by", "lu", "--accept"]);
    let accepted = desk.json(&["review", "list", "--status", "accepted", "--json"]);
    assert_eq!(accepted[0]["section"], "releases");
}

#[test]
fn check_refuses_an_unknown_contributions_section_and_the_reserved_source_id() {
    let desk = Desk::new(&format!(
        "[contributions]\nsection = \"links\"\n\n{}",
        source("submissions", "https://example.org/feed.xml", "articles")
    ));
    let output = desk.cmd().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "[contributions] section \"links\" is not defined (known sections: articles, releases)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("source id \"submissions\" is reserved"),
        "{stderr}"
    );
}
