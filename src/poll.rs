//! One pass over a set of sources: fetch concurrently within the politeness
//! limits, parse off the async workers, record each result as it arrives.
//!
//! Data flows one way: fetch tasks → bounded channel → one writer thread
//! that owns the database. The channel's bound, and holding the global
//! permit until a result is handed over, keep memory flat however many
//! sources there are.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use tokio::sync::{Semaphore, mpsc};
use url::Url;

use crate::config::{Config, Source, SourceId};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::source::{IncomingEntry, SourceKind, feed, ical};
use crate::store::{Added, PollMemory, PollOutcome, PollRecord, Store, StoreError};

/// How one source's poll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// New content was fetched and parsed.
    Fetched,
    /// The server sent the same bytes as last time.
    Unchanged,
    /// The server answered 304.
    NotModified,
    Failed,
}

/// The result of polling one source, for progress lines and the summary.
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
}

/// Told about each source as its result is stored.
pub trait Progress: Send {
    fn start(&mut self, total: usize);
    fn finished(&mut self, result: &SourceResult);
}

/// What the fetch side hands to the writer.
struct Work {
    source: Source,
    started_at: DateTime<Utc>,
    http_status: Option<u16>,
    bytes: u64,
    duration: Duration,
    moved_to: Option<Url>,
    result: WorkResult,
}

enum WorkResult {
    NotModified,
    Unchanged,
    Parsed {
        entries: Vec<IncomingEntry>,
        validators: Validators,
        body_sha: String,
    },
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot set up the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Polls `sources` once, storing every result in `store`; returns the
/// per-source results in the order they finished, and the store.
pub async fn poll_once(
    config: &Config,
    mut store: Store,
    sources: Vec<Source>,
    mut progress: Box<dyn Progress>,
) -> Result<(Vec<SourceResult>, Store), PollError> {
    store.sync_sources(&config.sources)?;
    let memory = store.poll_memory()?;
    let fetcher = Fetcher::new(&config.defaults)?;
    let total = sources.len();

    let (tx, mut rx) = mpsc::channel::<Work>(32);
    let writer = std::thread::spawn(move || -> Result<(Vec<SourceResult>, Store), StoreError> {
        progress.start(total);
        let mut results = Vec::with_capacity(total);
        while let Some(work) = rx.blocking_recv() {
            let result = record(&mut store, work)?;
            progress.finished(&result);
            results.push(result);
        }
        Ok((results, store))
    });

    let global = Arc::new(Semaphore::new(config.defaults.concurrency));
    let mut per_host: HashMap<String, Arc<Semaphore>> = HashMap::new();
    let mut tasks = tokio::task::JoinSet::new();
    for source in sources {
        let host = host_key(&source.url);
        let host_limit = per_host
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(config.defaults.per_host)))
            .clone();
        let global = global.clone();
        let fetcher = fetcher.clone();
        let tx = tx.clone();
        let memory = memory.get(&source.id).cloned().unwrap_or_default();
        tasks.spawn(async move {
            // The host permit first: waiting for a busy host must not hold
            // one of the global slots other hosts could use.
            let host_permit = host_limit
                .acquire_owned()
                .await
                .expect("semaphore never closed");
            let _global_permit = global
                .acquire_owned()
                .await
                .expect("semaphore never closed");
            let work = poll_source(&fetcher, source, memory, host_permit).await;
            // A closed channel means the writer failed; its error is reported.
            let _ = tx.send(work).await;
        });
    }
    drop(tx);
    while let Some(joined) = tasks.join_next().await {
        if let Err(err) = joined
            && err.is_panic()
        {
            std::panic::resume_unwind(err.into_panic());
        }
    }
    let (results, store) = writer.join().expect("writer thread panicked")?;
    Ok((results, store))
}

fn host_key(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

async fn poll_source(
    fetcher: &Fetcher,
    source: Source,
    memory: PollMemory,
    host_permit: tokio::sync::OwnedSemaphorePermit,
) -> Work {
    let started_at = Utc::now();
    let report = fetcher.fetch(&source.url, &memory.validators).await;
    drop(host_permit);
    let mut bytes = 0;
    let result = match report.result {
        Ok(Fetched::NotModified) => WorkResult::NotModified,
        Ok(Fetched::Body {
            body,
            content_type,
            validators,
        }) => {
            bytes = body.len() as u64;
            let body_sha = sha256_hex(&body);
            if memory.body_sha.as_deref() == Some(body_sha.as_str()) {
                WorkResult::Unchanged
            } else {
                let kind = source.kind;
                let feed_url = report
                    .moved_to
                    .clone()
                    .unwrap_or_else(|| source.url.clone());
                let parsed = tokio::task::spawn_blocking(move || match kind {
                    SourceKind::Feed => feed::parse(&body, content_type.as_deref(), &feed_url),
                    SourceKind::Ical => ical::parse(&body, &feed_url),
                    other => unreachable!("configuration refuses unsupported kind {other}"),
                })
                .await
                .expect("parser panicked");
                match parsed {
                    Ok(parsed) => WorkResult::Parsed {
                        entries: parsed.entries,
                        validators,
                        body_sha,
                    },
                    Err(err) => WorkResult::Failed(format!("cannot read the feed: {err}")),
                }
            }
        }
        Err(err) => WorkResult::Failed(err.to_string()),
    };
    Work {
        source,
        started_at,
        http_status: report.status,
        bytes,
        duration: report.duration,
        moved_to: report.moved_to,
        result,
    }
}

fn sha256_hex(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn record(store: &mut Store, work: Work) -> Result<SourceResult, StoreError> {
    let moved_to = work.moved_to.as_ref().map(Url::to_string);
    let (outcome, error) = match &work.result {
        WorkResult::NotModified => (PollOutcome::NotModified, None),
        WorkResult::Unchanged => (PollOutcome::Unchanged, None),
        WorkResult::Parsed {
            entries,
            validators,
            body_sha,
        } => (
            PollOutcome::Parsed {
                entries,
                validators,
                body_sha,
            },
            None,
        ),
        WorkResult::Failed(error) => (PollOutcome::Failed { error }, Some(error.clone())),
    };
    let summary_outcome = match outcome {
        PollOutcome::NotModified => Outcome::NotModified,
        PollOutcome::Unchanged => Outcome::Unchanged,
        PollOutcome::Parsed { .. } => Outcome::Fetched,
        PollOutcome::Failed { .. } => Outcome::Failed,
    };
    let added = store.record_poll(&PollRecord {
        source: &work.source,
        started_at: work.started_at,
        http_status: work.http_status,
        bytes: work.bytes,
        duration: work.duration,
        moved_to: moved_to.as_deref(),
        outcome,
    })?;
    Ok(SourceResult {
        id: work.source.id,
        outcome: summary_outcome,
        http_status: work.http_status,
        bytes: work.bytes,
        duration: work.duration,
        added,
        error,
        moved_to,
    })
}
