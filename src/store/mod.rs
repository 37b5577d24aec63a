//! The SQLite database: sources' polling state, the fetch log, entries and
//! the candidate queue.
//!
//! WAL mode with a busy timeout lets the daemon write while `review` reads
//! and decides. Schema changes are numbered migrations applied at start-up
//! in one transaction, tracked by `PRAGMA user_version`. Each poll of a
//! source is recorded in one transaction, so a crash leaves either all of it
//! or none of it.
//!
//! The rooms: `polls` (what a poll records), `sources` (their health),
//! `ingest` (entries into candidates), `candidates` (reading them),
//! `queue` (the ranked queue and its stored scores), `decisions` (the
//! editor's), `drafts`, `one_off` (sections of one issue), `enrichment`, `published` (past issues), `submissions` (links
//! added by hand), `related` (links filed under a candidate) and
//! `backfill` (keys for rows older than a migration).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction};

use crate::candidate::Scoring;
use crate::ids::CandidateId;

mod backfill;
mod candidates;
mod decisions;
mod drafts;
mod enrichment;
mod ingest;
mod one_off;
mod polls;
mod published;
mod queue;
mod related;
mod sources;
mod submissions;

pub use crate::candidate::Status;
pub use candidates::{CandidateView, KeptOut, Sighting};
pub use decisions::EditorState;
pub use drafts::{DraftCandidate, Drafting, IssueRecord};
pub use enrichment::Enrichment;
pub use ingest::DedupKeys;
pub use one_off::{ONE_OFF_PREFIX, OneOffSection, one_off_id};
pub use polls::{Added, FetchedDocument, PollMemory, PollRecord};
pub use queue::QueueQuery;
pub use related::{FileError, Filed, NewRelated, RelatedLink};
pub use sources::SourceHealth;
pub use submissions::{SUBMISSIONS, Submission, Submitted, submissions_source};

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
    include_str!("migrations/0013_submissions.sql"),
    include_str!("migrations/0014_related_links.sql"),
    include_str!("migrations/0015_editor_order.sql"),
    include_str!("migrations/0016_one_off_sections.sql"),
    include_str!("migrations/0017_age_mentions_sections.sql"),
    include_str!("migrations/0018_unread_dates.sql"),
    include_str!("migrations/0019_categories.sql"),
    include_str!("migrations/0020_entries_by_source_seen.sql"),
];

/// What can go wrong with the database. Each message says what to do; the
/// underlying SQLite error is the source, printed after it by the caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "no database at {path}\n  help: run `newsdesk poll` first (it creates it), or check --db and `database` in [newsletter]"
    )]
    Missing { path: String },
    #[error(
        "{path} is not a SQLite database, so it cannot be newsdesk's\n  help: check --db and `database` in [newsletter]; to start a new database at that path, move the file away first"
    )]
    NotADatabase { path: String },
    #[error(
        "the database {path} is read-only for this user ({why}); this command changes it, so nothing was done\n  help: run it as the database's owner (e.g. `sudo -u newsdesk newsdesk …` for the systemd service's), or give this user write access to the file and its directory; `review list`, `review show` and `sources` work without it"
    )]
    ReadOnly { path: String, why: &'static str },
    #[error(
        "cannot open the database {path}\n  help: check that its directory exists and is writable, or pass --db FILE"
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
    #[error(
        "the database {path} stayed busy for {}s (another newsdesk command, such as a draft being written, held its write lock); nothing was changed\n  help: run the command again when the other one has finished",
        BUSY_TIMEOUT.as_secs()
    )]
    Busy { path: String },
    #[error("database error")]
    Sql(#[from] rusqlite::Error),
    #[error("no candidate #{0}; nothing was changed\n  help: `newsdesk review list` shows the ids")]
    NoCandidate(CandidateId),
    #[error(
        "candidate #{0} is already in a draft; nothing was changed\n  help: edit the draft instead"
    )]
    AlreadyDrafted(CandidateId),
    #[error("candidate #{0} is gone or already in a draft; nothing was undone")]
    CannotUndo(CandidateId),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Page cache of every connection (KiB). Titles are compared in the
/// writer's memory, not read from the database, so SQLite's default 2 MiB
/// suffices: a cold poll of 2,000 feeds took the same time with 2 and 8 MiB
/// (4.5 s) and 6 MB less memory.
pub(crate) const PAGE_CACHE_KIB: i64 = 2048;

/// How long a connection waits for another one's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Times are stored as RFC 3339 UTC text with second precision, which sorts.
pub fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub struct Store {
    conn: Connection,
    /// Opened for looking only ([`Store::open_for_reading`]): the user
    /// may not write the file.
    read_only: bool,
    /// Titles at least this similar are one story.
    title_similarity: f64,
    ingest: ingest::IngestCache,
}

impl Store {
    /// Opens the database at `path`, which must exist: for commands that
    /// only look, so a mistyped `--db` (or a deleted file) is reported
    /// instead of answered from a new, empty database.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.display().to_string(),
            });
        }
        Store::open(path)
    }

    /// Opens the database at `path`, which must exist, for a command that
    /// only looks: read-only when this user may not write it (then
    /// [`Store::is_read_only`] says so, and the caller skips its own
    /// writes, such as refreshing stored scores).
    pub fn open_for_reading(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(StoreError::Missing {
                path: path.display().to_string(),
            });
        }
        if unwritable(path).is_none() {
            return Store::open(path);
        }
        // Without a `-wal` file no writer has it open, and a reader that
        // may not create the `-shm` file beside it reads it as immutable;
        // with one, SQLite reads the writer's shared memory read-only.
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
            | rusqlite::OpenFlags::SQLITE_OPEN_URI;
        let uri = format!(
            "file:{}{}",
            path.display()
                .to_string()
                .replace('%', "%25")
                .replace('?', "%3f")
                .replace('#', "%23"),
            if Path::new(&wal).exists() {
                ""
            } else {
                "?immutable=1"
            }
        );
        let conn =
            Connection::open_with_flags(uri, flags).map_err(|source| open_error(path, source))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|source| open_error(path, source))?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(|source| open_error(path, source))?;
        if version != MIGRATIONS.len() as i64 {
            // Its schema would have to be brought up to date first.
            return Err(StoreError::ReadOnly {
                path: path.display().to_string(),
                why: "and its schema is of another newsdesk version",
            });
        }
        Ok(Store {
            conn,
            read_only: true,
            title_similarity: crate::config::DEFAULT_TITLE_SIMILARITY,
            ingest: ingest::IngestCache::default(),
        })
    }

    /// Whether this store was opened for looking only.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Opens (creating if needed) the database at `path` and brings its
    /// schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(why) = unwritable(path) {
            return Err(StoreError::ReadOnly {
                path: path.display().to_string(),
                why,
            });
        }
        let open_err = |source| open_error(path, source);
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
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
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
            read_only: false,
            title_similarity: crate::config::DEFAULT_TITLE_SIMILARITY,
            ingest: ingest::IngestCache::default(),
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
            backfill::dedup_keys(&tx)?;
        }
        if version < 9 {
            backfill::title_sketches(&tx)?;
        }
        tx.pragma_update(None, "user_version", known)?;
        tx.commit()?;
        Ok(())
    }

    /// How similar titles must be to count as one story.
    pub fn set_title_similarity(&mut self, threshold: f64) {
        self.title_similarity = threshold;
    }

    /// A cheap query that proves the database answers (watchdog).
    pub fn ping(&self) -> Result<()> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    /// Runs `work` in one transaction: all of it is stored, or none. The
    /// writer records several polls per transaction when they queue up.
    /// Candidates created or changed in it are scored in the same
    /// transaction with `scoring`; without one they are left stale, for a
    /// reader with the current rules to score.
    pub fn in_batch<T>(
        &mut self,
        scoring: Option<Scoring>,
        work: impl FnOnce(&mut Batch) -> Result<T>,
    ) -> Result<T> {
        let tx = self.conn.transaction()?;
        // Another connection may have replaced the past issues, or stored
        // candidates, since.
        self.ingest.any_published = None;
        self.ingest.titles_caught_up = false;
        let mut batch = Batch {
            tx: &tx,
            ingest: &mut self.ingest,
            title_similarity: self.title_similarity,
            scoring,
        };
        let written = work(&mut batch).and_then(|out| {
            let touched = std::mem::take(&mut self.ingest.touched);
            match scoring {
                Some(scoring) => queue::score_ids(&tx, touched, &scoring)?,
                None => queue::mark_stale(&tx, touched)?,
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
        self.ingest = ingest::IngestCache::default();
    }

    /// A transaction holding the editor's work (decisions, notes, undo,
    /// what went into a draft): synced to disk at commit, so not even a
    /// power cut takes it back. Polls, which can be fetched again, commit
    /// at synchronous=NORMAL.
    pub(crate) fn editor_transaction(&mut self) -> Result<Transaction<'_>> {
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        let path = self.conn.path().unwrap_or("?").to_owned();
        self.conn.transaction().map_err(|err| {
            if err.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) {
                StoreError::Busy { path }
            } else {
                err.into()
            }
        })
    }
}

/// Why this user cannot write the existing database at `path`, if it
/// cannot: the file, or its directory (where SQLite keeps the `-wal` and
/// `-shm` files) when they are not there yet.
fn unwritable(path: &Path) -> Option<&'static str> {
    use std::os::unix::ffi::OsStrExt;
    let may_write = |p: &Path| {
        let Ok(c_path) = std::ffi::CString::new(p.as_os_str().as_bytes()) else {
            return true;
        };
        // SAFETY: access() only reads the NUL-terminated path.
        unsafe { libc::access(c_path.as_ptr(), libc::W_OK) == 0 }
    };
    if !path.exists() {
        return None;
    }
    if !may_write(path) {
        return Some("no write permission on the file");
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if !may_write(dir) && !Path::new(&wal).exists() {
        return Some("no write permission on its directory");
    }
    None
}

/// A failed open, said as what it is: not a database at all, or another
/// problem with the file.
fn open_error(path: &Path, source: rusqlite::Error) -> StoreError {
    let path = path.display().to_string();
    match source.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotADatabase { path },
        _ => StoreError::Open { path, source },
    }
}

/// Writes inside one transaction (see [`Store::in_batch`]).
pub struct Batch<'a> {
    tx: &'a Transaction<'a>,
    ingest: &'a mut ingest::IngestCache,
    title_similarity: f64,
    /// New candidates are scored as they are stored, when given.
    scoring: Option<Scoring<'a>>,
}
