//! The editor's past issues in drafts_dir (issue 17): a story a past issue
//! only mentioned is queued with the mention; the items rank the queue
//! from the first poll, and say where a new candidate would go.

use serde_json::Value;

use crate::dedup::rss;
use crate::server::{Reply, TestServer};
use crate::{Desk, source};

fn by_title<'a>(list: &'a Value, title: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("no {title:?} in {list:#}"))
}

/// A desk with a tools section, past issues `issues` (file name, text) in
/// drafts_dir, and one feed serving `items`.
fn desk_with_history(issues: &[(&str, &str)], items: &[(&str, &str, &str)]) -> (Desk, TestServer) {
    let body = rss(items);
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(
        &("[[sections]]\nid = \"tools\"\ntitle = \"Tools\"\n\n[[sections]]\nid = \"events\"\ntitle = \"Events\"\n\n".to_owned()
            + &source("feed", &server.url("/feed"), "articles")),
    );
    let drafts = desk.dir.path().join("drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    for (name, text) in issues {
        std::fs::write(drafts.join(name), text).unwrap();
    }
    (desk, server)
}

const AUGUST: &str = "---\ntitle: \"Neco Weekly (2022-08-05号)\"\n---\n\n\
    ## 🤝 Events\n\n### KubeCon NA 2022 のスケジュールが公開されました\n\nhttps://kccncna2022.sched.com/\n\n\
    注目のセッションを紹介します。\n\n\
    - [Scaling GitOps Across a Thousand Clusters with Argo CD](https://kccncna2022.sched.com/event/182GX)\n\
    - [Hubble Observability Deep Dive](https://kccncna2022.sched.com/event/182H1)\n\n\
    ## 👀 Notable Articles\n\n### Kubernetes の Pod Security Admission を試す\n\nhttps://blog.example/psa\n\n\
    Pod Security Policy の後継です。\n";

#[test]
fn a_story_a_past_issue_only_mentioned_is_queued_with_the_mention() {
    let (desk, _server) = desk_with_history(
        &[("2022-08-05.md", AUGUST)],
        &[
            (
                "own",
                "Trying Pod Security Admission",
                "https://blog.example/psa",
            ),
            (
                "report",
                "Scaling GitOps Across a Thousand Clusters with Argo CD",
                "https://blog.example/kubecon-report-gitops",
            ),
            (
                "recording",
                "Session recording is up",
                "https://kccncna2022.sched.com/event/182H1",
            ),
            (
                "other",
                "Unrelated storage news",
                "https://blog.example/storage",
            ),
        ],
    );
    desk.ok(&["poll"]);
    let queue = desk.json(&["review", "list", "--json"]);
    assert_eq!(queue.as_array().unwrap().len(), 3, "{queue:#}");
    let kept_out = desk.json(&["review", "list", "--status", "kept-out", "--json"]);
    assert_eq!(
        kept_out[0]["title"], "Trying Pod Security Admission",
        "{kept_out:#}"
    );
    assert_eq!(
        kept_out[0]["kept_out"],
        "published in drafts/2022-08-05.md (2022-08-05)"
    );

    let report = by_title(
        &queue,
        "Scaling GitOps Across a Thousand Clusters with Argo CD",
    );
    assert_eq!(
        report["mention"],
        "mentioned in the 2022-08-05 issue: same title as “Scaling GitOps Across a Thousand Clusters with Argo CD”"
    );
    let recording = by_title(&queue, "Session recording is up");
    assert_eq!(
        recording["mention"],
        "mentioned in the 2022-08-05 issue (as a related link)"
    );
    assert_eq!(
        by_title(&queue, "Unrelated storage news")["mention"],
        Value::Null
    );

    let shown = desk.ok(&["review", "show", &report["id"].to_string()]);
    assert!(
        shown.contains("mentioned: mentioned in the 2022-08-05 issue")
            && shown.contains("+1.00  mentioned in the 2022-08-05 issue"),
        "{shown}"
    );
}

/// Two past issues: cloud-native networking and GitHub tools are what
/// this editor publishes.
const ISSUES: [(&str, &str); 2] = [
    (
        "2026-11-04.md",
        "## 👀 Notable Articles\n\n### Cilium の eBPF ネットワーキング\n\nhttps://isovalent.example/cilium-ebpf-networking\n\n解説です。\n\n\
         ### eBPF で Kubernetes のネットワークを観測する Hubble\n\nhttps://blog.example/hubble-ebpf-observability\n\n解説です。\n\n\
         ## 🛠️ Tools, Frameworks, Libraries\n\n### kyverno/kyverno\n\nhttps://github.com/kyverno/kyverno\n\nポリシーエンジン。\n\n\
         ### kube-vip\n\nhttps://github.com/kube-vip/kube-vip\n\nVIP を提供します。\n",
    ),
    (
        "2026-11-11.md",
        "## 👀 Notable Articles\n\n### Cilium Service Mesh without sidecars, with eBPF\n\nhttps://blog.example/cilium-mesh\n\n解説です。\n\n\
         ### Gateway API and eBPF networking in Kubernetes\n\nhttps://kubernetes.example/gateway-ebpf\n\n解説です。\n\n\
         ## 🛠️ Tools, Frameworks, Libraries\n\n### stern\n\nhttps://github.com/stern/stern\n\n複数 Pod のログ。\n\n\
         ### k9s\n\nhttps://github.com/derailed/k9s\n\nTUI です。\n",
    ),
];

#[test]
fn past_issues_rank_the_first_poll_explain_it_and_suggest_sections() {
    let (desk, _server) = desk_with_history(
        &ISSUES,
        &[
            (
                "w1",
                "Join our enterprise webinar on cost savings",
                "https://vendor.example/webinar",
            ),
            (
                "w2",
                "Quarterly earnings and partner news",
                "https://vendor.example/earnings",
            ),
            (
                "e1",
                "Debugging Cilium eBPF networking in production",
                "https://blog.example/debug-cilium-ebpf",
            ),
            (
                "w3",
                "Our new office opens downtown",
                "https://vendor.example/office",
            ),
            (
                "t1",
                "kubectl-tree",
                "https://github.com/ahmetb/kubectl-tree",
            ),
            (
                "w4",
                "Customer story: a retailer moves to our cloud",
                "https://vendor.example/retail",
            ),
            (
                "w5",
                "Five tips for a better sales pipeline",
                "https://vendor.example/sales",
            ),
            (
                "w6",
                "Announcing our partner program",
                "https://vendor.example/partners",
            ),
            (
                "w7",
                "Meet the team behind our support desk",
                "https://vendor.example/support",
            ),
            (
                "w8",
                "Holiday hours for our offices",
                "https://vendor.example/holidays",
            ),
            (
                "w9",
                "Register for the customer summit",
                "https://vendor.example/summit",
            ),
            (
                "w10",
                "A new pricing plan for teams",
                "https://vendor.example/pricing",
            ),
        ],
    );
    desk.ok(&["poll"]);
    let queue = desk.json(&["review", "list", "--json"]);
    let titles = crate::listed_titles(&queue);
    let mut top = titles[..2].to_vec();
    top.sort();
    assert_eq!(
        top,
        [
            "Debugging Cilium eBPF networking in production",
            "kubectl-tree"
        ],
        "no decision yet: the past issues rank the queue\n{queue:#}"
    );
    crate::assert_best_first(&queue);

    let cilium = by_title(&queue, "Debugging Cilium eBPF networking in production");
    let shown = desk.ok(&["review", "show", &cilium["id"].to_string()]);
    assert!(
        shown.contains("why:       like ") && shown.contains(" items you published, e.g. “"),
        "{shown}"
    );
    let shown: Value = desk.json(&["review", "show", &cilium["id"].to_string(), "--json"]);
    assert!(
        shown["likeness"]
            .as_str()
            .unwrap()
            .contains(" items you published, e.g. “"),
        "{shown:#}"
    );

    // Where the editor put GitHub repositories before.
    let tree = by_title(&queue, "kubectl-tree");
    assert_eq!(tree["suggested_section"], "tools", "{tree:#}");
    assert_eq!(cilium["suggested_section"], "articles");
    let webinar = by_title(&queue, "Our new office opens downtown");
    assert_eq!(
        webinar["suggested_section"], "articles",
        "like nothing placed before: the source's section"
    );
    // Accepted without a section: the suggested one, and the draft uses it.
    desk.ok(&["review", "accept", &tree["id"].to_string()]);
    let accepted = desk.json(&["review", "show", &tree["id"].to_string(), "--json"]);
    assert_eq!(accepted["section"], "tools");
    let draft = desk.ok(&["draft", "--dry-run"]);
    let tools = draft.find("<!-- newsdesk:section tools -->").expect(&draft);
    assert!(draft[tools..].contains("kubectl-tree"), "{draft}");
}

/// A schedule whose sessions start in 60 days: (uid, title, track).
fn schedule(sessions: &[(&str, &str, &str)]) -> String {
    let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    let start = chrono::Utc::now() + chrono::Duration::days(60);
    let events: String = sessions
        .iter()
        .map(|(uid, title, track)| {
            format!(
                "BEGIN:VEVENT\r\nDTSTAMP:{}\r\nDTSTART:{}\r\nSUMMARY:{title} - Ada Lovelace\\, Acme\r\n\
                 UID:{uid}\r\nURL:http://kccnceu2027.sched.com/event/{uid}\r\nCATEGORIES:{track}\r\n\
                 DESCRIPTION:A session.\r\nEND:VEVENT\r\n",
                stamp(chrono::Utc::now()),
                stamp(start),
            )
        })
        .collect();
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Sched.com test//EN\r\n{events}END:VCALENDAR\r\n"
    )
}

#[test]
fn a_past_issues_sessions_lend_their_track_to_the_ranking() {
    // The editor published three Maintainer Track sessions; the schedule
    // also has sessions of other tracks. The published ones are kept out,
    // but newsdesk stored them: their track is what the editor picks.
    let mut sessions = vec![
        ("a1", "Helm 4 Is Here", "MAINTAINER TRACK"),
        ("a2", "SIG Storage Intro", "MAINTAINER TRACK"),
        ("a3", "A Tour of Flux UIs", "MAINTAINER TRACK"),
        ("m1", "Etcd Upgrades Explained", "MAINTAINER TRACK"),
        ("s1", "Faster Builds Explained", "SOLUTIONS SHOWCASE"),
    ];
    for (uid, title) in [
        ("x1", "Cutting Cloud Bills With Acme"),
        ("x2", "Zero Trust in Five Minutes"),
        ("x3", "Meet the Acme Platform Team"),
        ("x4", "Our Journey to Serverless"),
        ("x5", "Data Lakes Made Simple"),
        ("x6", "Winning With Developer Portals"),
    ] {
        sessions.push((uid, title, "SOLUTIONS SHOWCASE"));
    }
    let ics = schedule(&sessions);
    let server = TestServer::start(move |_| Reply::ok(ics.clone(), "text/calendar"));
    let item = |uid: &str, title: &str| {
        format!("### {title}\n\nhttp://kccnceu2027.sched.com/event/{uid}\n\n注目です。\n\n")
    };
    let issue = format!(
        "---\ntitle: \"Neco Weekly (2026-11-04号)\"\n---\n\n## 🤝 Events\n\n{}{}{}",
        item("a1", "Helm 4 Is Here"),
        item("a2", "SIG Storage Intro"),
        item("a3", "A Tour of Flux UIs")
    );
    let desk = Desk::new(&format!(
        "[[sections]]\nid = \"events\"\ntitle = \"Events\"\n\n\
         [[source]]\nid = \"kubecon\"\nkind = \"ical\"\nurl = \"{}\"\nsection = \"events\"\n",
        server.url("/all.ics")
    ));
    let drafts = desk.dir.path().join("drafts");
    std::fs::create_dir_all(&drafts).unwrap();
    std::fs::write(drafts.join("2026-11-04.md"), issue).unwrap();
    desk.ok(&["poll"]);
    let kept_out = desk.json(&["review", "list", "--status", "kept-out", "--json"]);
    assert_eq!(kept_out.as_array().unwrap().len(), 3, "{kept_out:#}");

    let queue = desk.json(&["review", "list", "--json"]);
    crate::assert_best_first(&queue);
    assert_eq!(
        queue[0]["title"], "Etcd Upgrades Explained",
        "the one session in the published track first\n{queue:#}"
    );
    let maintainer = by_title(&queue, "Etcd Upgrades Explained");
    let other = by_title(&queue, "Faster Builds Explained");
    assert!(
        maintainer["score"].as_f64() > other["score"].as_f64(),
        "{maintainer:#} {other:#}"
    );
    let shown = desk.ok(&["review", "show", &maintainer["id"].to_string()]);
    assert!(
        shown.contains("like what you published and took (category “maintainer track” +"),
        "{shown}"
    );
}
