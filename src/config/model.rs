//! The validated configuration: what every other part of newsdesk reads.
//! Built only by [`super::Config::parse`], so each value here has been
//! checked and has its default filled in.

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use url::Url;

use crate::filter::Filters;
use crate::source::{SourceKind, SourceOptions};

/// The User-Agent every request carries: servers can tell who polls them.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "newsdesk/",
    env!("CARGO_PKG_VERSION"),
    " (newsletter feed poller)"
);

pub use crate::ids::SourceId;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub newsletter: Newsletter,
    pub defaults: Defaults,
    pub daemon: Daemon,
    pub hosts: Vec<HostRule>,
    /// Rules for every source, on top of each source's own.
    pub filters: Filters,
    pub github: Github,
    pub dedup: Dedup,
    /// `[ranking] keywords`: lower-cased keyword and its points.
    pub ranking_keywords: Vec<(String, f64)>,
    pub sections: Vec<Section>,
    pub sources: Vec<Source>,
    /// `[contributions]`: links brought by hand.
    pub contributions: super::Contributions,
    /// `[[contributors]]` of feeds.toml (see [`Config::contributors_served`]
    /// for where the daemon reads them).
    pub contributors: Vec<super::Contributor>,
}

/// How GitHub releases are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GithubTransport {
    /// The REST API when a token is set (real pre-release flags), else
    /// the public releases.atom feed.
    Auto,
    Atom,
    Api,
}

/// `[github]`.
#[derive(Debug, Clone)]
pub struct Github {
    pub api_url: Url,
    pub transport: GithubTransport,
}

/// `[dedup]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dedup {
    /// Titles at least this similar (0–1) are one story.
    pub title_similarity: f64,
}

/// Chosen on the labelled pairs in tests/fixtures/dedup/title-pairs.tsv.
pub const DEFAULT_TITLE_SIMILARITY: f64 = 0.6;

/// `[daemon]`: settings only the long-running process uses.
#[derive(Debug, Clone)]
pub struct Daemon {
    /// Where `/metrics` and `/healthz` are served; off when `None`.
    pub listen: Option<std::net::SocketAddr>,
    /// How long in-flight fetches may finish after SIGTERM.
    pub grace_period: Duration,
    /// How long the writer keeps retrying a database write that fails
    /// before the daemon exits non-zero (so systemd restarts it).
    pub writer_give_up_after: Duration,
    /// Where `[[contributors]]` are kept instead of feeds.toml.
    pub contributors_file: Option<PathBuf>,
    /// How many submissions one contributor's token may make, and per
    /// what time.
    pub submission_rate: Rate,
}

/// `[hosts."github.com"]`: limits for one server (and its subdomains).
#[derive(Debug, Clone, PartialEq)]
pub struct HostRule {
    pub name: String,
    pub per_host: Option<usize>,
    pub rate: Option<Rate>,
}

/// At most `requests` request starts per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub per: Duration,
}

impl Rate {
    /// The spacing between two request starts that keeps to the rate.
    pub fn spacing(&self) -> Duration {
        self.per / self.requests.max(1)
    }
}

impl HostRule {
    /// `github.com` covers `github.com` and `api.github.com`.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        host == self.name || host.ends_with(&format!(".{}", self.name))
    }
}

#[derive(Debug, Clone)]
pub struct Newsletter {
    pub title: String,
    /// Resolved against the directory of `feeds.toml`.
    pub database: PathBuf,
    pub drafts_dir: PathBuf,
    /// The main template, instead of the built-in one of `format`.
    pub template: Option<PathBuf>,
    /// Templates (and `partials/`) overriding the built-in ones by name.
    pub templates_dir: Option<PathBuf>,
    pub format: DraftFormat,
    /// Zenn front matter: exactly one emoji.
    pub emoji: String,
    /// Zenn front matter: at most 5 topics.
    pub topics: Vec<String>,
    /// The weekday issues come out on; `draft` without `--date` drafts the next one.
    pub issue_day: chrono::Weekday,
    /// The number of the earliest issue in `drafts_dir` (or of the first
    /// drafted), for a newsletter that moves in with its history elsewhere.
    pub first_issue: u32,
    /// The start of Zenn slugs (`<slug_prefix>-YYYY-MM-DD`).
    pub slug_prefix: String,
    /// How an item is written: a link card or a linked title.
    pub item_style: ItemStyle,
}

/// How `newsdesk draft` writes an item's link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemStyle {
    /// `### Title`, then the URL alone on its line: Zenn renders it as a
    /// link card (the default for `format = "zenn"`).
    Card,
    /// `### [Title](url)` (the default for `format = "plain"`).
    Link,
}

/// Where and how `newsdesk draft` writes an issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DraftFormat {
    /// A Zenn article: `articles/<slug>.md` under drafts_dir, with front matter.
    Zenn,
    /// Plain Markdown: `YYYY-MM-DD.md` under drafts_dir.
    Plain,
}

impl DraftFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DraftFormat::Zenn => "zenn",
            DraftFormat::Plain => "plain",
        }
    }
}

/// Entries read from one document unless `[defaults] max_entries` says
/// otherwise: more than any real feed or schedule carries.
pub const DEFAULT_MAX_ENTRIES: usize = 2_000;

/// An entry older than this when first seen is kept out of the queue
/// unless `[defaults]` or the source says otherwise: a first poll brings a
/// feed's back catalogue, which is not news.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(30 * 86_400);

#[derive(Debug, Clone)]
pub struct Defaults {
    pub interval: Duration,
    pub timeout: Duration,
    /// How long to wait for a connection (within `timeout`).
    pub connect_timeout: Duration,
    pub max_body_size: u64,
    pub user_agent: String,
    pub max_redirects: usize,
    /// Requests in flight at once, over all hosts.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// Bounds of the adaptive polling interval.
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// First retry after an error, doubled per further error up to the max.
    pub backoff_start: Duration,
    pub backoff_max: Duration,
    /// Whether sources fetch article pages for candidates without a summary.
    pub enrich: bool,
    /// Entries read from one document at most (the first ones: feeds list
    /// the newest first); a feed of 100,000 entries is cut, with a warning.
    pub max_entries: usize,
    /// Entries older than this when first seen are stored but kept out.
    pub max_age: Duration,
    /// Whether a source on a public address may be redirected to a
    /// loopback, private or link-local one (off: that is how a feed would
    /// reach into the network newsdesk runs in).
    pub allow_private_redirects: bool,
    /// A source answering with nothing new for this long is flagged quiet.
    pub quiet_after: Duration,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// Before the title in the draft's heading (`## 👀 Releases`).
    pub emoji: String,
}

/// The ids a section name must be one of, for messages about one that is
/// not: "known sections: articles, releases".
pub fn known_sections(sections: &[Section]) -> String {
    if sections.is_empty() {
        "no [[sections]] are defined".to_owned()
    } else {
        let ids: Vec<&str> = sections.iter().map(|s| s.id.as_str()).collect();
        format!("known sections: {}", ids.join(", "))
    }
}

/// The emoji of a section heading when none is configured.
pub const DEFAULT_SECTION_EMOJI: &str = "👀";

#[derive(Debug, Clone)]
pub struct Source {
    pub id: SourceId,
    /// When to poll, adapted within the `[defaults]` bounds.
    pub schedule: crate::schedule::Policy,
    pub kind: SourceKind,
    pub url: Url,
    pub section: Option<String>,
    pub interval: Duration,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// Fetch the article page of candidates without a real summary.
    pub enrich: bool,
    /// When one story comes from several sources, the title and summary of
    /// the highest priority source are shown (original over aggregator).
    pub priority: i64,
    /// Ranking: stories from this source score `weight - 1` more.
    pub weight: f64,
    /// An entry published longer than this before it was first seen is
    /// stored and kept out ("older than 30d when first seen"); `None`
    /// keeps every entry (links added by hand).
    pub max_age: Option<Duration>,
    /// Nothing new for this long (while answering 200/304): quiet, as a
    /// moved or abandoned blog looks.
    pub quiet_after: Duration,
    pub options: SourceOptions,
    pub filters: Filters,
}

impl Source {
    /// Text that changes whenever the way this source's entries are read
    /// or filtered changes (with the global rules), so stored validators
    /// can be dropped and the next poll re-reads the document.
    pub fn reading_fingerprint(&self, global: &Filters) -> String {
        let options = match &self.options {
            SourceOptions::Feed => "feed".to_owned(),
            SourceOptions::GithubReleases(g) => format!(
                "github {} {} {:?} {} {:?}",
                g.repo,
                g.display_name,
                g.min_level,
                g.prereleases,
                g.tag_pattern.as_ref().map(Regex::as_str)
            ),
            // Says what the entries carry, so that reading sessions
            // differently reads the stored schedules again.
            SourceOptions::Ical(filter) => format!("ical sessions {:?}", filter.tracks),
            SourceOptions::Html(h) => format!(
                "html {} {} {} {:?} {:?} {:?}",
                h.item.text,
                h.title.text,
                h.link.text,
                h.summary.as_ref().map(|s| &s.text),
                h.date.as_ref().map(|s| &s.text),
                h.date_format
            ),
        };
        format!(
            "{options}|{:?}|{}|{}",
            self.max_age,
            self.filters.fingerprint(),
            global.fingerprint()
        )
    }
}
