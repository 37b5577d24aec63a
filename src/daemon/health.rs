//! The health component: on every tick it asks each part whether it can
//! do its job — the writer (are polls being stored?) and the database (does
//! it answer?) — and tells the world: `/healthz` (200, or 503 with the
//! reason), systemd's STATUS, the watchdog (fed only while healthy), the
//! log, and the queue gauges of `/metrics`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::watch;

use super::notify::{Note, Notifier};
use super::scheduler::SchedulerStatus;
use super::shutdown::Shutdown;
use super::{DaemonError, Metrics};
use crate::poll::WriterHealth;
use crate::store::{Status, Store};

/// How often health is checked when the watchdog does not ask for more.
const CHECK_EVERY: Duration = Duration::from_secs(15);
/// While unhealthy, the log repeats the reason at most this often.
const REPEAT_LOG_EVERY: Duration = Duration::from_secs(30);

/// What `/healthz` answers: `None` while healthy, else why not.
#[derive(Clone, Default)]
pub(super) struct HealthState(Arc<RwLock<Option<String>>>);

impl HealthState {
    pub(super) fn problem(&self) -> Option<String> {
        self.0.read().expect("health lock").clone()
    }

    fn set(&self, problem: Option<String>) {
        *self.0.write().expect("health lock") = problem;
    }
}

pub(super) struct HealthMonitor {
    /// A connection of its own: it proves the database answers.
    pub(super) store: Store,
    /// The database file the daemon opened, as the path named it then.
    pub(super) database: DatabaseFile,
    pub(super) writer: WriterHealth,
    pub(super) scheduler: watch::Receiver<SchedulerStatus>,
    pub(super) state: HealthState,
    pub(super) notifier: Notifier,
    pub(super) metrics: Metrics,
}

/// A database file by identity (device and inode), not by name: a file
/// deleted or replaced under the daemon keeps its name but not these.
pub(super) struct DatabaseFile {
    path: PathBuf,
    identity: (u64, u64),
}

impl DatabaseFile {
    pub(super) fn of(path: &Path) -> std::io::Result<DatabaseFile> {
        Ok(DatabaseFile {
            path: path.to_owned(),
            identity: identity(path)?,
        })
    }

    /// Whether the path still names the file that was opened.
    fn still_there(&self) -> bool {
        identity(&self.path).is_ok_and(|now| now == self.identity)
    }
}

fn identity(path: &Path) -> std::io::Result<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

impl HealthMonitor {
    /// The interval of checks: half the watchdog's timeout when systemd
    /// set one, so a ping is never late.
    pub(super) fn interval() -> Duration {
        sd_notify::watchdog_enabled().map_or(CHECK_EVERY, |w| (w / 2).min(CHECK_EVERY))
    }

    /// Checks health until the shutdown; ends with an error when the
    /// database file was deleted or replaced (whatever the daemon wrote
    /// from then on would be lost when it stops).
    pub(super) async fn run(self, mut shutdown: Shutdown) -> Result<(), DaemonError> {
        let mut tick = tokio::time::interval(Self::interval());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut logged: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.requested() => return Ok(()),
            }
            if !self.database.still_there() {
                let path = self.database.path.clone();
                tracing::error!(
                    path = %path.display(),
                    "the database file was deleted or replaced under the daemon; stopping"
                );
                return Err(DaemonError::DatabaseGone { path });
            }
            // A database that hangs must not hang a worker thread the
            // scheduler and /healthz need.
            let (problem, status) = tokio::task::block_in_place(|| {
                let problem = self.problem();
                let status = problem.is_none().then(|| self.status_line());
                (problem, status)
            });
            match problem {
                None => {
                    if self.state.problem().is_some() {
                        tracing::info!("healthy again");
                    }
                    self.state.set(None);
                    logged = None;
                    self.notifier
                        .send(Note::Watchdog(status.unwrap_or_default()));
                }
                Some(problem) => {
                    if logged.is_none_or(|at| at.elapsed() >= REPEAT_LOG_EVERY) {
                        logged = Some(tokio::time::Instant::now());
                        tracing::error!("unhealthy, withholding the watchdog ping: {problem}");
                    }
                    self.notifier
                        .send(Note::Status(format!("unhealthy: {problem}")));
                    self.state.set(Some(problem));
                }
            }
        }
    }

    /// Why the daemon cannot do its job now, if it cannot.
    fn problem(&self) -> Option<String> {
        let mut problems = Vec::new();
        if let Some(failure) = self.writer.failure() {
            problems.push(format!(
                "database writes failing for {} s ({} polls waiting): {}",
                failure.since.elapsed().as_secs(),
                failure.waiting,
                failure.reason
            ));
        }
        if let Err(err) = self.store.ping() {
            problems.push(format!(
                "the database does not answer: {}",
                crate::errors::with_causes(&err)
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }

    /// "N sources, N failing, N polling; N new candidates in the queue",
    /// with the queue gauges refreshed on the way.
    pub(super) fn status_line(&self) -> String {
        let counts = self.store.queue_counts().ok();
        if let Some(counts) = &counts {
            self.metrics.set_queue(counts);
        }
        let scheduler = self.scheduler.borrow().clone();
        self.metrics.set_sources(scheduler.sources);
        if let Ok(quiet) = self
            .store
            .quiet_sources(&scheduler.quiet_rules, chrono::Utc::now())
        {
            self.metrics.set_quiet_sources(quiet.len());
        }
        let failing = self.store.failing_sources().map(|f| f.len()).unwrap_or(0);
        let queued = counts
            .and_then(|counts| {
                counts
                    .into_iter()
                    .find(|(s, _)| *s == Status::New)
                    .map(|(_, n)| n)
            })
            .unwrap_or(0);
        format!(
            "{} sources, {} failing, {} polling; {} new candidates in the queue",
            scheduler.sources,
            failing,
            scheduler.in_flight.len(),
            queued
        )
    }
}
