//! Include/exclude rules on an entry's title, summary (with a session's
//! facts) and URL, per source
//! and global. An entry a rule turns away is still stored (with the
//! reason), so a later change of rules can bring it back.

use regex::Regex;

use crate::source::IncomingEntry;

/// Keywords match case-insensitively as substrings; regular expressions
/// as written (add `(?i)` for case-insensitive ones).
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub include_regex: Vec<Regex>,
    pub exclude_regex: Vec<Regex>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty()
            && self.exclude.is_empty()
            && self.include_regex.is_empty()
            && self.exclude_regex.is_empty()
    }

    /// Why `entry` is turned away, or `None` when it passes.
    pub fn rejects(&self, entry: &IncomingEntry) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        // A session's facts count as its summary's first sentence, so
        // rules can name a track, a room or a speaker.
        let session = entry.session.as_ref().map(ToString::to_string);
        let summary: Vec<&str> = [session.as_deref(), entry.summary.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let text = format!(
            "{}\n{}\n{}",
            entry.title,
            summary.join(". "),
            entry.url.as_deref().unwrap_or("")
        );
        let lower = text.to_lowercase();
        if let Some(word) = self.exclude.iter().find(|w| lower.contains(w.as_str())) {
            return Some(format!("excluded by keyword \"{word}\""));
        }
        if let Some(re) = self.exclude_regex.iter().find(|re| re.is_match(&text)) {
            return Some(format!("excluded by regex /{re}/"));
        }
        let has_includes = !self.include.is_empty() || !self.include_regex.is_empty();
        let included = self.include.iter().any(|w| lower.contains(w.as_str()))
            || self.include_regex.iter().any(|re| re.is_match(&text));
        if has_includes && !included {
            return Some("matches no include rule".to_owned());
        }
        None
    }

    /// A stable text of the rules, so a change of rules can be noticed.
    pub fn fingerprint(&self) -> String {
        let patterns = |list: &[Regex]| {
            list.iter()
                .map(|r| r.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        format!(
            "{:?}{:?}{:?}{:?}",
            self.include,
            self.exclude,
            patterns(&self.include_regex),
            patterns(&self.exclude_regex)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(title: &str) -> IncomingEntry {
        IncomingEntry {
            key: "k".into(),
            url: Some("https://example.org/a".into()),
            canonical_url: None,
            title: title.into(),
            summary: Some("About Kubernetes networking".into()),
            published: None,
            updated: None,
            unread_date: None,
            categories: Vec::new(),
            filtered: None,
            session: None,
        }
    }

    #[test]
    fn excludes_win_and_includes_narrow() {
        let filters = Filters {
            include: vec!["kubernetes".into()],
            exclude: vec!["sponsored".into()],
            include_regex: Vec::new(),
            exclude_regex: vec![Regex::new("(?i)webinar").unwrap()],
        };
        assert_eq!(
            filters.rejects(&entry("Cilium 1.17")),
            None,
            "include matches the summary"
        );
        assert_eq!(
            filters.rejects(&entry("SPONSORED: buy")).unwrap(),
            "excluded by keyword \"sponsored\""
        );
        assert!(
            filters
                .rejects(&entry("Join our Webinar"))
                .unwrap()
                .starts_with("excluded by regex")
        );
        let mut other = entry("Rust news");
        other.summary = None;
        assert_eq!(filters.rejects(&other).unwrap(), "matches no include rule");
        assert_eq!(Filters::default().rejects(&other), None);
    }

    #[test]
    fn rules_see_the_facts_of_a_session() {
        let filters = Filters {
            exclude: vec!["registration".into()],
            include_regex: vec![Regex::new("Speakers: .*Lovelace").unwrap()],
            ..Filters::default()
        };
        let mut session = entry("Scaling GitOps");
        session.session = Some(crate::source::Session {
            track: Some("Platform Engineering".into()),
            speakers: Some("Ada Lovelace, Acme".into()),
            ..Default::default()
        });
        assert_eq!(filters.rejects(&session), None);
        session.session.as_mut().unwrap().track = Some("REGISTRATION".into());
        assert_eq!(
            filters.rejects(&session).unwrap(),
            "excluded by keyword \"registration\""
        );
    }
}
