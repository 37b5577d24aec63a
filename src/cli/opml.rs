//! `newsdesk import-opml` and `newsdesk export-opml`: moving subscription
//! lists between newsdesk and feed readers.
//!
//! Import edits feeds.toml in place with toml_edit, so the editor's
//! comments and layout stay as they were; the edited text is validated like
//! `newsdesk check` before it replaces the file (atomically, by rename).

use std::collections::{HashMap, HashSet};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use toml_edit::{Array, DocumentMut, Item, Table, value};
use url::Url;

use super::{Cli, CliError};
use crate::config::Config;
use crate::dedup::url_key;
use crate::normalize::canonical_url;
use crate::opml::{self, ExportFeed, OpmlFeed};
use crate::slug::slug;
use crate::source::github::releases_atom_url;
use crate::source::{SourceKind, SourceOptions};

/// Longest id derived from a title.
const MAX_ID_CHARS: usize = 40;

/// Add the feeds of an OPML file (exported by a feed reader) to feeds.toml.
///
/// Each feed becomes a [[source]] appended at the end of the file; comments
/// and layout of the rest stay as they were. Folders become tags. Feeds
/// already configured (same canonical URL) are skipped and listed. Ids are
/// derived from the titles: lower-case, unique, the same for the same file.
/// GitHub release feeds (github.com/OWNER/REPO/releases.atom) become
/// kind = "github-releases" sources.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk import-opml subscriptions.opml --dry-run\n  newsdesk import-opml subscriptions.opml --section articles\n  newsboat -e | newsdesk import-opml -"
)]
pub struct ImportOpmlArgs {
    /// The OPML file; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Put every imported source in this section (a [[sections]] id).
    #[arg(long, value_name = "S")]
    section: Option<String>,
    /// Print what would be added and skipped; change nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Print the feeds of feeds.toml as OPML 2.0, for feed readers.
///
/// Feed sources and GitHub release sources (as their releases.atom feed)
/// are listed, in folders named after their tags; ical and html sources are
/// not feeds and are left out (stderr says which). Reading the output back
/// with `newsdesk import-opml` gives the same sources.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk export-opml > newsdesk.opml\n  newsdesk export-opml --output feeds.opml && newsboat -i feeds.opml"
)]
pub struct ExportOpmlArgs {
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// A feed of the OPML file that will become a source.
struct NewSource {
    id: String,
    feed: OpmlFeed,
    url: Url,
    /// `owner/name` when the URL is a GitHub releases feed.
    repo: Option<String>,
}

/// A feed of the OPML file that will not be added.
struct Skipped {
    url: String,
    why: WhySkipped,
}

enum WhySkipped {
    /// The id of the source that has the same canonical URL.
    AlreadyPresent(String),
    /// The id it was added as, the first time the file listed it.
    ListedTwice(String),
    NotHttp,
}

impl std::fmt::Display for WhySkipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WhySkipped::AlreadyPresent(id) => write!(f, "already present (source \"{id}\")"),
            WhySkipped::ListedTwice(id) => {
                write!(f, "listed twice in the file (added once, as \"{id}\")")
            }
            WhySkipped::NotHttp => f.write_str("not an http(s) URL"),
        }
    }
}

pub fn run_import(cli: &Cli, args: &ImportOpmlArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    if let Some(section) = &args.section
        && !config.sections.iter().any(|s| &s.id == section)
    {
        let known = crate::config::known_sections(&config.sections);
        return Err(CliError::Input(format!(
            "--section \"{section}\" is not a section of {} ({known})\n  help: pass one of its [[sections]] ids, or add a [[sections]] entry with id = \"{section}\"",
            cli.config_path().display()
        )));
    }
    let bytes = read_input(&args.file)?;
    let feeds = opml::parse(&bytes).map_err(|e| {
        CliError::Input(format!(
            "{}: {e}\n  help: pass an OPML file as exported by a feed reader",
            args.file.display()
        ))
    })?;

    let (added, skipped) = plan(&config, feeds);
    let config_path = cli.config_path();
    let mut out = io::stdout().lock();
    let verb = if args.dry_run { "would add" } else { "adding" };
    for source in &added {
        let kind = match &source.repo {
            Some(repo) => format!("github-releases {repo}"),
            None => "feed".to_owned(),
        };
        let tags = if source.feed.categories.is_empty() {
            String::new()
        } else {
            format!(" [tags: {}]", source.feed.categories.join(", "))
        };
        writeln!(out, "{verb} {}: {kind} {}{tags}", source.id, source.url)?;
    }
    for skip in &skipped {
        writeln!(out, "skipped {}: {}", skip.url, skip.why)?;
    }

    if !added.is_empty() && !args.dry_run {
        let text = std::fs::read_to_string(config_path).map_err(|source| {
            crate::config::ConfigError::Read {
                path: config_path.to_path_buf(),
                source,
            }
        })?;
        let edited = append_sources(&text, &added, args.section.as_deref(), &args.file)?;
        if let Err(err) = Config::parse(config_path, &edited) {
            return Err(CliError::Input(format!(
                "the imported sources would make {} invalid, so it was not changed:\n{err}",
                config_path.display()
            )));
        }
        crate::atomic_file::write(config_path, &edited)
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", config_path.display())))?;
    }
    writeln!(
        out,
        "{} {}, skipped {}{}{}",
        if args.dry_run { "would add" } else { "added" },
        added.len(),
        skipped.len(),
        skipped_summary(&skipped),
        if args.dry_run {
            format!("; dry run: {} not changed", config_path.display())
        } else {
            String::new()
        }
    )?;
    Ok(())
}

/// " (already present: a, b; listed twice: c; not http(s): 1)"
fn skipped_summary(skipped: &[Skipped]) -> String {
    let mut present = Vec::new();
    let mut twice = Vec::new();
    let mut not_http = 0;
    for skip in skipped {
        match &skip.why {
            WhySkipped::AlreadyPresent(id) => present.push(id.as_str()),
            WhySkipped::ListedTwice(id) => twice.push(id.as_str()),
            WhySkipped::NotHttp => not_http += 1,
        }
    }
    let mut parts = Vec::new();
    if !present.is_empty() {
        parts.push(format!("already present: {}", present.join(", ")));
    }
    if !twice.is_empty() {
        parts.push(format!("listed twice: {}", twice.join(", ")));
    }
    if not_http > 0 {
        parts.push(format!("not http(s): {not_http}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

fn read_input(file: &Path) -> Result<Vec<u8>, CliError> {
    let mut bytes = Vec::new();
    let result = if file == Path::new("-") {
        io::stdin().lock().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::read(file).map(|b| bytes = b)
    };
    result.map_err(|e| CliError::Input(format!("cannot read {}: {e}", file.display())))?;
    Ok(bytes)
}

/// Which feeds become sources (with their ids) and which are skipped.
fn plan(config: &Config, feeds: Vec<OpmlFeed>) -> (Vec<NewSource>, Vec<Skipped>) {
    // Keys of the configured URLs made as those of the file's below (the
    // canonical form, then the key): a URL with tracking parameters
    // written by the last import must match itself.
    let key_of =
        |url: &Url| url_key(&canonical_url(url.as_str(), None).unwrap_or_else(|| url.clone()));
    let mut present: HashMap<String, String> = HashMap::new();
    for source in &config.sources {
        present.insert(key_of(&source.url), source.id.0.clone());
        if let SourceOptions::GithubReleases(github) = &source.options {
            present.insert(
                key_of(&releases_atom_url(&github.repo)),
                source.id.0.clone(),
            );
        }
    }
    let mut ids: HashSet<String> = config.sources.iter().map(|s| s.id.0.clone()).collect();
    let mut in_file: HashMap<String, usize> = HashMap::new();
    let mut added = Vec::new();
    let mut skipped = Vec::new();
    for feed in feeds {
        // The URL is kept as the file gives it (a feed may need its query);
        // the canonical form is only for finding it among the sources.
        let parsed = Url::parse(&feed.xml_url).ok();
        let (Some(url), Some(canonical)) = (parsed, canonical_url(&feed.xml_url, None)) else {
            skipped.push(Skipped {
                url: feed.xml_url,
                why: WhySkipped::NotHttp,
            });
            continue;
        };
        let key = url_key(&canonical);
        if let Some(id) = present.get(&key) {
            skipped.push(Skipped {
                url: feed.xml_url,
                why: WhySkipped::AlreadyPresent(id.clone()),
            });
            continue;
        }
        if let Some(index) = in_file.get(&key) {
            let first: &NewSource = &added[*index];
            skipped.push(Skipped {
                url: feed.xml_url,
                why: WhySkipped::ListedTwice(first.id.clone()),
            });
            continue;
        }
        let repo = github_repo(&canonical);
        let base = feed
            .newsdesk_id
            .clone()
            .filter(|id| crate::config::valid_id(id))
            .unwrap_or_else(|| derive_id(&feed.title, &url, repo.as_deref()));
        let id = unique_id(&base, &ids);
        ids.insert(id.clone());
        in_file.insert(key, added.len());
        added.push(NewSource {
            id,
            feed,
            url,
            repo,
        });
    }
    (added, skipped)
}

/// `owner/name` of `https://github.com/OWNER/NAME/releases.atom`.
fn github_repo(url: &Url) -> Option<String> {
    if url.host_str() != Some("github.com") || url.query().is_some() {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.collect();
    match segments.as_slice() {
        [owner, name, "releases.atom"] if !owner.is_empty() && !name.is_empty() => {
            Some(format!("{owner}/{name}"))
        }
        _ => None,
    }
}

/// An id from the title, else (a title with no Latin letters or digits)
/// "NAME-releases" for a GitHub repository's releases, else from the URL's
/// host and path.
fn derive_id(title: &str, url: &Url, repo: Option<&str>) -> String {
    let mut id = slug(title, MAX_ID_CHARS);
    if id.is_empty()
        && let Some(repo) = repo
    {
        id = slug(
            &format!("{} releases", repo.rsplit('/').next().unwrap_or(repo)),
            MAX_ID_CHARS,
        );
    }
    if id.is_empty() {
        let host = url.host_str().unwrap_or("");
        let host = host.strip_prefix("www.").unwrap_or(host);
        id = slug(&format!("{host} {}", url.path()), MAX_ID_CHARS);
    }
    if id.is_empty() {
        id = "feed".into();
    }
    id
}

/// `base`, or `base-2`, `base-3`… whichever is free.
fn unique_id(base: &str, taken: &HashSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken.contains(id))
        .expect("some suffix is free")
}

/// `text` with a [[source]] table per new source appended at the end, after
/// a comment saying where they came from.
fn append_sources(
    text: &str,
    sources: &[NewSource],
    section: Option<&str>,
    file: &Path,
) -> Result<String, CliError> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| CliError::Input(format!("cannot edit the configuration: {e}")))?;
    // Tables appended to the array are written after every existing table
    // of the document, and the text after the last one (usually trailing
    // comments) stays above them.
    let last_position = doc
        .iter()
        .filter_map(|(_, item)| match item {
            Item::Table(t) => t.position(),
            Item::ArrayOfTables(a) => a.iter().filter_map(Table::position).max(),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let trailing = doc.trailing().as_str().unwrap_or("").to_owned();
    doc.set_trailing("");

    let array = doc
        .entry("source")
        .or_insert_with(|| Item::ArrayOfTables(Default::default()))
        .as_array_of_tables_mut()
        .ok_or_else(|| {
            CliError::Input(
                "cannot append to `source`: it is not written as [[source]] tables".into(),
            )
        })?;
    let origin = if file == Path::new("-") {
        "standard input".to_owned()
    } else {
        file.display().to_string().replace(['\n', '\r'], " ")
    };
    for (index, source) in sources.iter().enumerate() {
        let mut table = Table::new();
        table.set_position(Some(last_position + 1 + index as isize));
        if index == 0 {
            let mut prefix = trailing.trim_end().to_owned();
            if !prefix.is_empty() {
                prefix.push_str("\n\n");
            } else {
                prefix.push('\n');
            }
            prefix.push_str(&format!(
                "# Imported from {origin} by `newsdesk import-opml` on {}.\n",
                chrono::Utc::now().format("%Y-%m-%d")
            ));
            table.decor_mut().set_prefix(prefix);
        } else {
            table.decor_mut().set_prefix("\n");
        }
        table.insert("id", value(&source.id));
        match &source.repo {
            Some(repo) => {
                table.insert("kind", value("github-releases"));
                table.insert("repo", value(repo));
                let default_name = repo.rsplit('/').next().unwrap_or(repo);
                let title = source.feed.title.trim();
                if !title.is_empty() && title != default_name {
                    table.insert("display_name", value(title));
                }
            }
            None => {
                table.insert("kind", value("feed"));
                table.insert("url", value(source.url.as_str()));
            }
        }
        if let Some(section) = section {
            table.insert("section", value(section));
        }
        if !source.feed.categories.is_empty() {
            let tags: Array = source.feed.categories.iter().map(String::as_str).collect();
            table.insert("tags", value(tags));
        }
        array.push(table);
    }
    Ok(doc.to_string())
}

pub fn run_export(cli: &Cli, args: &ExportOpmlArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let mut feeds = Vec::new();
    let mut left_out = Vec::new();
    for source in &config.sources {
        let (title, xml_url) = match (&source.options, source.kind) {
            (SourceOptions::GithubReleases(github), _) => (
                github.display_name.clone(),
                releases_atom_url(&github.repo).into(),
            ),
            (_, SourceKind::Feed) => (source.id.0.clone(), source.url.to_string()),
            _ => {
                left_out.push(format!("{} ({})", source.id, source.kind));
                continue;
            }
        };
        feeds.push(ExportFeed {
            id: source.id.0.clone(),
            title,
            xml_url,
            tags: source.tags.clone(),
        });
    }
    let document = opml::write(&config.newsletter.title, chrono::Utc::now(), &feeds);
    match &args.output {
        Some(path) => std::fs::write(path, &document)
            .map_err(|e| CliError::Input(format!("cannot write {}: {e}", path.display())))?,
        None => io::stdout().lock().write_all(document.as_bytes())?,
    }
    if !left_out.is_empty() {
        writeln!(
            io::stderr(),
            "left out {} source{} that {} not a feed: {}",
            left_out.len(),
            if left_out.len() == 1 { "" } else { "s" },
            if left_out.len() == 1 { "is" } else { "are" },
            left_out.join(", ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_slugs_of_titles_or_urls() {
        let url = Url::parse("https://www.example.org/blog/feed.xml").unwrap();
        assert_eq!(
            derive_id("  The Kubernetes Blog!  ", &url, None),
            "the-kubernetes-blog"
        );
        assert_eq!(
            derive_id("Argo CD — Releases", &url, None),
            "argo-cd-releases"
        );
        assert_eq!(derive_id("", &url, None), "example-org-blog-feed-xml");
        assert_eq!(
            derive_id("クラウドネイティブ", &url, None),
            "example-org-blog-feed-xml"
        );
        assert_eq!(
            derive_id("", &url, Some("cilium/cilium")),
            "cilium-releases"
        );
        let long = derive_id(&"word ".repeat(20), &url, None);
        assert!(long.len() <= MAX_ID_CHARS && !long.ends_with('-'), "{long}");
        let taken: HashSet<String> = ["a".to_owned(), "a-2".to_owned()].into();
        assert_eq!(unique_id("a", &taken), "a-3");
        assert_eq!(unique_id("b", &taken), "b");
    }

    #[test]
    fn github_release_feeds_are_recognised() {
        let repo = |u: &str| github_repo(&Url::parse(u).unwrap());
        assert_eq!(
            repo("https://github.com/argoproj/argo-cd/releases.atom").as_deref(),
            Some("argoproj/argo-cd")
        );
        assert_eq!(
            repo("https://github.com/argoproj/argo-cd/commits.atom"),
            None
        );
        assert_eq!(repo("https://example.org/a/b/releases.atom"), None);
    }
}
