//! The scheduler component: owns the schedule (each enabled source and
//! when it is due), starts each due source's poll, takes results back from
//! the writer, and re-reads feeds.toml on request (SIGHUP).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Notify, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use super::shutdown::Shutdown;
use super::{DaemonError, Metrics, Paths};
use crate::config::{Config, Source, SourceId};
use crate::fetch::PoliteClient;
use crate::poll::{CompletedPoll, Poller, SourceResult};
use crate::store::Store;

/// Each enabled source and when it is due.
pub(super) struct Schedule {
    sources: HashMap<SourceId, Source>,
    due: HashMap<SourceId, DateTime<Utc>>,
}

/// How a reload changed the schedule.
#[derive(Debug, Default, PartialEq, Eq)]
struct Changes {
    added: usize,
    removed: Vec<SourceId>,
    changed: usize,
}

impl Schedule {
    /// The schedule of `config`'s enabled sources: a source the running
    /// schedule `before` has at the same URL keeps its place; others are
    /// due when the database says (`stored`), else now.
    fn build(
        config: &Config,
        stored: &HashMap<SourceId, Option<DateTime<Utc>>>,
        before: Option<&Schedule>,
    ) -> (Schedule, Changes) {
        let now = Utc::now();
        let mut schedule = Schedule {
            sources: HashMap::new(),
            due: HashMap::new(),
        };
        let mut changes = Changes::default();
        for source in config.sources.iter().filter(|s| s.enabled) {
            let kept =
                before.and_then(|b| Some((b.sources.get(&source.id)?, b.due.get(&source.id)?)));
            let at = match kept {
                // Same URL: keep its place in the schedule.
                Some((old, at)) if old.url == source.url => {
                    if old.kind != source.kind
                        || old.schedule != source.schedule
                        || old.section != source.section
                    {
                        changes.changed += 1;
                    }
                    *at
                }
                Some(_) => {
                    changes.changed += 1;
                    now
                }
                None => {
                    changes.added += 1;
                    stored.get(&source.id).copied().flatten().unwrap_or(now)
                }
            };
            schedule.due.insert(source.id.clone(), at);
            schedule.sources.insert(source.id.clone(), source.clone());
        }
        if let Some(before) = before {
            changes.removed = before
                .sources
                .keys()
                .filter(|id| !schedule.sources.contains_key(*id))
                .cloned()
                .collect();
        }
        (schedule, changes)
    }

    /// Brings next polls further out than their source's schedule allows
    /// back to now, with a warning: they were decided with the clock ahead
    /// (it was corrected since, or stepped back), and would otherwise keep
    /// the source silent for as long as the clock was off.
    fn clamp_to_the_clock(&mut self, now: DateTime<Utc>) {
        for (id, at) in &mut self.due {
            let longest = self.sources[id].schedule.longest_wait();
            let latest = crate::schedule::later_by(now, longest);
            if *at > latest {
                tracing::warn!(
                    source = %id,
                    was = %at.format("%Y-%m-%d %H:%M:%S"),
                    longest = %humantime::format_duration(longest),
                    "next poll further out than the schedule allows (the clock was ahead, or was stepped back); polling now"
                );
                *at = now;
            }
        }
    }

    fn earliest(&self, in_flight: &HashSet<SourceId>) -> Option<DateTime<Utc>> {
        self.due
            .iter()
            .filter(|(id, _)| !in_flight.contains(*id))
            .map(|(_, at)| *at)
            .min()
    }

    fn due_now(&self, now: DateTime<Utc>, in_flight: &HashSet<SourceId>) -> Vec<Source> {
        let mut due: Vec<(&DateTime<Utc>, &SourceId)> = self
            .due
            .iter()
            .filter(|(id, at)| **at <= now && !in_flight.contains(*id))
            .map(|(id, at)| (at, id))
            .collect();
        due.sort();
        due.into_iter()
            .map(|(_, id)| self.sources[id].clone())
            .collect()
    }
}

/// What the scheduler tells the health component.
#[derive(Debug, Clone, Default)]
pub(super) struct SchedulerStatus {
    pub(super) sources: usize,
    pub(super) in_flight: Vec<SourceId>,
    /// Each source's `quiet_after`, for the quiet-sources gauge.
    pub(super) quiet_rules: Vec<(SourceId, std::time::Duration)>,
}

/// The configuration in force, with the client made for it; shared with
/// the other components, which follow reloads.
#[derive(Clone)]
pub(super) struct Running {
    pub(super) config: Arc<Config>,
    pub(super) client: PoliteClient,
}

/// Where the scheduler answers a reload request, with the status line
/// systemd gets with READY=1.
pub(super) type ReloadDone = oneshot::Sender<String>;

pub(super) struct Scheduler {
    pub(super) paths: Arc<Paths>,
    pub(super) running: watch::Sender<Running>,
    pub(super) control: Store,
    pub(super) polls: mpsc::Sender<CompletedPoll>,
    pub(super) results: mpsc::UnboundedReceiver<SourceResult>,
    pub(super) metrics: Metrics,
    pub(super) status: watch::Sender<SchedulerStatus>,
    /// Woken when a poll queued new candidates (the enricher looks then).
    pub(super) candidates_added: Arc<Notify>,
}

impl Scheduler {
    pub(super) async fn run(
        mut self,
        mut reloads: mpsc::Receiver<ReloadDone>,
        mut shutdown: Shutdown,
    ) -> Result<(), DaemonError> {
        let running = self.running.borrow().clone();
        let (mut schedule, _) = Schedule::build(&running.config, &self.control.next_polls()?, None);
        let mut poller = Poller::new(&running.config, running.client.clone());
        let mut in_flight: HashSet<SourceId> = HashSet::new();
        let mut tasks = JoinSet::new();
        // The reload being read off this task (a big feeds.toml takes
        // seconds, and a SIGTERM meanwhile must not wait for it), who
        // waits for its answer, and who asked during it.
        let mut reloading: Option<JoinHandle<Result<Reloaded, DaemonError>>> = None;
        let mut waiting: Vec<ReloadDone> = Vec::new();
        let mut queued: Vec<ReloadDone> = Vec::new();
        loop {
            // Checked before the work of a round too: `select!` below picks
            // at random among ready branches, and a due source is always
            // ready.
            if shutdown.is_requested() {
                break;
            }
            let now = Utc::now();
            schedule.clamp_to_the_clock(now);
            for (n, source) in schedule.due_now(now, &in_flight).into_iter().enumerate() {
                // Thousands may be due at once: a stop is not kept waiting.
                if n % 256 == 255 && shutdown.is_requested() {
                    break;
                }
                let memory = self.control.poll_memory_of(&source.id)?.unwrap_or_default();
                in_flight.insert(source.id.clone());
                let poller = poller.clone();
                let polls = self.polls.clone();
                tracing::debug!(source = %source.id, "polling");
                tasks.spawn(async move { poller.poll_into(source, memory, &polls).await });
            }
            self.publish_status(&schedule, &in_flight);
            let sleep_for = schedule
                .earliest(&in_flight)
                .map_or(Duration::from_secs(3600), |at| {
                    (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
                });
            tokio::select! {
                _ = tokio::time::sleep(sleep_for) => {}
                result = self.results.recv() => {
                    // The writer ends early only when it gave up; its error
                    // is what the daemon exits with.
                    let Some(result) = result else { return Err(DaemonError::WriterStopped) };
                    in_flight.remove(&result.id);
                    if result.added.candidates > 0 {
                        self.candidates_added.notify_one();
                    }
                    if schedule.sources.contains_key(&result.id) {
                        schedule.due.insert(result.id.clone(), result.next_poll_at);
                    }
                    log_result(&result);
                }
                Some(joined) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(err) = joined && err.is_panic() {
                        std::panic::resume_unwind(err.into_panic());
                    }
                }
                Some(done) = reloads.recv() => {
                    // One reload at a time; a request during one gets the
                    // next, which reads the file as it is then.
                    match &reloading {
                        Some(_) => queued.push(done),
                        None => {
                            reloading = Some(self.start_reload());
                            waiting.push(done);
                        }
                    }
                }
                joined = async { reloading.as_mut().expect("guarded").await }, if reloading.is_some() => {
                    reloading = None;
                    // A stop asked for meanwhile comes first.
                    if shutdown.is_requested() {
                        break;
                    }
                    let read = joined.unwrap_or_else(|err| std::panic::resume_unwind(err.into_panic()));
                    let status = match read {
                        Ok(read) => {
                            let running = self.apply_reload(&mut schedule, read);
                            poller = Poller::new(&running.config, running.client.clone());
                            self.running.send_replace(running);
                            format!("{} sources; feeds.toml reloaded", schedule.sources.len())
                        }
                        Err(err) => {
                            tracing::error!("feeds.toml not reloaded, the running configuration stays in force: {}", crate::errors::with_causes(&err));
                            "feeds.toml not reloaded (see the log); the running configuration stays".into()
                        }
                    };
                    for done in waiting.drain(..) {
                        let _ = done.send(status.clone());
                    }
                    if !queued.is_empty() {
                        reloading = Some(self.start_reload());
                        waiting.append(&mut queued);
                    }
                }
                _ = shutdown.requested() => break,
            }
        }
        let grace = self.running.borrow().config.daemon.grace_period;
        tracing::info!(in_flight = in_flight.len(), grace = ?grace, "stopping: finishing in-flight fetches");
        let finished =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if finished.is_err() {
            let mut left: Vec<String> = in_flight.iter().map(ToString::to_string).collect();
            left.sort();
            tracing::warn!(
                sources = %left.join(", "),
                "grace period over; cancelling unfinished fetches (they are polled again after restart)"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        Ok(())
    }

    fn publish_status(&self, schedule: &Schedule, in_flight: &HashSet<SourceId>) {
        let mut in_flight: Vec<SourceId> = in_flight.iter().cloned().collect();
        in_flight.sort_by(|a, b| a.0.cmp(&b.0));
        self.status.send_replace(SchedulerStatus {
            sources: schedule.sources.len(),
            in_flight,
            quiet_rules: self.running.borrow().config.quiet_rules(),
        });
    }

    /// Starts reading feeds.toml again, on a blocking thread.
    fn start_reload(&self) -> JoinHandle<Result<Reloaded, DaemonError>> {
        let paths = self.paths.clone();
        let running = self.running.borrow().clone();
        tokio::task::spawn_blocking(move || read_reload(&paths, &running))
    }

    /// Puts a reload in force: the new schedule (in `schedule`) and what
    /// runs it.
    fn apply_reload(&mut self, schedule: &mut Schedule, read: Reloaded) -> Running {
        let (reloaded, changes) = Schedule::build(&read.config, &read.stored, Some(schedule));
        *schedule = reloaded;
        for id in &changes.removed {
            self.metrics.forget_source(&id.0);
        }
        tracing::info!(
            added = changes.added,
            removed = changes.removed.len(),
            changed = changes.changed,
            "feeds.toml reloaded"
        );
        Running {
            config: Arc::new(read.config),
            client: read.client,
        }
    }
}

/// What a reload read: the configuration, its client (with the running
/// one's per-host gates) and the stored next polls, the sources table
/// already updated.
struct Reloaded {
    config: Config,
    client: PoliteClient,
    stored: HashMap<SourceId, Option<DateTime<Utc>>>,
}

fn read_reload(paths: &Paths, running: &Running) -> Result<Reloaded, DaemonError> {
    let config = Config::load(&paths.config)?;
    let database = paths.database(&running.config);
    if paths.database(&config) != database {
        tracing::warn!("the database path changed in feeds.toml; it takes effect on restart");
    }
    let client = running
        .client
        .reloaded(&config)
        .map_err(crate::poll::PollError::Client)?;
    let mut store = Store::open(&database)?;
    store.sync_sources(&config)?;
    let stored = store.next_polls()?;
    Ok(Reloaded {
        config,
        client,
        stored,
    })
}

fn log_result(result: &SourceResult) {
    match &result.error {
        Some(error) => tracing::warn!(
            source = %result.id,
            failures = result.consecutive_failures,
            next = %result.next_poll_at.format("%Y-%m-%d %H:%M:%S"),
            "poll failed: {error}"
        ),
        None => tracing::info!(
            source = %result.id,
            outcome = result.outcome.as_str(),
            entries = result.added.entries,
            candidates = result.added.candidates,
            next = %result.next_poll_at.format("%Y-%m-%d %H:%M:%S"),
            "polled"
        ),
    }
}
