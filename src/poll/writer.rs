//! The writer: one thread owns the database connection and records every
//! completed poll, batching those that queue up into one transaction.
//!
//! A batch that cannot be written (disk full, a read-only file, another
//! process holding the write lock past the busy timeout, a panic) is kept
//! and tried again with back-off; meanwhile the channel fills and the
//! fetch side waits, so no poll is lost. [`WriterHealth`] says why it is
//! failing, for `/healthz`, systemd's STATUS and the watchdog. After
//! `give_up_after` of failing the thread ends with an error, so its owner
//! can exit non-zero and be restarted.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::mpsc;
use url::Url;

use super::SourceResult;
use super::reader::CompletedPoll;
use crate::outcome::Outcome;
use crate::rank::Ranking;
use crate::schedule::LastPoll;
use crate::store::{Batch, FetchedDocument, PollRecord, Store, StoreError};

/// At most this many polls are written in one transaction.
const WRITE_BATCH: usize = 64;
/// The first retry of a failed batch, doubled each time up to the most:
/// writes resume within a few seconds of the cause clearing.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MOST: Duration = Duration::from_secs(4);
/// While failing, the log repeats the reason at most this often.
const REPEAT_LOG_EVERY: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum WriterError {
    #[error(
        "cannot write to the database for {}; gave up, {polls} polls not recorded (they are fetched again at the next start); last error: {reason}",
        humantime::format_duration(round_to_seconds(*.after))
    )]
    GaveUp {
        after: Duration,
        reason: String,
        polls: usize,
    },
}

/// Why the writer cannot write, while it cannot.
#[derive(Debug, Clone)]
pub struct WriteFailure {
    pub since: Instant,
    pub reason: String,
    /// Polls waiting in the failed batch.
    pub waiting: usize,
}

/// The writer's own account of its health, shared with whoever reports it.
#[derive(Debug, Clone, Default)]
pub struct WriterHealth(Arc<Mutex<Option<WriteFailure>>>);

/// When the writer stops retrying a failed batch although
/// `give_up_after` has not passed: set when its owner shuts down.
#[derive(Debug, Clone, Default)]
struct RetryDeadline(Arc<Mutex<Option<Instant>>>);

impl WriterHealth {
    /// `None` while writes succeed.
    pub fn failure(&self) -> Option<WriteFailure> {
        self.0.lock().expect("writer health lock").clone()
    }

    /// Records a failed attempt; returns since when it has been failing.
    fn failed(&self, reason: String, waiting: usize) -> Instant {
        let mut state = self.0.lock().expect("writer health lock");
        let since = state.as_ref().map_or_else(Instant::now, |f| f.since);
        *state = Some(WriteFailure {
            since,
            reason,
            waiting,
        });
        since
    }

    /// Records a success; returns the failure it ends, if any.
    fn recovered(&self) -> Option<WriteFailure> {
        self.0.lock().expect("writer health lock").take()
    }
}

/// The running writer: where to send completed polls, and its thread.
pub struct Writer {
    pub polls: mpsc::Sender<CompletedPoll>,
    pub health: WriterHealth,
    pub thread: std::thread::JoinHandle<Result<Store, WriterError>>,
    retry_deadline: RetryDeadline,
}

impl Writer {
    /// A batch that still fails at `deadline` is given up then: a
    /// shutdown must not wait the whole `give_up_after`.
    pub fn stop_retrying_at(&self, deadline: Instant) {
        *self.retry_deadline.0.lock().expect("retry deadline lock") = Some(deadline);
    }
}

/// Starts the thread that owns `store` and records every [`CompletedPoll`]
/// sent to it, calling `on_result` after each is stored. It stops when
/// every sender is dropped and returns the store, or when it has failed to
/// write for `give_up_after`.
pub fn spawn_writer(
    mut store: Store,
    mut ranking: Ranking,
    give_up_after: Duration,
    mut on_result: impl FnMut(&SourceResult) + Send + 'static,
) -> Writer {
    let (polls, mut incoming) = mpsc::channel::<CompletedPoll>(16);
    let health = WriterHealth::default();
    let reported = health.clone();
    let retry_deadline = RetryDeadline::default();
    let deadline = retry_deadline.clone();
    let thread = std::thread::Builder::new()
        .name("newsdesk-writer".into())
        .spawn(move || {
            let mut last_release = Instant::now();
            while let Some(first) = incoming.blocking_recv() {
                // Polls that queued up while the last batch was written go
                // into one transaction: one commit instead of many.
                let mut batch = vec![first];
                while batch.len() < WRITE_BATCH
                    && let Ok(completed) = incoming.try_recv()
                {
                    batch.push(completed);
                }
                let results = write_until_stored(
                    &mut store,
                    &mut ranking,
                    &batch,
                    &reported,
                    give_up_after,
                    &deadline,
                )?;
                drop(batch);
                for result in &results {
                    on_result(result);
                }
                drop(results);
                release_free_memory(&mut last_release);
            }
            Ok(store)
        })
        .expect("spawn the writer thread");
    Writer {
        polls,
        health,
        thread,
        retry_deadline,
    }
}

/// Writes `batch` in one transaction, trying again with back-off until it
/// is stored or `give_up_after` has passed since the first failure.
fn write_until_stored(
    store: &mut Store,
    ranking: &mut Ranking,
    batch: &[CompletedPoll],
    health: &WriterHealth,
    give_up_after: Duration,
    deadline: &RetryDeadline,
) -> Result<Vec<SourceResult>, WriterError> {
    let mut delay = RETRY_FIRST;
    let mut logged: Option<Instant> = None;
    loop {
        let attempt = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let scoring = ranking.scoring_if_current(&*store, Utc::now())?;
            store.in_batch(scoring, |writing| {
                batch
                    .iter()
                    .map(|completed| record(writing, completed))
                    .collect::<Result<Vec<_>, _>>()
            })
        }));
        let reason = match attempt {
            Ok(Ok(results)) => {
                if let Some(failure) = health.recovered() {
                    tracing::info!(
                        polls = batch.len(),
                        failing_for = %humantime::format_duration(round_to_ms(failure.since.elapsed())),
                        "database writes work again; the waiting polls are recorded"
                    );
                }
                return Ok(results);
            }
            Ok(Err(err)) => crate::errors::with_causes(&err),
            Err(panic) => {
                store.forget_cached_state();
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                format!("the writer panicked: {message}")
            }
        };
        let since = health.failed(reason.clone(), batch.len());
        let stopping = deadline
            .0
            .lock()
            .expect("retry deadline lock")
            .is_some_and(|at| Instant::now() >= at);
        if since.elapsed() >= give_up_after || stopping {
            tracing::error!(
                "cannot write to the database for {}; giving up: {reason}",
                humantime::format_duration(round_to_ms(since.elapsed()))
            );
            return Err(WriterError::GaveUp {
                after: since.elapsed(),
                reason,
                polls: batch.len(),
            });
        }
        if logged.is_none_or(|at| at.elapsed() >= REPEAT_LOG_EVERY) {
            logged = Some(Instant::now());
            tracing::error!(
                polls = batch.len(),
                "cannot write to the database: {reason}; polling waits and the write is retried (giving up after {})",
                humantime::format_duration(give_up_after)
            );
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(RETRY_MOST);
    }
}

fn round_to_seconds(duration: Duration) -> Duration {
    Duration::from_secs(duration.as_secs())
}

fn round_to_ms(duration: Duration) -> Duration {
    Duration::from_millis(duration.as_millis() as u64)
}

/// Gives the pages of freed memory back to the system, at most every
/// tenth of a second. Parsers free much more than the writer keeps; what
/// they free stays with the process otherwise, and adds up to a peak of
/// about 6 MB more in a cold poll of 2,000 feeds.
fn release_free_memory(last: &mut Instant) {
    if last.elapsed() < Duration::from_millis(100) {
        return;
    }
    *last = Instant::now();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it is
    // safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn record(batch: &mut Batch, completed: &CompletedPoll) -> Result<SourceResult, StoreError> {
    let moved_to = completed.moved_to.as_ref().map(Url::to_string);
    let consecutive_failures = match completed.outcome {
        Outcome::Failed => completed.memory.consecutive_failures + 1,
        _ => 0,
    };
    let document = completed.document.as_ref().map(|d| FetchedDocument {
        entries: &d.entries,
        prepared: Some(&d.prepared),
        validators: &d.validators,
        body_sha: &d.body_sha,
        warning: d.warning.as_deref(),
    });
    let policy = completed.source.schedule;
    let (added, next) = batch.record_poll(
        &PollRecord {
            source: &completed.source,
            started_at: completed.started_at,
            http_status: completed.http_status,
            bytes: completed.bytes,
            duration: completed.duration,
            moved_to: moved_to.as_deref(),
            outcome: completed.outcome,
            document,
            error: completed.error.as_deref(),
        },
        |added| {
            policy.next(
                Utc::now(),
                completed.memory.interval,
                LastPoll {
                    outcome: completed.outcome,
                    new_entries: added.entries,
                    consecutive_failures,
                },
                completed.hints,
                fastrand::f64(),
            )
        },
    )?;
    Ok(SourceResult {
        id: completed.source.id.clone(),
        outcome: completed.outcome,
        http_status: completed.http_status,
        bytes: completed.bytes,
        duration: completed.duration,
        added,
        error: completed.error.clone(),
        moved_to,
        consecutive_failures,
        next_poll_at: next.at,
    })
}
