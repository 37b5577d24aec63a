//! Bytes → feed parsing and normalisation (RSS, Atom, JSON Feed, through
//! encoding repair), and the GitHub `releases.atom` reader on the same
//! document.

#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use newsdesk::source::github::{ReleaseLevel, ReleaseOptions};
use newsdesk::source::{feed, github};
use url::Url;

static FEED_URL: LazyLock<Url> =
    LazyLock::new(|| Url::parse("https://blog.example.org/feed/index.xml").unwrap());
static RELEASES_URL: LazyLock<Url> =
    LazyLock::new(|| Url::parse("https://github.com/owner/name/releases.atom").unwrap());

/// What servers send: nothing, the right type, a charset that may be wrong.
const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/rss+xml; charset=utf-8"),
    Some("application/atom+xml"),
    Some("text/xml; charset=shift_jis"),
    Some("application/feed+json; charset=iso-8859-1"),
];

fuzz_target!(|data: &[u8]| {
    // The length picks the content type, so every seed keeps its bytes.
    let content_type = CONTENT_TYPES[data.len() % CONTENT_TYPES.len()];
    if let Ok(parsed) = feed::parse(data, content_type, &FEED_URL) {
        common::check_entries(&parsed, common::Expect { titled: true });
    }
    let options = ReleaseOptions {
        repo: "owner/name".into(),
        display_name: "Project".into(),
        min_level: ReleaseLevel::Minor,
        prereleases: false,
        tag_pattern: None,
    };
    if let Ok(parsed) = github::from_atom(data, content_type, &RELEASES_URL, &options) {
        common::check_entries(&parsed, common::Expect { titled: true });
    }
});
