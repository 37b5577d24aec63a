//! The kind-specific and filter settings of a `[[source]]`, checked with
//! positions like the rest of the configuration.

use regex::Regex;
use serde::Deserialize;
use toml::Spanned;

use super::Problems;
use crate::filter::Filters;

/// How far a release must move the version to become a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Patch,
    Minor,
    Major,
}

/// `kind = "github-releases"`.
#[derive(Debug, Clone)]
pub struct GithubReleases {
    /// `owner/name`.
    pub repo: String,
    /// How titles name the project ("Argo CD v2.5.0").
    pub display_name: String,
    pub min_level: Level,
    pub prereleases: bool,
    /// Only tags matching this (repositories with several products).
    pub tag_pattern: Option<Regex>,
}

/// One CSS selector, optionally reading an attribute (`a@href`).
#[derive(Debug, Clone)]
pub struct FieldSelector {
    pub text: String,
    pub selector: scraper::Selector,
    pub attribute: Option<String>,
}

/// `kind = "html"`: where the items of a page without a feed are.
#[derive(Debug, Clone)]
pub struct HtmlSelectors {
    pub item: FieldSelector,
    pub title: FieldSelector,
    pub link: FieldSelector,
    pub summary: Option<FieldSelector>,
    pub date: Option<FieldSelector>,
    /// chrono format of the date text; RFC 3339, RFC 2822 and YYYY-MM-DD
    /// are recognised without one.
    pub date_format: Option<String>,
}

/// What a source's adapter needs beyond its URL.
#[derive(Debug, Clone)]
pub enum Adapter {
    Feed,
    GithubReleases(GithubReleases),
    /// Tracks to keep (lower-cased); empty keeps all.
    Ical {
        tracks: Vec<String>,
    },
    Html(Box<HtmlSelectors>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFilters {
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    include_regex: Vec<Spanned<String>>,
    #[serde(default)]
    exclude_regex: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSelectors {
    item: Spanned<String>,
    title: Spanned<String>,
    link: Spanned<String>,
    summary: Option<Spanned<String>>,
    date: Option<Spanned<String>>,
    date_format: Option<Spanned<String>>,
}

/// The four rule lists, wherever they were written.
pub(super) struct RawFiltersRef<'a> {
    pub include: &'a [Spanned<String>],
    pub exclude: &'a [Spanned<String>],
    pub include_regex: &'a [Spanned<String>],
    pub exclude_regex: &'a [Spanned<String>],
}

impl RawFilters {
    pub(super) fn as_ref(&self) -> RawFiltersRef<'_> {
        RawFiltersRef {
            include: &self.include,
            exclude: &self.exclude,
            include_regex: &self.include_regex,
            exclude_regex: &self.exclude_regex,
        }
    }
}

pub(super) fn filters(problems: &mut Problems, raw: &RawFiltersRef) -> Filters {
    let keywords = |list: &[Spanned<String>]| {
        list.iter()
            .map(|w| w.get_ref().trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let mut regexes = |list: &[Spanned<String>], key: &str| {
        list.iter()
            .filter_map(|pattern| regex(problems, pattern, key))
            .collect()
    };
    let include_regex = regexes(raw.include_regex, "include_regex");
    let exclude_regex = regexes(raw.exclude_regex, "exclude_regex");
    Filters {
        include: keywords(raw.include),
        exclude: keywords(raw.exclude),
        include_regex,
        exclude_regex,
    }
}

pub(super) fn regex(
    problems: &mut Problems,
    pattern: &Spanned<String>,
    key: &str,
) -> Option<Regex> {
    match Regex::new(pattern.get_ref()) {
        Ok(re) => Some(re),
        Err(err) => {
            let detail = err
                .to_string()
                .lines()
                .last()
                .unwrap_or_default()
                .trim()
                .to_owned();
            problems.add(
                pattern.span(),
                format!("`{key}` \"{}\" is not a valid regular expression: {detail}", pattern.get_ref()),
                Some("see https://docs.rs/regex for the syntax; escape literal dots and brackets with \\\\".into()),
            );
            None
        }
    }
}

fn field_selector(
    problems: &mut Problems,
    value: &Spanned<String>,
    key: &str,
) -> Option<FieldSelector> {
    let text = value.get_ref().trim();
    let (css, attribute) = match text.rsplit_once('@') {
        Some((css, attribute)) if !attribute.is_empty() && !attribute.contains([' ', ']', '"']) => {
            (css.trim(), Some(attribute.to_owned()))
        }
        _ => (text, None),
    };
    match scraper::Selector::parse(css) {
        Ok(selector) => Some(FieldSelector {
            text: text.to_owned(),
            selector,
            attribute,
        }),
        Err(err) => {
            problems.add(
                value.span(),
                format!("selector `{key}` = \"{text}\" is not valid CSS: {err}"),
                Some("write a CSS selector such as \"article h2 a\", with @attr to read an attribute (\"a@href\")".into()),
            );
            None
        }
    }
}

pub(super) fn selectors(problems: &mut Problems, raw: &RawSelectors) -> Option<HtmlSelectors> {
    let item = field_selector(problems, &raw.item, "item");
    let title = field_selector(problems, &raw.title, "title");
    let link = field_selector(problems, &raw.link, "link");
    let summary = raw
        .summary
        .as_ref()
        .map(|s| field_selector(problems, s, "summary"));
    let date = raw
        .date
        .as_ref()
        .map(|s| field_selector(problems, s, "date"));
    Some(HtmlSelectors {
        item: item?,
        title: title?,
        link: link?,
        summary: summary.map(|s| s.ok_or(())).transpose().ok()?,
        date: date.map(|s| s.ok_or(())).transpose().ok()?,
        date_format: raw.date_format.as_ref().map(|f| f.get_ref().clone()),
    })
}

/// `owner/name`, as GitHub spells repositories.
pub(super) fn valid_repo(repo: &str) -> bool {
    let mut parts = repo.split('/');
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
    };
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}
