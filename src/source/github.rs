//! GitHub releases: from the public `releases.atom` feed, or from the REST
//! API when a token is configured (which adds the real pre-release and
//! draft flags). Either way each release becomes an entry keyed by its
//! tag, titled like an editor would ("Argo CD v2.5.0"), summarised by the
//! highlights of its notes, and filtered by version level.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use pulldown_cmark::{Event, Parser, Tag, TagEnd};
use regex::Regex;
use serde::Deserialize;
use url::Url;

use super::{IncomingEntry, ParseError, ParsedSource, feed};
use crate::normalize::{canonical_url, fold_whitespace, html_to_text, truncate_chars};

const NOTES_CHARS: usize = 400;

/// How far a release must move the version to become a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseLevel {
    Patch,
    Minor,
    Major,
}

impl ReleaseLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseLevel::Major => "major",
            ReleaseLevel::Minor => "minor",
            ReleaseLevel::Patch => "patch",
        }
    }
}

/// How a repository's releases are read (`kind = "github-releases"`).
#[derive(Debug, Clone)]
pub struct ReleaseOptions {
    /// `owner/name`.
    pub repo: String,
    /// How titles name the project ("Argo CD v2.5.0").
    pub display_name: String,
    pub min_level: ReleaseLevel,
    pub prereleases: bool,
    /// Only tags matching this (repositories with several products).
    pub tag_pattern: Option<Regex>,
}

/// A version read from a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: Option<u64>,
    pub prerelease: bool,
    /// The version as the tag writes it, without product prefixes
    /// (`v2.5.0` of `app/v2.5.0`).
    pub text: String,
}

impl Version {
    pub fn level(&self) -> ReleaseLevel {
        match (self.minor, self.patch.unwrap_or(0)) {
            (_, p) if p != 0 => ReleaseLevel::Patch,
            (m, _) if m != 0 => ReleaseLevel::Minor,
            _ => ReleaseLevel::Major,
        }
    }
}

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(v?)(\d+)\.(\d+)(?:\.(\d+))?([-.+~_]?[0-9a-z][0-9a-z.+~_-]*)?$")
        .expect("valid regex")
});
static PRERELEASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(rc|alpha|beta|pre|dev|preview|snapshot|nightly|canary|milestone|^-?m\d)")
        .expect("valid regex")
});

/// Reads `v1.2.3`, `1.2.3`, `release-1.2`, `app/v1.2.3`, `v2.5.0-rc.1`…
pub fn parse_tag(tag: &str) -> Option<Version> {
    let last = tag.rsplit('/').next().unwrap_or(tag);
    let caps = VERSION.captures(last)?;
    let start = caps.get(0)?.start();
    // `foo2.0` is not a version boundary; `release-1.2`, `v1.2` are.
    if start > 0
        && last[..start].ends_with(|c: char| c.is_ascii_alphanumeric())
        && caps[1].is_empty()
    {
        return None;
    }
    let suffix = caps.get(5).map_or("", |m| m.as_str());
    let build_only = suffix.starts_with('+');
    Some(Version {
        major: caps[2].parse().ok()?,
        minor: caps[3].parse().ok()?,
        patch: caps.get(4).and_then(|p| p.as_str().parse().ok()),
        prerelease: !build_only
            && !suffix.is_empty()
            && (suffix.starts_with('-') || PRERELEASE.is_match(suffix)),
        text: last[start..].to_owned(),
    })
}

static NOTES_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)highlight|notable|what'?s new|major changes|key features|new features|summary")
        .expect("valid regex")
});

/// The text under a "Highlights" / "Notable changes" heading of release
/// notes in HTML, else all of it.
pub fn notes_from_html(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    let headings = scraper::Selector::parse("h1, h2, h3, h4, h5, h6").expect("valid selector");
    let level = |name: &str| name[1..].parse::<u8>().unwrap_or(6);
    for heading in fragment.select(&headings) {
        let title: String = heading.text().collect();
        if !NOTES_HEADING.is_match(&title) {
            continue;
        }
        let own = level(heading.value().name());
        let mut text = String::new();
        for sibling in heading.next_siblings() {
            if let Some(element) = scraper::ElementRef::wrap(sibling) {
                let name = element.value().name();
                if name.len() == 2 && name.starts_with('h') && level(name) <= own {
                    break;
                }
                text.push(' ');
                text.push_str(&element.text().collect::<Vec<_>>().join(" "));
            } else if let Some(t) = sibling.value().as_text() {
                text.push_str(t);
            }
        }
        let text = fold_whitespace(&text);
        if !text.is_empty() {
            return text;
        }
    }
    html_to_text(html)
}

/// The same for Markdown release notes (the API's `body`): their text,
/// with links as their words and code as it is written.
pub fn notes_from_markdown(markdown: &str) -> String {
    let blocks = text_blocks(markdown);
    let chosen = blocks.iter().enumerate().find_map(|(at, block)| {
        let own = block
            .heading
            .filter(|_| NOTES_HEADING.is_match(&block.text))?;
        let section = &blocks[at + 1..];
        let end = section
            .iter()
            .position(|b| b.heading.is_some_and(|level| level <= own))
            .unwrap_or(section.len());
        let section = &section[..end];
        section
            .iter()
            .any(|b| !b.text.trim().is_empty())
            .then_some(section)
    });
    let text: Vec<&str> = chosen
        .unwrap_or(&blocks)
        .iter()
        .map(|b| b.text.as_str())
        .collect();
    html_to_text(&text.join(" "))
}

/// A heading (with its level) or the text of the blocks up to the next one.
struct TextBlock {
    heading: Option<u8>,
    text: String,
}

/// The text of `markdown` cut at its headings. HTML stays in for
/// [`html_to_text`] to read.
fn text_blocks(markdown: &str) -> Vec<TextBlock> {
    let mut blocks = vec![TextBlock {
        heading: None,
        text: String::new(),
    }];
    for event in Parser::new(markdown) {
        let current = blocks.last_mut().expect("one block at least");
        match event {
            Event::Start(Tag::Heading { level, .. }) => blocks.push(TextBlock {
                heading: Some(level as u8),
                text: String::new(),
            }),
            Event::End(TagEnd::Heading(_)) => blocks.push(TextBlock {
                heading: None,
                text: String::new(),
            }),
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                current.text.push_str(&text)
            }
            // Words of an inline span run on ("(#37000)"); blocks and
            // lines are apart.
            Event::End(
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link
                | TagEnd::Image,
            ) => {}
            Event::SoftBreak | Event::HardBreak | Event::End(_) => current.text.push(' '),
            _ => {}
        }
    }
    blocks
}

/// A release as either transport describes it.
struct Release {
    tag: String,
    url: Option<String>,
    published: Option<DateTime<Utc>>,
    notes: String,
    /// The API's flag; the atom feed has none.
    prerelease: Option<bool>,
    draft: bool,
}

/// Parses `releases.atom`.
pub fn from_atom(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
    options: &ReleaseOptions,
) -> Result<ParsedSource, ParseError> {
    let model = feed::parse_model(body, content_type, feed_url)?;
    let releases = model.entries.into_iter().filter_map(|entry| {
        let link = entry
            .links
            .iter()
            .find(|l| l.href.contains("/releases/tag/"))
            .map(|l| l.href.clone());
        let tag = link
            .as_deref()
            .and_then(|href| href.split("/releases/tag/").nth(1))
            .map(|t| {
                percent_decode_str(t.trim_end_matches('/'))
                    .decode_utf8_lossy()
                    .into_owned()
            })
            // Without a link, the tag is the last part of the id; an entry
            // with neither is no release we can name.
            .or_else(|| {
                (entry.id != feed::NO_ID)
                    .then(|| entry.id.rsplit('/').next().map(str::to_owned))
                    .flatten()
            })
            .filter(|t| !t.is_empty())?;
        let notes = entry
            .content
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .map(notes_from_html)
            .filter(|n| !n.is_empty() && n != "No content.")
            .unwrap_or_default();
        Some(Release {
            tag,
            url: link.and_then(|l| feed_url.join(&l).ok()).map(String::from),
            published: entry.published.or(entry.updated),
            notes,
            prerelease: None,
            draft: false,
        })
    });
    Ok(ParsedSource {
        title: model.title.map(|t| t.content),
        ttl: None,
        warning: None,
        entries: releases.map(|r| entry_of(r, options)).collect(),
    })
}

#[derive(Deserialize)]
struct ApiRelease {
    tag_name: String,
    html_url: Option<String>,
    published_at: Option<DateTime<Utc>>,
    created_at: Option<DateTime<Utc>>,
    body: Option<String>,
    #[serde(default)]
    prerelease: bool,
    #[serde(default)]
    draft: bool,
}

/// Parses the REST API's `/repos/{owner}/{repo}/releases` answer.
pub fn from_api(body: &[u8], options: &ReleaseOptions) -> Result<ParsedSource, ParseError> {
    let releases: Vec<ApiRelease> = serde_json::from_slice(body)
        .map_err(|e| ParseError::Malformed(format!("not the GitHub releases JSON: {e}")))?;
    Ok(ParsedSource {
        title: Some(format!("{} releases", options.repo)),
        ttl: None,
        warning: None,
        entries: releases
            .into_iter()
            .map(|r| {
                entry_of(
                    Release {
                        tag: r.tag_name,
                        url: r.html_url,
                        published: r.published_at.or(r.created_at),
                        notes: r
                            .body
                            .as_deref()
                            .map(notes_from_markdown)
                            .unwrap_or_default(),
                        prerelease: Some(r.prerelease),
                        draft: r.draft,
                    },
                    options,
                )
            })
            .collect(),
    })
}

/// The public feed of a repository's releases (`OWNER/NAME`).
pub fn releases_atom_url(repo: &str) -> Url {
    let mut url = Url::parse("https://github.com/").expect("valid URL");
    url.set_path(&format!("{repo}/releases.atom"));
    url
}

/// The API URL of a repository's releases.
pub fn api_url(api_base: &Url, repo: &str) -> Url {
    let mut url = api_base.clone();
    let base_path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base_path}/repos/{repo}/releases"));
    url.set_query(Some("per_page=30"));
    url
}

fn entry_of(release: Release, options: &ReleaseOptions) -> IncomingEntry {
    let version = parse_tag(&release.tag);
    let prerelease = release
        .prerelease
        .unwrap_or_else(|| version.as_ref().is_some_and(|v| v.prerelease));
    let filtered = if release.draft {
        Some("draft release".to_owned())
    } else if options
        .tag_pattern
        .as_ref()
        .is_some_and(|re| !re.is_match(&release.tag))
    {
        Some(format!(
            "tag \"{}\" does not match tag_pattern",
            release.tag
        ))
    } else if prerelease && !options.prereleases {
        Some("pre-release (prereleases = false)".to_owned())
    } else {
        match &version {
            Some(v) if v.level() < options.min_level => Some(format!(
                "{} release (min_level = {})",
                v.level().as_str(),
                options.min_level.as_str()
            )),
            _ => None,
        }
    };
    let (title, mut summary) = match &version {
        Some(v) => (
            format!("{} {}", options.display_name, v.text),
            String::new(),
        ),
        // A tag read from a link or id is percent-decoded text that may
        // hold any whitespace; a title is one line.
        None => (
            fold_whitespace(&format!("{} {}", options.display_name, release.tag)),
            format!(
                "Tag \"{}\" is not a version number, so its level is unknown. ",
                release.tag
            ),
        ),
    };
    summary.push_str(&release.notes);
    let canonical = release
        .url
        .as_deref()
        .and_then(|u| canonical_url(u, None))
        .map(String::from);
    IncomingEntry {
        key: format!("release:{}", release.tag),
        url: release.url,
        canonical_url: canonical,
        title,
        summary: Some(truncate_chars(summary.trim(), NOTES_CHARS)).filter(|s| !s.is_empty()),
        published: release.published,
        updated: release.published,
        unread_date: None,
        categories: if prerelease {
            vec!["pre-release".to_owned()]
        } else {
            Vec::new()
        },
        filtered,
        session: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_of_every_shape_are_read() {
        let v = |tag: &str| {
            parse_tag(tag).map(|v| {
                (
                    v.major,
                    v.minor,
                    v.patch,
                    v.prerelease,
                    v.text.clone(),
                    v.level(),
                )
            })
        };
        assert_eq!(
            v("v2.5.0"),
            Some((2, 5, Some(0), false, "v2.5.0".into(), ReleaseLevel::Minor))
        );
        assert_eq!(
            v("2.4.16"),
            Some((2, 4, Some(16), false, "2.4.16".into(), ReleaseLevel::Patch))
        );
        assert_eq!(
            v("v3.0.0"),
            Some((3, 0, Some(0), false, "v3.0.0".into(), ReleaseLevel::Major))
        );
        assert_eq!(
            v("release-1.2"),
            Some((1, 2, None, false, "1.2".into(), ReleaseLevel::Minor))
        );
        assert_eq!(
            v("app/v1.2.3"),
            Some((1, 2, Some(3), false, "v1.2.3".into(), ReleaseLevel::Patch))
        );
        assert_eq!(
            v("helm-chart-4.1.0"),
            Some((4, 1, Some(0), false, "4.1.0".into(), ReleaseLevel::Minor))
        );
        assert!(parse_tag("v2.5.0-rc1").unwrap().prerelease);
        assert!(parse_tag("v1.0.0-beta.2").unwrap().prerelease);
        assert!(parse_tag("2.0.0alpha1").unwrap().prerelease);
        assert!(!parse_tag("1.2.3+build.5").unwrap().prerelease);
        assert_eq!(parse_tag("nightly"), None);
        assert_eq!(parse_tag("latest"), None);
    }

    /// `releases.atom` of "o/r" read with the default filter (minor and up,
    /// no pre-releases).
    fn minor_releases_of(atom: &[u8]) -> crate::source::ParsedSource {
        let options = ReleaseOptions {
            repo: "o/r".into(),
            display_name: "Project".into(),
            min_level: ReleaseLevel::Minor,
            prereleases: false,
            tag_pattern: None,
        };
        let feed_url = Url::parse("https://github.com/o/r/releases.atom").unwrap();
        from_atom(atom, None, &feed_url, &options).unwrap()
    }

    /// Found by the feed_normalize fuzz target: an entry with neither a
    /// link nor an id became the release "\0newsdesk:no-id" (feed-rs's
    /// invented id, as a tag), and every such entry shared its key.
    #[test]
    fn atom_entry_without_link_or_id_is_not_a_release_named_after_the_invented_id() {
        let atom = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<feed>\n    <title>Releases</title>\n    <entry>\n        <title>Caf\xc3\xa9</title>\n    </entry>\n    <entry>\n        <id>tag:github.com,2008:Repository/1/v2.5.0</id>\n        <title>v2.5.0</title>\n    </entry>\n</feed>\n";
        let parsed = minor_releases_of(atom);
        let keys: Vec<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["release:v2.5.0"]);
    }

    /// Found by the feed_normalize fuzz target: a tag decoded from a link
    /// (`%20%20%0A`) put runs of whitespace and a line break in the title.
    #[test]
    fn a_tag_with_whitespace_makes_a_one_line_title() {
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Releases</title><entry><id>tag:github.com,2008:Repository/1/x</id><link rel="alternate" href="https://github.com/o/r/releases/tag/v1.0.0%20%20%0Anext"/><title>x</title></entry></feed>"#;
        let parsed = minor_releases_of(atom);
        assert_eq!(parsed.entries[0].title, "Project v1.0.0 next");
    }

    /// `+` is a plus in a path, and `&` no separator: only `%XX` is decoded.
    #[test]
    fn a_tag_in_a_link_is_percent_decoded() {
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Releases</title><entry><id>x</id><link rel="alternate" href="https://github.com/o/r/releases/tag/app%2Fv1.2.0+build&amp;more"/><title>x</title></entry></feed>"#;
        let parsed = minor_releases_of(atom);
        assert_eq!(parsed.entries[0].key, "release:app/v1.2.0+build&more");
    }

    #[test]
    fn highlights_are_preferred_in_notes() {
        let html = "<h2>Changelog</h2><ul><li>fix a</li></ul><h2>Highlights</h2><p>Faster sync.</p><ul><li>New UI</li></ul><h2>Other</h2><p>x</p>";
        assert_eq!(notes_from_html(html), "Faster sync. New UI");
        assert_eq!(notes_from_html("<p>Just notes</p>"), "Just notes");
        let md = "## Changes\n* a\n## Notable changes\n* **Faster** sync, see [docs](https://x)\n* `kubectl` fix (#[12](https://x/12))\n### Detail\nsub\n## Contributors\nme";
        assert_eq!(
            notes_from_markdown(md),
            "Faster sync, see docs kubectl fix (#12) Detail sub"
        );
    }

    #[test]
    fn markdown_notes_read_reference_links_as_their_words_and_code_as_written() {
        let md = "## Highlights\n* Faster sync, see [the docs][docs] and [CNCF]\n\
            * write `[name](url)` to link\n\n```\n[a](https://x) b\n```\n\n\
            [docs]: https://argo-cd.readthedocs.io/\n[CNCF]: https://cncf.io\n";
        assert_eq!(
            notes_from_markdown(md),
            "Faster sync, see the docs and CNCF write [name](url) to link [a](https://x) b"
        );
    }

    #[test]
    fn releases_atom_urls() {
        assert_eq!(
            releases_atom_url("argoproj/argo-cd").as_str(),
            "https://github.com/argoproj/argo-cd/releases.atom"
        );
    }

    #[test]
    fn api_urls() {
        let base = Url::parse("https://api.github.com").unwrap();
        assert_eq!(
            api_url(&base, "argoproj/argo-cd").as_str(),
            "https://api.github.com/repos/argoproj/argo-cd/releases?per_page=30"
        );
        let local = Url::parse("http://127.0.0.1:5000/api/v3/").unwrap();
        assert_eq!(
            api_url(&local, "o/r").as_str(),
            "http://127.0.0.1:5000/api/v3/repos/o/r/releases?per_page=30"
        );
    }
}
