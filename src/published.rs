//! What the newsletter has already published: every link (and its title)
//! in the Markdown of past issues under the drafts directory, so a story
//! that ran three weeks ago is not queued again; and the issues' items in
//! the model's format (a `### Title`, its link, a comment, related links,
//! under a `## Section`), which tell ranking what this editor publishes and
//! where.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::SystemTime;

use pulldown_cmark::{Event, LinkType, Parser, Tag, TagEnd};
use regex::Regex;

use crate::normalize::canonical_url;

/// One link of a past issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedLink {
    pub url: String,
    pub title: Option<String>,
    /// The issue's file, relative to the drafts directory.
    pub file: String,
    /// YYYY-MM-DD from front matter or the file name, when there is one.
    pub issue_date: Option<String>,
    /// Whether the link is an item's own (or its issue has no items in the
    /// model's format), rather than a related link or one in the prose.
    pub item: bool,
    /// The section heading of the item it belongs to.
    pub section: Option<String>,
    /// The item's comment, for an item's own link.
    pub comment: Option<String>,
}

/// One item of a past issue: `### Title`, its link, related links, under
/// a `## Section` heading (emoji left off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedItem {
    pub title: String,
    /// The item's own links: its heading's and its link cards (an item may
    /// group two links under a heading of the editors' own).
    pub links: Vec<String>,
    pub section: Option<String>,
    /// Links in its bullets and its comment's prose.
    pub related: Vec<String>,
    /// The editors' comment, the lines under it that are not links.
    pub comment: String,
    pub file: String,
    pub issue_date: Option<String>,
}

static BARE_URL_LINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*<?(https?://[^\s>]+)>?\s*$").expect("valid regex"));
static HTML_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"<a\s[^>]*href="(https?://[^"]+)"[^>]*>([^<]*)</a>"#).expect("valid regex")
});
static FRONT_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?m)^(?:published_at|date):\s*["']?(\d{4}-\d{2}-\d{2})"#).expect("valid regex")
});

/// Links of one issue's Markdown: Markdown links (inline and
/// reference-style, titled by their text), HTML `<a>` links and bare URLs
/// alone on a line (a Zenn link card). Nothing inside code counts: a code
/// span or block shows a link, it does not publish one.
pub fn links_in(markdown: &str, file: &str) -> Vec<PublishedLink> {
    let issue_date = issue_date_of(markdown, file);
    let items = items_in(markdown, file);
    let link = |url: &str, title: Option<&str>| PublishedLink {
        url: url.to_owned(),
        title: title
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        file: file.to_owned(),
        issue_date: issue_date.clone(),
        item: true,
        section: None,
        comment: None,
    };
    let (markdown_links, outside_code) = markdown_links(markdown);
    let mut found: Vec<PublishedLink> = markdown_links
        .iter()
        .map(|(url, title)| link(url, Some(title)))
        .collect();
    found.extend(
        HTML_LINK
            .captures_iter(&outside_code)
            .map(|c| link(&c[1], Some(&c[2]))),
    );
    found.extend(
        BARE_URL_LINE
            .captures_iter(&outside_code)
            .map(|c| link(&c[1], None)),
    );
    found.retain(|l| canonical_url(&l.url, None).is_some());
    if !items.is_empty() {
        for link in &mut found {
            let key = link_key(&link.url);
            let own = items
                .iter()
                .find(|i| i.links.iter().any(|l| link_key(l) == key));
            let related = || {
                items
                    .iter()
                    .find(|i| i.related.iter().any(|r| link_key(r) == key))
            };
            link.item = own.is_some();
            link.section = own.or_else(related).and_then(|i| i.section.clone());
            // A link card has no text: the item's heading is its title.
            if link.title.is_none() {
                link.title = own.map(|i| i.title.clone());
            }
            link.comment = own.map(|i| i.comment.clone()).filter(|c| !c.is_empty());
        }
    }
    found
}

fn issue_date_of(markdown: &str, file: &str) -> Option<String> {
    FRONT_DATE
        .captures(markdown)
        .and_then(|c| c.get(1))
        .map(|date| date.as_str())
        .or_else(|| date_in_name(file))
        .map(str::to_owned)
}

fn link_key(url: &str) -> Option<String> {
    canonical_url(url, None).map(|u| crate::dedup::url_key(&u))
}

static ITEM_LINK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[([^\]]*)\]\((https?://[^)\s]+)\)").expect("valid regex"));

/// The items of one issue in the model's format. The heading's link and
/// the bare URLs alone on a line under it (link cards) are the item's own
/// links; those of bullets and prose are related. Fenced code and front
/// matter are skipped; a `## ` heading ends the item.
pub fn items_in(markdown: &str, file: &str) -> Vec<PublishedItem> {
    let issue_date = issue_date_of(markdown, file);
    let mut items: Vec<PublishedItem> = Vec::new();
    let mut section: Option<String> = None;
    let mut open = false;
    let mut in_code = false;
    let mut lines = markdown.lines().peekable();
    if lines.peek().is_some_and(|l| l.trim() == "---") {
        lines.next();
        for line in lines.by_ref() {
            if line.trim() == "---" {
                break;
            }
        }
    }
    for line in lines {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if let Some(heading) = trimmed.strip_prefix("## ") {
            section = Some(heading_text(heading));
            open = false;
        } else if let Some(heading) = trimmed.strip_prefix("### ") {
            let (title, links) = match ITEM_LINK.captures(heading) {
                Some(c) => (c[1].trim().to_owned(), vec![c[2].to_owned()]),
                None => (heading.trim().to_owned(), Vec::new()),
            };
            items.push(PublishedItem {
                title,
                links,
                section: section.clone(),
                related: Vec::new(),
                comment: String::new(),
                file: file.to_owned(),
                issue_date: issue_date.clone(),
            });
            open = true;
        } else if open && let Some(item) = items.last_mut() {
            match BARE_URL_LINE.captures(trimmed) {
                Some(card) => item.links.push(card[1].to_owned()),
                None => {
                    item.related
                        .extend(ITEM_LINK.captures_iter(trimmed).map(|c| c[2].to_owned()));
                    if !trimmed.is_empty()
                        && !trimmed.starts_with("- ")
                        && !trimmed.starts_with("* ")
                    {
                        item.comment.push_str(trimmed);
                        item.comment.push('\n');
                    }
                }
            }
        }
    }
    items
}

/// A section heading without its emoji: "🛠️ Tools" → "Tools".
fn heading_text(heading: &str) -> String {
    heading
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .trim()
        .to_owned()
}

/// Every item of every issue under `dir`, oldest issue first.
pub fn scan_items(dir: &Path) -> Vec<PublishedItem> {
    markdown_files(dir)
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let relative = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            Some(items_in(&text, &relative))
        })
        .flatten()
        .collect()
}

/// The Markdown links of `markdown` (destination, text), and `markdown`
/// with its code blanked out (byte for byte, line breaks kept) for the
/// patterns that CommonMark leaves to us: HTML links and bare URLs.
/// Autolinks (`<https://…>`) are left to the bare-URL pattern, which reads
/// one alone on its line.
fn markdown_links(markdown: &str) -> (Vec<(String, String)>, String) {
    let mut links = Vec::new();
    let mut outside_code = markdown.as_bytes().to_vec();
    let mut open: Option<(String, String)> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                ..
            }) if !matches!(link_type, LinkType::Autolink | LinkType::Email) => {
                open = Some((dest_url.into_string(), String::new()));
            }
            Event::End(TagEnd::Link) => links.extend(open.take()),
            Event::Text(text) => {
                if let Some((_, title)) = &mut open {
                    title.push_str(&text);
                }
            }
            Event::Code(code) => {
                if let Some((_, title)) = &mut open {
                    title.push_str(&code);
                }
                blank(&mut outside_code[range]);
            }
            Event::Start(Tag::CodeBlock(_)) => blank(&mut outside_code[range]),
            _ => {}
        }
    }
    // Only ASCII bytes were written, and whole characters replaced.
    let outside_code = String::from_utf8(outside_code).expect("blanking keeps UTF-8 valid");
    (links, outside_code)
}

fn blank(bytes: &mut [u8]) {
    for byte in bytes.iter_mut().filter(|b| **b != b'\n') {
        *byte = b' ';
    }
}

/// The first YYYY-MM-DD in the name of an issue's file
/// (`2026-11-25.md`, `articles/weekly-2026-11-25.md`).
pub(crate) fn date_in_name(name: &str) -> Option<&str> {
    static DATE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\d{4}-\d{2}-\d{2}").expect("valid regex"));
    DATE.find(name).map(|found| found.as_str())
}

/// How deep and how many files the walk of a drafts directory goes: past
/// issues sit a level or two down; anything beyond is not a newsletter.
const WALK_DEPTH: usize = 8;
const WALK_FILES: usize = 20_000;

/// Markdown files under `dir`, sorted. Directory links are not followed
/// (two links to `.` made the walk exponential), hidden directories and
/// `node_modules` are skipped, and the walk is bounded in depth and files.
pub(crate) fn markdown_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            if found.len() >= WALK_FILES {
                return;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name == "node_modules" {
                continue;
            }
            let path = entry.path();
            // The entry itself, not what a link points at.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                if depth < WALK_DEPTH {
                    walk(&path, depth + 1, found);
                }
            } else if (kind.is_file() || (kind.is_symlink() && path.is_file()))
                && path
                    .extension()
                    .is_some_and(|e| e == "md" || e == "markdown")
            {
                found.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(dir, 0, &mut found);
    if found.len() >= WALK_FILES {
        tracing::warn!(
            dir = %dir.display(),
            "more than {WALK_FILES} Markdown files under drafts_dir; past issues were read from the first {WALK_FILES} only (point drafts_dir at the newsletter's own directory)"
        );
    }
    found.sort();
    found
}

/// Changes whenever a Markdown file under `dir` is added, removed or
/// modified: rescanning is skipped while it stays the same.
pub fn fingerprint(dir: &Path) -> String {
    let files = markdown_files(dir);
    let newest = files
        .iter()
        .filter_map(|f| f.metadata().and_then(|m| m.modified()).ok())
        .max()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{}:{newest}", files.len())
}

/// Every link of every issue under `dir`.
pub fn scan(dir: &Path) -> Vec<PublishedLink> {
    let files = markdown_files(dir);
    files
        .iter()
        .filter_map(|path| {
            let text = std::fs::read_to_string(path).ok()?;
            let relative = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            Some(links_in(&text, &relative))
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_of_a_zenn_issue() {
        let issue = "---\ntitle: \"Weekly (2022-11-02号)\"\npublished_at: \"2022-11-02 09:00\"\n---\n\n\
            ## Notable Articles\n### [Kubernetes v1.25: Combiner](https://kubernetes.io/blog/2022/08/23/kubernetes-v1-25-release/)\n\
            comment\n\nhttps://zenn.dev/someone/articles/abc123def456\n\n<a href=\"https://example.org/x\">HTML link</a>\n";
        let links = links_in(issue, "articles/weekly-2022-11-02.md");
        assert_eq!(links.len(), 3);
        assert_eq!(
            links[0].title.as_deref(),
            Some("Kubernetes v1.25: Combiner")
        );
        assert_eq!(links[0].issue_date.as_deref(), Some("2022-11-02"));
        assert_eq!(links[1].url, "https://example.org/x");
        assert_eq!(
            links[2].url,
            "https://zenn.dev/someone/articles/abc123def456"
        );
        assert_eq!(
            links[2].title.as_deref(),
            Some("Kubernetes v1.25: Combiner"),
            "a link card under an item's heading is titled by it"
        );
    }

    fn urls_and_titles(links: &[PublishedLink]) -> Vec<(&str, Option<&str>)> {
        links
            .iter()
            .map(|l| (l.url.as_str(), l.title.as_deref()))
            .collect()
    }

    #[test]
    fn reference_style_links_are_found() {
        let issue = "### [Kubernetes v1.25][k8s]\n\nSee also [the release notes][].\n\n\
            [k8s]: https://kubernetes.io/blog/2022/08/23/kubernetes-v1-25-release/\n\
            [the release notes]: https://github.com/kubernetes/kubernetes/releases/tag/v1.25.0\n";
        let links = links_in(issue, "2022-08-24.md");
        let found = urls_and_titles(&links);
        assert_eq!(
            found,
            [
                (
                    "https://kubernetes.io/blog/2022/08/23/kubernetes-v1-25-release/",
                    Some("Kubernetes v1.25")
                ),
                (
                    "https://github.com/kubernetes/kubernetes/releases/tag/v1.25.0",
                    Some("the release notes")
                ),
            ]
        );
        assert_eq!(links[0].issue_date.as_deref(), Some("2022-08-24"));
    }

    #[test]
    fn items_of_the_models_format() {
        let issue = "---\ntitle: \"Neco Weekly (2022-08-05号)\"\n---\n\n## 🤝 Events\n\n\
            ### KubeCon NA 2022 のスケジュール\n\nhttps://kccncna2022.sched.com/\n\n注目のセッションです。\n\n\
            - [Scaling GitOps](https://kccncna2022.sched.com/event/182GX)\n\n\
            ## 🛠️ Tools, Frameworks, Libraries\n\n### [kyverno](https://github.com/kyverno/kyverno)\n\nポリシーエンジンです。\n\n\
            ## あとがき\n\n詳しくは https://example.org/about を。\n\nhttps://example.org/card\n";
        let items = items_in(issue, "articles/2022-08-05.md");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].title, "KubeCon NA 2022 のスケジュール");
        assert_eq!(items[0].links, ["https://kccncna2022.sched.com/"]);
        assert_eq!(items[0].section.as_deref(), Some("Events"));
        assert_eq!(
            items[0].related,
            ["https://kccncna2022.sched.com/event/182GX"]
        );
        assert_eq!(items[0].comment, "注目のセッションです。\n");
        assert_eq!(items[1].title, "kyverno");
        assert_eq!(
            items[1].section.as_deref(),
            Some("Tools, Frameworks, Libraries")
        );
        assert_eq!(items[1].issue_date.as_deref(), Some("2022-08-05"));
        let links = links_in(issue, "articles/2022-08-05.md");
        let roles: Vec<(&str, bool, Option<&str>)> = links
            .iter()
            .map(|l| (l.url.as_str(), l.item, l.section.as_deref()))
            .collect();
        assert!(roles.contains(&(
            "https://kccncna2022.sched.com/event/182GX",
            false,
            Some("Events")
        )));
        assert!(roles.contains(&(
            "https://github.com/kyverno/kyverno",
            true,
            Some("Tools, Frameworks, Libraries")
        )));
        assert!(
            roles.contains(&("https://example.org/card", false, None)),
            "prose: a mention"
        );
    }

    #[test]
    fn links_inside_code_are_not_published() {
        let issue = "Write `[title](https://example.org/inline)` for a link.\n\n\
            ```markdown\n[title](https://example.org/fenced)\nhttps://example.org/card\n\
            <a href=\"https://example.org/html\">x</a>\n```\n\n\
            [`kubectl` docs](https://kubernetes.io/docs/reference/kubectl/)\n";
        let links = links_in(issue, "2022-08-24.md");
        let found = urls_and_titles(&links);
        assert_eq!(
            found,
            [(
                "https://kubernetes.io/docs/reference/kubectl/",
                Some("kubectl docs")
            )]
        );
    }
}
