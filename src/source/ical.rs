//! iCalendar schedules (sched.com's `all.ics` for KubeCon), through the
//! icalendar crate: each VEVENT is an entry keyed by its UID, so a moved
//! session updates its entry instead of becoming a new one. The session's
//! facts (time, room, track, speakers) travel as a [`Session`] beside the
//! description, so no reader has to pick them out of text again.

use chrono::{DateTime, Utc};
use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime, EventLike};
use url::Url;

use super::{IncomingEntry, ParseError, ParsedSource, SUMMARY_CHARS, Session};
use crate::normalize::{canonical_url, digest_hex, html_to_text, plain_text, truncate_chars};

/// The tracks of a schedule to keep (`tracks = [...]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackFilter {
    /// Lower-cased; empty keeps every track.
    pub tracks: Vec<String>,
}

impl TrackFilter {
    fn keeps(&self, categories: &[String]) -> bool {
        self.tracks.is_empty()
            || categories
                .iter()
                .any(|c| self.tracks.contains(&c.trim().to_lowercase()))
    }
}

/// Parses a calendar document; sessions of tracks the filter does not
/// keep are kept as filtered entries.
pub fn parse(
    body: &[u8],
    calendar_url: &Url,
    filter: &TrackFilter,
) -> Result<ParsedSource, ParseError> {
    let text = String::from_utf8_lossy(body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body));
    if text.trim().is_empty() {
        return Err(ParseError::Empty);
    }
    if !text.trim_start().starts_with("BEGIN:") {
        return Err(ParseError::NotAFeed("no BEGIN:VCALENDAR".into()));
    }
    let calendar: icalendar::Calendar = text
        .parse()
        .map_err(|e: String| ParseError::Malformed(first_line(&e)))?;
    let is_sched = calendar
        .property_value("PRODID")
        .is_some_and(|p| p.contains("Sched.com"));
    let entries = calendar
        .components
        .iter()
        .filter_map(|component| match component {
            CalendarComponent::Event(event) => {
                let mut entry = event_entry(event, calendar_url, is_sched);
                if !filter.keeps(&entry.categories) {
                    entry.filtered = Some(match entry.categories.first() {
                        Some(track) => format!("track \"{track}\" is not in tracks"),
                        None => "no track, and tracks are set".to_owned(),
                    });
                }
                Some(entry)
            }
            _ => None,
        })
        .collect();
    Ok(ParsedSource {
        title: calendar.get_name().map(plain_text),
        ttl: None,
        warning: None,
        entries,
    })
}

fn first_line(error: &str) -> String {
    error
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(error)
        .trim()
        .to_owned()
}

/// sched.com writes `Title - Speaker, Company & Speaker, Company` in
/// SUMMARY; speakers appear nowhere else.
fn split_sched_summary(summary: &str) -> (&str, Option<&str>) {
    match summary.rsplit_once(" - ") {
        Some((title, speakers)) if !title.trim().is_empty() && !speakers.trim().is_empty() => {
            (title.trim(), Some(speakers.trim()))
        }
        _ => (summary.trim(), None),
    }
}

fn to_utc(value: DatePerhapsTime) -> Option<DateTime<Utc>> {
    match value {
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(utc)) => Some(utc),
        DatePerhapsTime::DateTime(other @ CalendarDateTime::WithTimezone { .. }) => {
            other.try_into_utc()
        }
        // No zone given: read as UTC, the zone sched.com exports in.
        DatePerhapsTime::DateTime(CalendarDateTime::Floating(naive)) => Some(naive.and_utc()),
        DatePerhapsTime::Date(date) => date.and_hms_opt(0, 0, 0).map(|d| d.and_utc()),
    }
}

fn event_entry(event: &icalendar::Event, calendar_url: &Url, is_sched: bool) -> IncomingEntry {
    let raw_summary = plain_text(event.get_summary().unwrap_or_default());
    let (title, speakers) = if is_sched {
        split_sched_summary(&raw_summary)
    } else {
        (raw_summary.as_str(), None)
    };
    let start = event.get_start().and_then(to_utc);
    let end = event.get_end().and_then(to_utc);
    let track = event
        .get_categories()
        .map(|c| c.join(", "))
        .filter(|c| !c.is_empty());
    let room = event
        .get_location()
        .map(plain_text)
        .filter(|r| !r.is_empty());
    let description = event
        .get_description()
        .map(html_to_text)
        .filter(|d| !d.is_empty());

    let session = Session {
        start,
        end,
        room,
        track,
        speakers: speakers.map(str::to_owned),
    };

    let url = event
        .get_url()
        .and_then(|u| calendar_url.join(u.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let canonical = url
        .as_ref()
        .and_then(|u| canonical_url(u.as_str(), None))
        .map(String::from);
    let title = if title.is_empty() {
        "(untitled session)"
    } else {
        title
    };
    let key = match (
        event.get_uid().map(str::trim).filter(|u| !u.is_empty()),
        &canonical,
    ) {
        (Some(uid), _) => format!("uid:{uid}"),
        (None, Some(url)) => format!("url:{url}"),
        (None, None) => format!(
            "sha:{}",
            digest_hex(&[title, &start.map(|s| s.to_rfc3339()).unwrap_or_default()])
        ),
    };
    IncomingEntry {
        key,
        url: url.map(String::from),
        canonical_url: canonical,
        title: title.to_owned(),
        summary: description.map(|d| truncate_chars(&d, SUMMARY_CHARS)),
        published: start,
        updated: event.get_last_modified().or_else(|| event.get_timestamp()),
        unread_date: None,
        categories: event.get_categories().unwrap_or_default(),
        filtered: None,
        session: Some(session).filter(|s| *s != Session::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sched_summaries_split_title_and_speakers() {
        assert_eq!(
            split_sched_summary("Scaling Argo CD - Ada Lovelace, Acme & Alan Turing, Bletchley"),
            (
                "Scaling Argo CD",
                Some("Ada Lovelace, Acme & Alan Turing, Bletchley")
            )
        );
        assert_eq!(
            split_sched_summary("Kubernetes - The Hard Way - Kelsey, Google"),
            ("Kubernetes - The Hard Way", Some("Kelsey, Google"))
        );
        assert_eq!(
            split_sched_summary("Badge Pick-Up"),
            ("Badge Pick-Up", None)
        );
    }
}
