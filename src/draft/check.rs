//! `newsdesk draft --check`: is the draft ready to publish? Every link is
//! fetched once through the polite client (so within its limits: per-host
//! slots, timeouts, body caps, redirect counts); links already in one of
//! the last issues, placeholders left and Zenn's front-matter rules are
//! read from the files. Each problem has its line.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::config::{Config, DraftFormat};
use crate::fetch::PoliteClient;
use crate::normalize::canonical_url;

/// What is wrong with one place of the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// 1-based line of the draft.
    pub line: usize,
    pub kind: ProblemKind,
    /// The link concerned, for link problems.
    pub url: Option<String>,
    pub detail: String,
    /// Where a permanently moved link now is.
    pub new_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// 4xx/5xx, or no answer.
    Dead,
    /// Moved permanently (301/308): the new URL is known.
    Redirected,
    /// In one of the last issues already.
    Published,
    /// A placeholder the editor has not replaced.
    Placeholder,
    /// A front-matter value Zenn refuses.
    FrontMatter,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Dead => "dead",
            ProblemKind::Redirected => "redirected",
            ProblemKind::Published => "published",
            ProblemKind::Placeholder => "placeholder",
            ProblemKind::FrontMatter => "front matter",
        }
    }
}

/// The links of `markdown` (as past issues are read: Markdown links, HTML
/// links, bare URLs on their own line), each once, with the line it first
/// appears on.
pub fn links(markdown: &str) -> Vec<(usize, String)> {
    let mut seen = HashSet::new();
    let mut found: Vec<(usize, String)> = crate::published::links_in(markdown, "draft")
        .into_iter()
        .filter(|link| seen.insert(link.url.clone()))
        .map(|link| (line_of(markdown, &link.url), link.url))
        .collect();
    found.sort();
    found
}

fn line_of(markdown: &str, needle: &str) -> usize {
    markdown
        .find(needle)
        .map_or(1, |at| markdown[..at].matches('\n').count() + 1)
}

/// Fetches every link once (in parallel within the client's limits) and
/// returns the dead and the permanently moved.
pub async fn check_links(client: &PoliteClient, links: &[(usize, String)]) -> Vec<Problem> {
    let mut tasks = tokio::task::JoinSet::new();
    for (line, url) in links.iter().cloned() {
        let client = client.clone();
        tasks.spawn(async move {
            let Ok(parsed) = url::Url::parse(&url) else {
                return Some(problem(line, ProblemKind::Dead, &url, "not a URL".into()));
            };
            let report = client.fetch_page(&parsed).await;
            match (report.result, report.moved_to) {
                (Err(err), _) => Some(problem(line, ProblemKind::Dead, &url, err.to_string())),
                (Ok(_), Some(moved)) => Some(Problem {
                    new_url: Some(moved.to_string()),
                    ..problem(
                        line,
                        ProblemKind::Redirected,
                        &url,
                        format!("moved permanently to {moved}"),
                    )
                }),
                (Ok(_), None) => None,
            }
        });
    }
    let mut problems = Vec::new();
    while let Some(done) = tasks.join_next().await {
        problems.extend(done.ok().flatten());
    }
    problems
}

fn problem(line: usize, kind: ProblemKind, url: &str, detail: String) -> Problem {
    Problem {
        line,
        kind,
        url: Some(url.to_owned()),
        detail,
        new_url: None,
    }
}

/// Links of the draft that one of `past` (issue file name → its Markdown)
/// has already published, compared as canonical URLs.
pub fn already_published(
    links: &[(usize, String)],
    past: &BTreeMap<String, String>,
) -> Vec<Problem> {
    let mut published: BTreeMap<url::Url, String> = BTreeMap::new();
    for (file, text) in past {
        for link in crate::published::links_in(text, file) {
            if let Some(key) = canonical_url(&link.url, None) {
                published.entry(key).or_insert_with(|| file.clone());
            }
        }
    }
    links
        .iter()
        .filter_map(|(line, url)| {
            let file = published.get(&canonical_url(url, None)?)?;
            Some(problem(
                *line,
                ProblemKind::Published,
                url,
                format!("already in {file}"),
            ))
        })
        .collect()
}

/// Every line still carrying a placeholder.
pub fn placeholders(markdown: &str) -> Vec<Problem> {
    markdown
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(super::PLACEHOLDER))
        .map(|(n, line)| Problem {
            line: n + 1,
            kind: ProblemKind::Placeholder,
            url: None,
            detail: line.trim().chars().take(80).collect(),
            new_url: None,
        })
        .collect()
}

/// Zenn's rules on the front matter (`title`, `emoji`, `type`, `topics`,
/// `published`) and the file's slug, as Zenn checks them.
pub fn front_matter(markdown: &str, slug: &str) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut add = |line: usize, detail: String| {
        problems.push(Problem {
            line,
            kind: ProblemKind::FrontMatter,
            url: None,
            detail,
            new_url: None,
        })
    };
    static SLUG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[0-9a-z_-]{12,50}$").expect("valid regex"));
    if !SLUG.is_match(slug) {
        add(
            1,
            format!("the slug \"{slug}\" (the file's name) is not 12-50 of a-z 0-9 - _"),
        );
    }
    let mut lines = markdown.lines().enumerate();
    if lines.next().map(|(_, l)| l.trim_end()) != Some("---") {
        add(1, "no front matter (a first line \"---\")".into());
        return problems;
    }
    let mut values: BTreeMap<&str, (usize, &str)> = BTreeMap::new();
    for (n, line) in lines {
        if line.trim_end() == "---" {
            break;
        }
        if let Some((key, value)) = line.split_once(':') {
            values.insert(key.trim(), (n + 1, value.trim()));
        }
    }
    let text = |value: &str| -> String {
        serde_json::from_str::<String>(value)
            .unwrap_or_else(|_| value.trim_matches('\'').to_owned())
    };
    match values.get("title") {
        Some((line, value)) => {
            let length = crate::config::zenn_length(&text(value));
            if length == 0 || length > crate::config::ZENN_TITLE_MAX {
                add(
                    *line,
                    format!(
                        "the title is {length} long as Zenn counts (UTF-16 code units); Zenn allows 1-{}",
                        crate::config::ZENN_TITLE_MAX
                    ),
                );
            }
        }
        None => add(1, "no title".into()),
    }
    match values.get("emoji") {
        Some((line, value)) if !crate::config::is_one_emoji(&text(value)) => {
            add(*line, format!("emoji {value} is not exactly one emoji"))
        }
        Some(_) => {}
        None => add(1, "no emoji".into()),
    }
    match values.get("type").map(|(line, value)| (line, text(value))) {
        Some((_, kind)) if kind == "tech" || kind == "idea" => {}
        Some((line, kind)) => add(*line, format!("type \"{kind}\" is neither tech nor idea")),
        None => add(1, "no type (tech or idea)".into()),
    }
    if let Some((line, value)) = values.get("topics") {
        match serde_json::from_str::<Vec<String>>(value) {
            Ok(topics) if topics.len() > 5 => {
                add(*line, format!("{} topics; Zenn allows 5", topics.len()))
            }
            Ok(topics) => {
                for topic in topics.iter().filter(|t| {
                    t.is_empty()
                        || t.encode_utf16().count() > 18
                        || !t.chars().all(char::is_alphanumeric)
                }) {
                    add(
                        *line,
                        format!("topic \"{topic}\" is not 1-18 letters or digits"),
                    );
                }
            }
            Err(_) => add(*line, format!("topics {value} is not a list of strings")),
        }
    }
    match values.get("published") {
        Some((_, "true" | "false")) => {}
        Some((line, value)) => add(
            *line,
            format!("published is {value}; Zenn wants true or false, unquoted"),
        ),
        None => add(1, "no published (true or false)".into()),
    }
    problems
}

/// `markdown` with each `(old, new)` link rewritten wherever it appears
/// whole (not where it is the start of a longer URL); and how many places.
pub fn rewrite_links(markdown: &str, moves: &[(String, String)]) -> (String, usize) {
    let mut text = markdown.to_owned();
    let mut count = 0;
    for (old, new) in moves {
        let pattern = Regex::new(&format!(r#"{}(?P<end>[\s)>"\]]|$)"#, regex::escape(old)))
            .expect("an escaped URL is a valid regex");
        count += pattern.find_iter(&text).count();
        text = pattern
            .replace_all(&text, |c: &regex::Captures| format!("{new}{}", &c["end"]))
            .into_owned();
    }
    (text, count)
}

/// The last `count` issues before `issue` (file name → text), for
/// [`already_published`].
pub fn last_issues(
    config: &Config,
    issue: &super::Issue,
    count: usize,
) -> BTreeMap<String, String> {
    let newsletter = &config.newsletter;
    let dates = super::past_issue_dates(newsletter);
    dates
        .range(..issue.date)
        .rev()
        .take(count)
        .filter_map(|date| {
            let path = super::issue_path(newsletter, *date);
            let text = std::fs::read_to_string(&path).ok()?;
            let name = path.file_name()?.to_string_lossy().into_owned();
            Some((name, text))
        })
        .collect()
}

/// Whether front-matter rules apply.
pub fn is_zenn(config: &Config) -> bool {
    config.newsletter.format == DraftFormat::Zenn
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT: &str = "---\ntitle: \"🚀 Weekly (2026-12-02号)\"\nemoji: \"🚀🚀\"\ntype: \"tech\"\ntopics: [\"go\",\"c++\"]\npublished: \"false\"\n---\n\n### A\n\nhttps://example.org/a\n\n> **TODO** write\n\nSee [b](https://example.org/b) and https://example.org/a/longer\n";

    #[test]
    fn front_matter_as_zenn_checks_it() {
        let found: Vec<(usize, String)> = front_matter(DRAFT, "weekly-2026-12-02")
            .into_iter()
            .map(|p| (p.line, p.detail))
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert_eq!(found[0].0, 3);
        assert!(found[0].1.contains("not exactly one emoji"));
        assert!(found[1].1.contains("\"c++\""));
        assert!(found[2].1.contains("unquoted"));
        assert!(front_matter(DRAFT, "short")[0].detail.contains("slug"));
    }

    #[test]
    fn links_placeholders_and_rewrites() {
        let links = links(DRAFT);
        assert_eq!(
            links,
            [
                (11, "https://example.org/a".to_owned()),
                (15, "https://example.org/b".to_owned())
            ]
        );
        assert_eq!(placeholders(DRAFT)[0].line, 13);
        let (text, count) = rewrite_links(
            DRAFT,
            &[(
                "https://example.org/a".into(),
                "https://example.org/new".into(),
            )],
        );
        assert_eq!(count, 1);
        assert!(text.contains("\nhttps://example.org/new\n"));
        assert!(
            text.contains("https://example.org/a/longer"),
            "a longer URL stays"
        );
        let past = BTreeMap::from([(
            "w-2026-11-25.md".to_owned(),
            "[x](https://EXAMPLE.org/b)\n".to_owned(),
        )]);
        let published = already_published(&links, &past);
        assert_eq!(published.len(), 1);
        assert_eq!(published[0].detail, "already in w-2026-11-25.md");
    }
}
