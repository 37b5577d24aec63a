//! `[[source]]` entries: ids, URLs, sections and the settings of each kind
//! (the options its adapter reads with), plus the include/exclude rules
//! that `[filters]` shares with them.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;
use url::Url;

use super::problems::Problems;
use super::raw::{RawFiltersRef, RawSelectors, RawSource};
use super::{Defaults, Section, Source, SourceId, known_sections};
use crate::filter::Filters;
use crate::source::github::{ReleaseLevel, ReleaseOptions};
use crate::source::html::{FieldSelector, Selectors};
use crate::source::ical::TrackFilter;
use crate::source::{SourceKind, SourceOptions};

/// The valid sources; the others are reported and left out.
pub(super) fn sources(
    problems: &mut Problems,
    raw: &[RawSource],
    defaults: &Defaults,
    sections: &[Section],
) -> Vec<Source> {
    let known: HashSet<&str> = sections.iter().map(|s| s.id.as_str()).collect();
    let mut sources = Vec::new();
    // Offsets, not lines: counting lines for every id would make loading a
    // file of thousands of sources quadratic.
    let mut first_offsets: HashMap<String, usize> = HashMap::new();
    for s in raw {
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
        if id == crate::ids::SUBMISSIONS {
            problems.add(
                s.id.span(),
                format!("source id \"{id}\" is reserved: it is the built-in source of links added by hand (`newsdesk add`)"),
                Some("give this [[source]] another id, e.g. id = \"team-submissions\"".into()),
            );
            ok = false;
        }
        if let Some(first) = first_offsets.get(&id) {
            let first = problems.line_of(*first);
            problems.add(
                s.id.span(),
                format!("source id \"{id}\" is already used on line {first}"),
                Some("every [[source]] needs its own id: rename one of them".into()),
            );
            ok = false;
        } else {
            first_offsets.insert(id.clone(), s.id.span().start);
        }
        let kind = s.kind.as_ref().map(|k| *k.get_ref());
        let (url, options) = match kind {
            Some(kind) => url_and_options(problems, s, &id, kind),
            None => {
                if !problems.refused(s.id.span().start, "kind") {
                    problems.add(
                        s.id.span(),
                        format!("source \"{id}\" has no `kind`"),
                        Some(
                            "add kind = \"feed\" (or \"github-releases\", \"ical\", \"html\")"
                                .into(),
                        ),
                    );
                }
                (None, None)
            }
        };
        let section = s
            .section
            .as_ref()
            .map(|sec| sec.get_ref().trim().to_owned());
        if let (Some(name), Some(spanned)) = (&section, &s.section)
            && !known.contains(name.as_str())
        {
            problems.add(
                spanned.span(),
                format!(
                    "source \"{id}\" names section \"{name}\", which is not defined ({})",
                    known_sections(sections)
                ),
                Some(if sections.is_empty() {
                    format!("add a [[sections]] entry with id = \"{name}\"")
                } else {
                    format!(
                        "add a [[sections]] entry with id = \"{name}\", or use one of the known ids"
                    )
                }),
            );
            ok = false;
        }
        let interval = if s.interval.is_some() {
            problems.duration(&s.interval, "interval")
        } else {
            Some(defaults.interval)
        };
        let max_age = match &s.max_age {
            Some(_) => problems.age(&s.max_age, "max_age"),
            None => Some(defaults.max_age),
        };
        let quiet_after = problems
            .duration(&s.quiet_after, "quiet_after")
            .unwrap_or(defaults.quiet_after);
        let filters = filters(problems, &s.filters());
        let (true, Some(kind), Some(url), Some(options), Some(interval)) =
            (ok, kind, url, options, interval)
        else {
            continue;
        };
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
            tags: s
                .tags
                .iter()
                .map(|t| t.get_ref().trim().to_owned())
                .collect(),
            enabled: s.enabled,
            enrich: s.enrich.unwrap_or(defaults.enrich),
            priority: s.priority.unwrap_or(0),
            weight: s.weight.unwrap_or(1.0),
            max_age,
            quiet_after,
            options,
            filters,
        });
    }
    sources
}

/// What feeds.toml accepts as a source or section id.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The rules of `[filters]` or of one source.
pub(super) fn filters(problems: &mut Problems, raw: &RawFiltersRef) -> Filters {
    let keywords = |list: &[Spanned<String>]| {
        list.iter()
            .map(|w| w.get_ref().trim().to_lowercase())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let mut regexes = |list: &[Spanned<String>], key: &str| {
        list.iter()
            .filter_map(|pattern| problems.regex(pattern, key))
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

/// Reports a key that does not belong to the source's kind.
fn only_for(
    problems: &mut Problems,
    span: Option<Range<usize>>,
    key: &str,
    kind: SourceKind,
    owner: SourceKind,
) {
    if let Some(span) = span {
        problems.add(
            span,
            format!("`{key}` is a setting of kind = \"{owner}\" sources, not of kind = \"{kind}\""),
            Some(format!("remove it, or change the kind to \"{owner}\"")),
        );
    }
}

/// The URL a source is fetched from and the options of its kind.
fn url_and_options(
    problems: &mut Problems,
    s: &RawSource,
    id: &str,
    kind: SourceKind,
) -> (Option<Url>, Option<SourceOptions>) {
    fn at<T>(value: &Option<Spanned<T>>) -> Option<Range<usize>> {
        value.as_ref().map(Spanned::span)
    }
    use SourceKind::{GithubReleases, Html, Ical};
    let keys_of_kinds = [
        ("repo", at(&s.repo), GithubReleases),
        ("display_name", at(&s.display_name), GithubReleases),
        ("min_level", at(&s.min_level), GithubReleases),
        ("tag_pattern", at(&s.tag_pattern), GithubReleases),
        ("tracks", at(&s.tracks), Ical),
        ("selectors", at(&s.selectors), Html),
    ];
    for (key, span, owner) in keys_of_kinds {
        if kind != owner {
            only_for(problems, span, key, kind, owner);
        }
    }
    let url = s.url.as_ref().map(|u| {
        problems.http_url(
            u,
            &format!("url \"{}\" of source \"{id}\"", u.get_ref()),
            "url = \"https://kubernetes.io/feed.xml\"",
        )
    });
    let options = match kind {
        SourceKind::GithubReleases => return github_releases(problems, s, id, url),
        SourceKind::Feed => Some(SourceOptions::Feed),
        SourceKind::Ical => Some(SourceOptions::Ical(TrackFilter {
            tracks: s
                .tracks
                .as_ref()
                .map(|t| {
                    t.get_ref()
                        .iter()
                        .map(|t| t.trim().to_lowercase())
                        .collect()
                })
                .unwrap_or_default(),
        })),
        SourceKind::Html => match &s.selectors {
            Some(raw) => {
                selectors(problems, raw.get_ref()).map(|s| SourceOptions::Html(Box::new(s)))
            }
            None => {
                problems.add(
                    s.id.span(),
                    format!("html source \"{id}\" has no `selectors`"),
                    Some("add selectors = { item = \"article\", title = \"h2\", link = \"h2 a@href\" }".into()),
                );
                None
            }
        },
    };
    let url = match url {
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
    (url, options)
}

/// A `kind = "github-releases"` source: its URL defaults to the
/// repository's `releases.atom`.
fn github_releases(
    problems: &mut Problems,
    s: &RawSource,
    id: &str,
    url: Option<Option<Url>>,
) -> (Option<Url>, Option<SourceOptions>) {
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
    if !valid_repo(name) {
        problems.add(
            repo.span(),
            format!("repo \"{}\" is not OWNER/NAME", repo.get_ref()),
            Some("write it as on GitHub, e.g. repo = \"argoproj/argo-cd\"".into()),
        );
        return (None, None);
    }
    let url = match url {
        Some(url) => url,
        None => Some(crate::source::github::releases_atom_url(name)),
    };
    let tag_pattern = match &s.tag_pattern {
        Some(pattern) => match problems.regex(pattern, "tag_pattern") {
            Some(re) => Some(re),
            None => return (url, None),
        },
        None => None,
    };
    let options = ReleaseOptions {
        repo: name.to_owned(),
        display_name: s
            .display_name
            .as_ref()
            .map(|d| d.get_ref().trim().to_owned())
            .unwrap_or_else(|| name.rsplit('/').next().unwrap_or(name).to_owned()),
        min_level: s
            .min_level
            .as_ref()
            .map_or(ReleaseLevel::Minor, |l| *l.get_ref()),
        prereleases: s.prereleases.unwrap_or(false),
        tag_pattern,
    };
    (url, Some(SourceOptions::GithubReleases(options)))
}

/// `owner/name`, as GitHub spells repositories.
fn valid_repo(repo: &str) -> bool {
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

fn selectors(problems: &mut Problems, raw: &RawSelectors) -> Option<Selectors> {
    let mut field = |value: &Spanned<String>, key: &str| field_selector(problems, value, key);
    let item = field(&raw.item, "item");
    let title = field(&raw.title, "title");
    let link = field(&raw.link, "link");
    // Some(None): written, but not valid CSS.
    let summary = raw.summary.as_ref().map(|s| field(s, "summary"));
    let date = raw.date.as_ref().map(|s| field(s, "date"));
    Some(Selectors {
        item: item?,
        title: title?,
        link: link?,
        summary: summary.map(|s| s.ok_or(())).transpose().ok()?,
        date: date.map(|s| s.ok_or(())).transpose().ok()?,
        date_format: raw.date_format.as_ref().map(|f| f.get_ref().clone()),
    })
}

/// A CSS selector, with `@attr` to read an attribute (`a@href`).
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
                format!(
                    "selector `{key}` = \"{text}\" is not valid CSS: {}",
                    selector_problem(&err)
                ),
                Some("write a CSS selector such as \"article h2 a\", with @attr to read an attribute (\"a@href\")".into()),
            );
            None
        }
    }
}

/// What is wrong with a selector, in words: the parser's own text for
/// most mistakes is "Unexpected error occurred. Please report this to the
/// developer" and the name of a variant.
fn selector_problem(err: &scraper::error::SelectorErrorKind) -> String {
    use scraper::error::SelectorErrorKind as Kind;
    let inner = match err {
        Kind::UnexpectedToken => return "a character there cannot start or continue a selector (check quotes, brackets and commas)".into(),
        Kind::EndOfLine => return "it ends too early (an unclosed bracket or parenthesis?)".into(),
        Kind::ExpectedColonOnPseudoElement | Kind::ExpectedIdentityOnPseudoElement => {
            return "a pseudo-element after \"::\" needs a name".into();
        }
        Kind::UnexpectedSelectorParseError(inner) => format!("{inner:?}"),
        other => return other.to_string().to_lowercase(),
    };
    match inner.as_str() {
        "DanglingCombinator" => "it ends with a combinator (>, + or ~) with nothing after it: name the element it leads to, e.g. \"article > h2\"".into(),
        "EmptySelector" => "it is empty, or has an empty part between commas".into(),
        "ClassNeedsIdent" => "a \".\" must be followed by a class name".into(),
        "NoIdentForPseudo" | "UnsupportedPseudoClassOrElement" | "UnexpectedIdent" => "it uses a pseudo-class this parser does not know (\":hover\" and the like cannot match a fetched page)".into(),
        "NoQualifiedNameInAttributeSelector" | "UnexpectedTokenInAttributeSelector" | "ExpectedBarInAttr" | "BadValueInAttr" | "InvalidQualNameInAttr" => "an attribute selector is malformed: write it like [rel=\"bookmark\"]".into(),
        _ => "it is not a selector this parser understands".into(),
    }
}
