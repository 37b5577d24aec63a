//! `feeds.toml` as serde reads it: every key the file may have, each value
//! with its position (`Spanned`) so that checks can point at it. Unknown
//! keys are refused here, with the list of accepted ones.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::{DraftFormat, GithubTransport, ItemStyle};
use crate::source::SourceKind;
use crate::source::github::ReleaseLevel;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) newsletter: Spanned<RawNewsletter>,
    #[serde(default)]
    pub(super) defaults: RawDefaults,
    #[serde(default)]
    pub(super) daemon: RawDaemon,
    #[serde(default)]
    pub(super) filters: RawFilters,
    #[serde(default)]
    pub(super) github: RawGithub,
    #[serde(default)]
    pub(super) dedup: RawDedup,
    #[serde(default)]
    pub(super) ranking: RawRanking,
    #[serde(default)]
    pub(super) hosts: BTreeMap<String, RawHost>,
    #[serde(default)]
    pub(super) contributions: super::contributions::RawContributions,
    #[serde(default)]
    pub(super) sections: Vec<RawSection>,
    #[serde(default)]
    pub(super) source: Vec<RawSource>,
    #[serde(default)]
    pub(super) contributors: Vec<super::contributors::RawContributor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNewsletter {
    pub(super) title: Spanned<String>,
    pub(super) database: Option<Spanned<String>>,
    pub(super) drafts_dir: Option<Spanned<String>>,
    pub(super) template: Option<Spanned<String>>,
    pub(super) templates_dir: Option<Spanned<String>>,
    pub(super) format: Option<Spanned<DraftFormat>>,
    pub(super) emoji: Option<Spanned<String>>,
    pub(super) topics: Option<Spanned<Vec<String>>>,
    pub(super) issue_day: Option<Spanned<String>>,
    pub(super) first_issue: Option<Spanned<i64>>,
    pub(super) slug_prefix: Option<Spanned<String>>,
    pub(super) item_style: Option<Spanned<ItemStyle>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefaults {
    pub(super) interval: Option<Spanned<String>>,
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) max_body_size: Option<Spanned<String>>,
    pub(super) user_agent: Option<Spanned<String>>,
    pub(super) max_redirects: Option<Spanned<i64>>,
    pub(super) concurrency: Option<Spanned<i64>>,
    pub(super) per_host: Option<Spanned<i64>>,
    pub(super) min_interval: Option<Spanned<String>>,
    pub(super) max_interval: Option<Spanned<String>>,
    pub(super) backoff_start: Option<Spanned<String>>,
    pub(super) backoff_max: Option<Spanned<String>>,
    pub(super) enrich: Option<bool>,
    pub(super) max_entries: Option<Spanned<i64>>,
    pub(super) max_age: Option<Spanned<String>>,
    pub(super) allow_private_redirects: Option<bool>,
    pub(super) quiet_after: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDaemon {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) grace_period: Option<Spanned<String>>,
    pub(super) writer_give_up_after: Option<Spanned<String>>,
    pub(super) contributors_file: Option<Spanned<String>>,
    pub(super) submission_rate: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRanking {
    #[serde(default)]
    pub(super) keywords: BTreeMap<String, f64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDedup {
    pub(super) title_similarity: Option<Spanned<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGithub {
    pub(super) api_url: Option<Spanned<String>>,
    pub(super) transport: Option<Spanned<GithubTransport>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    pub(super) per_host: Option<Spanned<i64>>,
    pub(super) rate: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSection {
    pub(super) id: Spanned<String>,
    pub(super) title: Spanned<String>,
    pub(super) emoji: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) id: Spanned<String>,
    /// Optional here only so that a source with a refused `kind` is still
    /// checked; `sources` reports one missing.
    pub(super) kind: Option<Spanned<SourceKind>>,
    pub(super) url: Option<Spanned<String>>,
    pub(super) section: Option<Spanned<String>>,
    pub(super) interval: Option<Spanned<String>>,
    pub(super) quiet_after: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) tags: Vec<Spanned<String>>,
    #[serde(default = "yes")]
    pub(super) enabled: bool,
    pub(super) enrich: Option<bool>,
    pub(super) priority: Option<i64>,
    pub(super) weight: Option<f64>,
    pub(super) max_age: Option<Spanned<String>>,
    // github-releases
    pub(super) repo: Option<Spanned<String>>,
    pub(super) display_name: Option<Spanned<String>>,
    pub(super) min_level: Option<Spanned<ReleaseLevel>>,
    pub(super) prereleases: Option<bool>,
    pub(super) tag_pattern: Option<Spanned<String>>,
    // ical
    pub(super) tracks: Option<Spanned<Vec<String>>>,
    // html
    pub(super) selectors: Option<Spanned<RawSelectors>>,
    // every kind
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) include_regex: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude_regex: Vec<Spanned<String>>,
}

fn yes() -> bool {
    true
}

impl RawSource {
    pub(super) fn filters(&self) -> RawFiltersRef<'_> {
        RawFiltersRef {
            include: &self.include,
            exclude: &self.exclude,
            include_regex: &self.include_regex,
            exclude_regex: &self.exclude_regex,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilters {
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) include_regex: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) exclude_regex: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelectors {
    pub(super) item: Spanned<String>,
    pub(super) title: Spanned<String>,
    pub(super) link: Spanned<String>,
    pub(super) summary: Option<Spanned<String>>,
    pub(super) date: Option<Spanned<String>>,
    pub(super) date_format: Option<Spanned<String>>,
}

/// The four rule lists, wherever they were written (`[filters]` or a
/// `[[source]]`).
pub(super) struct RawFiltersRef<'a> {
    pub(super) include: &'a [Spanned<String>],
    pub(super) exclude: &'a [Spanned<String>],
    pub(super) include_regex: &'a [Spanned<String>],
    pub(super) exclude_regex: &'a [Spanned<String>],
}

impl RawFilters {
    pub(super) fn lists(&self) -> RawFiltersRef<'_> {
        RawFiltersRef {
            include: &self.include,
            exclude: &self.exclude,
            include_regex: &self.include_regex,
            exclude_regex: &self.exclude_regex,
        }
    }
}
