//! Polling sources: each document fetched through the polite client, read
//! by its adapter off the async workers (`reader`), and recorded with
//! the source's next poll time as it arrives (`writer`). Used once by
//! `newsdesk poll` and continuously by the daemon.
//!
//! Data flows one way: fetch tasks → bounded channel → one writer thread
//! that owns the database. The channel's bound, and holding the global
//! slot until a result is handed over, keep memory flat however many
//! sources there are.

mod reader;
mod request;
mod writer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use reader::{CompletedPoll, Poller};
pub use writer::{WriteFailure, Writer, WriterError, WriterHealth, spawn_writer};

use crate::config::{Config, Source, SourceId};
use crate::fetch::{PoliteClient, gate_key};
use crate::outcome::Outcome;
use crate::rank::Ranking;
use crate::store::{Added, Store, StoreError};

/// The result of polling one source, for progress lines, the summary, the
/// scheduler and metrics.
#[derive(Debug, Clone)]
pub struct SourceResult {
    pub id: SourceId,
    pub outcome: Outcome,
    pub http_status: Option<u16>,
    pub bytes: u64,
    pub duration: Duration,
    pub added: Added,
    pub error: Option<String>,
    pub moved_to: Option<String>,
    pub consecutive_failures: u32,
    pub next_poll_at: DateTime<Utc>,
}

/// Told about each source as its result is stored.
pub trait Progress: Send {
    fn start(&mut self, total: usize);
    fn finished(&mut self, result: &SourceResult);
    /// The hosts being fetched from, as they change: for a progress line
    /// that says what it waits on.
    fn watch(&mut self, _in_flight: Arc<InFlight>) {}
}

/// The hosts whose fetches are under way, with how many each.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<std::collections::BTreeMap<String, usize>>);

impl InFlight {
    /// The hosts, most fetches first.
    pub fn hosts(&self) -> Vec<(String, usize)> {
        let mut hosts: Vec<(String, usize)> = self
            .0
            .lock()
            .expect("in-flight lock")
            .iter()
            .map(|(host, n)| (host.clone(), *n))
            .collect();
        hosts.sort_by_key(|h| std::cmp::Reverse(h.1));
        hosts
    }

    /// Counts a fetch from `host` until the guard is dropped.
    fn enter(self: &Arc<Self>, host: String) -> InFlightGuard {
        *self
            .0
            .lock()
            .expect("in-flight lock")
            .entry(host.clone())
            .or_default() += 1;
        InFlightGuard {
            in_flight: self.clone(),
            host,
        }
    }
}

struct InFlightGuard {
    in_flight: Arc<InFlight>,
    host: String,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let mut hosts = self.in_flight.0.lock().expect("in-flight lock");
        if let Some(n) = hosts.get_mut(&self.host) {
            *n -= 1;
            if *n == 0 {
                hosts.remove(&self.host);
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Writer(#[from] WriterError),
    #[error("cannot set up the HTTP client")]
    Client(#[from] reqwest::Error),
}

/// How long `newsdesk poll` keeps retrying a write that fails before it
/// gives up (the daemon waits longer: `[daemon] writer_give_up_after`).
const POLL_WRITE_GIVE_UP: Duration = Duration::from_secs(30);

/// A task's panic, raised again where its result is awaited.
fn resume_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(err) = joined
        && err.is_panic()
    {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Polls `sources` once through `client`, storing every result in `store`;
/// returns the store and what each source's poll came to, in the order
/// they finished.
pub async fn poll_once(
    config: &Config,
    mut store: Store,
    client: &PoliteClient,
    sources: Vec<Source>,
    mut progress: Box<dyn Progress>,
) -> Result<(Store, Vec<SourceResult>), PollError> {
    store.sync_sources(config)?;
    store.set_title_similarity(config.dedup.title_similarity);
    let ranking = Ranking::adopt(crate::rank::Rules::of(config), &mut store)?;
    let memory = store.poll_memory()?;
    let poller = Poller::new(config, client.clone());
    progress.start(sources.len());
    let in_flight = Arc::new(InFlight::default());
    progress.watch(in_flight.clone());
    let results = Arc::new(Mutex::new(Vec::with_capacity(sources.len())));
    let collected = results.clone();
    let writer = spawn_writer(store, ranking, POLL_WRITE_GIVE_UP, move |result| {
        progress.finished(result);
        collected.lock().expect("results lock").push(result.clone());
    });
    // One task per host, starting its sources' polls as its gate and the
    // global limit let it: a pass holds tasks for the polls in progress
    // and the hosts, not a waiting task (~4 KB) per source.
    let mut hosts: Vec<Vec<_>> = Vec::new();
    let mut host_of: HashMap<String, usize> = HashMap::new();
    for source in sources {
        let memory = memory.get(&source.id).cloned().unwrap_or_default();
        let request = poller.request_for(&source);
        let at = *host_of.entry(gate_key(&request.url)).or_insert_with(|| {
            hosts.push(Vec::new());
            hosts.len() - 1
        });
        hosts[at].push((source, memory, request));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for queue in hosts {
        let poller = poller.clone();
        let polls = writer.polls.clone();
        let in_flight = in_flight.clone();
        tasks.spawn(async move {
            let mut running = tokio::task::JoinSet::new();
            for (source, memory, request) in queue {
                let admission = poller.admit(&request.url).await;
                let poller = poller.clone();
                let polls = polls.clone();
                let fetching = in_flight.enter(request.url.host_str().unwrap_or("?").to_owned());
                running.spawn(async move {
                    let _fetching = fetching;
                    poller
                        .poll_admitted(source, memory, request, admission, &polls)
                        .await
                });
                // Finished polls are reaped as they go.
                while let Some(joined) = running.try_join_next() {
                    resume_panic(joined);
                }
            }
            while let Some(joined) = running.join_next().await {
                resume_panic(joined);
            }
        });
    }
    let Writer { polls, thread, .. } = writer;
    drop(polls);
    while let Some(joined) = tasks.join_next().await {
        resume_panic(joined);
    }
    let store = tokio::task::spawn_blocking(move || thread.join().expect("writer thread panicked"))
        .await
        .expect("join the writer")?;
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    Ok((store, results))
}
