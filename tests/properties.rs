//! Property tests for the code that meets bad input first (issue 8): URL
//! canonicalisation, Markdown escaping of feed text, configuration parsing
//! and the GitHub version filter. Each property runs proptest's default
//! 256 cases; a failure prints the shrunk input, which belongs in a
//! regression test named after the bug.

#[path = "oracle/markdown.rs"]
mod markdown_oracle;

use std::path::Path;

use markdown_oracle as md;
use newsdesk::config::{Config, ConfigError};
use newsdesk::dedup::url_key;
use newsdesk::draft::escape::{link_url, markdown_text, truncate_escaped};
use newsdesk::normalize::canonical_url;
use newsdesk::source::github::{self, ReleaseLevel, ReleaseOptions, parse_tag};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use url::Url;

// ---------------------------------------------------------------- URLs

/// Names `normalize` treats as tracking parameters (a sample of its list;
/// every `utm_*` counts).
fn is_tracking(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("utm_")
        || ["fbclid", "gclid", "msclkid", "mc_cid", "_hsenc", "igshid"].contains(&lower.as_str())
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9-]{1,12}(\\.[a-zA-Z0-9-]{1,12}){0,3}\\.[a-zA-Z]{2,6}",
        Just("WWW.Example.ORG".to_owned()),
        Just("amp.example.com".to_owned()),
        Just("m.example.co.jp".to_owned()),
        Just("bücher.example".to_owned()),
        Just("日本語.jp".to_owned()),
        Just("xn--r8jz45g.jp".to_owned()),
        Just("ΕΛΛΗΝΙΚΆ.example".to_owned()),
        Just("127.0.0.1".to_owned()),
        Just("0x7f.1".to_owned()),
        Just("[::1]".to_owned()),
        Just("[2001:DB8::1]".to_owned()),
        Just("api.github.com".to_owned()),
        Just("a_b.example".to_owned()),
        Just("%65xample.com".to_owned()),
    ]
}

fn path_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9._~-]{0,10}",
        Just("index.html".to_owned()),
        Just("amp".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("%7Euser".to_owned()),
        Just("%2F".to_owned()),
        Just("%zz".to_owned()),
        Just("%".to_owned()),
        Just("a b".to_owned()),
        Just("記事".to_owned()),
        Just("%E8%A8%98".to_owned()),
        Just("(x)".to_owned()),
        Just("releases".to_owned()),
        Just("tags".to_owned()),
        Just("@x;y=z".to_owned()),
        Just("\\".to_owned()),
    ]
}

fn query_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("utm_source".to_owned()),
        Just("UTM_Medium".to_owned()),
        Just("utm_".to_owned()),
        Just("utm%5Fcampaign".to_owned()),
        Just("fbclid".to_owned()),
        Just("GCLID".to_owned()),
        Just("ref".to_owned()),
        Just("id".to_owned()),
        Just("page".to_owned()),
        Just("".to_owned()),
        Just("a+b".to_owned()),
        Just("q%20x".to_owned()),
        "[a-z_]{1,8}",
    ]
}

fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9]{0,6}",
        Just("%20".to_owned()),
        Just("+".to_owned()),
        Just("a=b".to_owned()),
        Just("%26".to_owned()),
        Just("日本".to_owned()),
        Just("%".to_owned()),
        Just("%E3%81%82".to_owned()),
        Just("x#y".to_owned()),
    ]
}

/// URL-shaped strings: scheme, host, port, path, query with tracking
/// parameters, fragment; valid and not quite.
fn url_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just("http"),
            Just("https"),
            Just("HTTPS"),
            Just("hTTp"),
            Just("ftp"),
            Just("javascript")
        ],
        host(),
        prop::option::of(prop_oneof![
            Just(80u32),
            Just(443),
            Just(8080),
            Just(0),
            Just(65535),
            Just(65536),
            0u32..70000
        ]),
        prop::collection::vec(path_segment(), 0..5),
        prop::option::of(prop::collection::vec((query_name(), query_value()), 0..5)),
        prop::option::of("[a-zA-Z0-9 #?/%]{0,8}"),
    )
        .prop_map(|(scheme, host, port, path, query, fragment)| {
            let mut url = format!("{scheme}://{host}");
            if let Some(port) = port {
                url.push_str(&format!(":{port}"));
            }
            for segment in path {
                url.push('/');
                url.push_str(&segment);
            }
            if let Some(pairs) = query {
                url.push('?');
                let pairs: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
                url.push_str(&pairs.join("&"));
            }
            if let Some(fragment) = fragment {
                url.push('#');
                url.push_str(&fragment);
            }
            url
        })
}

/// The canonical-URL invariants for one input, with and without a base.
fn check_canonical(link: &str) -> Result<(), TestCaseError> {
    let base = Url::parse("https://blog.example.org/feed/index.xml?utm_source=x").unwrap();
    for base in [None, Some(&base)] {
        let Some(canonical) = canonical_url(link, base) else {
            continue;
        };
        prop_assert!(
            matches!(canonical.scheme(), "http" | "https"),
            "{canonical}"
        );
        prop_assert!(canonical.fragment().is_none(), "{canonical}");
        prop_assert!(
            canonical.query_pairs().all(|(name, _)| !is_tracking(&name)),
            "{link:?} → {canonical}"
        );
        let again = canonical_url(canonical.as_str(), None);
        prop_assert_eq!(
            again.as_ref().map(Url::as_str),
            Some(canonical.as_str()),
            "not idempotent for {:?}",
            link
        );
        prop_assert_eq!(url_key(again.as_ref().unwrap()), url_key(&canonical));
    }
    Ok(())
}

proptest! {
    #[test]
    fn canonical_url_of_any_string_is_idempotent(link in any::<String>()) {
        check_canonical(&link)?;
    }

    #[test]
    fn canonical_url_of_url_shaped_strings_is_idempotent(link in url_like()) {
        check_canonical(&link)?;
    }

    /// The same page shared with tracking parameters, a fragment, another
    /// case of scheme and host and an explicit default port has the same
    /// canonical URL, so the same url_key.
    #[test]
    fn tracking_decorations_do_not_change_url_key(
        link in url_like(),
        tracking in prop::collection::vec(
            (prop_oneof![Just("utm_source"), Just("utm_medium"), Just("fbclid"), Just("gclid")], "[a-z0-9]{0,5}"),
            1..3,
        ),
        fragment in "[a-z]{0,5}",
    ) {
        let Some(plain) = canonical_url(&link, None) else { return Ok(()) };
        let mut shared = plain.clone();
        if shared.port().is_none() {
            let default = if shared.scheme() == "https" { 443 } else { 80 };
            shared.set_port(Some(default)).unwrap();
        }
        shared.query_pairs_mut().extend_pairs(tracking);
        shared.set_fragment(Some(&fragment));
        let shared = shared.as_str().replacen(plain.scheme(), &plain.scheme().to_uppercase(), 1);
        let decorated = canonical_url(&shared, None);
        prop_assert_eq!(decorated.as_ref(), Some(&plain), "{}", shared);
        prop_assert_eq!(url_key(decorated.as_ref().unwrap()), url_key(&plain));
    }
}

// ------------------------------------------------------------ Markdown

/// Titles from the characters Markdown, HTML and Zenn give meaning to,
/// in runs that open structure.
fn nasty_title() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[\\[\\]()<>#*_`\\\\~|!=+:$&;. -]{1,4}",
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\t".to_owned()),
        Just("---".to_owned()),
        Just("===".to_owned()),
        Just(":::".to_owned()),
        Just("```".to_owned()),
        Just("<script>".to_owned()),
        Just("</script>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("](javascript:alert(1))".to_owned()),
        Just("](https://evil.example/)".to_owned()),
        Just("![x](y)".to_owned()),
        Just("[^1]".to_owned()),
        Just("[[wiki]]".to_owned()),
        Just("&amp;".to_owned()),
        Just("&lt;b&gt;".to_owned()),
        Just("&#60;".to_owned()),
        Just("&#x3C;".to_owned()),
        Just("&copy".to_owned()),
        Just("1.".to_owned()),
        Just("2022)".to_owned()),
        Just("- [ ]".to_owned()),
        Just("> ".to_owned()),
        Just("    code".to_owned()),
        Just("https://example.com/".to_owned()),
        Just("www.example.com".to_owned()),
        Just("a@b.example".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\u{A0}".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("\u{FEFF}".to_owned()),
        Just("記事【速報】".to_owned()),
        Just("🚀".to_owned()),
        "[a-zA-Z0-9]{1,6}",
        " {1,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn title() -> impl Strategy<Value = String> {
    prop_oneof![3 => nasty_title(), 1 => any::<String>()]
}

proptest! {
    #[test]
    fn escaped_title_is_one_link_in_one_heading(title in title()) {
        let escaped = markdown_text(&title);
        md::check_linked_heading(&escaped, &title).map_err(TestCaseError::fail)?;
        md::check_plain_heading(&escaped, &title).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn escaped_summary_is_text_in_its_line_whole_or_cut(summary in title(), max in 1usize..80) {
        let escaped = markdown_text(&summary);
        prop_assume!(!escaped.is_empty());
        md::check_summary_line(&escaped, &summary).map_err(TestCaseError::fail)?;
        let cut = truncate_escaped(&escaped, max);
        md::check_summary_line(&cut, &summary).map_err(TestCaseError::fail)?;
    }

    /// Whatever the URL, a link made of it is one link and nothing more.
    #[test]
    fn link_urls_cannot_break_out_of_the_link(url in prop_oneof![url_like(), any::<String>()]) {
        let Some(link) = link_url(&url) else { return Ok(()) };
        prop_assert!(link.starts_with("http://") || link.starts_with("https://"), "{}", link);
        let markdown = format!("### [title]({link})\n");
        let events: Vec<_> = pulldown_cmark::Parser::new(&markdown).collect();
        prop_assert_eq!(events.len(), 5, "{:?} → {:?}", markdown, events);
        prop_assert!(
            matches!(&events[1], pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link { .. })),
            "{:?} → {:?}", markdown, events
        );
    }
}

// ------------------------------------------------------ Configuration

const CONFIG_PATH: &str = "/nonexistent/newsdesk/feeds.toml";

/// Problems must point into the file: line and column from 1, the line
/// within the text (one past the end for "missing" problems).
fn check_config(text: &str) -> Result<(), TestCaseError> {
    match Config::parse(Path::new(CONFIG_PATH), text) {
        Ok(_) => {}
        Err(ConfigError::Invalid { problems, .. }) => {
            prop_assert!(!problems.is_empty());
            let lines = text.split('\n').count();
            for problem in problems {
                prop_assert!(problem.line >= 1 && problem.column >= 1, "{problem}");
                prop_assert!(problem.line <= lines, "{problem} (of {lines} lines)");
            }
        }
        Err(other) => prop_assert!(false, "parse touched the filesystem: {other}"),
    }
    Ok(())
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"\"".to_owned()),
        Just("\"30m\"".to_owned()),
        Just("\"0s\"".to_owned()),
        Just("\"1 GiB\"".to_owned()),
        Just("\"18446744073709551616 s\"".to_owned()),
        Just("\"5/1s\"".to_owned()),
        Just("\"0/0s\"".to_owned()),
        Just("\"feed\"".to_owned()),
        Just("\"github-releases\"".to_owned()),
        Just("\"ical\"".to_owned()),
        Just("\"html\"".to_owned()),
        Just("\"minor\"".to_owned()),
        Just("\"https://example.org/feed.xml\"".to_owned()),
        Just("\"http://[::1]:0/\"".to_owned()),
        Just("\"owner/name\"".to_owned()),
        Just("\"[[\"".to_owned()),
        Just("\"(?P<\"".to_owned()),
        Just("\"a@href\"".to_owned()),
        Just("\"@\"".to_owned()),
        Just("\"%Y-%m-%d\"".to_owned()),
        Just("\"%\"".to_owned()),
        Just("\"日本語\"".to_owned()),
        Just("\"👀👀\"".to_owned()),
        Just("\"127.0.0.1:99999\"".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        Just("-0.0".to_owned()),
        Just("1e308".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("[\"a\", \"\"]".to_owned()),
        Just("{ item = \"article\", title = \"h2\", link = \"a@href\" }".to_owned()),
        Just("{ item = \"\", title = \"::\", link = \"@\", date = \"time@\" }".to_owned()),
        Just("{}".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
        "\"[ -~]{0,12}\"",
    ]
}

fn toml_key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "title",
        "database",
        "drafts_dir",
        "template",
        "templates_dir",
        "format",
        "emoji",
        "topics",
        "issue_day",
        "first_issue",
        "slug_prefix",
        "interval",
        "timeout",
        "max_body_size",
        "user_agent",
        "max_redirects",
        "concurrency",
        "per_host",
        "min_interval",
        "max_interval",
        "backoff_start",
        "backoff_max",
        "enrich",
        "max_entries",
        "allow_private_redirects",
        "listen",
        "grace_period",
        "keywords",
        "title_similarity",
        "api_url",
        "transport",
        "rate",
        "id",
        "kind",
        "url",
        "section",
        "tags",
        "enabled",
        "priority",
        "weight",
        "repo",
        "display_name",
        "min_level",
        "prereleases",
        "tag_pattern",
        "tracks",
        "selectors",
        "include",
        "exclude",
        "include_regex",
        "exclude_regex",
        "bogus",
    ])
}

fn toml_header() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "[newsletter]",
        "[defaults]",
        "[daemon]",
        "[filters]",
        "[github]",
        "[dedup]",
        "[ranking]",
        "[ranking.keywords]",
        "[hosts.\"example.org\"]",
        "[[sections]]",
        "[[source]]",
        "[[source]]",
        "[bogus]",
    ])
}

/// Configurations from the real vocabulary: a `[newsletter]` most of the
/// time, then random tables of random known keys with random values.
fn config_text() -> impl Strategy<Value = String> {
    let table = (
        toml_header(),
        prop::collection::vec((toml_key(), toml_value()), 0..8),
    );
    (
        any::<bool>(),
        prop::collection::vec(table, 0..6),
        prop::option::of("[ -~\n]{0,10}"),
    )
        .prop_map(|(newsletter, tables, junk)| {
            let mut text = String::new();
            if newsletter {
                text.push_str("[newsletter]\ntitle = \"Weekly\"\n");
            }
            for (header, pairs) in tables {
                text.push_str(header);
                text.push('\n');
                for (key, value) in pairs {
                    text.push_str(&format!("{key} = {value}\n"));
                }
            }
            if let Some(junk) = junk {
                text.push_str(&junk);
            }
            text
        })
}

proptest! {
    #[test]
    fn config_parse_of_any_text_reports_positions(text in any::<String>()) {
        check_config(&text)?;
    }

    #[test]
    fn config_parse_of_generated_tables_reports_positions(text in config_text()) {
        check_config(&text)?;
    }
}

#[test]
fn the_shipped_feeds_toml_still_parses() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/feeds.toml")).unwrap();
    Config::parse(Path::new(CONFIG_PATH), &text).unwrap();
}

// ------------------------------------------------------ Version filter

/// Semver-ish tags as repositories write them: `v1.2.3`, `1.2`,
/// `release-1.2.0`, `app/v1.2.3-rc.1`…
#[derive(Debug, Clone)]
struct GeneratedTag {
    tag: String,
    major: u64,
    minor: u64,
    patch: Option<u64>,
    prerelease: bool,
}

fn generated_tag() -> impl Strategy<Value = GeneratedTag> {
    (
        prop::sample::select(vec!["", "release-", "app/", "helm-chart-", "cilium/"]),
        prop::sample::select(vec!["", "v", "V"]),
        0u64..30,
        prop_oneof![Just(0u64), 0u64..30],
        prop::option::of(prop_oneof![Just(0u64), 0u64..30]),
        prop::option::of(prop::sample::select(vec![
            "-rc.1",
            "-rc1",
            "rc2",
            "-beta",
            "-beta.2",
            "-alpha",
            "alpha1",
            "-pre",
            "-pre.3",
            "-preview.1",
            "-dev",
            "-snapshot",
            "-nightly.20260101",
            "-m1",
            ".rc1",
            "-RC1",
        ])),
    )
        .prop_map(|(prefix, v, major, minor, patch, pre)| {
            let mut tag = format!("{prefix}{v}{major}.{minor}");
            if let Some(patch) = patch {
                tag.push_str(&format!(".{patch}"));
            }
            if let Some(pre) = pre {
                tag.push_str(pre);
            }
            GeneratedTag {
                tag,
                major,
                minor,
                patch,
                prerelease: pre.is_some(),
            }
        })
}

fn options(min_level: ReleaseLevel, prereleases: bool) -> ReleaseOptions {
    ReleaseOptions {
        repo: "owner/name".into(),
        display_name: "Project".into(),
        min_level,
        prereleases,
        tag_pattern: None,
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A `releases.atom` of these tags, as GitHub writes it (the tag in the
/// link percent-encoded).
/// What a URL path segment leaves unescaped (RFC 3986 unreserved): GitHub
/// writes a tag in its release link this way.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn releases_atom(tags: &[String]) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<id>tag:github.com,2008:https://github.com/owner/name/releases</id>\n<title>Release notes from name</title>\n<updated>2026-11-01T00:00:00Z</updated>\n",
    );
    for (i, tag) in tags.iter().enumerate() {
        let encoded = utf8_percent_encode(tag, PATH_SEGMENT).to_string();
        xml.push_str(&format!(
            "<entry><id>tag:github.com,2008:Repository/1/{i}</id><updated>2026-11-01T00:00:00Z</updated><link rel=\"alternate\" type=\"text/html\" href=\"https://github.com/owner/name/releases/tag/{}\"/><title>{}</title><content type=\"html\">&lt;p&gt;notes&lt;/p&gt;</content></entry>\n",
            xml_escape(&encoded),
            xml_escape(tag)
        ));
    }
    xml.push_str("</feed>\n");
    xml.into_bytes()
}

fn filter(tags: &[String], min_level: ReleaseLevel) -> Vec<Option<String>> {
    let feed_url = Url::parse("https://github.com/owner/name/releases.atom").unwrap();
    github::from_atom(
        &releases_atom(tags),
        Some("application/atom+xml"),
        &feed_url,
        &options(min_level, false),
    )
    .unwrap()
    .entries
    .into_iter()
    .map(|e| e.filtered)
    .collect()
}

proptest! {
    #[test]
    fn parse_tag_of_any_string_is_consistent(tag in any::<String>()) {
        if let Some(version) = parse_tag(&tag) {
            prop_assert!(tag.ends_with(&version.text), "{tag:?} → {version:?}");
            let expected = match (version.minor, version.patch.unwrap_or(0)) {
                (_, p) if p != 0 => ReleaseLevel::Patch,
                (m, _) if m != 0 => ReleaseLevel::Minor,
                _ => ReleaseLevel::Major,
            };
            prop_assert_eq!(version.level(), expected);
        }
    }

    #[test]
    fn generated_tags_are_read_with_their_level_and_prerelease(generated in generated_tag()) {
        let version = parse_tag(&generated.tag);
        prop_assert!(version.is_some(), "{:?} not read", generated.tag);
        let version = version.unwrap();
        prop_assert_eq!(
            (version.major, version.minor, version.patch, version.prerelease),
            (generated.major, generated.minor, generated.patch, generated.prerelease),
            "{:?}", generated.tag
        );
        let patch = generated.patch.unwrap_or(0);
        let level = version.level();
        prop_assert_eq!(level == ReleaseLevel::Major, generated.minor == 0 && patch == 0);
        prop_assert_eq!(level >= ReleaseLevel::Minor, patch == 0);
    }

    /// minor keeps x.y.0, major keeps x.0.0, patch keeps every release;
    /// pre-releases are kept by none (prereleases = false).
    #[test]
    fn min_level_keeps_exactly_the_releases_it_names(
        generated in prop::collection::vec(generated_tag(), 1..8),
        min_level in prop::sample::select(vec![ReleaseLevel::Major, ReleaseLevel::Minor, ReleaseLevel::Patch]),
    ) {
        let tags: Vec<String> = generated.iter().map(|g| g.tag.clone()).collect();
        let filtered = filter(&tags, min_level);
        prop_assert_eq!(filtered.len(), generated.len());
        for (g, filtered) in generated.iter().zip(filtered) {
            let patch = g.patch.unwrap_or(0);
            let keep = !g.prerelease
                && match min_level {
                    ReleaseLevel::Major => g.minor == 0 && patch == 0,
                    ReleaseLevel::Minor => patch == 0,
                    ReleaseLevel::Patch => true,
                };
            prop_assert_eq!(filtered.is_none(), keep, "{:?} at {:?}: {:?}", g.tag, min_level, filtered);
        }
    }

    /// Every release is read, keyed by its tag as written, whatever the
    /// tag holds, and titled on one line.
    #[test]
    fn releases_atom_with_any_tag_is_read(tags in prop::collection::vec("[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}]{1,20}", 1..4)) {
        // A link cannot name "." or "..": they are path steps (and git
        // refuses them as a tag).
        prop_assume!(tags.iter().all(|tag| tag != "." && tag != ".."));
        let feed_url = Url::parse("https://github.com/owner/name/releases.atom").unwrap();
        let parsed = github::from_atom(&releases_atom(&tags), None, &feed_url, &options(ReleaseLevel::Minor, false));
        let entries = match parsed {
            Ok(parsed) => parsed.entries,
            Err(err) => return Err(TestCaseError::fail(format!("{tags:?} not read: {err}"))),
        };
        let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
        let expected: Vec<String> = tags.iter().map(|tag| format!("release:{tag}")).collect();
        prop_assert_eq!(keys, expected);
        for entry in &entries {
            prop_assert!(entry.title.starts_with("Project") && !entry.title.contains(['\n', '\r']), "{:?}", entry.title);
        }
    }
}
