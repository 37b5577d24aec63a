//! Reading one source: its document fetched through the polite client,
//! parsed by its adapter off the async workers (one document per core at
//! a time), filtered, and prepared for the writer.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{Semaphore, mpsc};
use url::Url;

use super::request::{DocumentRequest, GithubAccess};
use crate::config::{Config, Source};
use crate::fetch::{Admission, Fetched, PoliteClient, Validators};
use crate::filter::Filters;
use crate::outcome::Outcome;
use crate::schedule::Hints;
use crate::source::{Document, IncomingEntry};
use crate::store::{DedupKeys, PollMemory};

/// One source's poll, fetched and read, on its way to the writer.
pub struct CompletedPoll {
    pub(super) source: Source,
    pub(super) memory: PollMemory,
    pub(super) started_at: DateTime<Utc>,
    pub(super) http_status: Option<u16>,
    pub(super) bytes: u64,
    pub(super) duration: Duration,
    pub(super) moved_to: Option<Url>,
    pub(super) hints: Hints,
    pub(super) outcome: Outcome,
    /// With [`Outcome::Fetched`].
    pub(super) document: Option<ReadDocument>,
    /// With [`Outcome::Failed`].
    pub(super) error: Option<String>,
}

/// What a fetched document held.
pub(super) struct ReadDocument {
    pub(super) entries: Vec<IncomingEntry>,
    /// What the writer needs of each entry besides its row, made here,
    /// off the writer thread.
    pub(super) prepared: Vec<DedupKeys>,
    pub(super) validators: Validators,
    pub(super) body_sha: String,
    /// Read, but not all of it (see `max_entries`).
    pub(super) warning: Option<String>,
}

/// Fetches and reads sources within the configured limits. Cheap to clone;
/// clones share the client and its limits.
#[derive(Clone)]
pub struct Poller {
    client: PoliteClient,
    global_filters: Arc<Filters>,
    github: Arc<GithubAccess>,
    max_entries: usize,
    /// Documents parsed at once: one per core. More only interleave, each
    /// holding its document's tree meanwhile.
    parsing: Arc<Semaphore>,
}

impl Poller {
    pub fn new(config: &Config, client: PoliteClient) -> Poller {
        Poller {
            client,
            global_filters: Arc::new(config.filters.clone()),
            github: Arc::new(GithubAccess::new(config)),
            max_entries: config.defaults.max_entries,
            parsing: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
        }
    }

    pub(super) fn request_for(&self, source: &Source) -> DocumentRequest {
        self.github.request_for(source)
    }

    pub(super) async fn admit(&self, url: &Url) -> Admission {
        self.client.admit(url).await
    }

    /// Polls one source and hands the result to `writer`. Waits for the
    /// host's gate first, so waiting for a busy host does not hold one of
    /// the global slots other hosts could use; the global slot is kept
    /// until the writer has taken the result.
    pub async fn poll_into(
        &self,
        source: Source,
        memory: PollMemory,
        writer: &mpsc::Sender<CompletedPoll>,
    ) {
        let request = self.request_for(&source);
        let admission = self.admit(&request.url).await;
        self.poll_admitted(source, memory, request, admission, writer)
            .await;
    }

    /// Polls one source whose admission is held.
    pub(super) async fn poll_admitted(
        &self,
        source: Source,
        memory: PollMemory,
        request: DocumentRequest,
        mut admission: Admission,
        writer: &mpsc::Sender<CompletedPoll>,
    ) {
        let completed = self
            .poll_source(source, memory, &request, &mut admission)
            .await;
        // The writer retries what it cannot store; it is gone only when it
        // gave up, and then says so itself (the daemon exits on it).
        if writer.send(completed).await.is_err() {
            tracing::debug!("the writer has stopped; this poll is not recorded");
        }
        drop(admission);
    }

    async fn poll_source(
        &self,
        source: Source,
        memory: PollMemory,
        request: &DocumentRequest,
        admission: &mut Admission,
    ) -> CompletedPoll {
        let started_at = Utc::now();
        let url = &request.url;
        let report = self
            .client
            .fetch(admission, url, &memory.validators, &request.headers)
            .await;
        let mut bytes = 0;
        let mut hints = report.hints;
        let (outcome, document, error) = match report.result {
            Ok(Fetched::NotModified) => (Outcome::NotModified, None, None),
            Ok(Fetched::Body {
                body,
                content_type,
                validators,
            }) => {
                bytes = body.len() as u64;
                let body_sha = crate::digest::sha256_hex(&body);
                if memory.body_sha.as_deref() == Some(body_sha.as_str()) {
                    (Outcome::Unchanged, None, None)
                } else {
                    let options = source.options.clone();
                    let filters = (source.filters.clone(), self.global_filters.clone());
                    let from_api = request.from_api;
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
                        let document = Document {
                            body: &body,
                            content_type: content_type.as_deref(),
                            url: &document_url,
                            from_github_api: from_api,
                        };
                        let mut parsed = crate::source::parse(&options, &document)?;
                        let too_many = (parsed.entries.len() > max_entries).then(|| {
                            format!(
                                "the document has {} entries; kept the first {max_entries} (raise [defaults] max_entries if that is really one feed)",
                                parsed.entries.len()
                            )
                        });
                        let warning = match (parsed.warning.take(), too_many) {
                            (Some(unread), Some(too_many)) => Some(format!("{unread}; {too_many}")),
                            (unread, too_many) => unread.or(too_many),
                        };
                        parsed.entries.truncate(max_entries);
                        for entry in &mut parsed.entries {
                            if entry.filtered.is_none() {
                                entry.filtered = filters
                                    .0
                                    .rejects(entry)
                                    .or_else(|| filters.1.rejects(entry));
                            }
                        }
                        let prepared = parsed.entries.iter().map(DedupKeys::of).collect();
                        Ok::<_, crate::source::ParseError>((parsed, prepared, warning))
                    })
                    .await;
                    match parsed {
                        Ok(Ok((parsed, prepared, warning))) => {
                            hints.fresh_for = hints.fresh_for.max(parsed.ttl);
                            let document = ReadDocument {
                                entries: parsed.entries,
                                prepared,
                                validators,
                                body_sha,
                                warning,
                            };
                            (Outcome::Fetched, Some(document), None)
                        }
                        Ok(Err(err)) => (
                            Outcome::Failed,
                            None,
                            Some(format!("cannot read the feed: {err}")),
                        ),
                        // A parser bug must cost one source one poll, never
                        // the daemon.
                        Err(panic) => (
                            Outcome::Failed,
                            None,
                            Some(format!(
                                "cannot read the feed: the parser failed ({panic}); please report this with the feed's URL"
                            )),
                        ),
                    }
                }
            }
            Err(err) => (Outcome::Failed, None, Some(err.to_string())),
        };
        CompletedPoll {
            source,
            memory,
            started_at,
            http_status: report.status,
            bytes,
            duration: report.duration,
            moved_to: report.moved_to,
            hints,
            outcome,
            document,
            error,
        }
    }
}
