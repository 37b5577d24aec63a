//! The SQLite database: sources' polling state, the fetch log, entries and
//! the candidate queue.
//!
//! WAL mode with a busy timeout lets the daemon write while `review` reads
//! and decides. Schema changes are numbered migrations applied at start-up
//! in one transaction, tracked by `PRAGMA user_version`. Each poll of a
//! source is recorded in one transaction, so a crash leaves either all of it
//! or none of it.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;

use crate::config::{Source, SourceId};
use crate::fetch::Validators;
use crate::outcome::Outcome;
use crate::schedule::NextPoll;
use crate::source::{IncomingEntry, Session};

mod ingest;
mod queue;

pub use ingest::Prepared;

pub use queue::{Prior, QueueQuery};

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_adaptive_schedule.sql"),
    include_str!("migrations/0003_filters_enrichment.sql"),
    include_str!("migrations/0004_dedup.sql"),
    include_str!("migrations/0005_drafts.sql"),
    include_str!("migrations/0006_score.sql"),
    include_str!("migrations/0007_seen_in_index.sql"),
    include_str!("migrations/0008_title_bands_unindexed.sql"),
    include_str!("migrations/0009_title_sketches.sql"),
    include_str!("migrations/0010_redundant_candidate_indexes.sql"),
    include_str!("migrations/0011_one_outcome_word.sql"),
    include_str!("migrations/0012_candidate_sessions.sql"),
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot open the database {path}: {source}\n  help: check that its directory exists and is writable, or pass --db FILE"
    )]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(
        "the database {path} has schema version {found}, newer than this newsdesk understands ({known})\n  help: upgrade newsdesk, or point --db at another file"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Page cache of every connection (KiB). Titles are compared in the
/// writer's memory, not read from the database, so SQLite's default 2 MiB
/// suffices: a cold poll of 2,000 feeds took the same time with 2 and 8 MiB
/// (4.5 s) and 6 MB less memory.
pub(crate) const PAGE_CACHE_KIB: i64 = 2048;

/// Times are stored as RFC 3339 UTC text with second precision, which sorts.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Queue states of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Accepted,
    Rejected,
    Deferred,
    Drafted,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Deferred => "deferred",
            Status::Drafted => "drafted",
        }
    }
}

/// What a poll that fetched a new document read from it.
#[derive(Debug)]
pub struct FetchedDocument<'a> {
    pub entries: &'a [IncomingEntry],
    /// Each entry's [`Prepared`] (in order), when the parser made them;
    /// otherwise the writer does.
    pub prepared: Option<&'a [Prepared]>,
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

/// A source's health, for `newsdesk sources`.
#[derive(Debug, Clone, Serialize)]
pub struct SourceHealth {
    pub id: String,
    pub kind: String,
    pub url: String,
    pub section: Option<String>,
    pub moved_to: Option<String>,
    pub last_attempt_at: Option<String>,
    pub last_success_at: Option<String>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    pub failing_since: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll_at: Option<String>,
    pub entries: i64,
    pub candidates: i64,
}

/// A candidate as `review list --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateView {
    pub id: i64,
    pub title: String,
    pub url: Option<String>,
    pub source: String,
    pub section: Option<String>,
    pub status: String,
    pub seen_in: Vec<String>,
    pub published: String,
    pub summary: Option<String>,
    /// When and where, for a session of a conference schedule.
    pub session: Option<Session>,
    pub note: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
    /// The stored ranking score (higher first), to two decimals.
    pub score: f64,
}

/// Stored as JSON in `candidates.session`.
impl rusqlite::ToSql for Session {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        let json = serde_json::to_string(self)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(json.into())
    }
}

impl rusqlite::types::FromSql for Session {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        serde_json::from_str(value.as_str()?)
            .map_err(|e| rusqlite::types::FromSqlError::Other(Box::new(e)))
    }
}

/// What fetching an article page found (or why it failed).
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    pub url: String,
    pub http_status: Option<u16>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl Enrichment {
    pub fn failed(url: String, http_status: Option<u16>, error: String) -> Enrichment {
        Enrichment {
            url,
            http_status,
            title: None,
            description: None,
            published: None,
            error: Some(error),
        }
    }
}

/// One place a candidate was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    pub source: String,
    pub url: Option<String>,
    pub title: String,
    pub first_seen_at: String,
    /// Why this entry joined the candidate ("same URL as #12", …); `None`
    /// for the entry that created it.
    pub reason: Option<String>,
}

/// A candidate as `newsdesk draft` renders it.
#[derive(Debug, Clone)]
pub struct DraftCandidate {
    pub id: i64,
    pub title: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub note: Option<String>,
    pub section: Option<String>,
    pub source: String,
    pub published: String,
    /// Already drafted in this issue (else accepted and new to it).
    pub drafted: bool,
}

/// One drafted issue.
#[derive(Debug, Clone)]
pub struct IssueRecord {
    /// YYYY-MM-DD.
    pub issue_date: String,
    pub number: u32,
    pub path: String,
}

pub struct Store {
    conn: Connection,
    /// Titles at least this similar are one story.
    title_similarity: f64,
    memo: ingest::Memo,
    /// The ranking rules this process scores with, once set.
    rules: Option<crate::rank::Rules>,
    /// The ranker of the last generation seen (its model is trained once).
    ranker: Option<(i64, crate::rank::Ranker)>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        // Ingest alone uses more than the default 16 statements; evicted
        // ones would be prepared again for every entry.
        conn.set_prepared_statement_cache_capacity(64);
        // Plans independent of bound values. Without this SQLite marks a
        // statement such as "… WHERE url_key = ?1 ORDER BY id LIMIT 1" to
        // be prepared again whenever ?1 is bound to a new value: perf showed
        // 10 % of a cold poll in sqlite3Reprepare, once per entry.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(open_err)?;
        // Every transaction takes the write lock when it begins: a deferred
        // one that read first and writes later fails at once with
        // SQLITE_BUSY_SNAPSHOT (no busy timeout helps) when another process
        // — `review accept` while the daemon polls — wrote in between.
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
        // journal_mode answers with a row, so it is read rather than executed.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(
                mode,
                "database is not in WAL mode; readers may wait for writers"
            );
        }
        conn.execute_batch(&format!("PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{PAGE_CACHE_KIB}; PRAGMA wal_autocheckpoint = 10000;"))
            .map_err(open_err)?;
        let mut store = Store {
            conn,
            title_similarity: crate::config::DEFAULT_TITLE_SIMILARITY,
            memo: ingest::Memo::default(),
            rules: None,
            ranker: None,
        };
        store.migrate(path)?;
        Ok(store)
    }

    fn migrate(&mut self, path: &Path) -> Result<()> {
        let known = MIGRATIONS.len() as i64;
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if version > known {
            return Err(StoreError::TooNew {
                path: path.display().to_string(),
                found: version,
                known,
            });
        }
        for migration in &MIGRATIONS[version as usize..] {
            tx.execute_batch(migration)?;
        }
        if version < 4 {
            ingest::backfill_dedup_keys(&tx)?;
        }
        if version < 9 {
            ingest::backfill_title_sketches(&tx)?;
        }
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }

    /// How similar titles must be to count as one story.
    pub fn set_title_similarity(&mut self, threshold: f64) {
        self.title_similarity = threshold;
    }

    /// Replaces what is known of past issues with `links`.
    pub fn replace_published(&mut self, links: &[crate::published::PublishedLink]) -> Result<()> {
        let tx = self.conn.transaction()?;
        ingest::replace_published(&tx, links)?;
        tx.commit()?;
        Ok(())
    }

    /// Makes the `sources` table match the configuration. Sources removed
    /// from the configuration keep their rows: their entries and candidates
    /// stay valid.
    pub fn sync_sources(&mut self, config: &crate::config::Config) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO sources (id, kind, url, section, reading_fingerprint) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET
                   kind = excluded.kind, section = excluded.section,
                   -- a new URL makes the old validators and redirect meaningless,
                   -- new reading rules make the last document worth reading again
                   etag = CASE WHEN url = excluded.url AND reading_fingerprint IS excluded.reading_fingerprint THEN etag END,
                   last_modified = CASE WHEN url = excluded.url AND reading_fingerprint IS excluded.reading_fingerprint THEN last_modified END,
                   body_sha = CASE WHEN url = excluded.url AND reading_fingerprint IS excluded.reading_fingerprint THEN body_sha END,
                   moved_to = CASE WHEN url = excluded.url THEN moved_to END,
                   reading_fingerprint = excluded.reading_fingerprint,
                   url = excluded.url",
            )?;
            for source in &config.sources {
                upsert.execute(params![
                    source.id.0,
                    source.kind.as_str(),
                    source.url.as_str(),
                    source.section,
                    source.reading_fingerprint(&config.filters)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// What the next poll of one source needs to know.
    pub fn poll_memory_of(&self, id: &SourceId) -> Result<Option<PollMemory>> {
        Ok(self.poll_memory_where(Some(id))?.into_values().next())
    }

    /// Validators and body digests of every source, keyed by id.
    pub fn poll_memory(&self) -> Result<HashMap<SourceId, PollMemory>> {
        self.poll_memory_where(None)
    }

    fn poll_memory_where(&self, id: Option<&SourceId>) -> Result<HashMap<SourceId, PollMemory>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, etag, last_modified, body_sha, consecutive_failures, current_interval_secs
             FROM sources WHERE ?1 IS NULL OR id = ?1",
        )?;
        let rows = stmt.query_map([id.map(|id| id.0.as_str())], |row| {
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

    /// Records one poll of one source, with its entries and its next poll
    /// time (decided by `schedule` from what the poll added), in one
    /// transaction.
    pub fn record_poll(
        &mut self,
        poll: &PollRecord,
        schedule: impl FnOnce(Added) -> NextPoll,
    ) -> Result<(Added, NextPoll)> {
        self.in_batch(|batch| batch.record_poll(poll, schedule))
    }

    /// Runs `work` in one transaction: all of it is stored, or none. The
    /// writer records several polls per transaction when they queue up.
    /// Candidates created or changed in it are scored in the same
    /// transaction once ranking rules are set ([`Store::set_ranking`]).
    pub fn in_batch<T>(&mut self, work: impl FnOnce(&mut Batch) -> Result<T>) -> Result<T> {
        let score = match self.rules {
            Some(_) => self.refresh_ranker(Utc::now())?.1,
            None => false,
        };
        let tx = self.conn.transaction()?;
        // Another connection may have replaced the past issues since.
        self.memo.any_published = None;
        let scoring = match &self.ranker {
            Some((generation, ranker)) if score => Some((*generation, ranker)),
            _ => None,
        };
        let mut batch = Batch {
            tx: &tx,
            memo: &mut self.memo,
            title_similarity: self.title_similarity,
            scoring,
        };
        let written = work(&mut batch).and_then(|out| {
            let touched = std::mem::take(&mut self.memo.touched);
            match scoring {
                Some((generation, ranker)) => {
                    queue::score_ids(&tx, touched.into_iter(), ranker, generation)?;
                }
                // Left for a reader with the current rules to score.
                None => queue::mark_stale(&tx, touched.into_iter())?,
            }
            tx.commit()?;
            Ok(out)
        });
        if written.is_err() {
            self.forget_cached_state();
        }
        written
    }

    /// Drops what this connection keeps in memory of the database (the
    /// title index): after a batch that was rolled back — an error, or a
    /// panic caught by the writer — it may hold candidates that were never
    /// stored. It is read again when next needed.
    pub fn forget_cached_state(&mut self) {
        self.memo = ingest::Memo::default();
    }

    /// Every configured source's health, in the order given.
    pub fn source_health(&self, ids: &[SourceId]) -> Result<Vec<SourceHealth>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.id, s.kind, s.url, s.section, s.moved_to, s.last_attempt_at, s.last_success_at,
                    s.last_status, s.last_error, s.last_error_at, s.failing_since, s.consecutive_failures,
                    s.next_poll_at,
                    (SELECT COUNT(*) FROM entries e WHERE e.source_id = s.id),
                    (SELECT COUNT(DISTINCT e.candidate_id) FROM entries e WHERE e.source_id = s.id)
             FROM sources s WHERE s.id = ?1",
        )?;
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let health = stmt
                .query_row([&id.0], |row| {
                    Ok(SourceHealth {
                        id: row.get(0)?,
                        kind: row.get(1)?,
                        url: row.get(2)?,
                        section: row.get(3)?,
                        moved_to: row.get(4)?,
                        last_attempt_at: row.get(5)?,
                        last_success_at: row.get(6)?,
                        last_status: row.get(7)?,
                        last_error: row.get(8)?,
                        last_error_at: row.get(9)?,
                        failing_since: row.get(10)?,
                        consecutive_failures: row.get(11)?,
                        next_poll_at: row.get(12)?,
                        entries: row.get(13)?,
                        candidates: row.get(14)?,
                    })
                })
                .optional()?;
            if let Some(health) = health {
                found.push(health);
            }
        }
        Ok(found)
    }

    /// When each source is due, `None` for never polled.
    pub fn next_polls(&self) -> Result<HashMap<SourceId, Option<DateTime<Utc>>>> {
        let mut stmt = self.conn.prepare("SELECT id, next_poll_at FROM sources")?;
        let rows = stmt.query_map([], |row| {
            let at: Option<String> = row.get(1)?;
            Ok((
                SourceId(row.get(0)?),
                at.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.with_timezone(&Utc)),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Candidates per status, for the daemon's status line and metrics.
    pub fn queue_counts(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, COUNT(*) FROM candidates GROUP BY status ORDER BY status",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Consecutive failures of every source that has any.
    pub fn failing_sources(&self) -> Result<Vec<(String, u32)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, consecutive_failures FROM sources WHERE consecutive_failures > 0 ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

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

    /// Candidates (id, source, url) whose summary is missing or shorter than
    /// `thin` characters and whose page has not been fetched yet, newest first.
    pub fn candidates_to_enrich(&self, thin: usize) -> Result<Vec<(i64, String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.source_id, c.url FROM candidates c
             WHERE c.url IS NOT NULL AND c.status IN ('new', 'deferred')
               AND (c.summary IS NULL OR length(c.summary) < ?1) AND c.session IS NULL
               AND NOT EXISTS (SELECT 1 FROM enrichment x WHERE x.url = c.url)
             ORDER BY c.created_at DESC, c.id DESC",
        )?;
        let rows = stmt.query_map([thin as i64], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Caches what a page said and gives candidate `id` the page's
    /// description when its own summary is missing or thin; returns whether
    /// it did.
    pub fn record_enrichment(&mut self, id: i64, found: &Enrichment, thin: usize) -> Result<bool> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO enrichment (url, fetched_at, http_status, title, description, published, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            found.url,
            timestamp(Utc::now()),
            found.http_status,
            found.title,
            found.description,
            found.published.map(timestamp),
            found.error
        ])?;
        let updated = tx
            .prepare_cached(
                "UPDATE candidates SET summary = ?2, scored_generation = 0
                 WHERE id = ?1 AND ?2 IS NOT NULL
                   AND (summary IS NULL OR (length(summary) < ?3 AND length(?2) > length(summary)))",
            )?
            .execute(params![id, found.description, thin as i64])?;
        // A candidate named after its URL (the feed gave no title) takes the page's.
        tx.prepare_cached(
            "UPDATE candidates SET title = ?2, scored_generation = 0 WHERE id = ?1 AND ?2 IS NOT NULL AND title = url",
        )?
        .execute(params![id, found.title])?;
        tx.commit()?;
        Ok(updated > 0)
    }

    /// A cheap query that proves the database answers (watchdog).
    pub fn ping(&self) -> Result<()> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Title and summary of every decided candidate, and whether the
    /// editor took it (accepted or drafted) or not (rejected).
    pub fn decisions(&self) -> Result<Vec<(String, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT title || char(10) || COALESCE(summary, ''), status != 'rejected' FROM candidates
             WHERE status IN ('accepted', 'drafted', 'rejected')",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One candidate, `None` when there is no such id.
    pub fn candidate(&self, id: i64) -> Result<Option<CandidateView>> {
        Ok(select_candidates(&self.conn, "WHERE c.id = ?1", [id])?
            .into_iter()
            .next())
    }

    /// Every place a candidate was seen, first first.
    pub fn sightings(&self, id: i64) -> Result<Vec<Sighting>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source_id, url, title, first_seen_at, dedup_reason FROM entries WHERE candidate_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |row| {
            Ok(Sighting {
                source: row.get(0)?,
                url: row.get(1)?,
                title: row.get(2)?,
                first_seen_at: row.get(3)?,
                reason: row.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Candidates that go into the draft of `issue_date`: every accepted
    /// one, and those already drafted in that issue; oldest first.
    pub fn draft_candidates(&self, issue_date: &str) -> Result<Vec<DraftCandidate>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.title, c.url, c.summary, c.note, c.section, c.source_id, c.published,
                    c.status = 'drafted'
             FROM candidates c LEFT JOIN issues i ON i.id = c.drafted_in
             WHERE c.status = 'accepted' OR (c.status = 'drafted' AND i.issue_date = ?1)
             ORDER BY c.published, c.id",
        )?;
        let rows = stmt.query_map([issue_date], |row| {
            Ok(DraftCandidate {
                id: row.get(0)?,
                title: row.get(1)?,
                url: row.get(2)?,
                summary: row.get(3)?,
                note: row.get(4)?,
                section: row.get(5)?,
                source: row.get(6)?,
                published: row.get(7)?,
                drafted: row.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A transaction holding the editor's work (decisions, notes, undo,
    /// what went into a draft): synced to disk at commit, so not even a
    /// power cut takes it back. Polls, which can be fetched again, commit
    /// at synchronous=NORMAL.
    pub(crate) fn editor_transaction(&mut self) -> Result<Transaction<'_>> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(self.conn.transaction()?)
    }

    /// Records that the draft of `issue` was written with `ids` in it, in
    /// one transaction: the issue's row and every accepted candidate of
    /// `ids` marked drafted in it. Returns how many were newly marked.
    pub fn record_draft(&mut self, issue: &IssueRecord, ids: &[i64]) -> Result<usize> {
        let tx = self.editor_transaction()?;
        let issue_id: i64 = tx.query_row(
            "INSERT INTO issues (issue_date, number, path, generated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (issue_date) DO UPDATE SET
               number = excluded.number, path = excluded.path, generated_at = excluded.generated_at
             RETURNING id",
            params![
                issue.issue_date,
                issue.number,
                issue.path,
                timestamp(Utc::now())
            ],
            |row| row.get(0),
        )?;
        let mut marked = 0;
        {
            let mut mark = tx.prepare_cached(
                "UPDATE candidates SET status = 'drafted', drafted_in = ?2
                 WHERE id = ?1 AND status = 'accepted'",
            )?;
            for id in ids {
                marked += mark.execute(params![id, issue_id])?;
            }
        }
        tx.commit()?;
        Ok(marked)
    }

    /// Sets `status` (and for accepts the section and note) on every id, in
    /// one transaction: an unknown id or a drafted candidate changes nothing.
    /// Returns what each candidate was before, for [`Store::restore`].
    pub fn decide(
        &mut self,
        ids: &[i64],
        status: Status,
        section: Option<&str>,
        note: Option<&str>,
    ) -> Result<Vec<Prior>> {
        let tx = self.editor_transaction()?;
        let now = timestamp(Utc::now());
        let mut priors = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(prior) = queue::prior(&tx, *id)? else {
                return Err(StoreError::Invalid(format!(
                    "no candidate #{id}; nothing was changed\n  help: `newsdesk review list` shows the ids"
                )));
            };
            if prior.status == "drafted" {
                return Err(StoreError::Invalid(format!(
                    "candidate #{id} is already in a draft; nothing was changed\n  help: edit the draft instead"
                )));
            }
            tx.execute(
                "UPDATE candidates SET status = ?2, section = COALESCE(?3, section), note = COALESCE(?4, note), decided_at = ?5
                 WHERE id = ?1",
                params![id, status.as_str(), section, note, now],
            )?;
            priors.push(prior);
        }
        // The learned model changed: stored scores are now of an older generation.
        queue::next_generation(&tx)?;
        tx.commit()?;
        Ok(priors)
    }
}

/// Candidates matching `tail` (WHERE, ORDER BY, LIMIT of `c`), with their
/// `seen_in` and stored score.
fn select_candidates(
    conn: &Connection,
    tail: &str,
    values: impl rusqlite::Params,
) -> Result<Vec<CandidateView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.id, c.title, c.url, c.source_id, c.section, c.status, c.published, c.summary,
                c.note, c.decided_at, c.created_at, c.score, c.session
         FROM candidates c
         {tail}"
    ))?;
    let rows = stmt.query_map(values, |row| {
        Ok(CandidateView {
            id: row.get(0)?,
            title: row.get(1)?,
            url: row.get(2)?,
            source: row.get(3)?,
            section: row.get(4)?,
            status: row.get(5)?,
            published: row.get(6)?,
            summary: row.get(7)?,
            note: row.get(8)?,
            decided_at: row.get(9)?,
            created_at: row.get(10)?,
            seen_in: Vec::new(),
            score: crate::rank::shown(row.get(11)?),
            session: row.get(12)?,
        })
    })?;
    let mut candidates: Vec<CandidateView> = rows.collect::<Result<_, _>>()?;
    fill_seen_in(conn, &mut candidates)?;
    Ok(candidates)
}

/// Up to this many candidates, `seen_in` is looked up candidate by
/// candidate; more are filled by one pass over the index of entries.
const SEEN_IN_ONE_BY_ONE: usize = 500;

/// Every source that carried each candidate, first first: one lookup per
/// candidate for a few, one pass over the entries for many.
fn fill_seen_in(conn: &Connection, candidates: &mut [CandidateView]) -> Result<()> {
    let add = |seen: &mut Vec<String>, source: String| {
        if !seen.contains(&source) {
            seen.push(source);
        }
    };
    if candidates.len() <= SEEN_IN_ONE_BY_ONE {
        let mut stmt = conn
            .prepare_cached("SELECT source_id FROM entries WHERE candidate_id = ?1 ORDER BY id")?;
        for candidate in candidates.iter_mut() {
            for source in stmt.query_map([candidate.id], |row| row.get::<_, String>(0))? {
                add(&mut candidate.seen_in, source?);
            }
        }
        return Ok(());
    }
    let index: HashMap<i64, usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT candidate_id, source_id FROM entries INDEXED BY entries_by_candidate_seen
         WHERE candidate_id IS NOT NULL ORDER BY candidate_id, id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(&i) = index.get(&row.get::<_, i64>(0)?) {
            add(&mut candidates[i].seen_in, row.get(1)?);
        }
    }
    Ok(())
}

/// Writes inside one transaction (see [`Store::in_batch`]).
pub struct Batch<'a> {
    tx: &'a Transaction<'a>,
    memo: &'a mut ingest::Memo,
    title_similarity: f64,
    /// New candidates are scored as they are stored, when the ranker is
    /// current: (generation, ranker).
    scoring: Option<(i64, &'a crate::rank::Ranker)>,
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
                self.scoring,
                self.memo,
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
