//! Links added by hand (`newsdesk add`): each becomes an entry of the
//! built-in source [`SUBMISSIONS`], placed through the same deduplication
//! layers as a feed's entries, and who brought it (with their comment) is
//! recorded on the candidate it joined or made. The source is a row of
//! `sources` only, never of the configuration, so nothing polls it.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use url::Url;

use super::{Result, Store, timestamp};
use crate::candidate::Status;
use crate::config::{Source, SourceId};
use crate::ids::CandidateId;
use crate::source::{IncomingEntry, SourceKind, SourceOptions};

pub use crate::ids::SUBMISSIONS;

/// The built-in source as ingest sees it: lowest priority, so a feed's
/// title and summary win when both carry a story; new candidates go to
/// `section`.
pub fn submissions_source(section: Option<String>) -> Source {
    // Never used: the source is not in the configuration, so never scheduled.
    let day = Duration::from_secs(86_400);
    Source {
        id: SourceId(SUBMISSIONS.to_owned()),
        schedule: crate::schedule::Policy {
            interval: day,
            min_interval: day,
            max_interval: day,
            backoff_start: day,
            backoff_max: day,
        },
        kind: SourceKind::Feed,
        url: Url::parse("newsdesk:submissions").expect("a valid URL"),
        section,
        interval: day,
        tags: Vec::new(),
        enabled: false,
        enrich: true,
        priority: i64::MIN,
        weight: 1.0,
        // A link added by hand is news to whoever added it, however old.
        max_age: None,
        quiet_after: Duration::MAX,
        options: SourceOptions::Feed,
        filters: Default::default(),
    }
}

/// One link brought by one contributor.
#[derive(Debug)]
pub struct Submission<'a> {
    pub entry: &'a IncomingEntry,
    /// The URL as given, when the page named another as canonical.
    pub given_url: &'a str,
    pub contributor: &'a str,
    pub comment: Option<&'a str>,
    /// Queue it even when a past issue has it.
    pub force: bool,
}

/// Where a submission went.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    /// A new candidate.
    New(CandidateId),
    /// Joined a candidate that was already there, with its status then.
    Existing { id: CandidateId, status: Status },
    /// A past issue has it (the reason says which); not queued.
    Published(String),
}

impl Store {
    /// Places a submission and credits its contributor (see the module docs).
    pub fn submit(&mut self, source: &Source, submission: &Submission) -> Result<Submitted> {
        let entry = submission.entry;
        let known_before: Option<CandidateId> = self
            .conn
            .query_row(
                "SELECT candidate_id FROM entries WHERE source_id = ?1 AND entry_key = ?2",
                params![SUBMISSIONS, entry.key],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        self.in_batch(None, |batch| {
            let now = timestamp(Utc::now());
            super::ingest::insert_entries(
                batch.tx,
                source,
                std::slice::from_ref(entry),
                None,
                &now,
                batch.title_similarity,
                !submission.force,
                None,
                batch.ingest,
            )?;
            let (candidate, kept_out): (Option<CandidateId>, Option<String>) = batch.tx.query_row(
                "SELECT candidate_id, filtered_reason FROM entries WHERE source_id = ?1 AND entry_key = ?2",
                params![SUBMISSIONS, entry.key],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let Some(id) = candidate else {
                return Ok(Submitted::Published(kept_out.unwrap_or_default()));
            };
            batch.tx.execute(
                "INSERT INTO submissions (candidate_id, url, contributor, comment, submitted_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, submission.given_url, submission.contributor, submission.comment, now],
            )?;
            let status: Status =
                batch
                    .tx
                    .query_row("SELECT status FROM candidates WHERE id = ?1", [id], |row| {
                        row.get(0)
                    })?;
            // Made now: nothing carried it before, not even another feed.
            let created = known_before.is_none()
                && batch.tx.query_row(
                    "SELECT COUNT(*) = 1 FROM entries WHERE candidate_id = ?1",
                    [id],
                    |row| row.get::<_, bool>(0),
                )?;
            Ok(if created {
                Submitted::New(id)
            } else {
                Submitted::Existing { id, status }
            })
        })
    }
}

/// Contributors per candidate (one candidate's, or every one's: the table
/// holds what people brought by hand, a small number).
pub(super) fn contributors(
    conn: &Connection,
    only: Option<CandidateId>,
) -> Result<HashMap<CandidateId, Vec<String>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT candidate_id, contributor FROM submissions WHERE ?1 IS NULL OR candidate_id = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([only])?;
    let mut found: HashMap<CandidateId, Vec<String>> = HashMap::new();
    while let Some(row) = rows.next()? {
        let names = found.entry(row.get(0)?).or_default();
        let name: String = row.get(1)?;
        if !names.contains(&name) {
            names.push(name);
        }
    }
    Ok(found)
}
