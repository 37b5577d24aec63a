//! `newsdesk daemon`: polls every source on its own schedule, for months.
//!
//! The daemon is components, each a task with a job of its own, started
//! here and stopped by one shutdown broadcast:
//! - `scheduler`: starts due polls, takes their results, reloads
//!   feeds.toml on SIGHUP;
//! - the writer ([`crate::poll::spawn_writer`], a thread): stores every
//!   poll, retrying what fails;
//! - `enricher`: article pages of candidates without a real summary;
//! - `housekeeper`: past issues read again when they change, old history
//!   pruned;
//! - `health`: `/healthz`, systemd's STATUS and watchdog, from what the
//!   others report;
//! - `http`: `/metrics` and `/healthz` when `[daemon] listen` is set, and
//!   the team's submissions (`/api/submissions`, `/submit`) once
//!   contributors are configured.
//!
//! A component that ends on its own (the writer gave up, a panic) stops
//! the daemon with an error, so systemd restarts it. On SIGTERM/SIGINT the
//! components get `grace_period` to finish; the log names what is still
//! running then.

mod enricher;
mod health;
mod housekeeper;
mod http;
mod lock;
mod metrics;
mod notify;
mod scheduler;
mod shutdown;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

pub use metrics::Metrics;
use notify::{Note, Notifier};

use crate::config::{Config, ConfigError};
use crate::fetch::PoliteClient;
use crate::poll::{PollError, SourceResult, WriterError, spawn_writer};
use crate::store::{Store, StoreError};
use enricher::Enricher;
use health::{DatabaseFile, HealthMonitor, HealthState};
use housekeeper::Housekeeper;
use scheduler::{Running, Scheduler, SchedulerStatus};
use shutdown::ShutdownTrigger;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Poll(#[from] PollError),
    #[error(transparent)]
    Writer(#[from] WriterError),
    #[error("the writer stopped")]
    WriterStopped,
    #[error("the {0} component stopped on its own")]
    ComponentStopped(&'static str),
    #[error(
        "cannot listen on {addr} for metrics\n  help: change [daemon] listen, or remove it to serve no metrics"
    )]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "the database file {} was deleted or replaced while the daemon ran; stopped so nothing more is written into a file no one can open\n  help: restore it from a backup (it holds the editors' decisions), then start the daemon again",
        path.display()
    )]
    DatabaseGone { path: PathBuf },
    #[error("cannot look at the database file {}", path.display())]
    DatabaseFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "another newsdesk daemon{} is running on the database {}; one daemon per database\n  help: stop it first (systemctl stop newsdesk), or give this one another --db",
        pid.map(|p| format!(" (pid {p})")).unwrap_or_default(),
        database.display()
    )]
    AlreadyRunning { database: PathBuf, pid: Option<u32> },
    #[error("cannot use the lock file {}", path.display())]
    LockFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot install signal handlers")]
    Signals(#[source] std::io::Error),
}

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

/// Runs the daemon until SIGTERM or SIGINT.
pub fn run(paths: Paths) -> Result<(), DaemonError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("newsdesk")
        .build()
        .map_err(DaemonError::Signals)?;
    let result = runtime.block_on(run_async(paths));
    // What still runs now is parsing for polls the grace period cancelled:
    // their results have nowhere to go, so the process does not wait.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// A component's task, with the name the log gives it.
struct Component {
    name: &'static str,
    task: JoinHandle<Result<(), DaemonError>>,
}

async fn run_async(paths: Paths) -> Result<(), DaemonError> {
    let paths = Arc::new(paths);
    let config = Config::load(&paths.config)?;
    match crate::secret::github_token() {
        Ok(Some(token)) => tracing::info!(origin = %token.origin, "GitHub token found"),
        Ok(None) => tracing::debug!("no GitHub token; public feeds need none"),
        Err(err) => tracing::warn!("{}", crate::errors::with_causes(&err)),
    }
    let database = paths.database(&config);
    let mut control = Store::open(&database)?;
    let _lock = lock::DaemonLock::take(&database)?;
    control.sync_sources(&config)?;
    let mut writer_store = Store::open(&database)?;
    writer_store.set_title_similarity(config.dedup.title_similarity);
    let ranking = crate::rank::Ranking::adopt(crate::rank::Rules::of(&config), &mut writer_store)?;
    crate::housekeeping::refresh_published(&mut control, &config)?;
    let published_fingerprint = crate::housekeeping::published_fingerprint(&config);
    let client = PoliteClient::new(&config).map_err(PollError::Client)?;
    let metrics = Metrics::default();
    let health = HealthState::default();

    let mut sigterm = signal(SignalKind::terminate()).map_err(DaemonError::Signals)?;
    let mut sigint = signal(SignalKind::interrupt()).map_err(DaemonError::Signals)?;
    let mut sighup = signal(SignalKind::hangup()).map_err(DaemonError::Signals)?;

    let listener = match config.daemon.listen {
        Some(addr) => Some((
            addr,
            http::bind(addr)
                .await
                .map_err(|source| DaemonError::Listen { addr, source })?,
        )),
        None => None,
    };

    let (results_tx, results) = mpsc::unbounded_channel::<SourceResult>();
    let recorded = metrics.clone();
    let writer = spawn_writer(
        writer_store,
        ranking,
        config.daemon.writer_give_up_after,
        move |result| {
            recorded.record(result);
            // The scheduler may be gone during shutdown: nothing left to schedule.
            let _ = results_tx.send(result.clone());
        },
    );

    let (trigger, shutdown) = ShutdownTrigger::new();
    let grace = config.daemon.grace_period;
    let (running_tx, running) = watch::channel(Running {
        config: Arc::new(config),
        client,
    });
    let http_server = match listener {
        Some((addr, listener)) => {
            let mut store = Store::open(&database)?;
            store.set_title_similarity(running.borrow().config.dedup.title_similarity);
            let submissions = http::Submissions::new(store, running.clone());
            tracing::info!(%addr, "serving /metrics, /healthz and /submit");
            tracing::info!("{}", submissions.state_line());
            Some(tokio::spawn(http::serve(
                listener,
                metrics.clone(),
                health.clone(),
                submissions,
            )))
        }
        None => None,
    };
    let sources = running
        .borrow()
        .config
        .sources
        .iter()
        .filter(|s| s.enabled)
        .count();
    let (status_tx, status) = watch::channel(SchedulerStatus {
        sources,
        in_flight: Vec::new(),
        quiet_rules: running.borrow().config.quiet_rules(),
    });
    let candidates_added = Arc::new(Notify::new());
    let (reload_tx, reloads) = mpsc::channel::<scheduler::ReloadDone>(1);
    let notifier = Notifier::start();
    let monitor = HealthMonitor {
        store: Store::open(&database)?,
        database: DatabaseFile::of(&database).map_err(|source| DaemonError::DatabaseFile {
            path: database.clone(),
            source,
        })?,
        writer: writer.health.clone(),
        scheduler: status,
        state: health,
        notifier: notifier.clone(),
        metrics: metrics.clone(),
    };

    let scheduler = Scheduler {
        paths: paths.clone(),
        running: running_tx,
        control,
        polls: writer.polls.clone(),
        results,
        metrics,
        status: status_tx,
        candidates_added: candidates_added.clone(),
    };
    let enricher = Enricher {
        running: running.clone(),
        store: Store::open(&database)?,
        candidates_added,
    };
    let housekeeper = Housekeeper {
        running: running.clone(),
        store: Store::open(&database)?,
        published_fingerprint,
    };
    let mut components = vec![
        Component {
            name: "scheduler",
            task: tokio::spawn(scheduler.run(reloads, shutdown.clone())),
        },
        Component {
            name: "enricher",
            task: tokio::spawn(infallible(enricher.run(shutdown.clone()))),
        },
        Component {
            name: "housekeeping",
            task: tokio::spawn(infallible(housekeeper.run(shutdown.clone()))),
        },
    ];
    notifier.send(Note::Ready(monitor.status_line()));
    components.push(Component {
        name: "health",
        task: tokio::spawn(monitor.run(shutdown.clone())),
    });
    tracing::info!(sources, database = %database.display(), "daemon started");

    // Until a signal to stop, or a component ending on its own.
    // The answer to the last SIGHUP: READY=1 again once the scheduler
    // reloaded (or refused). Waited for here beside the signals, so a
    // SIGTERM during a long reload acts at once.
    let mut reload_answer: Option<tokio::sync::oneshot::Receiver<String>> = None;
    let ended_early = loop {
        tokio::select! {
            _ = sighup.recv() => {
                notifier.send(Note::Reloading);
                let (done, answer) = tokio::sync::oneshot::channel();
                if reload_tx.send(done).await.is_ok() {
                    reload_answer = Some(answer);
                }
            }
            answer = async { reload_answer.as_mut().expect("guarded").await }, if reload_answer.is_some() => {
                reload_answer = None;
                notifier.send(Note::Ready(answer.unwrap_or_else(|_| "stopping".into())));
            }
            _ = sigterm.recv() => break None,
            _ = sigint.recv() => break None,
            (index, joined) = first_to_end(&mut components) => {
                let component = components.remove(index);
                // Each was meant to run until the shutdown.
                let ended = outcome_of(component.name, joined)
                    .and(Err::<(), _>(DaemonError::ComponentStopped(component.name)));
                break ended.err();
            }
        }
    };

    notifier.send(Note::Stopping(
        "stopping: finishing in-flight fetches".into(),
    ));
    trigger.fire();
    let mut failure = ended_early;
    // The scheduler has the grace period for its fetches; the others stop
    // at once. A little more for the scheduler to cancel what is left.
    let deadline = tokio::time::Instant::now() + grace + Duration::from_secs(2);
    writer.stop_retrying_at(deadline.into_std());
    for component in components {
        match tokio::time::timeout_at(deadline, component.task).await {
            Ok(joined) => {
                if let Err(err) = outcome_of(component.name, joined) {
                    failure.get_or_insert(err);
                }
            }
            Err(_) => tracing::warn!(
                component = component.name,
                "still running after the grace period; abandoned"
            ),
        }
    }
    drop(writer.polls);
    let thread = writer.thread;
    let written =
        tokio::task::spawn_blocking(move || thread.join().expect("writer thread panicked"))
            .await
            .expect("join the writer");
    if let Some(server) = http_server {
        server.abort();
    }
    notifier.finish();
    match (written, failure) {
        (Err(gave_up), _) => Err(gave_up.into()),
        (Ok(_), Some(err)) => Err(err),
        (Ok(_), None) => {
            tracing::info!("stopped");
            Ok(())
        }
    }
}

/// A component that has no error of its own to report.
async fn infallible(run: impl Future<Output = ()>) -> Result<(), DaemonError> {
    run.await;
    Ok(())
}

/// Waits for the first component task to end: its index and how it ended.
async fn first_to_end(
    components: &mut [Component],
) -> (
    usize,
    Result<Result<(), DaemonError>, tokio::task::JoinError>,
) {
    std::future::poll_fn(|cx| {
        for (index, component) in components.iter_mut().enumerate() {
            if let std::task::Poll::Ready(joined) = std::pin::Pin::new(&mut component.task).poll(cx)
            {
                return std::task::Poll::Ready((index, joined));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// How a component ended, as the daemon's result: a panic is raised again;
/// a component that ended without an error before the shutdown is an
/// error too (it was meant to run until then).
fn outcome_of(
    name: &'static str,
    joined: Result<Result<(), DaemonError>, tokio::task::JoinError>,
) -> Result<(), DaemonError> {
    match joined {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => Err(DaemonError::ComponentStopped(name)),
    }
}
