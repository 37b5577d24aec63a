//! `newsdesk poll`, `sources` and `review list` against a loopback server.

mod formats;
mod peers;
mod politeness;
mod second_reading;

use std::collections::HashMap;
use std::io::Write;
use std::time::Duration;

use serde_json::Value;

use crate::server::{Body, Reply, TestServer};
use crate::{Desk, fixture, source};

/// Serves fixtures at fixed paths with an ETag, answering 304 when the
/// client sends it back, and gzip when the client asks for it.
fn feed_server(routes: &[(&str, &str, &str)]) -> TestServer {
    let table: HashMap<String, (Vec<u8>, String)> = routes
        .iter()
        .map(|(path, file, content_type)| {
            (path.to_string(), (fixture(file), content_type.to_string()))
        })
        .collect();
    TestServer::start(move |seen| {
        let Some((body, content_type)) = table.get(&seen.path) else {
            return Reply::status(404);
        };
        let etag = format!("\"{}-{}\"", seen.path.len(), body.len());
        if seen.header("If-None-Match") == Some(etag.as_str()) {
            return Reply::status(304).header("ETag", &etag);
        }
        let gzip = seen
            .header("Accept-Encoding")
            .is_some_and(|a| a.contains("gzip"));
        let reply = if gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(body).unwrap();
            Reply::ok(encoder.finish().unwrap(), content_type).header("Content-Encoding", "gzip")
        } else {
            Reply::ok(body.clone(), content_type)
        };
        reply.header("ETag", &etag)
    })
}

fn candidates(desk: &Desk) -> Vec<Value> {
    desk.json(&["review", "list", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

fn titles_of(desk: &Desk, source_id: &str) -> Vec<String> {
    let db = desk.sqlite();
    let mut stmt = db
        .prepare("SELECT title FROM entries WHERE source_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([source_id], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn urls_of(desk: &Desk, source_id: &str) -> Vec<String> {
    let db = desk.sqlite();
    let mut stmt = db
        .prepare("SELECT url FROM entries WHERE source_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([source_id], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_cross_post_with_tracking_parameters_is_one_candidate_with_two_sources() {
    let server = feed_server(&[
        (
            "/k8s.xml",
            "written/kubernetes-blog.xml",
            "application/rss+xml",
        ),
        ("/cncf.xml", "written/cncf-blog.xml", "application/rss+xml"),
    ]);
    let desk = Desk::new(
        &(source("kubernetes-blog", &server.url("/k8s.xml"), "articles")
            + &source("cncf-blog", &server.url("/cncf.xml"), "articles")),
    );
    desk.ok(&["poll"]);
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 9);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 8);
    let list = candidates(&desk);
    let dra: Vec<&Value> = list
        .iter()
        .filter(|c| {
            c["url"]
                .as_str()
                .unwrap()
                .contains("dra-ga-cluster-operators")
        })
        .collect();
    assert_eq!(dra.len(), 1, "{list:#?}");
    let seen_in: Vec<&str> = dra[0]["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(seen_in.len(), 2);
    assert!(seen_in.contains(&"kubernetes-blog") && seen_in.contains(&"cncf-blog"));
    assert_eq!(
        dra[0]["url"],
        "https://kubernetes.io/blog/2026/11/10/dra-ga-cluster-operators/"
    );
    assert_eq!(dra[0]["status"], "new");
    assert_eq!(dra[0]["section"], "articles");
    assert!(
        dra[0]["published"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-")
    );
    // A second poll still keeps it at one.
    desk.ok(&["poll"]);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 8);
}

#[test]
fn failing_sources_store_their_error_and_never_stop_the_others() {
    let good = fixture("written/kubernetes-blog.xml");
    let truncated = fixture("written/malformed-truncated.xml");
    let big = fixture("real/large/yakubin-notes.atom");
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/good.xml" => Reply::ok(good.clone(), "application/rss+xml"),
        "/500" => Reply::status(500),
        "/404" => Reply::status(404),
        "/slow" => Reply::ok(good.clone(), "application/rss+xml").delayed(Duration::from_secs(6)),
        "/cut" => Reply::ok(truncated.clone(), "application/rss+xml"),
        // Broken inside its first item: nothing to read.
        "/malformed" => Reply::ok(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>One</ti",
            "application/rss+xml",
        ),
        "/html" => Reply::ok(
            "<!doctype html><html><body>Not a feed</body></html>",
            "text/html",
        ),
        "/big" => Reply::ok(big.clone(), "application/atom+xml"),
        "/endless" => Reply {
            body: Body::Endless,
            ..Reply::ok("", "application/rss+xml")
        },
        _ => Reply::status(404),
    });
    let mut config = String::new();
    for (id, path) in [
        ("good", "/good.xml"),
        ("cut", "/cut"),
        ("server-error", "/500"),
        ("missing", "/404"),
        ("slow", "/slow"),
        ("malformed", "/malformed"),
        ("html-page", "/html"),
        ("oversize", "/big"),
        ("endless", "/endless"),
    ] {
        config += &source(id, &server.url(path), "articles");
    }
    let desk = Desk::new(&config);
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config()).unwrap().replace(
            "timeout = \"3s\"",
            "timeout = \"2s\"\nmax_body_size = \"500KB\"",
        ),
    )
    .unwrap();
    let output = desk.cmd().arg("poll").output().unwrap();
    assert!(
        output.status.success(),
        "a poll with failing sources still exits 0"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("fetched             2"), "{stdout}");
    assert!(stdout.contains("failed              7"), "{stdout}");
    assert_eq!(titles_of(&desk, "good").len(), 5);
    // A document cut inside an item keeps the items before it, and says so.
    assert_eq!(titles_of(&desk, "cut").len(), 2);

    let sources = desk.json(&["sources", "--json"]);
    let by_id: HashMap<&str, &Value> = sources
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s))
        .collect();
    let error = |id: &str| by_id[id]["last_error"].as_str().unwrap_or("").to_owned();
    assert_eq!(by_id["good"]["consecutive_failures"], 0);
    assert!(by_id["good"]["last_error"].is_null());
    assert_eq!(by_id["cut"]["consecutive_failures"], 0);
    assert!(
        error("cut").contains("1 of 3 <item>/<entry> elements could not be read"),
        "{}",
        error("cut")
    );
    assert!(
        error("server-error").contains("HTTP 500"),
        "{}",
        error("server-error")
    );
    assert!(error("missing").contains("HTTP 404"));
    assert!(error("slow").contains("timeout"), "{}", error("slow"));
    assert!(
        error("malformed").contains("cannot read the feed"),
        "{}",
        error("malformed")
    );
    assert!(
        error("html-page").contains("not a feed"),
        "{}",
        error("html-page")
    );
    assert!(
        error("oversize").contains("larger than"),
        "{}",
        error("oversize")
    );
    assert!(
        error("endless").contains("larger than"),
        "{}",
        error("endless")
    );
    for id in [
        "server-error",
        "missing",
        "slow",
        "malformed",
        "html-page",
        "oversize",
        "endless",
    ] {
        assert_eq!(by_id[id]["consecutive_failures"], 1, "{id}");
        assert!(by_id[id]["failing_since"].is_string(), "{id}");
    }
    // The human table says which, since when, and why.
    let table = desk.ok(&["sources"]);
    assert!(table.contains("FAILING x1"), "{table}");
    assert!(table.contains("failing since"), "{table}");
    assert!(table.contains("HTTP 500 Internal Server Error"), "{table}");

    // A second failure counts up; the fetch log keeps every attempt.
    desk.ok(&["poll", "--source", "server-error"]);
    let again = desk.json(&["sources", "--json"]);
    let server_error = again
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "server-error")
        .unwrap();
    assert_eq!(server_error["consecutive_failures"], 2);
    assert_eq!(
        server_error["failing_since"],
        by_id["server-error"]["failing_since"]
    );
    assert_eq!(
        desk.count(
            "SELECT COUNT(*) FROM fetch_log WHERE source_id = 'server-error' AND http_status = 500"
        ),
        2
    );
}

#[test]
fn requests_carry_the_user_agent_and_poll_only_the_chosen_sources() {
    let body = fixture("written/zenn-rss2.xml");
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(
        &(source("a", &server.url("/a"), "articles")
            + &source("b", &server.url("/b"), "articles")
            + "[[source]]\nid = \"off\"\nkind = \"feed\"\nurl = \""
            + &server.url("/off")
            + "\"\nenabled = false\n"),
    );
    desk.ok(&["poll", "--source", "b"]);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/b");
    let agent = seen[0].header("User-Agent").unwrap();
    assert!(
        agent.starts_with(&format!("newsdesk/{}", env!("CARGO_PKG_VERSION"))),
        "{agent}"
    );

    server.forget();
    desk.ok(&["poll"]);
    let mut paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    paths.sort();
    assert_eq!(paths, ["/a", "/b"], "disabled sources are not polled");

    let output = desk
        .cmd()
        .args(["poll", "--source", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no source \"nope\""));
}

#[test]
fn review_list_filters_by_status_and_section() {
    let server = feed_server(&[
        (
            "/k8s.xml",
            "written/kubernetes-blog.xml",
            "application/rss+xml",
        ),
        (
            "/rel.atom",
            "real/github/releases-s3-manager.atom",
            "application/atom+xml",
        ),
    ]);
    let desk = Desk::new(
        &(source("k8s", &server.url("/k8s.xml"), "articles")
            + &source("s3-manager", &server.url("/rel.atom"), "releases")),
    );
    desk.ok(&["poll"]);
    let releases = desk.json(&["review", "list", "--section", "releases", "--json"]);
    let titles = crate::listed_titles(&releases);
    assert_eq!(titles, ["v2.1.1", "v2.1.0", "v2.0.0"]);
    assert_eq!(
        desk.json(&["review", "list", "--status", "accepted", "--json"]),
        Value::Array(vec![])
    );
    let table = desk.ok(&["review", "list", "--status", "new"]);
    assert!(table.contains("8 candidates"), "{table}");
    assert!(table.contains("Kubernetes v1.35: Harbor Lights"));
    let output = desk
        .cmd()
        .args(["review", "list", "--section", "gossip"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("known sections: articles, releases"));
}

#[test]
fn a_sched_schedule_becomes_one_entry_per_session_and_a_moved_session_is_updated() {
    let original = String::from_utf8(fixture("real/ics/kubecon-eu-2026-sched-all.ics")).unwrap();
    // The GPU session moves from 10:00 to 16:00 in the second version.
    let moved = original.replacen(
        "DTSTART:20260325T100000Z\r\nDTEND:20260325T103000Z\r\nSUMMARY:GPUs on Kubernetes",
        "DTSTART:20260325T160000Z\r\nDTEND:20260325T163000Z\r\nSUMMARY:GPUs on Kubernetes",
        1,
    );
    assert_ne!(
        moved, original,
        "fixture changed: the moved session was not found"
    );
    let version = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let serve_moved = version.clone();
    let server = TestServer::start(move |_| {
        let body = if serve_moved.load(std::sync::atomic::Ordering::SeqCst) {
            &moved
        } else {
            &original
        };
        Reply::ok(body.clone(), "text/calendar; charset=utf-8")
    });
    let desk = Desk::new(
        &source("kubecon", &server.url("/all.ics"), "articles")
            .replace("kind = \"feed\"", "kind = \"ical\""),
    );
    desk.ok(&["poll"]);
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 596);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 596);
    let session_of_the_gpu_talk = "SELECT e.title, e.summary, e.published, c.session FROM entries e JOIN candidates c ON c.id = e.candidate_id
         WHERE e.entry_key = 'uid:c5ff01fb74330e42466ce734823ecc26'";
    let (title, summary, published, session): (String, String, String, String) = desk
        .sqlite()
        .query_row(session_of_the_gpu_talk, [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap();
    assert_eq!(
        title,
        "GPUs on Kubernetes: What Actually Happens When You Request Nvidia.com/gpu: 1"
    );
    let session: serde_json::Value = serde_json::from_str(&session).unwrap();
    assert_eq!(
        session,
        serde_json::json!({
            "start": "2026-03-25T10:00:00Z",
            "end": "2026-03-25T10:30:00Z",
            "room": "Hall 8 | Room G, Amsterdam, Netherlands",
            "track": "AI + ML",
            "speakers": "Gulcan Topcu & Daniele Polencic, LearnKube",
        })
    );
    assert!(
        !summary.contains("Speakers:"),
        "the summary is the description only: {summary}"
    );
    assert_eq!(published, "2026-03-25T10:00:00Z");
    let id = desk
        .count("SELECT candidate_id FROM entries WHERE entry_key = 'uid:c5ff01fb74330e42466ce734823ecc26'")
        .to_string();
    let shown = desk.ok(&["review", "show", &id]);
    assert!(
        shown.contains("  session:   2026-03-25 10:00–10:30 UTC · Hall 8 | Room G, Amsterdam, Netherlands · AI + ML · Speakers: Gulcan Topcu & Daniele Polencic, LearnKube\n"),
        "{shown}"
    );
    assert_eq!(
        desk.json(&["review", "show", &id, "--json"])["session"],
        session
    );

    version.store(true, std::sync::atomic::Ordering::SeqCst);
    let out = desk.ok(&["poll"]);
    assert!(out.contains("new candidates      0"), "{out}");
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 596);
    let (published, session): (String, String) = desk
        .sqlite()
        .query_row(session_of_the_gpu_talk, [], |row| {
            Ok((row.get(2)?, row.get(3)?))
        })
        .unwrap();
    let session: serde_json::Value = serde_json::from_str(&session).unwrap();
    assert_eq!(published, "2026-03-25T16:00:00Z");
    assert_eq!(
        (&session["start"], &session["end"]),
        (
            &serde_json::json!("2026-03-25T16:00:00Z"),
            &serde_json::json!("2026-03-25T16:30:00Z")
        ),
        "the candidate follows its moved session"
    );
}

#[test]
fn entries_without_ids_keep_their_keys_when_the_feed_is_rebuilt() {
    // macworld has no <guid> at all; each request gets a different
    // lastBuildDate, so the body changes and is parsed again every time.
    let body = String::from_utf8(fixture("real/rss2/macworld-no-guid.rss")).unwrap();
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let server = TestServer::start(move |_| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Reply::ok(
            body.replacen("<channel>", &format!("<channel><!-- build {n} -->"), 1),
            "application/rss+xml",
        )
    });
    let desk = Desk::new(&source("macworld", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 30);
    let out = desk.ok(&["poll"]);
    assert!(out.contains("fetched             1"), "{out}");
    assert!(out.contains("new entries         0"), "{out}");
    assert_eq!(desk.count("SELECT COUNT(*) FROM entries"), 30);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 30);
    // Their links carry a tracking fragment; the canonical URL drops it.
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM entries WHERE canonical_url LIKE '%#%'"),
        0
    );
}

#[test]
fn brotli_bodies_are_decoded() {
    let body = fixture("written/qiita-atom.xml");
    let server = TestServer::start(move |seen| {
        if !seen
            .header("Accept-Encoding")
            .is_some_and(|a| a.contains("br"))
        {
            return Reply::status(406);
        }
        let mut compressed = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut compressed, 4096, 5, 22);
            writer.write_all(&body).unwrap();
        }
        Reply::ok(compressed, "application/atom+xml").header("Content-Encoding", "br")
    });
    let desk = Desk::new(&source("qiita", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    assert_eq!(
        titles_of(&desk, "qiita")[0],
        "【Argo CD】Image Updater をやめて ApplicationSet + Renovate に移行した"
    );
}
