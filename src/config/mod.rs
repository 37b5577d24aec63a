//! `feeds.toml`: what the editor writes, checked before anything runs.
//!
//! Parsing keeps the position of every value (`toml::Spanned`) so that each
//! problem can be reported as `file:line:column` with what to do about it.
//! All problems are collected and reported at once, like `nginx -t`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::filter::Filters;
use crate::source::SourceKind;

mod adapter;
pub use adapter::{Adapter, FieldSelector, GithubReleases, HtmlSelectors, Level};

/// The User-Agent every request carries: servers can tell who polls them.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "newsdesk/",
    env!("CARGO_PKG_VERSION"),
    " (newsletter feed poller)"
);

/// A source's id as written in `feeds.toml`; the key of everything stored
/// about it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub String);

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

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

#[derive(Debug, Clone)]
pub struct Defaults {
    pub interval: Duration,
    pub timeout: Duration,
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
    /// Whether a source on a public address may be redirected to a
    /// loopback, private or link-local one (off: that is how a feed would
    /// reach into the network newsdesk runs in).
    pub allow_private_redirects: bool,
}

#[derive(Debug, Clone)]
pub struct Section {
    pub id: String,
    pub title: String,
    /// Before the title in the draft's heading (`## 👀 Releases`).
    pub emoji: String,
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
    pub adapter: Adapter,
    pub filters: Filters,
}

impl Source {
    /// Text that changes whenever the way this source's entries are read
    /// or filtered changes (with the global rules), so stored validators
    /// can be dropped and the next poll re-reads the document.
    pub fn reading_fingerprint(&self, global: &Filters) -> String {
        let adapter = match &self.adapter {
            Adapter::Feed => "feed".to_owned(),
            Adapter::GithubReleases(g) => format!(
                "github {} {} {:?} {} {:?}",
                g.repo,
                g.display_name,
                g.min_level,
                g.prereleases,
                g.tag_pattern.as_ref().map(Regex::as_str)
            ),
            Adapter::Ical { tracks } => format!("ical {tracks:?}"),
            Adapter::Html(h) => format!(
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
            "{adapter}|{}|{}",
            self.filters.fingerprint(),
            global.fingerprint()
        )
    }
}

/// One problem in the configuration, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}\n  help: create it (see the example feeds.toml in the newsdesk repository) or pass --config FILE", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} has {} problem{}:\n{}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    newsletter: Spanned<RawNewsletter>,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    daemon: RawDaemon,
    #[serde(default)]
    filters: adapter::RawFilters,
    #[serde(default)]
    github: RawGithub,
    #[serde(default)]
    dedup: RawDedup,
    #[serde(default)]
    ranking: RawRanking,
    #[serde(default)]
    hosts: std::collections::BTreeMap<String, RawHost>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNewsletter {
    title: Spanned<String>,
    database: Option<Spanned<String>>,
    drafts_dir: Option<Spanned<String>>,
    template: Option<Spanned<String>>,
    templates_dir: Option<Spanned<String>>,
    format: Option<Spanned<DraftFormat>>,
    emoji: Option<Spanned<String>>,
    topics: Option<Spanned<Vec<String>>>,
    issue_day: Option<Spanned<String>>,
    first_issue: Option<Spanned<i64>>,
    slug_prefix: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    interval: Option<Spanned<String>>,
    timeout: Option<Spanned<String>>,
    max_body_size: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    max_redirects: Option<Spanned<i64>>,
    concurrency: Option<Spanned<i64>>,
    per_host: Option<Spanned<i64>>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    backoff_start: Option<Spanned<String>>,
    backoff_max: Option<Spanned<String>>,
    enrich: Option<bool>,
    max_entries: Option<Spanned<i64>>,
    allow_private_redirects: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDaemon {
    listen: Option<Spanned<String>>,
    grace_period: Option<Spanned<String>>,
    writer_give_up_after: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRanking {
    #[serde(default)]
    keywords: std::collections::BTreeMap<String, f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDedup {
    title_similarity: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGithub {
    api_url: Option<Spanned<String>>,
    transport: Option<Spanned<GithubTransport>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    per_host: Option<Spanned<i64>>,
    rate: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: Spanned<String>,
    title: Spanned<String>,
    emoji: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    kind: Spanned<SourceKind>,
    url: Option<Spanned<String>>,
    section: Option<Spanned<String>>,
    interval: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    enabled: bool,
    enrich: Option<bool>,
    priority: Option<i64>,
    weight: Option<f64>,
    // github-releases
    repo: Option<Spanned<String>>,
    display_name: Option<Spanned<String>>,
    min_level: Option<Spanned<Level>>,
    prereleases: Option<bool>,
    tag_pattern: Option<Spanned<String>>,
    // ical
    tracks: Option<Spanned<Vec<String>>>,
    // html
    selectors: Option<Spanned<adapter::RawSelectors>>,
    // every kind
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    include_regex: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_regex: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

/// Collects problems with their positions in one file.
struct Problems<'a> {
    file: &'a Path,
    text: &'a str,
    found: Vec<ConfigProblem>,
}

impl Problems<'_> {
    fn add(&mut self, span: Range<usize>, message: impl Into<String>, help: Option<String>) {
        let (line, column) = line_column(self.text, span.start);
        self.found.push(ConfigProblem {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
            help,
        });
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Validates `text` as the contents of `path` (relative paths in it are
    /// resolved against the directory of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut problems = Problems {
            file: path,
            text,
            found: Vec::new(),
        };
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(err) => {
                let span = err.span().unwrap_or(0..0);
                let message = err.message().trim().to_owned();
                let help = syntax_help(&message);
                problems.add(span, message, help);
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    problems: problems.found,
                });
            }
        };
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let config = build(raw, base_dir, path, &mut problems);
        if problems.found.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems: problems.found,
            })
        }
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id.0 == id)
    }
}

fn syntax_help(message: &str) -> Option<String> {
    if message.starts_with("unknown field") {
        Some(
            "remove the key or fix its spelling (the accepted keys are listed after \"expected\")"
                .into(),
        )
    } else if message.starts_with("missing field") {
        Some("add the key; see the example feeds.toml for its meaning".into())
    } else if message.contains("unknown variant") {
        Some("use one of the listed values".into())
    } else {
        None
    }
}

fn resolve_path(base_dir: &Path, value: &str) -> PathBuf {
    let path = Path::new(value);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}

fn parse_duration(problems: &mut Problems, value: &Spanned<String>, key: &str) -> Option<Duration> {
    match humantime::parse_duration(value.get_ref()) {
        Ok(d) if d.is_zero() => {
            problems.add(
                value.span(),
                format!("`{key}` must be longer than zero"),
                None,
            );
            None
        }
        Ok(d) => Some(d),
        Err(err) => {
            problems.add(
                value.span(),
                format!("`{key}` = \"{}\" is not a duration: {err}", value.get_ref()),
                Some("write durations like \"30s\", \"45m\", \"2h\" or \"1h 30m\"".into()),
            );
            None
        }
    }
}

fn parse_size(problems: &mut Problems, value: &Spanned<String>, key: &str) -> Option<u64> {
    match value.get_ref().trim().parse::<bytesize::ByteSize>() {
        Ok(size) if size.as_u64() > 0 => Some(size.as_u64()),
        _ => {
            problems.add(
                value.span(),
                format!("`{key}` = \"{}\" is not a size", value.get_ref()),
                Some("write sizes like \"512KB\", \"10MB\" or \"10MiB\"".into()),
            );
            None
        }
    }
}

fn parse_count(
    problems: &mut Problems,
    value: &Spanned<i64>,
    key: &str,
    min: i64,
) -> Option<usize> {
    match usize::try_from(*value.get_ref()) {
        Ok(n) if *value.get_ref() >= min => Some(n),
        _ => {
            problems.add(
                value.span(),
                format!("`{key}` = {} is out of range", value.get_ref()),
                Some(format!("use a whole number of at least {min}")),
            );
            None
        }
    }
}

/// "60/h", "1/s", "100/15m": requests per period.
fn parse_rate(problems: &mut Problems, value: &Spanned<String>, key: &str) -> Option<Rate> {
    let text = value.get_ref().trim();
    let parsed = text.split_once('/').and_then(|(count, period)| {
        let requests: u32 = count.trim().parse().ok().filter(|n| *n > 0)?;
        let period = period.trim();
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            humantime::parse_duration(period).ok()?
        } else {
            humantime::parse_duration(&format!("1{period}")).ok()?
        };
        (!period.is_zero()).then_some(Rate {
            requests,
            per: period,
        })
    });
    if parsed.is_none() {
        problems.add(
            value.span(),
            format!("`{key}` = \"{text}\" is not a rate"),
            Some("write requests per period, e.g. \"60/h\", \"1/s\" or \"100/15m\"".into()),
        );
    }
    parsed
}

/// What feeds.toml accepts as a source id.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn parse_http_url(problems: &mut Problems, value: &Spanned<String>, id: &str) -> Option<Url> {
    let help =
        || Some("write the full address, e.g. url = \"https://kubernetes.io/feed.xml\"".to_owned());
    match Url::parse(value.get_ref().trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Some(url)
        }
        Ok(url) => {
            problems.add(
                value.span(),
                format!(
                    "url \"{}\" of source \"{id}\" is not an http(s) URL (scheme \"{}\")",
                    value.get_ref(),
                    url.scheme()
                ),
                help(),
            );
            None
        }
        Err(err) => {
            problems.add(
                value.span(),
                format!(
                    "url \"{}\" of source \"{id}\" is not a valid URL: {err}",
                    value.get_ref()
                ),
                help(),
            );
            None
        }
    }
}

/// Reports a key that does not belong to the source's kind.
fn only_for(
    problems: &mut Problems,
    span: Option<Range<usize>>,
    key: &str,
    kind: SourceKind,
    owner: &str,
) {
    if let Some(span) = span {
        problems.add(
            span,
            format!("`{key}` is a setting of kind = \"{owner}\" sources, not of kind = \"{kind}\""),
            Some(format!("remove it, or change the kind to \"{owner}\"")),
        );
    }
}

/// The URL a source is fetched from and its kind-specific settings.
fn source_url_and_adapter(
    problems: &mut Problems,
    s: &RawSource,
    id: &str,
    kind: SourceKind,
) -> (Option<Url>, Option<Adapter>) {
    let github_keys = [
        ("repo", s.repo.as_ref().map(Spanned::span)),
        ("display_name", s.display_name.as_ref().map(Spanned::span)),
        ("min_level", s.min_level.as_ref().map(Spanned::span)),
        ("tag_pattern", s.tag_pattern.as_ref().map(Spanned::span)),
    ];
    if kind != SourceKind::GithubReleases {
        for (key, span) in github_keys {
            only_for(problems, span, key, kind, "github-releases");
        }
    }
    if kind != SourceKind::Ical {
        only_for(
            problems,
            s.tracks.as_ref().map(Spanned::span),
            "tracks",
            kind,
            "ical",
        );
    }
    if kind != SourceKind::Html {
        only_for(
            problems,
            s.selectors.as_ref().map(Spanned::span),
            "selectors",
            kind,
            "html",
        );
    }
    let url = s.url.as_ref().map(|u| parse_http_url(problems, u, id));
    let required_url = |problems: &mut Problems, url: Option<Option<Url>>| match url {
        Some(url) => url,
        None => {
            problems.add(
                s.id.span(),
                format!("source \"{id}\" has no `url`"),
                Some(format!(
                    "add url = \"https://…\" (kind = \"{kind}\" needs one)"
                )),
            );
            None
        }
    };
    match kind {
        SourceKind::Feed => (required_url(problems, url), Some(Adapter::Feed)),
        SourceKind::Ical => {
            let tracks = s
                .tracks
                .as_ref()
                .map(|t| {
                    t.get_ref()
                        .iter()
                        .map(|t| t.trim().to_lowercase())
                        .collect()
                })
                .unwrap_or_default();
            (required_url(problems, url), Some(Adapter::Ical { tracks }))
        }
        SourceKind::Html => {
            let selectors = match &s.selectors {
                Some(raw) => adapter::selectors(problems, raw.get_ref()),
                None => {
                    problems.add(
                        s.id.span(),
                        format!("html source \"{id}\" has no `selectors`"),
                        Some("add selectors = { item = \"article\", title = \"h2\", link = \"h2 a@href\" }".into()),
                    );
                    None
                }
            };
            (
                required_url(problems, url),
                selectors.map(|s| Adapter::Html(Box::new(s))),
            )
        }
        SourceKind::GithubReleases => {
            let Some(repo) = &s.repo else {
                problems.add(
                    s.id.span(),
                    format!("github-releases source \"{id}\" has no `repo`"),
                    Some("add repo = \"OWNER/NAME\", e.g. repo = \"argoproj/argo-cd\"".into()),
                );
                return (None, None);
            };
            let name = repo
                .get_ref()
                .trim()
                .trim_start_matches("https://github.com/")
                .trim_end_matches('/');
            if !adapter::valid_repo(name) {
                problems.add(
                    repo.span(),
                    format!("repo \"{}\" is not OWNER/NAME", repo.get_ref()),
                    Some("write it as on GitHub, e.g. repo = \"argoproj/argo-cd\"".into()),
                );
                return (None, None);
            }
            let url = match url {
                Some(url) => url,
                None => Url::parse(&format!("https://github.com/{name}/releases.atom")).ok(),
            };
            let tag_pattern = s
                .tag_pattern
                .as_ref()
                .map(|p| adapter::regex(problems, p, "tag_pattern"));
            let adapter = GithubReleases {
                repo: name.to_owned(),
                display_name: s
                    .display_name
                    .as_ref()
                    .map(|d| d.get_ref().trim().to_owned())
                    .unwrap_or_else(|| name.rsplit('/').next().unwrap_or(name).to_owned()),
                min_level: s.min_level.as_ref().map_or(Level::Minor, |l| *l.get_ref()),
                prereleases: s.prereleases.unwrap_or(false),
                tag_pattern: match tag_pattern {
                    Some(None) => return (url, None),
                    Some(Some(re)) => Some(re),
                    None => None,
                },
            };
            (url, Some(Adapter::GithubReleases(adapter)))
        }
    }
}

/// Zenn's limit on a front-matter title; the issue adds " (YYYY-MM-DD号)".
const ZENN_TITLE_MAX: usize = 70;
/// Characters of " (2022-11-02号)".
const ISSUE_TITLE_SUFFIX: usize = 14;

fn newsletter(raw: RawNewsletter, base_dir: &Path, problems: &mut Problems) -> Newsletter {
    let title = raw.title.get_ref().trim().to_owned();
    let format = raw
        .format
        .as_ref()
        .map_or(DraftFormat::Zenn, |f| *f.get_ref());
    if title.is_empty() {
        problems.add(
            raw.title.span(),
            "`title` of [newsletter] is empty",
            Some("name the newsletter, e.g. title = \"Cloud Native Weekly\"".into()),
        );
    } else if format == DraftFormat::Zenn
        && title.chars().count() + ISSUE_TITLE_SUFFIX > ZENN_TITLE_MAX
    {
        problems.add(
            raw.title.span(),
            format!(
                "`title` is too long for Zenn: with \" (YYYY-MM-DD号)\" it must stay within {ZENN_TITLE_MAX} characters"
            ),
            Some(format!(
                "shorten it to {} characters or fewer, or set format = \"plain\"",
                ZENN_TITLE_MAX - ISSUE_TITLE_SUFFIX
            )),
        );
    }
    let emoji = match &raw.emoji {
        Some(e) => {
            check_emoji(problems, e, "`emoji` of [newsletter]");
            e.get_ref().trim().to_owned()
        }
        None => "📰".to_owned(),
    };
    let topics = match &raw.topics {
        Some(t) => {
            let topics: Vec<String> = t
                .get_ref()
                .iter()
                .map(|t| t.trim().to_lowercase())
                .collect();
            if topics.len() > 5 {
                problems.add(
                    t.span(),
                    format!(
                        "`topics` has {} entries; Zenn allows at most 5",
                        topics.len()
                    ),
                    Some("keep the five that matter most".into()),
                );
            }
            for topic in &topics {
                if topic.is_empty()
                    || topic.chars().count() > 18
                    || !topic.chars().all(char::is_alphanumeric)
                {
                    problems.add(
                        t.span(),
                        format!("topic \"{topic}\" is not a Zenn topic"),
                        Some(
                            "use 1-18 letters or digits, no spaces or symbols, e.g. \"kubernetes\""
                                .into(),
                        ),
                    );
                }
            }
            topics
        }
        None => Vec::new(),
    };
    let issue_day = match &raw.issue_day {
        Some(day) => day.get_ref().trim().parse().unwrap_or_else(|_| {
            problems.add(
                day.span(),
                format!("`issue_day` = \"{}\" is not a weekday", day.get_ref()),
                Some("write the day in English, e.g. issue_day = \"wednesday\"".into()),
            );
            chrono::Weekday::Wed
        }),
        None => chrono::Weekday::Wed,
    };
    let first_issue = raw
        .first_issue
        .as_ref()
        .and_then(|n| parse_count(problems, n, "first_issue", 1))
        .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let slug_prefix = match &raw.slug_prefix {
        Some(prefix) => {
            let value = prefix.get_ref().trim();
            if value.is_empty()
                || value.len() > SLUG_PREFIX_MAX
                || !value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
            {
                problems.add(
                    prefix.span(),
                    format!("`slug_prefix` = \"{value}\" cannot start a Zenn slug"),
                    Some(format!("use 1-{SLUG_PREFIX_MAX} of a-z, 0-9, '-' and '_', e.g. \"cloud-native-weekly\"")),
                );
            }
            value.to_owned()
        }
        None => default_slug_prefix(&title),
    };
    let templates_dir = raw.templates_dir.as_ref().map(|t| {
        let resolved = resolve_path(base_dir, t.get_ref());
        if !resolved.is_dir() {
            problems.add(
                t.span(),
                format!("templates directory {} does not exist", resolved.display()),
                Some("fix the path (relative paths start at the directory of feeds.toml) or remove the key to use the built-in templates".into()),
            );
        }
        resolved
    });
    Newsletter {
        title,
        database: resolve_path(
            base_dir,
            raw.database.as_ref().map_or("newsdesk.db", |d| d.get_ref()),
        ),
        drafts_dir: resolve_path(
            base_dir,
            raw.drafts_dir.as_ref().map_or("drafts", |d| d.get_ref()),
        ),
        template: raw.template.as_ref().map(|t| {
            let resolved = resolve_path(base_dir, t.get_ref());
            if !resolved.is_file() {
                problems.add(
                    t.span(),
                    format!("template {} does not exist", resolved.display()),
                    Some("fix the path (relative paths start at the directory of feeds.toml) or remove the key to use the built-in template".into()),
                );
            }
            resolved
        }),
        templates_dir,
        format,
        emoji,
        topics,
        issue_day,
        first_issue,
        slug_prefix,
    }
}

/// A Zenn slug is 12-50 characters; `-YYYY-MM-DD` takes 11.
const SLUG_PREFIX_MAX: usize = 39;

/// "Cloud Native Weekly" → "cloud-native-weekly"; "newsletter" when the
/// title has no ASCII letters or digits (a Japanese title, say).
fn default_slug_prefix(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(SLUG_PREFIX_MAX).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        "newsletter".to_owned()
    } else {
        slug
    }
}

/// Zenn wants exactly one emoji. Without a grapheme table this accepts one
/// symbol made of at most 8 code points (flags, skin tones and ZWJ
/// sequences are several) and nothing that is a letter, digit or space.
fn check_emoji(problems: &mut Problems, value: &Spanned<String>, key: &str) {
    let emoji = value.get_ref().trim();
    let ok = !emoji.is_empty()
        && emoji.chars().count() <= 8
        && !emoji
            .chars()
            .any(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_ascii());
    if !ok {
        problems.add(
            value.span(),
            format!("{key} = \"{emoji}\" is not one emoji"),
            Some("write a single emoji, e.g. emoji = \"📰\"".into()),
        );
    }
}

fn build(raw: RawConfig, base_dir: &Path, path: &Path, problems: &mut Problems) -> Config {
    let newsletter_raw = raw.newsletter.into_inner();
    let newsletter = newsletter(newsletter_raw, base_dir, problems);

    let d = &raw.defaults;
    let defaults = Defaults {
        interval: d
            .interval
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "interval"))
            .unwrap_or(Duration::from_secs(3600)),
        timeout: d
            .timeout
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "timeout"))
            .unwrap_or(Duration::from_secs(30)),
        max_body_size: d
            .max_body_size
            .as_ref()
            .and_then(|v| parse_size(problems, v, "max_body_size"))
            .unwrap_or(10 * 1000 * 1000),
        user_agent: d
            .user_agent
            .as_ref()
            .map_or(DEFAULT_USER_AGENT.to_owned(), |v| v.get_ref().clone()),
        max_redirects: d
            .max_redirects
            .as_ref()
            .and_then(|v| parse_count(problems, v, "max_redirects", 0))
            .unwrap_or(5),
        max_entries: d
            .max_entries
            .as_ref()
            .and_then(|v| parse_count(problems, v, "max_entries", 1))
            .unwrap_or(DEFAULT_MAX_ENTRIES),
        concurrency: d
            .concurrency
            .as_ref()
            .and_then(|v| parse_count(problems, v, "concurrency", 1))
            .unwrap_or(16),
        per_host: d
            .per_host
            .as_ref()
            .and_then(|v| parse_count(problems, v, "per_host", 1))
            .unwrap_or(2),
        min_interval: d
            .min_interval
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "min_interval"))
            .unwrap_or(Duration::from_secs(15 * 60)),
        max_interval: d
            .max_interval
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "max_interval"))
            .unwrap_or(Duration::from_secs(6 * 3600)),
        backoff_start: d
            .backoff_start
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "backoff_start"))
            .unwrap_or(Duration::from_secs(5 * 60)),
        backoff_max: d
            .backoff_max
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "backoff_max"))
            .unwrap_or(Duration::from_secs(24 * 3600)),
        enrich: d.enrich.unwrap_or(true),
        allow_private_redirects: d.allow_private_redirects.unwrap_or(false),
    };

    let daemon = Daemon {
        listen: raw.daemon.listen.as_ref().and_then(|v| match v.get_ref().trim().parse() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.add(
                    v.span(),
                    format!("`listen` = \"{}\" is not an address with a port", v.get_ref()),
                    Some("write e.g. listen = \"127.0.0.1:9464\", or remove the key to serve no metrics".into()),
                );
                None
            }
        }),
        grace_period: raw
            .daemon
            .grace_period
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "grace_period"))
            .unwrap_or(Duration::from_secs(10)),
        writer_give_up_after: raw
            .daemon
            .writer_give_up_after
            .as_ref()
            .and_then(|v| parse_duration(problems, v, "writer_give_up_after"))
            .unwrap_or(Duration::from_secs(300)),
    };

    let filters = adapter::filters(problems, &raw.filters.as_ref());
    let github = Github {
        api_url: raw
            .github
            .api_url
            .as_ref()
            .and_then(|u| parse_http_url(problems, u, "[github] api_url"))
            .unwrap_or_else(|| Url::parse("https://api.github.com").expect("valid URL")),
        transport: raw
            .github
            .transport
            .as_ref()
            .map_or(GithubTransport::Auto, |t| *t.get_ref()),
    };
    let dedup = Dedup {
        title_similarity: match &raw.dedup.title_similarity {
            Some(v) if (0.0..=1.0).contains(v.get_ref()) && *v.get_ref() > 0.0 => *v.get_ref(),
            Some(v) => {
                problems.add(
                    v.span(),
                    format!("`title_similarity` = {} is out of range", v.get_ref()),
                    Some(
                        "use a number above 0 and at most 1; 1 merges identical titles only".into(),
                    ),
                );
                DEFAULT_TITLE_SIMILARITY
            }
            None => DEFAULT_TITLE_SIMILARITY,
        },
    };
    let hosts = raw
        .hosts
        .iter()
        .map(|(name, host)| HostRule {
            name: name.trim().trim_end_matches('.').to_ascii_lowercase(),
            per_host: host
                .per_host
                .as_ref()
                .and_then(|v| parse_count(problems, v, "per_host", 1)),
            rate: host
                .rate
                .as_ref()
                .and_then(|v| parse_rate(problems, v, "rate")),
        })
        .collect();

    let mut sections = Vec::new();
    let mut section_lines: HashMap<String, usize> = HashMap::new();
    for s in &raw.sections {
        let id = s.id.get_ref().trim().to_owned();
        if !valid_id(&id) {
            problems.add(
                s.id.span(),
                format!("section id \"{id}\" is not valid"),
                Some("use letters, digits, '-', '_' or '.', e.g. id = \"releases\"".into()),
            );
        }
        // Offsets, not lines: counting lines for every id would make
        // loading a file of thousands of sources quadratic.
        if let Some(first) = section_lines.get(&id) {
            let first = line_column(problems.text, *first).0;
            problems.add(
                s.id.span(),
                format!("section id \"{id}\" is already used on line {first}"),
                Some("give each [[sections]] entry its own id".into()),
            );
            continue;
        }
        section_lines.insert(id.clone(), s.id.span().start);
        let emoji = match &s.emoji {
            Some(e) => {
                check_emoji(problems, e, "emoji of a section");
                e.get_ref().trim().to_owned()
            }
            None => DEFAULT_SECTION_EMOJI.to_owned(),
        };
        sections.push(Section {
            id,
            title: s.title.get_ref().clone(),
            emoji,
        });
    }
    let known_sections: HashSet<&str> = sections.iter().map(|s| s.id.as_str()).collect();

    let mut sources = Vec::new();
    let mut source_lines: HashMap<String, usize> = HashMap::new();
    for s in raw.source {
        let id = s.id.get_ref().trim().to_owned();
        let mut ok = true;
        if !valid_id(&id) {
            problems.add(
                s.id.span(),
                format!("source id \"{id}\" is not valid"),
                Some("use letters, digits, '-', '_' or '.', e.g. id = \"kubernetes-blog\"".into()),
            );
            ok = false;
        }
        if let Some(first) = source_lines.get(&id) {
            let first = line_column(problems.text, *first).0;
            problems.add(
                s.id.span(),
                format!("source id \"{id}\" is already used on line {first}"),
                Some("every [[source]] needs its own id: rename one of them".into()),
            );
            ok = false;
        } else {
            source_lines.insert(id.clone(), s.id.span().start);
        }
        let kind = *s.kind.get_ref();
        let (url, adapter) = source_url_and_adapter(problems, &s, &id, kind);
        ok &= url.is_some() && adapter.is_some();
        let section = s
            .section
            .as_ref()
            .map(|sec| sec.get_ref().trim().to_owned());
        if let (Some(name), Some(spanned)) = (&section, &s.section)
            && !known_sections.contains(name.as_str())
        {
            let listed = if sections.is_empty() {
                "no [[sections]] are defined".to_owned()
            } else {
                format!(
                    "known sections: {}",
                    sections
                        .iter()
                        .map(|s| s.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            problems.add(
                spanned.span(),
                format!(
                    "source \"{id}\" names section \"{name}\", which is not defined ({listed})"
                ),
                Some(format!(
                    "add a [[sections]] entry with id = \"{name}\", or use one of the known ids"
                )),
            );
            ok = false;
        }
        let interval = match &s.interval {
            Some(v) => parse_duration(problems, v, "interval"),
            None => Some(defaults.interval),
        };
        let tags = s
            .tags
            .iter()
            .map(|t| t.get_ref().trim().to_owned())
            .collect();
        let filters = adapter::filters(
            problems,
            &adapter::RawFiltersRef {
                include: &s.include,
                exclude: &s.exclude,
                include_regex: &s.include_regex,
                exclude_regex: &s.exclude_regex,
            },
        );
        if let (true, Some(url), Some(adapter), Some(interval)) = (ok, url, adapter, interval) {
            sources.push(Source {
                id: SourceId(id),
                schedule: crate::schedule::Policy {
                    interval,
                    min_interval: defaults.min_interval,
                    max_interval: defaults.max_interval,
                    backoff_start: defaults.backoff_start,
                    backoff_max: defaults.backoff_max,
                }
                .normalized(),
                kind,
                url,
                section,
                interval,
                tags,
                enabled: s.enabled,
                enrich: s.enrich.unwrap_or(defaults.enrich),
                priority: s.priority.unwrap_or(0),
                weight: s.weight.unwrap_or(1.0),
                adapter,
                filters,
            });
        }
    }

    Config {
        path: path.to_path_buf(),
        newsletter,
        defaults,
        daemon,
        hosts,
        filters,
        github,
        dedup,
        ranking_keywords: raw
            .ranking
            .keywords
            .iter()
            .map(|(k, w)| (k.trim().to_lowercase(), *w))
            .collect(),
        sections,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[newsletter]
title = "Weekly"

[[sections]]
id = "articles"
title = "Notable Articles"

[[source]]
id = "k8s"
kind = "feed"
url = "https://kubernetes.io/feed.xml"
section = "articles"
"#;

    fn problems(text: &str) -> Vec<ConfigProblem> {
        match Config::parse(Path::new("feeds.toml"), text) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid { problems, .. }) => problems,
            Err(other) => panic!("{other}"),
        }
    }

    #[test]
    fn minimal_config_gets_defaults() {
        let config = Config::parse(Path::new("/srv/news/feeds.toml"), MINIMAL).unwrap();
        assert_eq!(
            config.newsletter.database,
            Path::new("/srv/news/newsdesk.db")
        );
        assert_eq!(config.defaults.interval, Duration::from_secs(3600));
        assert_eq!(config.defaults.max_body_size, 10_000_000);
        assert_eq!(config.defaults.per_host, 2);
        assert_eq!(config.sources[0].interval, Duration::from_secs(3600));
        assert!(config.sources[0].enabled);
    }

    #[test]
    fn every_problem_is_reported_with_its_position() {
        let text = format!(
            "{MINIMAL}\n[[source]]\nid = \"k8s\"\nkind = \"feed\"\nurl = \"not a url\"\nsection = \"nope\"\ninterval = \"soon\"\n"
        );
        let found = problems(&text);
        let summary: Vec<(usize, usize, &str)> = found
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert_eq!(summary.len(), 4, "{summary:?}");
        assert_eq!(summary[0].0, 16);
        assert!(summary[0].2.contains("already used on line 10"));
        assert_eq!((summary[1].0, summary[1].1), (18, 7));
        assert!(summary[1].2.contains("not a valid URL"));
        assert!(summary[2].2.contains("section \"nope\""));
        assert!(summary[3].2.contains("not a duration"));
    }

    #[test]
    fn unknown_keys_are_refused_with_line_and_column() {
        let found = problems(&MINIMAL.replace("section = \"articles\"", "sektion = \"articles\""));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].column), (13, 1));
        assert!(
            found[0].message.contains("unknown field `sektion`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn host_rules_and_daemon_settings() {
        let text = MINIMAL.replace(
            "[[sections]]",
            "[daemon]\nlisten = \"127.0.0.1:9464\"\n\n[hosts.\"GitHub.com\"]\nrate = \"60/h\"\nper_host = 1\n\n[hosts.\"sched.com\"]\nrate = \"2/1m\"\n\n[[sections]]",
        );
        let config = Config::parse(Path::new("feeds.toml"), &text).unwrap();
        assert_eq!(
            config.daemon.listen,
            Some("127.0.0.1:9464".parse().unwrap())
        );
        assert_eq!(config.daemon.grace_period, Duration::from_secs(10));
        let github = &config.hosts[0];
        assert_eq!(github.name, "github.com");
        assert_eq!(github.per_host, Some(1));
        assert_eq!(github.rate.unwrap().spacing(), Duration::from_secs(60));
        assert!(
            github.matches("api.github.com")
                && github.matches("GitHub.com")
                && !github.matches("notgithub.com")
        );
        assert_eq!(
            config.hosts[1].rate.unwrap().spacing(),
            Duration::from_secs(30)
        );
        let bad = problems(&text.replace("60/h", "lots"));
        assert!(bad[0].message.contains("not a rate"), "{bad:?}");
    }

    #[test]
    fn draft_settings_have_defaults_and_are_checked() {
        let config = Config::parse(Path::new("/srv/news/feeds.toml"), MINIMAL).unwrap();
        let n = &config.newsletter;
        assert_eq!(n.format, DraftFormat::Zenn);
        assert_eq!(n.emoji, "📰");
        assert_eq!(n.issue_day, chrono::Weekday::Wed);
        assert_eq!(n.first_issue, 1);
        assert_eq!(n.slug_prefix, "weekly");
        assert_eq!(config.sections[0].emoji, DEFAULT_SECTION_EMOJI);
        assert_eq!(
            default_slug_prefix("Cloud Native Weekly!"),
            "cloud-native-weekly"
        );
        assert_eq!(default_slug_prefix("週刊ニュース"), "newsletter");

        let text = MINIMAL.replace(
            "title = \"Weekly\"",
            "title = \"Weekly\"\nformat = \"plain\"\nemoji = \"abc\"\ntopics = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f-g\"]\nissue_day = \"someday\"\nfirst_issue = 0\nslug_prefix = \"Not OK\"",
        );
        let found: Vec<String> = problems(&text)
            .iter()
            .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
            .collect();
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(found[0].starts_with("5:9 `emoji`"), "{found:#?}");
        assert!(found[1].contains("has 6 entries"), "{found:#?}");
        assert!(
            found[2].contains("\"f-g\" is not a Zenn topic"),
            "{found:#?}"
        );
        assert!(found[3].contains("not a weekday"), "{found:#?}");
        assert!(found[4].contains("first_issue"), "{found:#?}");
        assert!(found[5].contains("slug_prefix"), "{found:#?}");

        let long = MINIMAL.replace(
            "title = \"Weekly\"",
            &format!("title = \"{}\"", "W".repeat(57)),
        );
        assert!(problems(&long)[0].message.contains("too long for Zenn"));
        assert!(
            problems(&long.replace("[newsletter]", "[newsletter]\nformat = \"plain\"")).is_empty()
        );
    }

    #[test]
    fn sizes_and_durations_are_human_strings() {
        let text = MINIMAL.replace(
            "[[sections]]",
            "[defaults]\ninterval = \"45m\"\ntimeout = \"10s\"\nmax_body_size = \"2MiB\"\n\n[[sections]]",
        );
        let config = Config::parse(Path::new("feeds.toml"), &text).unwrap();
        assert_eq!(config.defaults.interval, Duration::from_secs(45 * 60));
        assert_eq!(
            config.sources[0].schedule.interval,
            Duration::from_secs(45 * 60)
        );
        assert_eq!(config.defaults.max_body_size, 2 * 1024 * 1024);
        let bad = problems(&text.replace("2MiB", "huge"));
        assert!(bad[0].message.contains("not a size"));
    }
}
