//! Source kinds beyond blogs (GitHub releases, iCalendar, HTML pages),
//! filters and enrichment, against a loopback server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::server::{Body, Reply, TestServer};
use crate::{Desk, fixture};

fn titles(desk: &Desk, status: &str) -> Vec<String> {
    let list = desk.json(&["review", "list", "--status", status, "--json"]);
    let mut titles: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles
}

fn filtered(desk: &Desk) -> HashMap<String, String> {
    let db = desk.sqlite();
    let mut stmt = db
        .prepare("SELECT title, filtered_reason FROM entries WHERE filtered_reason IS NOT NULL")
        .unwrap();
    stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn source_row(desk: &Desk, id: &str) -> Value {
    desk.json(&["sources", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
        .clone()
}

#[test]
fn github_releases_atom_keeps_minor_and_major_and_marks_the_rest() {
    let atom = fixture("written/github-argo-cd-releases.atom");
    let server = TestServer::start(move |_| Reply::ok(atom.clone(), "application/atom+xml"));
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"argo-cd\"\nkind = \"github-releases\"\nrepo = \"argoproj/argo-cd\"\ndisplay_name = \"Argo CD\"\nurl = \"{}\"\nsection = \"releases\"\n",
        server.url("/argoproj/argo-cd/releases.atom")
    ));
    desk.ok(&["poll"]);
    assert_eq!(
        titles(&desk, "new"),
        [
            "Argo CD nightly-20261101",
            "Argo CD v2.13.0",
            "Argo CD v3.0.0"
        ]
    );
    let reasons = filtered(&desk);
    assert_eq!(
        reasons["Argo CD v2.13.3"],
        "patch release (min_level = minor)"
    );
    assert_eq!(
        reasons["Argo CD v2.14.0-rc2"],
        "pre-release (prereleases = false)"
    );
    let list = desk.json(&["review", "list", "--json"]);
    let major = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Argo CD v3.0.0")
        .unwrap();
    assert_eq!(
        major["url"],
        "https://github.com/argoproj/argo-cd/releases/tag/v3.0.0"
    );
    assert_eq!(major["section"], "releases");
    assert!(
        major["summary"]
            .as_str()
            .unwrap()
            .starts_with("Argo CD 3.0 removes legacy repo-server caching"),
        "{major}"
    );
    let nightly = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Argo CD nightly-20261101")
        .unwrap();
    assert!(
        nightly["summary"]
            .as_str()
            .unwrap()
            .contains("not a version number")
    );
}

#[test]
fn an_edited_release_updates_its_candidate_instead_of_adding_one() {
    let original = String::from_utf8(fixture("written/github-argo-cd-releases.atom")).unwrap();
    let edited = original
        .replacen(
            "2026-11-20T16:02:11Z</updated>",
            "2026-11-21T08:00:00Z</updated>",
            1,
        )
        .replace(
            "removes legacy repo-server caching",
            "drops the legacy repo-server cache",
        );
    let calls = Arc::new(AtomicUsize::new(0));
    let count = calls.clone();
    let server = TestServer::start(move |_| {
        let body = if count.fetch_add(1, Ordering::SeqCst) == 0 {
            &original
        } else {
            &edited
        };
        Reply::ok(body.clone(), "application/atom+xml")
    });
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"argo-cd\"\nkind = \"github-releases\"\nrepo = \"argoproj/argo-cd\"\nurl = \"{}\"\nsection = \"releases\"\nmin_level = \"major\"\n",
        server.url("/releases.atom")
    ));
    desk.ok(&["poll"]);
    desk.ok(&["poll"]);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates"),
        2,
        "v3.0.0 and the unparsable nightly"
    );
    let summary: String =
        desk.value("SELECT summary FROM candidates WHERE title = 'argo-cd v3.0.0'");
    assert!(
        summary.contains("drops the legacy repo-server cache"),
        "{summary}"
    );
    assert_eq!(
        filtered(&desk)["argo-cd v2.13.0"],
        "minor release (min_level = major)"
    );
}

#[test]
fn github_api_with_a_token_reads_prerelease_and_draft_flags_and_waits_out_rate_limits() {
    let body = fixture("written/github-api-cilium-releases.json");
    let limited = Arc::new(Mutex::new(false));
    let limit = limited.clone();
    let reset = chrono::Utc::now().timestamp() + 1800;
    let server = TestServer::start(move |seen| {
        if seen.path != "/api/repos/cilium/cilium/releases?per_page=30" {
            return Reply::status(404);
        }
        if seen.header("Authorization") != Some("Bearer ghp_test_token_123") {
            return Reply::status(401);
        }
        if *limit.lock().unwrap() {
            return Reply::status(403)
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", &reset.to_string());
        }
        assert_eq!(seen.header("Accept"), Some("application/vnd.github+json"));
        Reply::ok(body.clone(), "application/json; charset=utf-8").header("ETag", "\"api-1\"")
    });
    let desk = Desk::new(&format!(
        "[github]\napi_url = \"{}\"\n\n[[source]]\nid = \"cilium\"\nkind = \"github-releases\"\nrepo = \"cilium/cilium\"\ndisplay_name = \"Cilium\"\nsection = \"releases\"\n",
        server.url("/api")
    ));
    let poll = |desk: &Desk| {
        let output = desk
            .cmd()
            .arg("poll")
            .env("NEWSDESK_GITHUB_TOKEN", "ghp_test_token_123")
            .env("NEWSDESK_LOG", "trace")
            .output()
            .unwrap();
        assert!(output.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !all.contains("ghp_test_token_123"),
            "the token was printed:\n{all}"
        );
    };
    poll(&desk);
    assert_eq!(titles(&desk, "new"), ["Cilium v1.17.0"]);
    let reasons = filtered(&desk);
    assert_eq!(reasons["Cilium v1.18.0"], "draft release");
    assert_eq!(
        reasons["Cilium v1.17.0-pre.3"],
        "pre-release (prereleases = false)"
    );
    assert_eq!(
        reasons["Cilium v1.17.1"],
        "patch release (min_level = minor)"
    );
    let list = desk.json(&["review", "list", "--json"]);
    assert_eq!(
        list[0]["summary"],
        "Multi-network support for Pods (#37000) Gateway API 1.3 conformance"
    );
    assert_eq!(
        list[0]["url"],
        "https://github.com/cilium/cilium/releases/tag/v1.17.0"
    );

    *limited.lock().unwrap() = true;
    poll(&desk);
    let row = source_row(&desk, "cilium");
    assert!(
        row["last_error"]
            .as_str()
            .unwrap()
            .contains("rate limit is used up"),
        "{row}"
    );
    let next = chrono::DateTime::parse_from_rfc3339(row["next_poll_at"].as_str().unwrap()).unwrap();
    let wait = next.timestamp() - chrono::Utc::now().timestamp();
    assert!(
        (1500..=2000).contains(&wait),
        "next poll in {wait} s, the limit resets in 1800 s"
    );
}

#[test]
fn ical_tracks_and_keyword_filters_keep_out_what_the_editor_does_not_cover() {
    let ics = fixture("real/ics/kubecon-eu-2026-sched-all.ics");
    let server = TestServer::start(move |_| Reply::ok(ics.clone(), "text/calendar"));
    let desk = Desk::new(&format!(
        "[filters]\nexclude = [\"sponsored\"]\n\n[[source]]\nid = \"kubecon\"\nkind = \"ical\"\nurl = \"{}\"\nsection = \"articles\"\ntracks = [\"AI + ML\", \"Security\"]\nexclude_regex = [\"(?i)^lightning talk\"]\n",
        server.url("/all.ics")
    ));
    desk.ok(&["poll"]);
    let kept = desk.count("SELECT COUNT(*) FROM candidates");
    let total = desk.count("SELECT COUNT(*) FROM entries");
    assert_eq!(total, 596, "every session is kept as an entry");
    assert!(kept > 20 && kept < 60, "{kept} sessions queued");
    let tracks_ok = desk.count(
        "SELECT COUNT(*) FROM candidates WHERE COALESCE(session, '') NOT LIKE '%AI + ML%' AND COALESCE(session, '') NOT LIKE '%SECURITY%'",
    );
    assert_eq!(tracks_ok, 0);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM entries WHERE filtered_reason = 'track \"REGISTRATION\" is not in tracks'"),
        19
    );
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE title LIKE 'Lightning Talk%'"),
        0
    );
}

#[test]
fn a_rule_change_surfaces_entries_it_had_kept_out() {
    let feed = fixture("written/kubernetes-blog.xml");
    let server = TestServer::start(move |seen| {
        if seen.header("If-None-Match") == Some("\"v1\"") {
            return Reply::status(304);
        }
        Reply::ok(feed.clone(), "application/rss+xml").header("ETag", "\"v1\"")
    });
    let source = format!(
        "[[source]]\nid = \"k8s\"\nkind = \"feed\"\nurl = \"{}\"\nsection = \"articles\"\ninclude = [\"steering\"]\n",
        server.url("/feed.xml")
    );
    let desk = Desk::new(&source);
    desk.ok(&["poll"]);
    assert_eq!(
        titles(&desk, "new"),
        ["Announcing the 2026 Steering Committee Election Results"]
    );
    assert_eq!(
        desk.count(
            "SELECT COUNT(*) FROM entries WHERE filtered_reason = 'matches no include rule'"
        ),
        4
    );
    // The editor widens the rule; the server would answer 304, but the
    // changed rules make newsdesk read the feed again.
    let text = std::fs::read_to_string(desk.config())
        .unwrap()
        .replace("[\"steering\"]", "[\"steering\", \"kube-proxy\"]");
    std::fs::write(desk.config(), text).unwrap();
    let out = desk.ok(&["poll"]);
    assert!(out.contains("new candidates      1"), "{out}");
    assert_eq!(titles(&desk, "new").len(), 2);
}

#[test]
fn html_pages_are_read_with_selectors_and_a_selector_that_stops_matching_is_an_error() {
    let page = fixture("written/cncf-announcements.html");
    let broken = Arc::new(Mutex::new(false));
    let redesigned = broken.clone();
    let server = TestServer::start(move |_| {
        if *redesigned.lock().unwrap() {
            Reply::ok(
                "<html><body><div class=\"cards\"><div class=\"card\">new design</div></div></body></html>",
                "text/html",
            )
        } else {
            Reply::ok(page.clone(), "text/html; charset=utf-8")
        }
    });
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"cncf-announcements\"\nkind = \"html\"\nurl = \"{}\"\nsection = \"articles\"\nselectors = {{ item = \"article.post\", title = \".post-title\", link = \".post-title a@href\", summary = \"p.excerpt\", date = \"time@datetime\" }}\n",
        server.url("/announcements/")
    ));
    desk.ok(&["check"]);
    desk.ok(&["poll"]);
    let list = desk.json(&["review", "list", "--json"]);
    let urls: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["url"].as_str().unwrap())
        .collect();
    assert_eq!(
        urls,
        [
            server.url("/announcements/2026/11/20/kubecon-japan-2027-cfp/"),
            server.url("/announcements/2026/11/14/graduated-project-x/"),
            "https://www.cncf.io/announcements/2026/11/03/end-user-award/".to_owned(),
        ]
    );
    assert_eq!(
        list[0]["title"],
        "KubeCon + CloudNativeCon Japan 2027: call for proposals open"
    );
    assert_eq!(list[0]["summary"], "The CFP closes on 15 January 2027.");
    assert_eq!(list[0]["published"], "2026-11-20T00:00:00Z");

    *broken.lock().unwrap() = true;
    desk.ok(&["poll"]);
    let row = source_row(&desk, "cncf-announcements");
    assert!(
        row["last_error"]
            .as_str()
            .unwrap()
            .contains("selector `item` = \"article.post\" matched nothing"),
        "{row}"
    );
    assert_eq!(row["consecutive_failures"], 1);

    // check refuses selectors that are not CSS.
    let text = std::fs::read_to_string(desk.config())
        .unwrap()
        .replace("article.post", "article[[");
    std::fs::write(desk.config(), text).unwrap();
    let output = desk.cmd().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("selector `item` = \"article[[\" is not valid CSS")
    );
}

#[test]
fn thin_candidates_are_enriched_from_their_pages_once_and_huge_pages_are_cut_off() {
    let github_page = fixture("real/html/github-page.html");
    let fetched = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = fetched.clone();
    let server = TestServer::start(move |seen| {
        log.lock().unwrap().push(seen.path.clone());
        match seen.path.as_str() {
            "/feed.xml" => Reply::ok(
                format!(
                    "<rss version=\"2.0\"><channel><title>t</title>\
                     <item><title>Miniflux v2</title><link>{base}/miniflux</link></item>\
                     <item><title>Huge page</title><link>{base}/huge</link><description>short</description></item>\
                     <item><title>Long enough</title><link>{base}/long</link><description>{long}</description></item>\
                     </channel></rss>",
                    base = seen.header("Host").map(|h| format!("http://{h}")).unwrap(),
                    long = "a summary that is long enough to need no page ".repeat(3)
                ),
                "application/rss+xml",
            ),
            "/miniflux" => Reply::ok(github_page.clone(), "text/html; charset=utf-8"),
            "/huge" => Reply {
                body: Body::Endless,
                ..Reply::ok("", "text/html")
            },
            _ => Reply::status(404),
        }
    });
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"blog\"\nkind = \"feed\"\nurl = \"{}\"\nsection = \"articles\"\nenrich = true\n",
        server.url("/feed.xml")
    ));
    // A plain poll fetches no article pages.
    desk.ok(&["poll"]);
    assert_eq!(*fetched.lock().unwrap(), ["/feed.xml"]);
    let out = desk.ok(&["poll", "--enrich"]);
    assert!(
        out.contains("enriched            1 (summaries from 2 article pages, 1 failed)"),
        "{out}"
    );
    let list = desk.json(&["review", "list", "--json"]);
    let miniflux = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == "Miniflux v2")
        .unwrap();
    assert_eq!(
        miniflux["summary"],
        "Minimalist and opinionated feed reader. Contribute to miniflux/v2 development by creating an account on GitHub."
    );
    let error: String = desk.value("SELECT error FROM enrichment WHERE url LIKE '%/huge'");
    assert!(
        error.contains("larger than the 2000000-byte limit"),
        "{error}"
    );
    // Cached: a second pass fetches nothing again.
    fetched.lock().unwrap().clear();
    desk.ok(&["poll", "--enrich"]);
    assert!(
        fetched.lock().unwrap().iter().all(|p| p == "/feed.xml"),
        "{:?}",
        fetched.lock().unwrap()
    );
}
