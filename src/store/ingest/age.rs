//! When an entry counts as published, and whether it is too old to queue:
//! a first poll brings a feed's whole back catalogue, and some feeds date
//! entries in the future. Judged against the moment the entry was first
//! seen, so that an entry queued once is never aged out later.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::source::IncomingEntry;
use crate::store::timestamp;

/// A feed entry dated more than this after its fetch is dated at the fetch.
const AHEAD_TOLERANCE: chrono::Duration = chrono::Duration::days(1);

/// What the dates of one entry say.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Dating {
    /// When the candidate counts as published (RFC 3339).
    pub(super) published: Option<String>,
    /// The feed's own date, when it lay more than a day after the fetch.
    pub(super) dated_ahead: Option<String>,
    /// Why it is kept out: older than the source's `max_age` when first seen.
    pub(super) too_old: Option<String>,
}

/// The dating of `entry`, first seen at `first_seen`, for a source that
/// keeps out entries older than `max_age`. A conference session's date is
/// its start: sessions in the future are what a schedule is for.
pub(super) fn date_entry(
    entry: &IncomingEntry,
    first_seen: DateTime<Utc>,
    max_age: Option<Duration>,
) -> Dating {
    let Some(mut published) = entry.published else {
        return Dating::default();
    };
    let mut dated_ahead = None;
    if entry.session.is_none() && published > first_seen + AHEAD_TOLERANCE {
        dated_ahead = Some(timestamp(published));
        published = first_seen;
    }
    let too_old = max_age
        .and_then(|max| chrono::Duration::from_std(max).ok())
        .filter(|max| published < first_seen - *max)
        .map(|_| {
            format!(
                "older than {} when first seen (published {})",
                human_duration(max_age.expect("filtered on it")),
                published.format("%Y-%m-%d")
            )
        });
    Dating {
        published: Some(timestamp(published)),
        dated_ahead,
        too_old,
    }
}

/// "30d", "12h", "90m", as feeds.toml spells durations.
fn human_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(published: &str) -> IncomingEntry {
        IncomingEntry {
            key: "k".into(),
            url: None,
            canonical_url: None,
            title: "t".into(),
            summary: None,
            published: Some(published.parse().unwrap()),
            updated: None,
            categories: Vec::new(),
            filtered: None,
            session: None,
            unread_date: None,
        }
    }

    const DAYS_30: Option<Duration> = Some(Duration::from_secs(30 * 86_400));

    #[test]
    fn old_entries_are_kept_out_with_their_date() {
        let seen: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let old = date_entry(&entry("2019-08-01T10:00:00Z"), seen, DAYS_30);
        assert_eq!(
            old.too_old.as_deref(),
            Some("older than 30d when first seen (published 2019-08-01)")
        );
        let recent = date_entry(&entry("2026-11-02T12:00:00Z"), seen, DAYS_30);
        assert_eq!(recent.too_old, None);
        assert_eq!(
            date_entry(&entry("2019-08-01T10:00:00Z"), seen, None).too_old,
            None
        );
    }

    #[test]
    fn an_entry_dated_ahead_is_published_at_the_fetch_unless_a_session() {
        let seen: DateTime<Utc> = "2026-12-01T12:00:00Z".parse().unwrap();
        let ahead = date_entry(&entry("2027-03-01T00:00:00Z"), seen, DAYS_30);
        assert_eq!(ahead.published.as_deref(), Some("2026-12-01T12:00:00Z"));
        assert_eq!(ahead.dated_ahead.as_deref(), Some("2027-03-01T00:00:00Z"));
        let hours = date_entry(&entry("2026-12-02T06:00:00Z"), seen, DAYS_30);
        assert_eq!(hours.dated_ahead, None, "within a day: time zones, clocks");
        let mut session = entry("2027-03-23T09:00:00Z");
        session.session = Some(crate::source::Session::default());
        let session = date_entry(&session, seen, DAYS_30);
        assert_eq!(session.published.as_deref(), Some("2027-03-23T09:00:00Z"));
        assert_eq!(session.dated_ahead, None);
    }
}
