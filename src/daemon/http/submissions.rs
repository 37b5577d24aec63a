//! Links a team submits over HTTP: `POST /api/submissions` and
//! `GET /api/queue`, each with a contributor's bearer token. Off while no
//! contributor is configured. The page is read before the database is
//! touched; the placement itself is one short transaction on a
//! connection of its own, which waits (busy_timeout) rather than fails
//! while the writer stores a poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use hyper::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::candidate::Status;
use crate::config::{Config, Contributor, ContributorsOrigin, Rate, contributor_of};
use crate::http_server::{Answer, Received, respond};
use crate::ids::CandidateId;
use crate::intake::{self, Added, IntakeError, Request};
use crate::store::{QueueQuery, Store};

use super::super::scheduler::Running;

/// The most candidates `GET /api/queue` lists at once.
const MAX_LISTED: usize = 500;

/// An answer refusing a request, boxed: it is large, and the rare case.
type Refusal = Box<Answer>;

/// Shared by every connection of the listener.
#[derive(Clone)]
pub(in crate::daemon) struct Submissions {
    running: watch::Receiver<Running>,
    store: Arc<Mutex<Store>>,
    tokens: Arc<Mutex<Tokens>>,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

/// The contributors as last read, and the file's state then.
struct Tokens {
    origin: Option<ContributorsOrigin>,
    stamp: Option<(SystemTime, u64)>,
    contributors: Arc<Vec<Contributor>>,
}

/// A token bucket per contributor: `rate.requests` at once, refilled at
/// the rate.
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// What a submission carries, as JSON or as a form.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    url: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    section: Option<String>,
    /// The title to show instead of the page's (the bookmarklet's).
    #[serde(default)]
    title: Option<String>,
    /// File it under this candidate as a related link.
    #[serde(default)]
    related_to: Option<i64>,
}

/// The answer to a submission: what `newsdesk add --json` prints, and
/// a sentence for people.
#[derive(Serialize)]
struct Answered<'a> {
    #[serde(flatten)]
    added: &'a Added,
    message: String,
}

impl Submissions {
    pub(in crate::daemon) fn new(store: Store, running: watch::Receiver<Running>) -> Submissions {
        Submissions {
            running,
            store: Arc::new(Mutex::new(store)),
            tokens: Arc::new(Mutex::new(Tokens {
                origin: None,
                stamp: None,
                contributors: Arc::new(Vec::new()),
            })),
            buckets: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn config(&self) -> Arc<Config> {
        self.running.borrow().config.clone()
    }

    pub(super) fn sections(&self) -> Vec<(String, String)> {
        let config = self.config();
        config
            .sections
            .iter()
            .map(|s| (s.id.clone(), s.title.clone()))
            .collect()
    }

    /// The contributors now: read again when their file changed (so
    /// `newsdesk contributors add` needs no restart). A file that became
    /// invalid keeps the last good list, with a warning.
    fn contributors(&self) -> Arc<Vec<Contributor>> {
        let config = self.config();
        let origin = config.contributors_served();
        let stamp = std::fs::metadata(origin.path())
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())));
        let mut tokens = self.tokens.lock().expect("tokens lock");
        if tokens.origin.as_ref() != Some(&origin) || tokens.stamp != stamp {
            match crate::config::load_contributors(origin.path()) {
                Ok(contributors) => tokens.contributors = Arc::new(contributors),
                Err(err) => tracing::warn!(
                    "{}; submissions keep the contributors read before",
                    crate::errors::with_causes(&err)
                ),
            }
            tokens.origin = Some(origin);
            tokens.stamp = stamp;
        }
        tokens.contributors.clone()
    }

    /// "submissions over HTTP: on (2 contributors in FILE)", for the log
    /// and `/healthz`.
    pub(in crate::daemon) fn state_line(&self) -> String {
        let count = self.contributors().len();
        let origin = self.config().contributors_served().describe();
        match count {
            0 => format!(
                "submissions over HTTP: off (no [[contributors]] in {origin}; `newsdesk contributors add NAME` adds one)"
            ),
            n => format!(
                "submissions over HTTP: on ({n} contributor{} in {origin})",
                if n == 1 { "" } else { "s" }
            ),
        }
    }

    /// The contributor the request's bearer token belongs to, or the
    /// answer that refuses it.
    fn authenticate(&self, request: &Received) -> Result<String, Refusal> {
        let contributors = self.contributors();
        if contributors.is_empty() {
            return Err(Box::new(error(
                StatusCode::NOT_FOUND,
                "submissions over HTTP are off: no contributor is configured; `newsdesk contributors add NAME` adds one",
            )));
        }
        let token = request
            .header("authorization")
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        match token.and_then(|token| contributor_of(&contributors, token)) {
            Some(contributor) => Ok(contributor.name.clone()),
            None => {
                let mut answer = error(
                    StatusCode::UNAUTHORIZED,
                    "a contributor's token is needed: send `Authorization: Bearer TOKEN` (an editor gives it out with `newsdesk contributors add NAME`)",
                );
                answer.headers_mut().insert(
                    "WWW-Authenticate",
                    hyper::header::HeaderValue::from_static("Bearer realm=\"newsdesk\""),
                );
                Err(Box::new(answer))
            }
        }
    }

    /// Takes one submission from the contributor's bucket, or answers 429
    /// with when to try again.
    fn take_one(&self, contributor: &str, rate: Rate) -> Result<(), Refusal> {
        let per_second = f64::from(rate.requests) / rate.per.as_secs_f64();
        let capacity = f64::from(rate.requests);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("buckets lock");
        let bucket = buckets.entry(contributor.to_owned()).or_insert(Bucket {
            tokens: capacity,
            updated: now,
        });
        let refilled =
            bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second;
        bucket.tokens = refilled.min(capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64;
        let mut answer = error(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "over the rate of {} submissions per {} for one contributor ([daemon] submission_rate); try again in {wait} s",
                rate.requests,
                humantime::format_duration(rate.per)
            ),
        );
        answer
            .headers_mut()
            .insert("Retry-After", hyper::header::HeaderValue::from(wait));
        Err(Box::new(answer))
    }

    /// `POST /api/submissions`.
    pub(super) async fn submit(&self, request: &Received) -> Answer {
        let contributor = match self.authenticate(request) {
            Ok(contributor) => contributor,
            Err(answer) => return *answer,
        };
        let Running { config, client } = self.running.borrow().clone();
        if let Err(answer) = self.take_one(&contributor, config.daemon.submission_rate) {
            return *answer;
        }
        let body = match parse_body(request) {
            Ok(body) => body,
            Err(reason) => return error(StatusCode::BAD_REQUEST, &reason),
        };
        let request = Request {
            url: body.url.trim(),
            note: body
                .note
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty()),
            section: body.section.as_deref().filter(|s| !s.is_empty()),
            contributor: &contributor,
            force: false,
            accept: false,
            title: body
                .title
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty()),
            related_to: body.related_to.map(CandidateId),
        };
        let checked = intake::parse_link(request.url)
            .and_then(|_| intake::check_section(&config, request.section));
        let entry = match checked {
            Ok(()) => intake::read_page(&client, &request).await,
            Err(err) => Err(err),
        };
        let placed = match entry {
            Ok(entry) => {
                let store = self.store.clone();
                let owned = Owned::of(&request);
                tokio::task::spawn_blocking(move || {
                    let mut store = store.lock().expect("store lock");
                    intake::place(&mut store, &config, &owned.request(), &entry)
                })
                .await
                .expect("the placement does not panic")
            }
            Err(err) => Err(err),
        };
        match placed {
            Ok(added) => {
                let id = added.id.map_or("none".to_owned(), |id| id.to_string());
                tracing::info!(contributor, id, status = %added.status, "link submitted over HTTP");
                // Created: a new candidate, or a link newly filed under one.
                let created = (added.id.is_some() && added.duplicate_of.is_none())
                    || added.status == "related";
                let status = match created {
                    true => StatusCode::CREATED,
                    false => StatusCode::OK,
                };
                let message = message(&added);
                json(
                    status,
                    &Answered {
                        added: &added,
                        message,
                    },
                )
            }
            Err(err) if err.is_input() => error(StatusCode::BAD_REQUEST, &input_reason(&err)),
            Err(err) => {
                tracing::warn!(
                    contributor,
                    "a submission could not be stored: {}",
                    crate::errors::with_causes(&err)
                );
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the queue cannot be written just now; try again in a minute",
                )
            }
        }
    }

    /// `GET /api/queue?status=new&limit=N`: what is queued, best first, so
    /// a contributor can look before submitting.
    pub(super) async fn queue(&self, request: &Received) -> Answer {
        if let Err(answer) = self.authenticate(request) {
            return *answer;
        }
        let mut status = Some(Status::New);
        let mut limit = 100;
        for (key, value) in
            url::form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes())
        {
            match key.as_ref() {
                "status" if value == "all" => status = None,
                "status" => match Status::parse(&value) {
                    Some(parsed) => status = Some(parsed),
                    None => {
                        return error(
                            StatusCode::BAD_REQUEST,
                            &format!(
                                "status=\"{value}\" is not a status: use new, accepted, rejected, … or all"
                            ),
                        );
                    }
                },
                "limit" => match value.parse::<usize>() {
                    Ok(n) if (1..=MAX_LISTED).contains(&n) => limit = n,
                    _ => {
                        return error(
                            StatusCode::BAD_REQUEST,
                            &format!("limit=\"{value}\" is not a number from 1 to {MAX_LISTED}"),
                        );
                    }
                },
                _ => {}
            }
        }
        let store = self.store.clone();
        let listed = tokio::task::spawn_blocking(move || {
            store.lock().expect("store lock").queue(&QueueQuery {
                status,
                section: None,
                text: None,
                limit: Some(limit),
                offset: 0,
            })
        })
        .await
        .expect("the listing does not panic");
        match listed {
            Ok(candidates) => json(StatusCode::OK, &candidates),
            Err(err) => {
                tracing::warn!(
                    "the queue could not be read: {}",
                    crate::errors::with_causes(&err)
                );
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the queue cannot be read just now; try again in a minute",
                )
            }
        }
    }
}

/// The request's fields, owned, for the blocking task that places it.
struct Owned {
    url: String,
    note: Option<String>,
    section: Option<String>,
    contributor: String,
    title: Option<String>,
    related_to: Option<CandidateId>,
}

impl Owned {
    fn of(request: &Request) -> Owned {
        Owned {
            url: request.url.to_owned(),
            note: request.note.map(str::to_owned),
            section: request.section.map(str::to_owned),
            contributor: request.contributor.to_owned(),
            title: request.title.map(str::to_owned),
            related_to: request.related_to,
        }
    }

    fn request(&self) -> Request<'_> {
        Request {
            url: &self.url,
            note: self.note.as_deref(),
            section: self.section.as_deref(),
            contributor: &self.contributor,
            force: false,
            accept: false,
            title: self.title.as_deref(),
            related_to: self.related_to,
        }
    }
}

/// The body as JSON or as a form, by its Content-Type.
fn parse_body(request: &Received) -> Result<Body, String> {
    let content_type = request.header("content-type").unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => serde_json::from_slice(&request.body)
            .map_err(|err| format!("the JSON body is not a submission: {err}")),
        "application/x-www-form-urlencoded" => {
            // A form's fields are text: an empty one is absent, a number
            // is one where the JSON would have it.
            let mut fields = serde_json::Map::new();
            for (key, value) in url::form_urlencoded::parse(&request.body) {
                let value = match (key.as_ref(), value.parse::<i64>()) {
                    _ if value.is_empty() => continue,
                    ("related_to", Ok(id)) => serde_json::Value::from(id),
                    _ => serde_json::Value::String(value.into_owned()),
                };
                fields.insert(key.into_owned(), value);
            }
            serde_json::from_value(serde_json::Value::Object(fields))
                .map_err(|err| format!("the form is not a submission: {err}"))
        }
        _ => Err(format!(
            "send the submission as application/json or application/x-www-form-urlencoded, not \"{content_type}\""
        )),
    }
}

/// What went wrong with the link, in words for a web client (no
/// command-line flags).
fn input_reason(err: &IntakeError) -> String {
    match err {
        IntakeError::Gone { status } => {
            format!(
                "the page answered HTTP {status}; nothing was added (an editor can add it with `newsdesk add --force`)"
            )
        }
        other => other.to_string(),
    }
}

/// "queued as #12", "already queued as #12 (…)", "published in …".
fn message(added: &Added) -> String {
    match (added.id, added.related_to) {
        (None, None) => format!(
            "{}; not queued again",
            added.published_in.as_deref().unwrap_or("published before")
        ),
        _ => intake::describe(added),
    }
}

fn json(status: StatusCode, value: &impl Serialize) -> Answer {
    let mut text = serde_json::to_string_pretty(value).expect("answers serialise");
    text.push('\n');
    let mut answer = respond(status, "application/json", text);
    answer.headers_mut().insert(
        "Cache-Control",
        hyper::header::HeaderValue::from_static("no-store"),
    );
    answer
}

/// `{"error": "…"}` with `status`.
fn error(status: StatusCode, reason: &str) -> Answer {
    json(status, &serde_json::json!({ "error": reason }))
}
