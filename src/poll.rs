//! Polling sources: fetch within the politeness limits, parse off the async
//! workers, record each result (with the source's next poll time) as it
//! arrives. Used once by `newsdesk poll` and continuously by the daemon.
//!
//! Data flows one way: fetch tasks → bounded channel → one writer thread
//! that owns the database. The channel's bound, and holding the global
//! permit until a result is handed over, keep memory flat however many
//! sources there are.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::time::Instant;
use url::Url;

use crate::config::{Adapter, Config, GithubTransport, HostRule, Source, SourceId};
use crate::fetch::{Fetched, Fetcher, Validators};
use crate::filter::Filters;
use crate::schedule::{self, Hints};
use crate::source::{IncomingEntry, feed, github, html, ical};
use crate::store::{Added, PollMemory, PollOutcome, PollRecord, Prepared, Store, StoreError};

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

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fetched => "fetched",
            Outcome::Unchanged => "unchanged",
            Outcome::NotModified => "not_modified",
            Outcome::Failed => "failed",
        }
    }
}

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
}

/// What the fetch side hands to the writer.
pub struct Work {
    source: Source,
    memory: PollMemory,
    started_at: DateTime<Utc>,
    http_status: Option<u16>,
    bytes: u64,
    duration: Duration,
    moved_to: Option<Url>,
    hints: Hints,
    result: WorkResult,
}

enum WorkResult {
    NotModified,
    Unchanged,
    Parsed {
        entries: Vec<IncomingEntry>,
        /// What the writer needs of each entry besides its row, made here,
        /// off the writer thread.
        prepared: Vec<Prepared>,
        validators: Validators,
        body_sha: String,
        /// Read, but not all of it (see `max_entries`).
        warning: Option<String>,
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

/// The gate to one host: how many requests at once, and how far apart
/// their starts must be.
struct HostGate {
    slots: Arc<Semaphore>,
    spacing: Option<Duration>,
    next_start: tokio::sync::Mutex<Instant>,
}

impl HostGate {
    async fn enter(&self) -> OwnedSemaphorePermit {
        let permit = self
            .slots
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        if let Some(spacing) = self.spacing {
            let mut next = self.next_start.lock().await;
            let start = (*next).max(Instant::now());
            *next = start + spacing;
            drop(next);
            tokio::time::sleep_until(start).await;
        }
        permit
    }
}

/// The gate a URL passes: its host and port.
fn gate_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    format!("{host}:{}", url.port_or_known_default().unwrap_or(0))
}

/// A task's panic, raised again where its result is awaited.
fn resume_panic(joined: Result<(), tokio::task::JoinError>) {
    if let Err(err) = joined
        && err.is_panic()
    {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Politeness: a global cap, and per host a cap and an optional rate.
struct Limits {
    global: Arc<Semaphore>,
    per_host: usize,
    rules: Vec<HostRule>,
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

impl Limits {
    fn gate(&self, url: &Url) -> Arc<HostGate> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let key = gate_key(url);
        let mut hosts = self.hosts.lock().expect("host table lock");
        hosts
            .entry(key)
            .or_insert_with(|| {
                let rule = self.rules.iter().find(|r| r.matches(&host));
                Arc::new(HostGate {
                    slots: Arc::new(Semaphore::new(
                        rule.and_then(|r| r.per_host).unwrap_or(self.per_host),
                    )),
                    spacing: rule.and_then(|r| r.rate).map(|r| r.spacing()),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                })
            })
            .clone()
    }
}

/// Fetches and parses sources within the configured limits. Cheap to clone;
/// clones share the limits.
#[derive(Clone)]
pub struct Poller {
    fetcher: Fetcher,
    /// For article pages: the same, with a smaller body cap.
    page_fetcher: Fetcher,
    limits: Arc<Limits>,
    global_filters: Arc<Filters>,
    github: Arc<GithubAccess>,
    max_entries: usize,
    /// Documents parsed at once: one per core. More only interleave, each
    /// holding its document's tree meanwhile.
    parsing: Arc<Semaphore>,
}

/// How GitHub releases are fetched: the API (with headers, the token among
/// them) or the public atom feed.
struct GithubAccess {
    api: Option<(Url, HeaderMap)>,
}

impl GithubAccess {
    fn new(config: &Config) -> GithubAccess {
        let token = match crate::secret::github_token() {
            Ok(token) => token,
            Err(err) => {
                tracing::warn!("{err}");
                None
            }
        };
        let use_api = match config.github.transport {
            GithubTransport::Api => true,
            GithubTransport::Atom => false,
            GithubTransport::Auto => token.is_some(),
        };
        if !use_api {
            return GithubAccess { api: None };
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        if let Some(token) = token
            && let Ok(mut value) =
                HeaderValue::from_str(&format!("Bearer {}", token.secret.expose()))
        {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        GithubAccess {
            api: Some((config.github.api_url.clone(), headers)),
        }
    }
}

impl Poller {
    pub fn new(config: &Config) -> Result<Poller, PollError> {
        Ok(Poller {
            fetcher: Fetcher::new(&config.defaults)?,
            page_fetcher: Fetcher::new(&crate::config::Defaults {
                max_body_size: config.defaults.max_body_size.min(crate::enrich::PAGE_BYTES),
                ..config.defaults.clone()
            })?,
            limits: Arc::new(Limits {
                global: Arc::new(Semaphore::new(config.defaults.concurrency)),
                per_host: config.defaults.per_host,
                rules: config.hosts.clone(),
                hosts: Mutex::new(HashMap::new()),
            }),
            global_filters: Arc::new(config.filters.clone()),
            github: Arc::new(GithubAccess::new(config)),
            max_entries: config.defaults.max_entries,
            parsing: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        })
    }

    /// Polls one source and hands the result to `writer`. Waits for the
    /// host's gate first, so waiting for a busy host does not hold one of
    /// the global slots other hosts could use; the global slot is kept
    /// until the writer has taken the result.
    pub async fn poll_into(&self, source: Source, memory: PollMemory, writer: &mpsc::Sender<Work>) {
        let (url, headers) = self.request_for(&source);
        let permits = self.permits(&url).await;
        self.poll_with_permits(source, memory, url, headers, permits, writer)
            .await;
    }

    /// Polls one source whose permits ([`Poller::permits`]) are held.
    async fn poll_with_permits(
        &self,
        source: Source,
        memory: PollMemory,
        url: Url,
        headers: HeaderMap,
        (host_permit, _global): (OwnedSemaphorePermit, OwnedSemaphorePermit),
        writer: &mpsc::Sender<Work>,
    ) {
        let work = self
            .poll_source(source, memory, &url, &headers, host_permit)
            .await;
        // A closed channel means the writer failed; its error is reported there.
        let _ = writer.send(work).await;
    }

    /// The host's permit first, then a global one: waiting for a busy host
    /// must not hold a global slot other hosts could use.
    async fn permits(&self, url: &Url) -> (OwnedSemaphorePermit, OwnedSemaphorePermit) {
        let host = self.limits.gate(url).enter().await;
        let global = self
            .limits
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        (host, global)
    }

    /// Fetches an article page within the same politeness limits as feeds.
    pub async fn fetch_page(&self, url: &Url) -> crate::fetch::FetchReport {
        let _permits = self.permits(url).await;
        self.page_fetcher.fetch(url, &Validators::default()).await
    }

    /// Where a source's document comes from: its URL, or for GitHub
    /// releases with API access, the API.
    fn request_for(&self, source: &Source) -> (Url, HeaderMap) {
        match (&source.adapter, &self.github.api) {
            (Adapter::GithubReleases(options), Some((base, headers))) => {
                (github::api_url(base, &options.repo), headers.clone())
            }
            _ => (source.url.clone(), HeaderMap::new()),
        }
    }

    async fn poll_source(
        &self,
        source: Source,
        memory: PollMemory,
        url: &Url,
        headers: &HeaderMap,
        host_permit: OwnedSemaphorePermit,
    ) -> Work {
        let started_at = Utc::now();
        let report = self
            .fetcher
            .fetch_with(url, &memory.validators, headers)
            .await;
        drop(host_permit);
        let mut bytes = 0;
        let mut hints = report.hints;
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
                    let adapter = source.adapter.clone();
                    let filters = (source.filters.clone(), self.global_filters.clone());
                    let from_api = !headers.is_empty();
                    let document_url = report.moved_to.clone().unwrap_or_else(|| url.clone());
                    let max_entries = self.max_entries;
                    let parse_permit = self
                        .parsing
                        .clone()
                        .acquire_owned()
                        .await
                        .expect("semaphore never closed");
                    let parsed = tokio::task::spawn_blocking(move || {
                        let _parse_permit = parse_permit;
                        let content_type = content_type.as_deref();
                        let mut parsed = match &adapter {
                            Adapter::Feed => feed::parse(&body, content_type, &document_url),
                            Adapter::Ical { tracks } => ical::parse(&body, &document_url, tracks),
                            Adapter::Html(selectors) => {
                                html::parse(&body, content_type, &document_url, selectors)
                            }
                            Adapter::GithubReleases(options) if from_api => {
                                github::from_api(&body, options)
                            }
                            Adapter::GithubReleases(options) => {
                                github::from_atom(&body, content_type, &document_url, options)
                            }
                        }?;
                        let warning = (parsed.entries.len() > max_entries).then(|| {
                            format!(
                                "the document has {} entries; kept the first {max_entries} (raise [defaults] max_entries if that is really one feed)",
                                parsed.entries.len()
                            )
                        });
                        parsed.entries.truncate(max_entries);
                        for entry in &mut parsed.entries {
                            if entry.filtered.is_none() {
                                entry.filtered = filters
                                    .0
                                    .rejects(entry)
                                    .or_else(|| filters.1.rejects(entry));
                            }
                        }
                        let prepared = parsed.entries.iter().map(Prepared::of).collect();
                        Ok::<_, crate::source::ParseError>((parsed, prepared, warning))
                    })
                    .await;
                    match parsed {
                        Ok(Ok((parsed, prepared, warning))) => {
                            hints.fresh_for = hints.fresh_for.max(parsed.ttl);
                            WorkResult::Parsed {
                                entries: parsed.entries,
                                prepared,
                                validators,
                                body_sha,
                                warning,
                            }
                        }
                        Ok(Err(err)) => WorkResult::Failed(format!("cannot read the feed: {err}")),
                        // A parser bug must cost one source one poll, never
                        // the daemon.
                        Err(panic) => WorkResult::Failed(format!(
                            "cannot read the feed: the parser failed ({panic}); please report this with the feed's URL"
                        )),
                    }
                }
            }
            Err(err) => WorkResult::Failed(err.to_string()),
        };
        Work {
            source,
            memory,
            started_at,
            http_status: report.status,
            bytes,
            duration: report.duration,
            moved_to: report.moved_to,
            hints,
            result,
        }
    }
}

/// Starts the thread that owns `store` and records every [`Work`] sent to
/// it, calling `on_result` after each. It stops when every sender is
/// dropped and returns the store.
pub fn spawn_writer(
    mut store: Store,
    mut on_result: impl FnMut(&SourceResult) + Send + 'static,
) -> (
    mpsc::Sender<Work>,
    std::thread::JoinHandle<Result<Store, StoreError>>,
) {
    let (tx, mut rx) = mpsc::channel::<Work>(16);
    let handle = std::thread::Builder::new()
        .name("newsdesk-writer".into())
        .spawn(move || {
            let mut last_release = std::time::Instant::now();
            while let Some(first) = rx.blocking_recv() {
                // Polls that queued up while the last batch was written go
                // into one transaction: one commit instead of many.
                let mut works = vec![first];
                while works.len() < WRITE_BATCH
                    && let Ok(work) = rx.try_recv()
                {
                    works.push(work);
                }
                let results = store.in_batch(|batch| {
                    works
                        .into_iter()
                        .map(|work| record(batch, work))
                        .collect::<Result<Vec<_>, _>>()
                })?;
                for result in &results {
                    on_result(result);
                }
                drop(results);
                release_free_memory(&mut last_release);
            }
            Ok(store)
        })
        .expect("spawn the writer thread");
    (tx, handle)
}

/// Gives the pages of freed memory back to the system, at most every
/// tenth of a second. Parsers free much more than the writer keeps; what
/// they free stays with the process otherwise, and adds up to a peak of
/// about 6 MB more in a cold poll of 2,000 feeds.
fn release_free_memory(last: &mut std::time::Instant) {
    if last.elapsed() < Duration::from_millis(100) {
        return;
    }
    *last = std::time::Instant::now();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; it is
    // safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// At most this many polls are written in one transaction.
const WRITE_BATCH: usize = 64;

/// Polls `sources` once, storing every result in `store`, then (with
/// `enrich`) enriches candidates that need it.
pub async fn poll_once(
    config: &Config,
    mut store: Store,
    sources: Vec<Source>,
    mut progress: Box<dyn Progress>,
    enrich: bool,
) -> Result<PollReport, PollError> {
    store.sync_sources(config)?;
    store.set_title_similarity(config.dedup.title_similarity);
    store.set_ranking(crate::rank::Rules::of(config))?;
    refresh_published(&mut store, config)?;
    let memory = store.poll_memory()?;
    let poller = Poller::new(config)?;
    progress.start(sources.len());
    let results = Arc::new(Mutex::new(Vec::with_capacity(sources.len())));
    let collected = results.clone();
    let (tx, writer) = spawn_writer(store, move |result| {
        progress.finished(result);
        collected.lock().expect("results lock").push(result.clone());
    });
    // One task per host, starting its sources' polls as its gate and the
    // global limit let it: a pass holds tasks for the polls in progress
    // and the hosts, not a waiting task (~4 KB) per source.
    type Queued = (Source, PollMemory, Url, HeaderMap);
    let mut hosts: Vec<Vec<Queued>> = Vec::new();
    let mut host_of: HashMap<String, usize> = HashMap::new();
    for source in sources {
        let memory = memory.get(&source.id).cloned().unwrap_or_default();
        let (url, headers) = poller.request_for(&source);
        let at = *host_of.entry(gate_key(&url)).or_insert_with(|| {
            hosts.push(Vec::new());
            hosts.len() - 1
        });
        hosts[at].push((source, memory, url, headers));
    }
    let mut tasks = tokio::task::JoinSet::new();
    for queue in hosts {
        let poller = poller.clone();
        let tx = tx.clone();
        tasks.spawn(async move {
            let mut polls = tokio::task::JoinSet::new();
            for (source, memory, url, headers) in queue {
                let permits = poller.permits(&url).await;
                let poller = poller.clone();
                let tx = tx.clone();
                polls.spawn(async move {
                    poller
                        .poll_with_permits(source, memory, url, headers, permits, &tx)
                        .await
                });
                // Finished polls are reaped as they go.
                while let Some(joined) = polls.try_join_next() {
                    resume_panic(joined);
                }
            }
            while let Some(joined) = polls.join_next().await {
                resume_panic(joined);
            }
        });
    }
    drop(tx);
    while let Some(joined) = tasks.join_next().await {
        resume_panic(joined);
    }
    let mut store = writer.join().expect("writer thread panicked")?;
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    let enriched = match enrich {
        true => crate::enrich::enrich_pending(&poller, &mut store, config, ENRICH_PER_POLL).await?,
        false => crate::enrich::Enriched::default(),
    };
    Ok(PollReport { results, enriched })
}

/// Article pages fetched after one `poll` at most; the rest wait for the
/// next poll (the daemon works through them as it goes).
pub const ENRICH_PER_POLL: usize = 100;

/// What `poll_once` did.
pub struct PollReport {
    /// Per source, in the order they finished.
    pub results: Vec<SourceResult>,
    pub enriched: crate::enrich::Enriched,
}

/// Reads the links of past issues from the drafts directory (absent: none
/// published yet).
pub fn refresh_published(store: &mut Store, config: &Config) -> Result<usize, StoreError> {
    let dir = &config.newsletter.drafts_dir;
    if !dir.is_dir() {
        return Ok(0);
    }
    let links = crate::published::scan(dir);
    store.replace_published(&links)?;
    tracing::debug!(links = links.len(), dir = %dir.display(), "links of past issues read");
    Ok(links.len())
}

fn sha256_hex(body: &[u8]) -> String {
    Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn record(store: &mut crate::store::Batch, work: Work) -> Result<SourceResult, StoreError> {
    let moved_to = work.moved_to.as_ref().map(Url::to_string);
    let (outcome, error) = match &work.result {
        WorkResult::NotModified => (PollOutcome::NotModified, None),
        WorkResult::Unchanged => (PollOutcome::Unchanged, None),
        WorkResult::Parsed {
            entries,
            prepared,
            validators,
            body_sha,
            warning,
        } => (
            PollOutcome::Parsed {
                entries,
                prepared: Some(prepared),
                validators,
                body_sha,
                warning: warning.as_deref(),
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
    let consecutive_failures = match summary_outcome {
        Outcome::Failed => work.memory.consecutive_failures + 1,
        _ => 0,
    };
    let policy = work.source.schedule;
    let (added, next) = store.record_poll(
        &PollRecord {
            source: &work.source,
            started_at: work.started_at,
            http_status: work.http_status,
            bytes: work.bytes,
            duration: work.duration,
            moved_to: moved_to.as_deref(),
            outcome,
        },
        |added| {
            let result = match summary_outcome {
                Outcome::Failed => schedule::Result::Failed {
                    consecutive_failures,
                },
                _ => schedule::Result::Ok {
                    new_entries: added.entries,
                },
            };
            policy.next(
                Utc::now(),
                work.memory.interval,
                result,
                work.hints,
                fastrand::f64(),
            )
        },
    )?;
    Ok(SourceResult {
        id: work.source.id,
        outcome: summary_outcome,
        http_status: work.http_status,
        bytes: work.bytes,
        duration: work.duration,
        added,
        error,
        moved_to,
        consecutive_failures,
        next_poll_at: next.at,
    })
}
