//! What a poll records: its outcome, the fetch log, the source's polling
//! state (validators, body digest, failures, next poll) and its entries,
//! in the transaction of its batch.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Batch, DedupKeys, Result, Store, ingest, timestamp};
use crate::config::{Source, SourceId};
use crate::fetch::Validators;
use crate::outcome::Outcome;
use crate::schedule::NextPoll;
use crate::source::IncomingEntry;

/// What a poll that fetched a new document read from it.
#[derive(Debug)]
pub struct FetchedDocument<'a> {
    pub entries: &'a [IncomingEntry],
    /// Each entry's [`DedupKeys`] (in order), when the parser made them;
    /// otherwise the writer does.
    pub prepared: Option<&'a [DedupKeys]>,
    pub validators: &'a Validators,
    pub body_sha: &'a str,
    /// What the source should be told although the poll succeeded; it is
    /// shown as its last error, without counting as a failure.
    pub warning: Option<&'a str>,
}

/// Everything recorded about one poll of one source.
#[derive(Debug)]
pub struct PollRecord<'a> {
    pub source: &'a Source,
    pub started_at: DateTime<Utc>,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub duration: Duration,
    pub moved_to: Option<&'a str>,
    pub outcome: Outcome,
    /// With [`Outcome::Fetched`]: what the document held.
    pub document: Option<FetchedDocument<'a>>,
    /// With [`Outcome::Failed`]: why.
    pub error: Option<&'a str>,
}

/// How many rows a poll added.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Added {
    pub entries: usize,
    pub candidates: usize,
}

/// What the next poll of a source needs to know from the last one.
#[derive(Debug, Clone, Default)]
pub struct PollMemory {
    pub validators: Validators,
    pub body_sha: Option<String>,
    pub consecutive_failures: u32,
    /// The adaptive interval from the last poll.
    pub interval: Option<Duration>,
}

impl Store {
    /// What the next poll of one source needs to know.
    pub fn poll_memory_of(&self, id: &SourceId) -> Result<Option<PollMemory>> {
        Ok(self.poll_memory_where(Some(id))?.into_values().next())
    }

    /// Validators and body digests of every source, keyed by id.
    pub fn poll_memory(&self) -> Result<HashMap<SourceId, PollMemory>> {
        self.poll_memory_where(None)
    }

    fn poll_memory_where(&self, id: Option<&SourceId>) -> Result<HashMap<SourceId, PollMemory>> {
        const COLUMNS: &str = "SELECT id, etag, last_modified, body_sha, consecutive_failures, current_interval_secs FROM sources";
        // Two statements, not one `?1 IS NULL OR id = ?1`: plans do not
        // depend on bound values (QPSG), and that one scans every source,
        // which made the daemon's start with 20,000 sources take minutes.
        let mut stmt = match id {
            Some(_) => self
                .conn
                .prepare_cached(&format!("{COLUMNS} WHERE id = ?1"))?,
            None => self.conn.prepare_cached(COLUMNS)?,
        };
        let params: Vec<&str> = id.map(|id| id.0.as_str()).into_iter().collect();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |row| {
            Ok((
                SourceId(row.get(0)?),
                PollMemory {
                    validators: Validators {
                        etag: row.get(1)?,
                        last_modified: row.get(2)?,
                    },
                    body_sha: row.get(3)?,
                    consecutive_failures: row.get(4)?,
                    interval: row
                        .get::<_, Option<i64>>(5)?
                        .map(|s| Duration::from_secs(s.max(0) as u64)),
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

impl Batch<'_> {
    /// Records one poll of one source, with its entries and its next poll
    /// time (decided by `schedule` from what the poll added).
    pub fn record_poll(
        &mut self,
        poll: &PollRecord,
        schedule: impl FnOnce(Added) -> NextPoll,
    ) -> Result<(Added, NextPoll)> {
        let tx = self.tx;
        let now = timestamp(Utc::now());
        let added = match &poll.document {
            Some(document) => ingest::insert_entries(
                tx,
                poll.source,
                document.entries,
                document.prepared,
                &now,
                self.title_similarity,
                true,
                self.scoring,
                self.ingest,
            )?,
            None => Added::default(),
        };
        let source_id = &poll.source.id.0;
        match poll.outcome {
            Outcome::Failed => {
                tx.prepare_cached(
                    "UPDATE sources SET last_attempt_at = ?2, last_status = ?3, last_error = ?4,
                       last_error_at = ?2, failing_since = COALESCE(failing_since, ?2),
                       consecutive_failures = consecutive_failures + 1,
                       moved_to = COALESCE(?5, moved_to)
                     WHERE id = ?1",
                )?
                .execute(params![
                    source_id,
                    now,
                    poll.http_status,
                    poll.error,
                    poll.moved_to
                ])?;
            }
            Outcome::Fetched | Outcome::Unchanged | Outcome::NotModified => {
                tx.prepare_cached(
                    "UPDATE sources SET last_attempt_at = ?2, last_success_at = ?2, last_status = ?3,
                       failing_since = NULL, consecutive_failures = 0, moved_to = ?4
                     WHERE id = ?1",
                )?
                .execute(params![source_id, now, poll.http_status, poll.moved_to])?;
                if let Some(document) = &poll.document {
                    let validators = document.validators;
                    tx.prepare_cached(
                        "UPDATE sources SET etag = ?2, last_modified = ?3, body_sha = ?4 WHERE id = ?1",
                    )?
                    .execute(params![source_id, validators.etag, validators.last_modified, document.body_sha])?;
                    if let Some(warning) = document.warning {
                        tx.prepare_cached(
                            "UPDATE sources SET last_error = ?2, last_error_at = ?3 WHERE id = ?1",
                        )?
                        .execute(params![source_id, warning, now])?;
                    }
                }
            }
        }
        let logged_error = poll
            .error
            .or(poll.document.as_ref().and_then(|d| d.warning));
        let next = schedule(added);
        tx.prepare_cached(
            "UPDATE sources SET next_poll_at = ?2, current_interval_secs = ?3 WHERE id = ?1",
        )?
        .execute(params![
            source_id,
            timestamp(next.at),
            next.interval.as_secs() as i64
        ])?;
        tx.prepare_cached(
            "INSERT INTO fetch_log (source_id, started_at, outcome, http_status, bytes, duration_ms, new_entries, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?
        .execute(params![
            source_id,
            timestamp(poll.started_at),
            poll.outcome.as_str(),
            poll.http_status,
            poll.bytes as i64,
            poll.duration.as_millis() as i64,
            added.entries as i64,
            logged_error
        ])?;
        Ok((added, next))
    }
}

impl Store {
    /// Deletes fetch-log rows older than `before`, and the title sketches
    /// of candidates published before it; returns how many log rows went.
    pub fn prune_fetch_log(&self, before: DateTime<Utc>) -> Result<usize> {
        // New entries are compared with titles of the last weeks only.
        self.conn.execute(
            "DELETE FROM title_sketches WHERE candidate_id IN (SELECT id FROM candidates WHERE published < ?1)",
            [timestamp(before)],
        )?;
        Ok(self.conn.execute(
            "DELETE FROM fetch_log WHERE started_at < ?1",
            [timestamp(before)],
        )?)
    }
}
