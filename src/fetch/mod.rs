//! Polite, bounded HTTP: the one client every caller (poll, enrichment,
//! `add`, `draft --check`) fetches through, so each is polite by
//! construction.
//!
//! - `gate`: per-host slots and rates under a global cap;
//! - `guard`: no redirect from a public address into a private network;
//! - `request`: one exchange — conditional GET, a deadline, a body cap
//!   enforced while it streams, redirects followed by hand so a permanent
//!   move can be recorded and shown;
//! - `hints`: what the answer says about when to come back.

mod gate;
mod guard;
mod hints;
mod request;

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use url::Url;

pub use gate::{Admission, gate_key};

use crate::config::{Config, Contributions};
use crate::schedule::Hints;
use gate::Limits;
use request::{Fetcher, Origin};

/// Article pages are read only this far: the metadata is in the head.
pub const PAGE_BYTES: u64 = 2_000_000;

/// What the server said the last time, sent back so it can answer 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful exchange: either new content or "not modified".
#[derive(Debug)]
pub enum Fetched {
    NotModified,
    Body {
        body: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
    },
}

/// One request's result with what is worth recording even when it failed.
#[derive(Debug)]
pub struct FetchReport {
    pub result: Result<Fetched, FetchError>,
    /// Final HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Where the source has permanently moved (301/308), if it has.
    pub moved_to: Option<Url>,
    /// What the final response said about when to come back.
    pub hints: Hints,
    pub duration: Duration,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status { status: u16, reason: Option<String> },
    #[error("no complete answer within {}s (the timeout); the server is slow or unreachable", .0.as_secs_f32())]
    Timeout(Duration),
    #[error(
        "the body is larger than the {limit}-byte limit (raise [defaults] max_body_size if the feed is really that big)"
    )]
    TooLarge { limit: u64 },
    #[error("the API rate limit is used up{}; a token raises it (NEWSDESK_GITHUB_TOKEN or the github-token credential)", retry_in.map(|d| format!(" until it resets in {} min", d.as_secs().div_ceil(60))).unwrap_or_default())]
    RateLimited { retry_in: Option<Duration> },
    #[error(
        "more than {0} redirects (a redirect loop, or a chain longer than [defaults] max_redirects allows)"
    )]
    TooManyRedirects(usize),
    #[error("redirect without a usable Location: {0}")]
    BadRedirect(String),
    #[error(
        "refused a redirect from a public address to {target} ({kind}); set [defaults] allow_private_redirects = true if the feed really lives there"
    )]
    PrivateRedirect { target: String, kind: &'static str },
    /// A link added by hand that names (or redirects to) a host on such an
    /// address: it is not the operator's choice, so no hop may be private.
    #[error(
        "{target} is a {kind} address{}; a link added by hand must be on a public one (list the host in [contributions] allow_private_hosts if it really lives there)",
        if *.redirected { ", where the page redirects" } else { "" }
    )]
    PrivateLink {
        target: String,
        kind: &'static str,
        /// Reached by a redirect, not given.
        redirected: bool,
    },
    #[error("{0}")]
    Transport(String),
}

/// The one polite HTTP client. Cheap to clone; clones share the limits and
/// the connection pool.
#[derive(Clone)]
pub struct PoliteClient {
    fetcher: Fetcher,
    limits: Arc<Limits>,
    /// `[defaults] max_body_size`: the cap of feeds and API documents.
    max_body_size: u64,
    /// Which private hosts links added by hand may name.
    contributions: Arc<Contributions>,
}

impl PoliteClient {
    pub fn new(config: &Config) -> Result<PoliteClient, reqwest::Error> {
        let defaults = &config.defaults;
        Ok(PoliteClient {
            fetcher: Fetcher::new(defaults)?,
            limits: Arc::new(Limits::new(
                defaults.concurrency,
                defaults.per_host,
                config.hosts.clone(),
            )),
            max_body_size: defaults.max_body_size,
            contributions: Arc::new(config.contributions.clone()),
        })
    }

    /// The client of a reloaded configuration: new settings, and the
    /// per-host gates of this one carried over (see `Limits::reloaded`),
    /// so a reload never resets a host's rate limit.
    pub fn reloaded(&self, config: &Config) -> Result<PoliteClient, reqwest::Error> {
        let defaults = &config.defaults;
        let mut client = PoliteClient::new(config)?;
        client.limits = Arc::new(self.limits.reloaded(
            defaults.concurrency,
            defaults.per_host,
            config.hosts.clone(),
        ));
        Ok(client)
    }

    /// Waits until `url`'s host and the global limit let a request start.
    pub async fn admit(&self, url: &Url) -> Admission {
        self.limits.admit(url).await
    }

    /// GETs a feed or API document with `admission` (from [`Self::admit`]
    /// for this URL's host), conditionally when `validators` has
    /// something, with extra request headers (API media types, a token
    /// marked sensitive so it is never logged). The host's slot is given
    /// back when the exchange ends.
    pub async fn fetch(
        &self,
        admission: &mut Admission,
        url: &Url,
        validators: &Validators,
        headers: &HeaderMap,
    ) -> FetchReport {
        let report = self
            .fetcher
            .fetch(url, validators, headers, self.max_body_size, Origin::Source)
            .await;
        admission.host = None;
        report
    }

    /// GETs an article page within the same limits, read up to
    /// [`PAGE_BYTES`].
    pub async fn fetch_page(&self, url: &Url) -> FetchReport {
        self.fetch_page_from(url, Origin::Source).await
    }

    /// GETs the page of a link added by hand, like [`Self::fetch_page`]
    /// but with every hop on a public address (or a host `[contributions]
    /// allow_private_hosts` lists): [`FetchError::PrivateLink`] otherwise.
    /// A larger page is read as far as [`PAGE_BYTES`] (its head is what
    /// counts), not refused.
    pub async fn fetch_submitted_page(&self, url: &Url) -> FetchReport {
        let contributions = self.contributions.clone();
        self.fetch_page_from(url, Origin::Submitted(&contributions))
            .await
    }

    async fn fetch_page_from(&self, url: &Url, origin: Origin<'_>) -> FetchReport {
        let mut admission = self.admit(url).await;
        let limit = self.max_body_size.min(PAGE_BYTES);
        let report = self
            .fetcher
            .fetch(
                url,
                &Validators::default(),
                &HeaderMap::new(),
                limit,
                origin,
            )
            .await;
        admission.host = None;
        report
    }
}
