//! JSON Feed as its publishers write it: feed-rs wants `version` to start
//! with `https://jsonfeed.org/version/1` and a `title`; real feeds say
//! `http://jsonfeed.org/version/1`, a bare `1.1`, or have no title. When
//! feed-rs refuses such a document, it is given the version and an empty
//! title and read again.

const VERSION: &str = "https://jsonfeed.org/version/1.1";

/// Whether the document is JSON rather than XML, by its first byte.
pub(super) fn is_json(document: &[u8]) -> bool {
    document.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// The document with a version and title feed-rs accepts; `None` when it
/// is not a JSON object, already has both, or names another version.
pub(super) fn lenient_version(document: &[u8]) -> Option<Vec<u8>> {
    let Ok(serde_json::Value::Object(mut feed)) = serde_json::from_slice(document) else {
        return None;
    };
    let version_ok = feed
        .get("version")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|v| v.starts_with("https://jsonfeed.org/version/1"));
    let titled = feed.get("title").is_some_and(serde_json::Value::is_string);
    if version_ok && titled {
        return None;
    }
    let version = feed.get("version").and_then(serde_json::Value::as_str);
    if version.is_some_and(|v| !is_version_1(v)) {
        // Another version altogether: feed-rs says so.
        return None;
    }
    feed.insert("version".into(), VERSION.into());
    if !titled {
        feed.insert("title".into(), "".into());
    }
    serde_json::to_vec(&feed).ok()
}

/// `http(s)://jsonfeed.org/version/1[.1]` or a bare `1` / `1.1`.
fn is_version_1(version: &str) -> bool {
    let number = version
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    matches!(number, "1" | "1.0" | "1.1")
        && (version.contains("jsonfeed.org/version/") || !version.contains('/'))
}

#[cfg(test)]
mod tests {
    #[test]
    fn loose_versions_and_missing_titles_are_accepted() {
        let url = url::Url::parse("https://example.org/feed.json").unwrap();
        for version in [
            "\"http://jsonfeed.org/version/1\"",
            "\"1.1\"",
            "\"https://jsonfeed.org/version/1\"",
        ] {
            let feed = format!(
                r#"{{"version": {version}, "items": [{{"id": "1", "url": "https://example.org/1", "title": "One"}}]}}"#
            );
            let parsed = super::super::feed::parse(feed.as_bytes(), None, &url).unwrap();
            assert_eq!(parsed.entries[0].title, "One", "{version}");
        }
        let other = br#"{"version": "https://jsonfeed.org/version/2", "title": "t", "items": []}"#;
        assert!(super::super::feed::parse(other, None, &url).is_err());
    }
}
