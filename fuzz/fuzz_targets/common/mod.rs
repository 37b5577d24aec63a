//! What every adapter promises about the entries it returns, whatever the
//! bytes: checked after each successful parse, so a fuzz target finds
//! wrong entries as well as panics.

use newsdesk::normalize::{canonical_url, fold_whitespace};
use newsdesk::source::{ParsedSource, SUMMARY_CHARS};

pub struct Expect {
    /// The adapter falls back to something ("(untitled)", the URL) rather
    /// than an empty title.
    pub titled: bool,
}

pub fn check_entries(parsed: &ParsedSource, expect: Expect) {
    for entry in &parsed.entries {
        assert!(!entry.key.is_empty(), "empty key: {entry:?}");
        if expect.titled {
            assert!(!entry.title.is_empty(), "empty title: {entry:?}");
        }
        // One line of plain text: the draft escaper relies on nothing, but
        // the queue and `review list` show titles as they are.
        assert_eq!(fold_whitespace(&entry.title), entry.title, "{entry:?}");
        if let Some(summary) = &entry.summary {
            assert!(
                summary.chars().count() <= SUMMARY_CHARS + 1,
                "summary of {} characters",
                summary.chars().count()
            );
        }
        if let Some(canonical) = &entry.canonical_url {
            let again = canonical_url(canonical, None);
            assert_eq!(
                again.as_ref().map(url::Url::as_str),
                Some(canonical.as_str()),
                "canonical URL not canonical: {entry:?}"
            );
            assert!(
                canonical.starts_with("http://") || canonical.starts_with("https://"),
                "{entry:?}"
            );
        }
    }
}
