//! `newsdesk daemon`: polls every source on its own schedule, for months.
//!
//! One loop owns the schedule and selects over: the earliest due source,
//! results coming back from the writer, signals (TERM/INT stop, HUP
//! reloads feeds.toml) and a health tick that pings the database, updates
//! systemd's STATUS and pets the watchdog. Fetching and writing are the
//! same pieces `newsdesk poll` uses ([`Poller`], [`spawn_writer`]).

mod http;
mod metrics;
mod notify;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

pub use metrics::Metrics;
use notify::{Note, Notifier};

use crate::config::{Config, ConfigError, Source, SourceId};
use crate::poll::{PollError, Poller, SourceResult, spawn_writer};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Poll(#[from] PollError),
    #[error(
        "cannot listen on {addr} for metrics: {source}\n  help: change [daemon] listen, or remove it to serve no metrics"
    )]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot install signal handlers: {0}")]
    Signals(std::io::Error),
}

/// How often the loop proves it is alive (and refreshes STATUS and the
/// queue gauges) when the watchdog does not ask for more.
const HEALTH_TICK: Duration = Duration::from_secs(15);
/// The fetch log keeps this much history (`sources` needs only the latest).
const FETCH_LOG_DAYS: i64 = 90;
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Where the database is: `--db` when given, else from the configuration.
pub struct Paths {
    pub config: PathBuf,
    pub database_override: Option<PathBuf>,
}

impl Paths {
    fn database(&self, config: &Config) -> PathBuf {
        self.database_override
            .clone()
            .unwrap_or_else(|| config.newsletter.database.clone())
    }
}

/// The schedule: each enabled source and when it is due.
struct Schedule {
    sources: HashMap<SourceId, Source>,
    due: HashMap<SourceId, DateTime<Utc>>,
}

impl Schedule {
    fn load(config: &Config, control: &Store) -> Result<Schedule, StoreError> {
        let next = control.next_polls()?;
        let now = Utc::now();
        let mut schedule = Schedule {
            sources: HashMap::new(),
            due: HashMap::new(),
        };
        for source in config.sources.iter().filter(|s| s.enabled) {
            let at = next.get(&source.id).copied().flatten().unwrap_or(now);
            schedule.due.insert(source.id.clone(), at);
            schedule.sources.insert(source.id.clone(), source.clone());
        }
        Ok(schedule)
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

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(paths: Paths) -> Result<(), DaemonError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("newsdesk")
        .build()
        .map_err(DaemonError::Signals)?;
    runtime.block_on(run_async(paths))
}

async fn run_async(paths: Paths) -> Result<(), DaemonError> {
    let mut config = Config::load(&paths.config)?;
    match crate::secret::github_token() {
        Ok(Some(token)) => tracing::info!(origin = %token.origin, "GitHub token found"),
        Ok(None) => tracing::debug!("no GitHub token; public feeds need none"),
        Err(err) => tracing::warn!("{err}"),
    }
    let database = paths.database(&config);
    let mut control = Store::open(&database)?;
    control.sync_sources(&config)?;
    let mut writer_store = Store::open(&database)?;
    writer_store.set_title_similarity(config.dedup.title_similarity);
    writer_store.set_ranking(crate::rank::Rules::of(&config))?;
    crate::poll::refresh_published(&mut control, &config)?;
    let mut published_fingerprint = crate::published::fingerprint(&config.newsletter.drafts_dir);
    let mut schedule = Schedule::load(&config, &control)?;
    let mut poller = Poller::new(&config)?;
    let metrics = Metrics::default();
    let healthy: http::Healthy = Arc::new(AtomicBool::new(true));

    let mut sigterm = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(DaemonError::Signals)?;

    let metrics_server = match config.daemon.listen {
        Some(addr) => {
            let listener = http::bind(addr)
                .await
                .map_err(|source| DaemonError::Listen { addr, source })?;
            tracing::info!(%addr, "serving /metrics and /healthz");
            Some(tokio::spawn(http::serve(
                listener,
                metrics.clone(),
                healthy.clone(),
            )))
        }
        None => None,
    };

    let (results_tx, mut results) = mpsc::unbounded_channel::<SourceResult>();
    let recorded = metrics.clone();
    let (work_tx, writer) = spawn_writer(writer_store, move |result| {
        recorded.record(result);
        // The loop may be gone during shutdown: nothing left to schedule.
        let _ = results_tx.send(result.clone());
    });

    let mut in_flight: HashSet<SourceId> = HashSet::new();
    let mut tasks = JoinSet::new();
    let watchdog = sd_notify::watchdog_enabled();
    let tick_every = watchdog.map_or(HEALTH_TICK, |w| (w / 2).min(HEALTH_TICK));
    let mut tick = tokio::time::interval(tick_every);
    let mut last_prune: Option<tokio::time::Instant> = None;
    let mut enrichment: Option<tokio::task::JoinHandle<bool>> = None;
    // Looking for thin candidates reads the whole queue: only when a poll
    // added candidates since, or the last pass left work.
    let mut enrichment_due = true;
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    let notifier = Notifier::start();
    notifier.send(Note::Ready(refresh_status(
        &control, &schedule, &metrics, &in_flight,
    )));
    tracing::info!(
        sources = schedule.sources.len(),
        database = %database.display(),
        "daemon started"
    );

    loop {
        let now = Utc::now();
        for source in schedule.due_now(now, &in_flight) {
            let memory = control.poll_memory_of(&source.id)?.unwrap_or_default();
            in_flight.insert(source.id.clone());
            let poller = poller.clone();
            let work_tx = work_tx.clone();
            tracing::debug!(source = %source.id, "polling");
            tasks.spawn(async move { poller.poll_into(source, memory, &work_tx).await });
        }
        let sleep_for = schedule
            .earliest(&in_flight)
            .map_or(Duration::from_secs(3600), |at| {
                (at - Utc::now()).to_std().unwrap_or(Duration::ZERO)
            });

        tokio::select! {
            _ = tokio::time::sleep(sleep_for) => {}
            Some(result) = results.recv() => {
                in_flight.remove(&result.id);
                enrichment_due |= result.added.candidates > 0;
                if schedule.sources.contains_key(&result.id) {
                    schedule.due.insert(result.id.clone(), result.next_poll_at);
                }
                log_result(&result);
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            _ = tick.tick() => {
                let alive = control.ping().is_ok();
                healthy.store(alive, Ordering::Relaxed);
                if alive {
                    let status = refresh_status(&control, &schedule, &metrics, &in_flight);
                    notifier.send(Note::Watchdog(status));
                    let fingerprint = crate::published::fingerprint(&config.newsletter.drafts_dir);
                    if fingerprint != published_fingerprint {
                        published_fingerprint = fingerprint;
                        if let Err(err) = crate::poll::refresh_published(&mut control, &config) {
                            tracing::warn!("cannot read past issues: {err}");
                        }
                    }
                    if let Some(task) = enrichment.take_if(|task| task.is_finished()) {
                        enrichment_due |= task.await.unwrap_or(true);
                    }
                    let enriching = config.sources.iter().any(|s| s.enabled && s.enrich);
                    if enriching && enrichment_due && enrichment.is_none() {
                        enrichment_due = false;
                        enrichment = Some(tokio::spawn(enrich(poller.clone(), config.clone(), database.clone())));
                    }
                    if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                        last_prune = Some(tokio::time::Instant::now());
                        match control.prune_fetch_log(Utc::now() - chrono::Duration::days(FETCH_LOG_DAYS)) {
                            Ok(0) => {}
                            Ok(pruned) => tracing::info!(pruned, "old fetch-log rows removed"),
                            Err(err) => tracing::warn!("cannot prune the fetch log: {err}"),
                        }
                    }
                } else {
                    tracing::error!("database does not answer; withholding the watchdog ping");
                }
            }
            _ = sighup.recv() => {
                notifier.send(Note::Reloading);
                match reload(&paths, &config, &mut control, &mut schedule, &metrics) {
                    Ok((new_config, new_poller)) => {
                        config = new_config;
                        poller = new_poller;
                    }
                    Err(err) => tracing::error!("feeds.toml not reloaded, the running configuration stays in force: {err}"),
                }
                notifier.send(Note::Ready(status_line(&control, &schedule, &in_flight)));
            }
            _ = sigterm.recv() => break,
            _ = sigint.recv() => break,
        }
    }

    notifier.send(Note::Stopping(
        "stopping: finishing in-flight fetches".into(),
    ));
    if let Some(task) = enrichment {
        task.abort();
    }
    let grace = config.daemon.grace_period;
    tracing::info!(in_flight = in_flight.len(), grace = ?grace, "stopping");
    let finished =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if finished.is_err() {
        let left: Vec<String> = in_flight.iter().map(ToString::to_string).collect();
        tracing::warn!(
            sources = %left.join(", "),
            "grace period over; cancelling unfinished fetches (they are polled again after restart)"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
    drop(work_tx);
    drop(poller);
    let writer_result =
        tokio::task::spawn_blocking(move || writer.join().expect("writer thread panicked"))
            .await
            .expect("join the writer");
    if let Some(server) = metrics_server {
        server.abort();
    }
    notifier.finish();
    writer_result?;
    tracing::info!("stopped");
    Ok(())
}

/// Article pages fetched per health tick at most.
const ENRICH_PER_TICK: usize = 20;

/// One enrichment pass on a connection of its own, beside the writer.
/// One enrichment pass; true when it may have left work (it used up its
/// allowance, or failed).
async fn enrich(poller: Poller, config: Config, database: PathBuf) -> bool {
    let pass = async {
        let mut store = Store::open(&database)?;
        crate::enrich::enrich_pending(&poller, &mut store, &config, ENRICH_PER_TICK).await
    };
    match pass.await {
        Ok(done) => {
            if done.pages > 0 {
                tracing::info!(
                    pages = done.pages,
                    summaries = done.summaries,
                    failed = done.failed,
                    "enriched candidates from their article pages"
                );
            }
            done.pages >= ENRICH_PER_TICK
        }
        Err(err) => {
            tracing::warn!("enrichment failed: {err}");
            true
        }
    }
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

/// Re-reads feeds.toml; on success returns it and a poller with its
/// limits, and has updated the schedule and the sources table.
fn reload(
    paths: &Paths,
    old: &Config,
    control: &mut Store,
    schedule: &mut Schedule,
    metrics: &Metrics,
) -> Result<(Config, Poller), DaemonError> {
    let config = Config::load(&paths.config)?;
    if paths.database(&config) != paths.database(old) {
        tracing::warn!("the database path changed in feeds.toml; it takes effect on restart");
    }
    let poller = Poller::new(&config)?;
    control.sync_sources(&config)?;
    let next = control.next_polls()?;
    let now = Utc::now();
    let mut fresh = Schedule {
        sources: HashMap::new(),
        due: HashMap::new(),
    };
    let (mut added, mut changed) = (0, 0);
    for source in config.sources.iter().filter(|s| s.enabled) {
        let at = match schedule.sources.get(&source.id) {
            // Same URL: keep its place in the schedule.
            Some(old) if old.url == source.url => {
                if old.kind != source.kind
                    || old.schedule != source.schedule
                    || old.section != source.section
                {
                    changed += 1;
                }
                schedule.due.get(&source.id).copied().unwrap_or(now)
            }
            Some(_) => {
                changed += 1;
                now
            }
            None => {
                added += 1;
                next.get(&source.id).copied().flatten().unwrap_or(now)
            }
        };
        fresh.due.insert(source.id.clone(), at);
        fresh.sources.insert(source.id.clone(), source.clone());
    }
    let removed: Vec<&SourceId> = schedule
        .sources
        .keys()
        .filter(|id| !fresh.sources.contains_key(*id))
        .collect();
    for id in &removed {
        metrics.forget_source(&id.0);
    }
    tracing::info!(
        added,
        removed = removed.len(),
        changed,
        "feeds.toml reloaded"
    );
    *schedule = fresh;
    Ok((config, poller))
}

fn status_line(control: &Store, schedule: &Schedule, in_flight: &HashSet<SourceId>) -> String {
    let failing = control.failing_sources().map(|f| f.len()).unwrap_or(0);
    let queue = control
        .queue_counts()
        .ok()
        .and_then(|counts| counts.into_iter().find(|(s, _)| s == "new").map(|(_, n)| n))
        .unwrap_or(0);
    format!(
        "{} sources, {} failing, {} polling; {} new candidates in the queue",
        schedule.sources.len(),
        failing,
        in_flight.len(),
        queue
    )
}

fn refresh_status(
    control: &Store,
    schedule: &Schedule,
    metrics: &Metrics,
    in_flight: &HashSet<SourceId>,
) -> String {
    if let Ok(counts) = control.queue_counts() {
        metrics.set_queue(&counts);
    }
    metrics.set_sources(schedule.sources.len());
    status_line(control, schedule, in_flight)
}
