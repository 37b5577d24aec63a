//! The GitHub version filter: any tag is read.

use newsdesk::source::github::{self, ReleaseLevel, ReleaseOptions, parse_tag};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use url::Url;

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
