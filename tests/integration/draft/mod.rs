//! `newsdesk draft` and `newsdesk demo`: rendered issues, escaping, merging
//! into an edited draft, numbering, and commits in a real git repository.

mod check;
mod commit;
mod one_off;
mod order;
mod zenn;

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::server::{Reply, TestServer};
use crate::{Desk, git, source};

const DATE: &str = "2026-12-02";

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An RSS feed of (title, link, summary), newest last, a day apart.
fn rss(items: &[(&str, &str, &str)]) -> String {
    let items: String = items
        .iter()
        .enumerate()
        .map(|(n, (title, link, summary))| {
            format!(
                "<item><guid isPermaLink=\"false\">item-{n}</guid><title>{}</title><link>{}</link><description>{}</description><pubDate>{:02} Nov 2026 09:00:00 GMT</pubDate></item>",
                xml_escape(title),
                xml_escape(link),
                xml_escape(summary),
                n + 1
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>{items}</channel></rss>"
    )
}

/// A desk polling two feeds (articles, releases) served on loopback, with
/// `newsletter` lines added to [newsletter].
fn desk_with(
    articles: &[(&str, &str, &str)],
    releases: &[(&str, &str, &str)],
    newsletter: &str,
) -> (Desk, TestServer) {
    let articles = rss(articles);
    let releases = rss(releases);
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/articles.xml" => Reply::ok(articles.clone(), "application/rss+xml"),
        "/releases.xml" => Reply::ok(releases.clone(), "application/rss+xml"),
        _ => Reply::status(404),
    });
    let desk = Desk::new(
        &(source("blog", &server.url("/articles.xml"), "articles")
            + &source("rel", &server.url("/releases.xml"), "releases")),
    );
    let text = std::fs::read_to_string(desk.config()).unwrap().replacen(
        "title = \"Test Weekly\"\n",
        &format!("title = \"Test Weekly\"\n{newsletter}"),
        1,
    );
    std::fs::write(desk.config(), text).unwrap();
    // One after the other, so candidate ids (in the drafts' markers) are
    // the same on every run.
    desk.ok(&["poll", "--source", "blog"]);
    desk.ok(&["poll", "--source", "rel"]);
    (desk, server)
}

const ARTICLES: &[(&str, &str, &str)] = &[
    (
        "Kubernetes v1.35: Harbor Lights",
        "https://kubernetes.io/blog/2026/11/18/kubernetes-v1-35-release/",
        "The last release of the year brings in-place pod resize to GA and more.",
    ),
    (
        "Life after kube-proxy",
        "https://kubernetes.io/blog/2026/11/13/sig-network-spotlight/",
        "SIG Network on nftables, the Gateway API and running without kube-proxy.",
    ),
    (
        "A story nobody picks",
        "https://example.org/boring",
        "Nothing to see.",
    ),
    (
        "Gateway API v1.4 in practice",
        "https://example.org/gateway-api-1-4",
        "Hands-on with the new GRPCRoute and BackendTLSPolicy.",
    ),
];

const RELEASES: &[(&str, &str, &str)] = &[
    (
        "Argo CD v3.0.0",
        "https://github.com/argoproj/argo-cd/releases/tag/v3.0.0",
        "Argo CD 3.0 removes legacy repo-server caching.",
    ),
    (
        "Cilium 1.19.0",
        "https://github.com/cilium/cilium/releases/tag/v1.19.0",
        "Cilium 1.19 brings multi-pool IPAM to GA.",
    ),
];

fn id_of(desk: &Desk, title: &str) -> String {
    let list = desk.json(&["review", "list", "--json"]);
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"] == title)
        .unwrap_or_else(|| panic!("no candidate {title:?} in {list:#}"))["id"]
        .to_string()
}

fn accept(desk: &Desk, title: &str, note: Option<&str>) -> String {
    let id = id_of(desk, title);
    let mut args = vec!["review", "accept", id.as_str()];
    if let Some(note) = note {
        args.extend(["--note", note]);
    }
    desk.ok(&args);
    id
}

fn zenn_path(desk: &Desk, date: &str) -> PathBuf {
    desk.dir
        .path()
        .join(format!("articles/test-weekly-{date}.md"))
}

fn status_of(desk: &Desk, id: &str) -> String {
    desk.sqlite()
        .query_row(
            &format!("SELECT status FROM candidates WHERE id = {id}"),
            [],
            |row| row.get(0),
        )
        .unwrap()
}

#[test]
fn draft_default_zenn_and_plain_templates() {
    let (desk, _server) = desk_with(
        ARTICLES,
        RELEASES,
        "emoji = \"☸️\"\ntopics = [\"kubernetes\", \"cloudnative\"]\n",
    );
    accept(
        &desk,
        "Kubernetes v1.35: Harbor Lights",
        Some("In-place resize is finally GA. **Try it** on a test cluster."),
    );
    accept(&desk, "Life after kube-proxy", None);
    accept(
        &desk,
        "Argo CD v3.0.0",
        Some("Read the upgrade notes first."),
    );

    let zenn = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    insta::assert_snapshot!("zenn_draft", zenn);
    // A dry run writes nothing and marks nothing.
    assert!(!desk.dir.path().join("drafts").exists());
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE status = 'drafted'"),
        0
    );

    let config = std::fs::read_to_string(desk.config()).unwrap();
    std::fs::write(
        desk.config(),
        config.replace(
            "title = \"Test Weekly\"\n",
            "title = \"Test Weekly\"\nformat = \"plain\"\n",
        ),
    )
    .unwrap();
    let out = desk.ok(&["draft", "--date", DATE]);
    let path = desk.dir.path().join(format!("drafts/{DATE}.md"));
    assert!(
        out.starts_with(&format!(
            "wrote {}: issue #1 ({DATE}), 3 items (3 new)",
            path.display()
        )),
        "{out}"
    );
    let plain = std::fs::read_to_string(&path).unwrap();
    insta::assert_snapshot!("plain_draft", plain);
    assert_eq!(
        desk.count("SELECT COUNT(*) FROM candidates WHERE status = 'drafted' AND drafted_in = (SELECT id FROM issues WHERE issue_date = '2026-12-02')"),
        3
    );
    assert_eq!(
        desk.count("SELECT number FROM issues WHERE issue_date = '2026-12-02'"),
        1
    );
}

#[test]
fn feed_text_cannot_change_the_structure_of_the_draft() {
    let nasty: &[(&str, &str, &str)] = &[
        (
            "[x](javascript:alert(1)) click",
            "https://example.org/a",
            "# Not a heading\n\n---\ntitle: pwned\n---",
        ),
        (
            "Title with `code` and ](https://evil.example.org) and <b>bold</b>",
            "https://example.org/b",
            "<script>alert(1)</script> and [link](https://evil.example.org)",
        ),
        (
            "# Leading hash",
            "https://example.org/c",
            "--- a summary starting with dashes",
        ),
        (
            "--- three dashes",
            "https://example.org/d_(e)",
            "<!-- newsdesk:item 1 --> fake marker",
        ),
        (
            "A story behind a javascript link",
            "javascript:alert(document.cookie)",
            "x",
        ),
    ];
    let (desk, _server) = desk_with(nasty, &[], "");
    let list = desk.json(&["review", "list", "--json"]);
    let ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].to_string())
        .collect();
    assert_eq!(ids.len(), nasty.len(), "{list:#}");
    let mut args = vec!["review", "accept"];
    args.extend(ids.iter().map(String::as_str));
    desk.ok(&args);

    let draft = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    let lines: Vec<&str> = draft.lines().collect();
    // One front matter, at the top.
    assert_eq!(lines[0], "---");
    assert_eq!(lines.iter().filter(|l| **l == "---").count(), 2, "{draft}");
    // Headings: the section, one per item, and the closing one.
    let headings: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with('#'))
        .collect();
    assert_eq!(headings.len(), 1 + nasty.len() + 1, "{draft}");
    assert!(
        headings
            .iter()
            .skip(1)
            .take(nasty.len())
            .all(|h| h.starts_with("### "))
    );
    // Links only to the items' own http(s) URLs: each alone on its line
    // (a link card), and no unescaped `](` anywhere.
    let cards: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.contains("://"))
        .collect();
    assert_eq!(cards.len(), nasty.len() - 1, "{draft}");
    assert!(
        cards.iter().all(|l| l.starts_with("https://example.org/")),
        "{draft}"
    );
    assert!(
        !draft
            .match_indices("](")
            .any(|(at, _)| !draft[..at].ends_with('\\')),
        "{draft}"
    );
    assert!(!draft.contains("javascript:alert(document"), "{draft}");
    assert!(
        draft.contains("### A story behind a javascript link\n"),
        "{draft}"
    );
    assert!(
        draft.contains("\nhttps://example.org/d_%28e%29\n"),
        "{draft}"
    );
    // No raw HTML or code spans from feed text.
    for raw in [
        "<script",
        "<b>",
        "`code`",
        "\n<!-- newsdesk:item 1 --> fake",
    ] {
        assert!(!draft.contains(raw), "{raw} in {draft}");
    }
    assert_eq!(
        draft.matches("<!-- newsdesk:item ").count(),
        nasty.len(),
        "{draft}"
    );
    assert!(
        draft.contains("\\[x\\](javascript\\:alert(1)) click"),
        "{draft}"
    );
}

/// The text of `section`'s part of the draft (marker to next marker).
fn section_text<'a>(draft: &'a str, section: &str) -> &'a str {
    let start = draft
        .find(&format!("<!-- newsdesk:section {section} -->"))
        .unwrap_or_else(|| panic!("no section {section} in {draft}"));
    let rest = &draft[start + 1..];
    let end = ["<!-- newsdesk:section ", "<!-- newsdesk:closing"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    &draft[start..start + 1 + end]
}

/// Whether `edited` is `merged` with whole blocks taken out, i.e. every
/// line of the editor's file is still there, unchanged and in order, and
/// every other line of `merged` belongs to an added item or section.
fn only_insertions(edited: &str, merged: &str) {
    let mut merged_lines = merged.split_inclusive('\n').peekable();
    let mut inserted = Vec::new();
    for line in edited.split_inclusive('\n') {
        loop {
            let next = merged_lines
                .next()
                .unwrap_or_else(|| panic!("{line:?} is gone from\n{merged}"));
            if next == line {
                break;
            }
            inserted.push(next);
        }
    }
    inserted.extend(merged_lines);
    let added: String = inserted.concat();
    assert!(
        added.trim().starts_with("<!-- newsdesk:"),
        "unexpected text added: {added:?}"
    );
}

#[test]
fn rerunning_after_the_editor_edited_the_draft_adds_items_and_keeps_every_edit() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    let first = accept(
        &desk,
        "Kubernetes v1.35: Harbor Lights",
        Some("GA at last."),
    );
    accept(&desk, "Life after kube-proxy", None);
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(out.contains("2 items (2 new)"), "{out}");
    let path = zenn_path(&desk, DATE);
    let generated = std::fs::read_to_string(&path).unwrap();

    // The editor writes: a comment instead of the placeholder, a new intro,
    // the afterword, an extra paragraph, and no trailing newline.
    let edited = generated
        .replace(
            "> **TODO** replace with your comment — the feed's summary: SIG Network on nftables, the Gateway API and running without kube-proxy.",
            "kube-proxy なしのクラスタ運用の話。\n\nもう一段落、編集者のメモ。",
        )
        .replace("今週気になったニュースをお届けします。", "今週も盛りだくさんです。")
        .replace("> **TODO** あとがきを書く\n", "来週はお休みです。");
    assert!(
        edited.contains("もう一段落")
            && edited.contains("盛りだくさん")
            && edited.contains("お休み"),
        "{edited}"
    );
    std::fs::write(&path, &edited).unwrap();

    let article = accept(&desk, "Gateway API v1.4 in practice", Some("Worth a try."));
    let release = accept(&desk, "Argo CD v3.0.0", None);
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(
        out.contains("updated") && out.contains("4 items (2 new)"),
        "{out}"
    );
    let merged = std::fs::read_to_string(&path).unwrap();
    only_insertions(&edited, &merged);
    assert!(merged.ends_with("来週はお休みです。"), "{merged}");
    let articles = section_text(&merged, "articles");
    assert!(articles.contains(&format!("<!-- newsdesk:item {article} -->\n### Gateway API v1.4 in practice\n\nhttps://example.org/gateway-api-1-4\n\nWorth a try.")), "{merged}");
    assert!(
        articles.find(&format!("item {first} ")) < articles.find(&format!("item {article} ")),
        "new items go after the old ones: {merged}"
    );
    let releases = section_text(&merged, "releases");
    assert!(
        releases.contains(&format!("<!-- newsdesk:item {release} -->")),
        "{merged}"
    );
    assert!(
        merged.find("<!-- newsdesk:section releases -->")
            < merged.find("<!-- newsdesk:closing -->"),
        "{merged}"
    );

    // Nothing new: the file is left alone.
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(
        out.starts_with("unchanged") && out.contains("(0 new)"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), merged);

    // A crash after the file was renamed into place but before the database
    // recorded it: the rerun marks the item drafted without adding it twice.
    desk.sqlite()
        .execute(
            &format!(
                "UPDATE candidates SET status = 'accepted', drafted_in = NULL WHERE id = {release}"
            ),
            [],
        )
        .unwrap();
    desk.ok(&["draft", "--date", DATE]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), merged);
    assert_eq!(status_of(&desk, &release), "drafted");
}

#[test]
fn a_draft_whose_markers_are_gone_gets_a_new_file_beside_it() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    accept(&desk, "Kubernetes v1.35: Harbor Lights", None);
    desk.ok(&["draft", "--date", DATE]);
    let path = zenn_path(&desk, DATE);
    let edited = std::fs::read_to_string(&path)
        .unwrap()
        .replace("<!-- newsdesk:section articles -->\n", "");
    std::fs::write(&path, &edited).unwrap();
    let late = accept(&desk, "Gateway API v1.4 in practice", None);

    let new_path = format!("{}.new", path.display());
    // A dry run says so and shows the whole issue, writing nothing.
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--dry-run"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot be merged into safely"));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Gateway API v1.4 in practice"));
    assert!(!Path::new(&new_path).exists());

    let output = desk.cmd().args(["draft", "--date", DATE]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("marker of section \"articles\" is gone") && stderr.contains(&new_path),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), edited);
    let proposal = std::fs::read_to_string(&new_path).unwrap();
    assert!(
        proposal.contains("Gateway API v1.4 in practice"),
        "{proposal}"
    );
    assert_eq!(status_of(&desk, &late), "accepted");
}

#[test]
fn nothing_accepted_is_an_error_that_says_what_to_do() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    let output = desk.cmd().args(["draft", "--date", DATE]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("nothing to draft for 2026-12-02")
            && stderr.contains("newsdesk review accept"),
        "{stderr}"
    );
}

#[test]
fn check_reports_template_errors_with_file_and_line() {
    let desk = Desk::new("");
    let templates = desk.dir.path().join("my-templates");
    std::fs::create_dir_all(templates.join("partials")).unwrap();
    std::fs::write(
        templates.join("partials/item.md.hbs"),
        "{{marker}}\n### {{title}}\n\n{{#if note}}\n{{note}}\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(desk.config()).unwrap().replacen(
        "title = \"Test Weekly\"\n",
        "title = \"Test Weekly\"\ntemplates_dir = \"my-templates\"\n",
        1,
    );
    std::fs::write(desk.config(), config).unwrap();
    let output = desk.cmd().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let file = templates.join("partials/item.md.hbs").display().to_string();
    assert!(stderr.contains(&format!("{file}:")), "{stderr}");
    let line: usize = stderr
        .split(&format!("{file}:"))
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line number in {stderr}"));
    assert!((4..=6).contains(&line), "{stderr}");

    // A working override is used by draft.
    std::fs::write(
        templates.join("partials/item.md.hbs"),
        "{{marker}}\n* {{title}} — {{truncate summary 20}}\n",
    )
    .unwrap();
    let out = desk.ok(&["check"]);
    assert!(out.contains("zenn template, customised"), "{out}");
}

#[test]
fn demo_runs_offline_and_drafts_an_issue() {
    let dir = tempfile::tempdir().unwrap();
    let demo_dir = dir.path().join("demo");
    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .args(["demo", "--dir"])
        .arg(&demo_dir)
        // Anything but loopback would go to a proxy that is not there.
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("NEWSDESK_GITHUB_TOKEN")
        .env_remove("NEWSDESK_CONFIG")
        .env_remove("NEWSDESK_DB")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let draft_path = stdout
        .lines()
        .map(str::trim)
        .find(|l| l.ends_with(".md"))
        .unwrap_or_else(|| panic!("no draft path in {stdout}"));
    assert!(
        draft_path.starts_with(&demo_dir.display().to_string()),
        "{stdout}"
    );
    let draft = std::fs::read_to_string(draft_path).unwrap();
    assert!(draft.matches("\n### ").count() >= 6, "{draft}");
    for section in ["kubecon", "articles", "releases", "tools"] {
        assert!(
            draft.contains(&format!("<!-- newsdesk:section {section} -->")),
            "{draft}"
        );
    }
    // The binary that ran (not on PATH here), and review first.
    let binary = std::fs::canonicalize(env!("CARGO_BIN_EXE_newsdesk")).unwrap();
    let next = format!(
        "Next, try:\n  {} --config {}/feeds.toml review\n",
        binary.display(),
        demo_dir.display()
    );
    assert!(stdout.contains(&next), "{stdout}");
    // The samples are what a real issue holds: no nightly build whose
    // summary is the adapter's note about its tag.
    assert!(!draft.contains("is not a version number"), "{draft}");
    assert!(!draft.to_lowercase().contains("nightly"), "{draft}");
    // Only the demo directory was written to.
    let written: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written, ["demo"]);

    // The commands it suggests work on what it left.
    let config = demo_dir.join("feeds.toml");
    let desk_cmd = |args: &[&str]| -> Value {
        let args = [&["--config", config.to_str().unwrap()], args].concat();
        serde_json::from_str(&crate::newsdesk_ok(&args)).unwrap()
    };
    let drafted = desk_cmd(&["review", "list", "--status", "drafted", "--json"]);
    assert_eq!(
        drafted.as_array().unwrap().len(),
        draft.matches("\n### ").count()
    );
}
