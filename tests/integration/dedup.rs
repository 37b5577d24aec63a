//! One story, one candidate, across loopback feeds; review decisions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::server::{Reply, TestServer};
use crate::{Desk, source};

/// A feed of `(guid, title, link)` items (history.rs uses it too).
pub(crate) fn rss(items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .map(|(guid, title, link)| {
            format!("<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link><description>About {title}, at some length so that no page needs fetching.</description></item>")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    )
}

/// Serves the feeds in `feeds` (path → body), changeable between polls.
fn feeds(feeds: HashMap<String, String>) -> (TestServer, Arc<Mutex<HashMap<String, String>>>) {
    let shared = Arc::new(Mutex::new(feeds));
    let served = shared.clone();
    let server = TestServer::start(move |seen| match served.lock().unwrap().get(&seen.path) {
        Some(body) => Reply::ok(body.clone(), "application/rss+xml"),
        None => Reply::status(404),
    });
    (server, shared)
}

fn list(desk: &Desk) -> Vec<Value> {
    desk.json(&["review", "list", "--json"])
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_story_seen_in_four_places_is_one_candidate_with_every_source_and_reason() {
    let story = "https://kubernetes.io/blog/2026/11/10/dra-ga/";
    let mut map = HashMap::new();
    map.insert(
        "/k8s".into(),
        rss(&[(
            "k1",
            "Dynamic Resource Allocation Goes GA: What Cluster Operators Need to Know",
            story,
        )]),
    );
    map.insert(
        "/cncf".into(),
        rss(&[(
            "c1",
            "DRA goes GA",
            &format!("{story}?utm_source=cncf&amp;ref=feed"),
        )]),
    );
    map.insert(
        "/mirror".into(),
        rss(&[(
            "m1",
            "Mirror of DRA",
            "http://www.kubernetes.io/blog/2026/11/10/dra-ga/index.html",
        )]),
    );
    map.insert(
        "/aggregator".into(),
        rss(&[("a1", "Kubernetes Dynamic Resource Allocation Goes GA: What Cluster Operators Need to Know | CNCF", "https://news.example.org/item/991")]),
    );
    let (server, _) = feeds(map);
    let desk = Desk::new(
        &["k8s", "cncf", "mirror", "aggregator"]
            .iter()
            .map(|id| source(id, &server.url(&format!("/{id}")), "articles"))
            .collect::<String>(),
    );
    // One at a time, so the reasons are known in advance.
    for id in ["k8s", "cncf", "mirror", "aggregator"] {
        desk.ok(&["poll", "--source", id]);
    }
    let candidates = list(&desk);
    assert_eq!(candidates.len(), 1, "{candidates:#?}");
    let mut seen_in: Vec<&str> = candidates[0]["seen_in"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    seen_in.sort();
    assert_eq!(seen_in, ["aggregator", "cncf", "k8s", "mirror"]);
    let shown = desk.json(&["review", "show", &candidates[0]["id"].to_string(), "--json"]);
    let reasons: HashMap<&str, &str> = shown["seen_at"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["source"].as_str().unwrap(),
                s["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(reasons["k8s"], "");
    // Shown on #1 itself: each reason names the sighting it matched.
    assert_eq!(reasons["cncf"], "same URL as seen in k8s");
    assert_eq!(reasons["mirror"], "same URL as seen in k8s");
    assert!(
        reasons["aggregator"].starts_with("same title as seen in k8s (similarity"),
        "{reasons:?}"
    );
    assert_eq!(
        candidates[0]["url"], story,
        "the link without tracking parameters"
    );
    let text = desk.ok(&["review", "show", "1"]);
    assert!(
        text.contains("seen at:") && text.contains("https://news.example.org/item/991"),
        "{text}"
    );
}

#[test]
fn a_headline_reworded_in_another_order_is_the_same_story() {
    let mut map = HashMap::new();
    map.insert(
        "/grafana".into(),
        rss(&[(
            "g1",
            "Grafana Labs Donates Beyla to OpenTelemetry",
            "https://grafana.example.org/blog/beyla-donation/",
        )]),
    );
    map.insert(
        "/news".into(),
        rss(&[
            (
                "n1",
                "Beyla donated to OpenTelemetry by Grafana Labs",
                "https://news.example.org/2026/beyla",
            ),
            (
                "n2",
                "Cloud Native Computing Foundation Announces Crossplane's Graduation",
                "https://news.example.org/2026/crossplane",
            ),
            (
                "n3",
                "Grafana Labs Donates Alloy to OpenTelemetry",
                "https://news.example.org/2026/alloy",
            ),
        ]),
    );
    map.insert(
        "/cncf".into(),
        rss(&[(
            "c1",
            "Crossplane graduates from the CNCF",
            "https://cncf.example.org/blog/crossplane-graduates/",
        )]),
    );
    let (server, _) = feeds(map);
    let desk = Desk::new(
        &["grafana", "news", "cncf"]
            .iter()
            .map(|id| source(id, &server.url(&format!("/{id}")), "articles"))
            .collect::<String>(),
    );
    for id in ["grafana", "news", "cncf"] {
        desk.ok(&["poll", "--source", id]);
    }
    let candidates = list(&desk);
    let titles: Vec<(&str, usize)> = candidates
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap(),
                c["seen_in"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(candidates.len(), 3, "{titles:?}");
    for (title, sources) in titles {
        let expected = if title.contains("Alloy") { 1 } else { 2 };
        assert_eq!(sources, expected, "{title}");
    }
}

#[test]
fn versions_guid_churn_japanese_titles_and_rejections() {
    let mut map = HashMap::new();
    map.insert(
        "/a".into(),
        rss(&[
            (
                "a1",
                "Argo CD v2.5 released",
                "https://blog.example.org/argo-2-5",
            ),
            (
                "a2",
                "Ｋｕｂｅｒｎｅｔｅｓ 1.35 の新機能まとめ",
                "https://zenn.dev/x/articles/k8s135",
            ),
            (
                "a3",
                "Sponsored: buy our thing",
                "https://blog.example.org/ad",
            ),
        ]),
    );
    map.insert(
        "/b".into(),
        rss(&[
            (
                "b1",
                "Argo CD v2.4 released",
                "https://other.example.org/argo-2-4",
            ),
            (
                "b2",
                "Kubernetes 1.35 の新機能まとめ｜Zenn",
                "https://mirror.example.jp/k8s135",
            ),
        ]),
    );
    let (server, served) = feeds(map);
    let desk = Desk::new(
        &(source("a", &server.url("/a"), "articles") + &source("b", &server.url("/b"), "articles")),
    );
    desk.ok(&["poll"]);
    let titles: Vec<String> = list(&desk)
        .iter()
        .map(|c| c["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        titles.len(),
        4,
        "versions stay apart, the Japanese cross-post is one: {titles:?}"
    );
    assert!(
        titles.contains(&"Argo CD v2.4 released".to_owned())
            && titles.contains(&"Argo CD v2.5 released".to_owned())
    );
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.contains("1.35 の新機能まとめ"))
            .count(),
        1
    );

    // The editor rejects the ad; a copy of it elsewhere stays rejected.
    let ad = list(&desk)
        .into_iter()
        .find(|c| c["title"] == "Sponsored: buy our thing")
        .unwrap();
    let id = ad["id"].to_string();
    assert_eq!(
        desk.ok(&["review", "reject", &id]).trim(),
        format!("rejected: #{id}")
    );
    // GUID churn: the same items under new GUIDs add nothing; the ad
    // reappears on the other feed.
    let mut map = served.lock().unwrap();
    let a = map["/a"].replace(
        "<guid isPermaLink=\"false\">a",
        "<guid isPermaLink=\"false\">churned-a",
    );
    map.insert("/a".into(), a);
    let b = map["/b"].replace("</channel>", "<item><guid>b9</guid><title>Sponsored: buy our thing</title><link>https://blog.example.org/ad?ref=b</link></item></channel>");
    map.insert("/b".into(), b);
    drop(map);
    let out = desk.ok(&["poll"]);
    assert!(
        out.contains("new candidates      0"),
        "{out}\n{:#?}",
        list(&desk)
    );
    assert_eq!(
        desk.json(&["review", "list", "--status", "rejected", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        desk.json(&["review", "list", "--status", "new", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_release_and_its_announcement_are_one_candidate() {
    let atom = crate::fixture("written/github-argo-cd-releases.atom");
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/releases.atom" => Reply::ok(atom.clone(), "application/atom+xml"),
        "/blog" => Reply::ok(
            rss(&[(
                "p1",
                "Announcing Argo CD v3.0",
                "https://blog.argoproj.io/announcing-argo-cd-v3-0",
            )]),
            "application/rss+xml",
        ),
        _ => Reply::status(404),
    });
    let desk = Desk::new(&format!(
        "[[source]]\nid = \"argo-releases\"\nkind = \"github-releases\"\nrepo = \"argoproj/argo-cd\"\ndisplay_name = \"Argo CD\"\nurl = \"{}\"\nsection = \"releases\"\n\n{}",
        server.url("/releases.atom"),
        source("argo-blog", &server.url("/blog"), "articles")
    ));
    desk.ok(&["poll", "--source", "argo-releases"]);
    desk.ok(&["poll", "--source", "argo-blog"]);
    let v3: Vec<Value> = list(&desk)
        .into_iter()
        .filter(|c| c["title"].as_str().unwrap().contains("v3.0"))
        .collect();
    assert_eq!(v3.len(), 1, "{v3:#?}");
    assert_eq!(
        v3[0]["seen_in"],
        serde_json::json!(["argo-releases", "argo-blog"])
    );
    let shown = desk.json(&["review", "show", &v3[0]["id"].to_string(), "--json"]);
    assert_eq!(
        shown["seen_at"][1]["reason"],
        "same release (argo cd 3.0) as seen in argo-releases"
    );
}

#[test]
fn stories_already_published_in_past_issues_are_not_queued() {
    let desk = Desk::new("");
    let repo = desk.dir.path();
    let drafts = repo.join("drafts");
    std::fs::create_dir_all(drafts.join("2026")).unwrap();
    std::fs::write(
        drafts.join("2026/2026-10-28.md"),
        "---\ntitle: \"Weekly (2026-10-28号)\"\n---\n\n## Notable Articles\n\n### [Spotlight on SIG Network: Life After kube-proxy](https://kubernetes.io/blog/2026/11/13/sig-network-spotlight-2026/)\nGood read.\n",
    )
    .unwrap();
    std::fs::write(
        drafts.join("2026-11-04.md"),
        "## Releases\n\n### [Kubernetes steering election results are in](https://elsewhere.example.org/steering)\n\nhttps://kubernetes.io/blog/2026/11/10/dra-ga-cluster-operators/\n",
    )
    .unwrap();
    crate::git_init(repo);
    crate::git(repo, &["add", "drafts"]);
    crate::git(repo, &["commit", "-q", "-m", "past issues"]);

    let body = crate::fixture("written/kubernetes-blog.xml");
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config()).unwrap()
            + &source("k8s", &server.url("/feed"), "articles"),
    )
    .unwrap();
    desk.ok(&["poll"]);
    let db = desk.sqlite();
    let reason = |title: &str| -> Option<String> {
        db.query_row(
            "SELECT filtered_reason FROM entries WHERE title = ?1",
            [title],
            |row| row.get(0),
        )
        .unwrap()
    };
    assert_eq!(
        reason("Spotlight on SIG Network: Life After kube-proxy").as_deref(),
        Some("published in drafts/2026/2026-10-28.md (2026-10-28)")
    );
    assert_eq!(
        reason("Dynamic Resource Allocation Goes GA: What Cluster Operators Need to Know")
            .as_deref(),
        Some("published in drafts/2026-11-04.md (2026-11-04)")
    );
    assert_eq!(reason("Kubernetes v1.35: Harbor Lights"), None);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 3);
}

#[test]
fn decisions_are_all_or_nothing_and_say_what_was_wrong() {
    let (server, _) = feeds(HashMap::from([(
        "/a".to_owned(),
        rss(&[
            ("1", "One", "https://e.example/1"),
            ("2", "Two", "https://e.example/2"),
        ]),
    )]));
    let desk = Desk::new(&source("a", &server.url("/a"), "articles"));
    desk.ok(&["poll"]);
    let output = desk
        .cmd()
        .args(["review", "accept", "1", "99", "--section", "releases"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no candidate #99; nothing was changed")
    );
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE status = 'new'"),
        2
    );
    let output = desk
        .cmd()
        .args(["review", "accept", "1", "--section", "gossip"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    desk.ok(&[
        "review",
        "accept",
        "1",
        "2",
        "--section",
        "releases",
        "--note",
        "Both worth reading.",
    ]);
    let accepted = desk.json(&[
        "review",
        "list",
        "--status",
        "accepted",
        "--section",
        "releases",
        "--json",
    ]);
    assert_eq!(accepted.as_array().unwrap().len(), 2);
    assert_eq!(accepted[0]["note"], "Both worth reading.");
    assert!(accepted[0]["decided_at"].is_string());
    desk.ok(&["review", "defer", "2"]);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE status = 'deferred'"),
        1
    );
    let output = desk.cmd().args(["review", "show", "42"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn the_queue_ranks_what_the_editor_takes_above_what_they_turn_away() {
    let mut map = HashMap::new();
    map.insert(
        "/past".to_owned(),
        rss(&[
            (
                "p1",
                "Cilium eBPF networking deep dive",
                "https://e.example/p1",
            ),
            (
                "p2",
                "eBPF observability with Hubble",
                "https://e.example/p2",
            ),
            ("p3", "Tracing the kernel with eBPF", "https://e.example/p3"),
            (
                "p4",
                "Webinar: our enterprise platform",
                "https://e.example/p4",
            ),
            ("p5", "Join the enterprise webinar", "https://e.example/p5"),
            (
                "p6",
                "Enterprise pricing webinar replay",
                "https://e.example/p6",
            ),
        ]),
    );
    map.insert(
        "/new".to_owned(),
        rss(&[
            (
                "n1",
                "Another enterprise webinar next week",
                "https://e.example/n1",
            ),
            (
                "n2",
                "Writing eBPF programs in Rust",
                "https://e.example/n2",
            ),
            ("n3", "Kubernetes SIG Node update", "https://e.example/n3"),
        ]),
    );
    let (server, _) = feeds(map);
    let desk = Desk::new(
        &(source("past", &server.url("/past"), "articles")
            + &source("fresh", &server.url("/new"), "articles")),
    );
    std::fs::write(
        desk.config(),
        std::fs::read_to_string(desk.config()).unwrap()
            + "\n[ranking]\nkeywords = { kubernetes = 3.0 }\n",
    )
    .unwrap();
    desk.ok(&["poll", "--source", "past"]);
    let id_of = |desk: &Desk, title: &str| -> String {
        list(desk).iter().find(|c| c["title"] == title).unwrap()["id"].to_string()
    };
    for title in [
        "Cilium eBPF networking deep dive",
        "eBPF observability with Hubble",
        "Tracing the kernel with eBPF",
    ] {
        desk.ok(&["review", "accept", &id_of(&desk, title)]);
    }
    for title in [
        "Webinar: our enterprise platform",
        "Join the enterprise webinar",
        "Enterprise pricing webinar replay",
    ] {
        desk.ok(&["review", "reject", &id_of(&desk, title)]);
    }
    desk.ok(&["poll", "--source", "fresh"]);
    let queue = desk.json(&["review", "list", "--status", "new", "--json"]);
    let titles = crate::listed_titles(&queue);
    assert_eq!(
        titles,
        [
            "Kubernetes SIG Node update",
            "Writing eBPF programs in Rust",
            "Another enterprise webinar next week"
        ],
        "{queue:#}"
    );
    crate::assert_best_first(&queue);
    let explained = desk.ok(&[
        "review",
        "show",
        &id_of(&desk, "Another enterprise webinar next week"),
    ]);
    assert!(
        explained.contains("like what you published and took (") && explained.contains("webinar -"),
        "{explained}"
    );
    let explained = desk.ok(&[
        "review",
        "show",
        &id_of(&desk, "Kubernetes SIG Node update"),
    ]);
    assert!(
        explained.contains("+3.00  keyword \"kubernetes\""),
        "{explained}"
    );
}
