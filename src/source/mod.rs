//! Source adapters: bytes fetched from a source in, entries out.
//!
//! Each kind of source has its own adapter, which owns the options it is
//! read with ([`SourceOptions`]); all of them produce [`IncomingEntry`]
//! values that the store deduplicates into candidates. [`parse`] is the one
//! place that picks the adapter for a document, so the poller and the tests
//! read documents the same way. Data flows one way: the configuration
//! builds these options; nothing here knows about `feeds.toml`.

pub mod dates;
pub mod feed;
mod fields;
pub mod github;
pub mod html;
pub mod ical;
mod json_feed;
mod lenient;
mod repair;
mod scan;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// Summaries are kept short: the queue shows them, the editor writes the
/// comment.
pub const SUMMARY_CHARS: usize = 600;

/// Titles are a line: longer ones (a feed that puts the article in its
/// title) are cut here, the cut marked with "…".
pub const TITLE_CHARS: usize = 300;

/// Summaries shorter than this are "one line": a feed's fuller content is
/// preferred to them, and enrichment fetches the article page for them.
pub const THIN_SUMMARY_CHARS: usize = 80;

/// What a `[[source]]` is, as written in its `kind` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// RSS 0.9x / 1.0 / 2.0, Atom or JSON Feed.
    Feed,
    /// A GitHub repository's releases (API or `releases.atom`).
    GithubReleases,
    /// An iCalendar schedule such as sched.com's `all.ics`.
    Ical,
    /// A page without a feed, read with CSS selectors.
    Html,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::GithubReleases => "github-releases",
            SourceKind::Ical => "ical",
            SourceKind::Html => "html",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a source's adapter needs beyond its URL.
#[derive(Debug, Clone)]
pub enum SourceOptions {
    Feed,
    GithubReleases(github::ReleaseOptions),
    Ical(ical::TrackFilter),
    Html(Box<html::Selectors>),
}

/// One fetched document, as the adapters read it.
#[derive(Debug, Clone, Copy)]
pub struct Document<'a> {
    pub body: &'a [u8],
    /// The `Content-Type` header, which may name the charset.
    pub content_type: Option<&'a str>,
    /// Where the document was found (after redirects): relative links are
    /// resolved against it.
    pub url: &'a Url,
    /// Whether it is the GitHub REST API's JSON rather than the source's
    /// own document (`releases.atom`).
    pub from_github_api: bool,
}

/// Reads `document` with the adapter of `options`.
pub fn parse(options: &SourceOptions, document: &Document) -> Result<ParsedSource, ParseError> {
    let Document {
        body,
        content_type,
        url,
        from_github_api,
    } = *document;
    let mut parsed = match options {
        SourceOptions::Feed => feed::parse(body, content_type, url),
        SourceOptions::Ical(tracks) => ical::parse(body, url, tracks),
        SourceOptions::Html(selectors) => html::parse(body, content_type, url, selectors),
        SourceOptions::GithubReleases(releases) if from_github_api => {
            github::from_api(body, releases)
        }
        SourceOptions::GithubReleases(releases) => {
            github::from_atom(body, content_type, url, releases)
        }
    }?;
    for entry in &mut parsed.entries {
        entry.bound_text();
    }
    Ok(parsed)
}

impl IncomingEntry {
    /// Cuts the title and summary to [`TITLE_CHARS`] and [`SUMMARY_CHARS`]
    /// whatever the adapter: every entry on its way to the store passes
    /// here, so a megabyte title never reaches the queue or a draft.
    pub fn bound_text(&mut self) {
        if self.title.chars().count() > TITLE_CHARS {
            self.title = crate::normalize::truncate_chars(&self.title, TITLE_CHARS);
        }
        if let Some(summary) = &self.summary
            && summary.chars().count() > SUMMARY_CHARS
        {
            self.summary = Some(crate::normalize::truncate_chars(summary, SUMMARY_CHARS));
        }
    }
}

/// The facts of a conference session, as its schedule gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub room: Option<String>,
    /// The schedule's categories, joined ("AI + ML").
    pub track: Option<String>,
    /// As the schedule writes them ("Ada Lovelace, Acme & Alan Turing").
    pub speakers: Option<String>,
}

impl fmt::Display for Session {
    /// One line: "2026-11-12 14:30–15:05 UTC · Room B308 · Platform
    /// Engineering · Speakers: Ada Lovelace, Acme".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut facts = Vec::new();
        if let Some(start) = self.start {
            facts.push(match self.end {
                Some(end) => format!(
                    "{}–{} UTC",
                    start.format("%Y-%m-%d %H:%M"),
                    end.format("%H:%M")
                ),
                None => format!("{} UTC", start.format("%Y-%m-%d %H:%M")),
            });
        }
        facts.extend(self.room.clone());
        facts.extend(self.track.clone());
        if let Some(speakers) = &self.speakers {
            facts.push(format!("Speakers: {speakers}"));
        }
        f.write_str(&facts.join(" · "))
    }
}

/// One entry as a source adapter read it, normalised, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEntry {
    /// Stable across polls: the feed's own id when it has one, else derived
    /// from the link, else from the content.
    pub key: String,
    /// The link as published (resolved to an absolute URL).
    pub url: Option<String>,
    /// The link in canonical form, used to recognise the same story.
    pub canonical_url: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The date the entry gives when it could not be read (then
    /// `published` is unknown, and the store dates the entry by first
    /// sight, saying so).
    pub unread_date: Option<String>,
    /// Categories, tags or tracks the source gave it.
    pub categories: Vec<String>,
    /// Why a rule turned it away (kept as an entry, not queued).
    pub filtered: Option<String>,
    /// When and where, for a session of a conference schedule.
    pub session: Option<Session>,
}

/// What an adapter read from one document.
#[derive(Debug, Clone, Default)]
pub struct ParsedSource {
    pub title: Option<String>,
    /// RSS `<ttl>`: how long the feed may be cached.
    pub ttl: Option<std::time::Duration>,
    pub entries: Vec<IncomingEntry>,
    /// What could not be read of a document that was read
    /// ("3 of 12 <item>/<entry> elements could not be read …").
    pub warning: Option<String>,
}

/// Why a document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the document is empty")]
    Empty,
    #[error(
        "not a feed: {0} (check that the URL points at the RSS/Atom/JSON feed, not at a web page)"
    )]
    NotAFeed(String),
    #[error("the feed is broken: {0} (the publisher has to fix it; newsdesk keeps trying)")]
    Malformed(String),
}
