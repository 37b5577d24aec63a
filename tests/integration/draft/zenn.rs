//! Drafts checked by Zenn's own tools: zenn-cli's preview server and
//! validator and zenn-markdown-html's renderer (tests/zenn, pinned in its
//! package-lock.json, installed by `npm ci` there; .ci/run does it). The
//! desk's directory is the Zenn repository: drafts_dir defaults to its root.

use std::path::Path;

use serde_json::Value;

use super::*;

/// What Zenn's tools say about the Zenn repository `repo`
/// (tests/zenn/zenn-check.mjs), or `None` with a printed skip when they
/// are not installed.
fn zenn_check(repo: &Path) -> Option<Value> {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/zenn");
    if !tools.join("node_modules/zenn-cli").is_dir() {
        eprintln!("skipped: zenn-cli is not installed (run `npm ci` in tests/zenn; .ci/run does)");
        return None;
    }
    let output = std::process::Command::new("node")
        .arg(tools.join("zenn-check.mjs"))
        .arg(repo)
        .output()
        .expect("node runs (zenn-cli is installed, so Node.js is there)");
    let stdout = crate::stdout_of_success(output, format_args!("node zenn-check.mjs"));
    Some(serde_json::from_str(&stdout).unwrap())
}

/// The article `slug` of a zenn-check answer.
fn article<'a>(checked: &'a Value, slug: &str) -> &'a Value {
    checked["articles"]
        .get(slug)
        .unwrap_or_else(|| panic!("Zenn does not see {slug}: {:#}", checked["slugs"]))
}

/// Zenn's error types for an article (critical or not).
fn error_types(article: &Value) -> Vec<(String, bool)> {
    article["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["isCritical"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Every `href` of a rendered body but the headings' own anchors.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| !href.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Feed text as hostile as feeds get, each aimed at Zenn's renderer.
const HOSTILE: &[(&str, &str, &str)] = &[
    (
        "https://evil.example/landing",
        "https://example.org/a",
        "mailto:phish@evil.example and //evil.example/x and https://evil.example/y",
    ),
    (
        "Contact mailto:ceo@evil.example or see http://evil.example",
        "javascript:alert(1)",
        "A summary",
    ),
    (
        ":::message alert\nboom\n:::",
        "https://example.org/b",
        ":::details open\nhidden\n:::",
    ),
    (
        "@[card](https://evil.example/card) and @[youtube](dQw4w9WgXcQ)",
        "https://example.org/c",
        "@[tweet](https://x.com/evil/status/1)",
    ),
    (
        "---\ntitle: pwned\npublished: true\n---",
        "https://example.org/d",
        "---\nemoji: 💀\n---",
    ),
    (
        "<script>alert(1)</script><img src=x onerror=alert(1)> **bold** [x](https://evil.example)",
        "https://example.org/e",
        "<iframe src=\"https://evil.example\"></iframe> ![img](https://evil.example/i.png)",
    ),
    (
        "# Heading | table | $x^2$ ~~strike~~ `code` <!-- newsdesk:closing -->",
        "https://example.org/f_(g)",
        "<!-- newsdesk:section articles -->",
    ),
];

#[test]
fn zenn_accepts_the_default_template_with_a_hostile_feed() {
    // A 200-character Japanese title as well.
    let long_title = "クラウドネイティブ".repeat(23);
    let long_title = long_title.chars().take(200).collect::<String>();
    let mut feed: Vec<(&str, &str, &str)> = HOSTILE.to_vec();
    feed.push((&long_title, "https://example.org/long", "長い要約。"));
    let (desk, _server) = desk_with(&feed, &[], "topics = [\"kubernetes\"]\n");
    let ids: Vec<String> = desk
        .json(&["review", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].to_string())
        .collect();
    assert_eq!(ids.len(), feed.len());
    // Half get a note (one carrying newsdesk's own markers), half keep the
    // placeholder with the feed's summary.
    for (n, id) in ids.iter().enumerate() {
        let mut args = vec!["review", "accept", id.as_str()];
        if n % 2 == 0 {
            args.extend([
                "--note",
                "編集者のコメントです。\n<!-- newsdesk:closing -->\n<!-- newsdesk:item 1 -->",
            ]);
        }
        desk.ok(&args);
    }
    let out = desk.ok(&["draft", "--date", DATE]);
    let placeholders = feed.len() / 2 + 1;
    assert!(
        out.contains(&format!("{placeholders} placeholders left to write")),
        "{out}"
    );
    let Some(checked) = zenn_check(desk.dir.path()) else {
        return;
    };
    assert_eq!(
        checked["slugs"],
        serde_json::json!(["test-weekly-2026-12-02"])
    );
    let issue = article(&checked, "test-weekly-2026-12-02");
    assert_eq!(error_types(issue), [], "{:#}", issue["errors"]);
    assert_eq!(issue["meta"]["title"], "Test Weekly (2026-12-02号)");
    assert_eq!(issue["meta"]["published"], false);

    let item_urls: Vec<&str> = feed
        .iter()
        .map(|(_, url, _)| *url)
        .filter(|url| url.starts_with("https://"))
        .map(|url| {
            if url.ends_with("f_(g)") {
                "https://example.org/f_%28g%29"
            } else {
                url
            }
        })
        .collect();
    for (renderer, html) in [
        (
            "zenn-cli's preview",
            issue["preview_html"].as_str().unwrap(),
        ),
        ("zenn-markdown-html", issue["html"].as_str().unwrap()),
    ] {
        // Links only to the items' own URLs: each is a card (its link
        // twice: the card and Zenn's hidden fallback).
        let found = links(html);
        assert!(
            found.iter().all(|href| item_urls.contains(&href.as_str())),
            "{renderer} links elsewhere: {found:#?}\n{html}"
        );
        for url in &item_urls {
            assert!(found.iter().any(|href| href == url), "{renderer}: no {url}");
        }
        // Structure: the section's and the afterword's headings, one per item.
        assert_eq!(html.matches("<h2").count(), 2, "{renderer}: {html}");
        assert_eq!(
            html.matches("<h3").count(),
            feed.len(),
            "{renderer}: {html}"
        );
        for tag in [
            "<h1",
            "<aside",
            "<details",
            "<script",
            "<img",
            "<table",
            "<code",
            "<s>",
            "embed-katex",
        ] {
            assert!(!html.contains(tag), "{renderer}: {tag} in {html}");
        }
        // Placeholders are visible, one per item without a note and the
        // afterword's.
        assert_eq!(
            html.matches("<strong>TODO</strong>").count(),
            placeholders,
            "{renderer}"
        );
        assert!(html.contains(&long_title), "{renderer}");
    }
    let preview = issue["preview_html"].as_str().unwrap();
    assert_eq!(
        preview.matches("zenn-embedded-card").count(),
        item_urls.len(),
        "one link card per item: {preview}"
    );
    assert!(!preview.contains("zenn-embedded-youtube") && !preview.contains("zenn-embedded-tweet"));

    // The markers in the notes did not become structure: the next draft
    // merges into the file instead of giving up into a .md.new.
    let path = zenn_path(&desk, DATE);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.matches("\n<!-- newsdesk:closing -->\n").count(),
        1,
        "{text}"
    );
    // The last item once more, as after a crash before the database
    // recorded it, with an editor who deleted its marker.
    let last = ids.last().unwrap();
    desk.sqlite()
        .execute(
            &format!(
                "UPDATE candidates SET status = 'accepted', drafted_in = NULL WHERE id = {last}"
            ),
            [],
        )
        .unwrap();
    std::fs::write(
        &path,
        text.replace(&format!("<!-- newsdesk:item {last} -->\n"), ""),
    )
    .unwrap();
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(
        out.starts_with("updated") && out.contains("(1 new)"),
        "{out}"
    );
    assert!(!Path::new(&format!("{}.new", path.display())).exists());
}

/// Zenn's title rule through `check` and through Zenn: the same verdict.
#[test]
fn check_and_zenn_agree_on_titles_emoji_topics_and_slugs() {
    let (desk, _server) = desk_with(ARTICLES, &[], "topics = [\"kubernetes\"]\n");
    accept(&desk, "Kubernetes v1.35: Harbor Lights", Some("GA です。"));
    let config = std::fs::read_to_string(desk.config()).unwrap();
    let base = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    // (case, title, emoji, topics)
    let cases: &[(&str, String, &str, &str)] = &[
        (
            "title-rocket-56-units",
            format!("🚀{}", "W".repeat(54)),
            "🚀",
            "[\"go\"]",
        ),
        (
            "title-rocket-57-units",
            format!("🚀{}", "W".repeat(55)),
            "🚀",
            "[\"go\"]",
        ),
        (
            "title-japanese-56",
            format!("Neco{}", "週".repeat(52)),
            "🐈",
            "[\"go\"]",
        ),
        (
            "title-japanese-57",
            format!("Neco{}", "週".repeat(53)),
            "🐈",
            "[\"go\"]",
        ),
        ("emoji-two-rockets", "Weekly".into(), "🚀🚀", "[\"go\"]"),
        ("emoji-keycap", "Weekly".into(), "1️⃣", "[\"go\"]"),
        ("emoji-flag", "Weekly".into(), "🇯🇵", "[\"go\"]"),
        ("emoji-zwj-sequence", "Weekly".into(), "👩‍💻", "[\"go\"]"),
        ("emoji-letter", "Weekly".into(), "a", "[\"go\"]"),
        ("topics-empty", "Weekly".into(), "📰", "[]"),
    ];
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(repo.path().join("articles")).unwrap();
    let mut verdicts = Vec::new();
    for (case, title, emoji, topics) in cases {
        let case_config = config.replacen(
            "title = \"Test Weekly\"\n",
            &format!("title = \"{title}\"\nslug_prefix = \"test-weekly\"\nemoji = \"{emoji}\"\ntopics = {topics}\n"),
            1,
        );
        let case_config = case_config.replacen("topics = [\"kubernetes\"]\n", "", 1);
        std::fs::write(desk.config(), &case_config).unwrap();
        let check = desk.cmd().arg("check").output().unwrap();
        let warned = String::from_utf8_lossy(&check.stderr).contains("warning: `topics`");
        // What the draft would be: newsdesk's own when it accepts the
        // configuration, else the same front matter written as it would.
        let article = if check.status.success() {
            desk.ok(&["draft", "--date", DATE, "--dry-run"])
        } else {
            base.replacen("title: \"Test Weekly (", &format!("title: \"{title} ("), 1)
                .replacen("emoji: \"📰\"", &format!("emoji: \"{emoji}\""), 1)
                .replacen("topics: [\"kubernetes\"]", &format!("topics: {topics}"), 1)
        };
        let slug = format!("zenn-rule-{case}");
        std::fs::write(repo.path().join(format!("articles/{slug}.md")), article).unwrap();
        verdicts.push((slug, check.status.success(), warned));
    }
    std::fs::write(desk.config(), &config).unwrap();
    let Some(checked) = zenn_check(repo.path()) else {
        return;
    };
    for (slug, check_accepts, check_warns) in verdicts {
        let errors = error_types(article(&checked, &slug));
        let zenn_accepts = errors.iter().all(|(_, critical)| !critical);
        let zenn_warns = errors.iter().any(|(_, critical)| !critical);
        assert_eq!(
            (check_accepts, check_warns),
            (zenn_accepts, zenn_warns),
            "{slug}: check accepts/warns {check_accepts}/{check_warns}, Zenn says {errors:?}"
        );
    }

    // A Japanese title: check wants a slug_prefix, and with one Zenn
    // accepts the slug.
    std::fs::write(
        desk.config(),
        config.replacen("title = \"Test Weekly\"", "title = \"週刊ネコ\"", 1),
    )
    .unwrap();
    let check = desk.cmd().arg("check").output().unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stderr).contains("slug_prefix"));
    std::fs::write(
        desk.config(),
        config.replacen(
            "title = \"Test Weekly\"",
            "title = \"週刊ネコ\"\nslug_prefix = \"neco-weekly\"",
            1,
        ),
    )
    .unwrap();
    desk.ok(&["draft", "--date", DATE]);
    let Some(checked) = zenn_check(desk.dir.path()) else {
        return;
    };
    assert_eq!(error_types(article(&checked, "neco-weekly-2026-12-02")), []);
}
