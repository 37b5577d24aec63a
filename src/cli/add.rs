//! `newsdesk add`: links brought by hand (from chat, a browser, a
//! colleague) join the queue through the same polite client and the same
//! deduplication as feed entries, credited to whoever brought them. A
//! submission is never lost: a page that cannot be read is still added,
//! thin, for enrichment to fill in later.

use std::io::{self, BufRead, Write};

use clap::Args;
use serde::Serialize;
use url::Url;

use super::{Cli, CliError, print_json};
use crate::config::Config;
use crate::enrich::read_meta;
use crate::fetch::{FetchError, Fetched, PoliteClient};
use crate::ids::CandidateId;
use crate::normalize::canonical_url;
use crate::source::IncomingEntry;
use crate::store::{Status, Store, Submission, Submitted, submissions_source};

/// Add links by hand: each page is read (title, description, canonical
/// URL) and queued like a feed's entry, credited to its contributor.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    newsdesk add https://github.com/metalbear-co/mirrord --note \"Run locally against the cluster\"\n  \
    newsdesk add https://kubernetes.io/blog/2026/11/20/x/ --section articles --by alice\n  \
    newsdesk add https://example.com/post --accept --note \"Worth a read\"\n  \
    pbpaste | newsdesk add -          one `URL [comment]` per line (a list from chat)\n\n\
    A story already queued gets the submission recorded on it (\"already queued as #12\", exit 0); \
    one in a past issue is not queued again unless --force; a page that cannot be reached is \
    still added with a title from its URL. HTTP 404/410 is refused unless --force.\n\n\
    Exit status: 0 every link added or already there, 1 a link could not be added, 2 usage error.")]
pub struct AddArgs {
    /// The links to add (http or https), or `-` to read `URL [comment]` lines from stdin.
    #[arg(required = true, value_name = "URL")]
    urls: Vec<String>,
    /// The section of the next issue it belongs in.
    #[arg(long, value_name = "S")]
    section: Option<String>,
    /// A comment on the link (with --accept, the item's comment in the issue).
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
    /// Who brings it (default: git's user.name, else $USER).
    #[arg(long, value_name = "NAME")]
    by: Option<String>,
    /// Accept it straight into the next issue.
    #[arg(long)]
    accept: bool,
    /// The title to show instead of the page's.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// Queue it even when a past issue has it or the page answers 404/410.
    #[arg(long)]
    force: bool,
    /// One JSON object per link.
    #[arg(long)]
    json: bool,
}

/// One link's result, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Added {
    id: Option<CandidateId>,
    /// The candidate's status, or "published" when a past issue has it.
    status: String,
    title: String,
    url: String,
    section: Option<String>,
    submitted_by: Vec<String>,
    duplicate_of: Option<CandidateId>,
    published_in: Option<String>,
    seen_in: Vec<String>,
}

pub fn run(cli: &Cli, args: &AddArgs) -> Result<(), CliError> {
    let links = links_of(args)?;
    let config = cli.load_config()?;
    if let Some(section) = &args.section {
        super::review::known_section(&config, section)?;
    }
    let contributor = args.by.clone().unwrap_or_else(default_contributor);
    let mut store = cli.open_store(&config)?;
    store.set_title_similarity(config.dedup.title_similarity);
    crate::housekeeping::refresh_published(&mut store, &config)?;
    let client = PoliteClient::new(&config).map_err(crate::poll::PollError::Client)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut failed = 0;
    let mut results = Vec::new();
    for (link, comment) in &links {
        let comment = comment.as_deref().or(args.note.as_deref());
        let added = runtime
            .block_on(read_page(&client, link, args))
            .and_then(|entry| {
                add_one(
                    &mut store,
                    &config,
                    args,
                    &entry,
                    link,
                    &contributor,
                    comment,
                )
            });
        match added {
            Ok(added) => {
                if !args.json {
                    writeln!(io::stdout(), "{}", describe(&added))?;
                }
                results.push(added);
            }
            Err(err) => {
                failed += 1;
                writeln!(io::stderr(), "error: {link}: {err}")?;
            }
        }
    }
    if args.json {
        print_json(&results)?;
    }
    match failed {
        0 => Ok(()),
        n => Err(CliError::Input(format!(
            "{n} of {} links could not be added (see above)",
            links.len()
        ))),
    }
}

/// The links and their comments: the arguments, or stdin's lines for `-`.
fn links_of(args: &AddArgs) -> Result<Vec<(String, Option<String>)>, CliError> {
    if args.urls.iter().any(|u| u == "-") {
        if args.urls.len() > 1 {
            return Err(CliError::Usage(
                "`-` reads the links from stdin; give it alone".into(),
            ));
        }
        let mut links = Vec::new();
        for line in io::stdin().lock().lines() {
            let line = line?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (url, comment) = match line.split_once(char::is_whitespace) {
                Some((url, comment)) => (url, Some(comment.trim().to_owned())),
                None => (line, None),
            };
            links.push((url.to_owned(), comment.filter(|c| !c.is_empty())));
        }
        return Ok(links);
    }
    Ok(args.urls.iter().map(|u| (u.clone(), None)).collect())
}

/// git's user.name, else $USER, else "anonymous".
fn default_contributor() -> String {
    std::process::Command::new("git")
        .args(["config", "user.name"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "anonymous".to_owned())
}

/// The page read into an entry; one that cannot be reached gives a thin
/// entry titled from its URL, a 404/410 an error unless `--force`.
async fn read_page(
    client: &PoliteClient,
    link: &str,
    args: &AddArgs,
) -> Result<IncomingEntry, CliError> {
    let given = Url::parse(link)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| CliError::Input("not an http(s) URL".into()))?;
    let report = client.fetch_page(&given).await;
    let mut meta = Default::default();
    match report.result {
        Ok(Fetched::Body {
            body, content_type, ..
        }) => meta = read_meta(&body, content_type.as_deref()),
        Err(FetchError::Status { status, .. }) if matches!(status, 404 | 410) && !args.force => {
            return Err(CliError::Input(format!(
                "the page answered HTTP {status}; nothing was added (--force adds it anyway)"
            )));
        }
        Err(FetchError::PrivateRedirect { target, kind }) => {
            return Err(CliError::Input(format!(
                "refused: the page redirects to {target} ({kind})"
            )));
        }
        Ok(Fetched::NotModified) | Err(_) => {}
    }
    let given_canonical = canonical_url(link, None).unwrap_or_else(|| given.clone());
    let url = meta
        .canonical
        .as_deref()
        .and_then(|c| canonical_url(c, Some(&given)))
        .filter(|c| matches!(c.scheme(), "http" | "https"))
        .unwrap_or(given_canonical);
    let title = args
        .title
        .clone()
        .or(meta.title)
        .unwrap_or_else(|| title_from_url(&url));
    Ok(IncomingEntry {
        key: url.to_string(),
        url: Some(link.to_owned()),
        canonical_url: Some(url.to_string()),
        title,
        summary: meta.description.or(meta.first_paragraph),
        published: meta.published,
        updated: None,
        categories: meta.site_name.into_iter().collect(),
        filtered: None,
        session: None,
    })
}

/// "example.com/posts/hello-world" for a page whose title is unknown.
fn title_from_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    format!("{host}{}", url.path().trim_end_matches('/'))
}

fn add_one(
    store: &mut Store,
    config: &Config,
    args: &AddArgs,
    entry: &IncomingEntry,
    given_url: &str,
    contributor: &str,
    comment: Option<&str>,
) -> Result<Added, CliError> {
    let source = submissions_source(args.section.clone());
    let submitted = store.submit(
        &source,
        &Submission {
            entry,
            given_url,
            contributor,
            comment,
            force: args.force,
        },
    )?;
    let (id, duplicate_of) = match &submitted {
        Submitted::New(id) => (*id, None),
        Submitted::Existing { id, .. } => (*id, Some(*id)),
        Submitted::Published(reason) => {
            return Ok(Added {
                id: None,
                status: "published".into(),
                title: entry.title.clone(),
                url: entry.canonical_url.clone().unwrap_or_default(),
                section: args.section.clone(),
                submitted_by: vec![contributor.to_owned()],
                duplicate_of: None,
                published_in: Some(reason.clone()),
                seen_in: Vec::new(),
            });
        }
    };
    let undecided = match submitted {
        Submitted::Existing { status, .. } => status == Status::New,
        _ => true,
    };
    let mut candidate = store.candidate(id)?.ok_or(CliError::NoCandidate(id))?;
    if args.accept && undecided {
        // The feed's section when a feed carried it, else the first one.
        let section = args
            .section
            .clone()
            .or(candidate.section.clone())
            .or_else(|| config.sections.first().map(|s| s.id.clone()));
        store.decide(&[id], Status::Accepted, section.as_deref(), comment)?;
        candidate = store.candidate(id)?.ok_or(CliError::NoCandidate(id))?;
    }
    Ok(Added {
        id: Some(id),
        status: candidate.status.to_string(),
        title: candidate.title,
        url: candidate.url.unwrap_or_default(),
        section: candidate.section,
        submitted_by: candidate.submitted_by,
        duplicate_of,
        published_in: None,
        seen_in: candidate.seen_in.into_iter().map(|s| s.0).collect(),
    })
}

/// One line for a person: what became of the link.
fn describe(added: &Added) -> String {
    let Some(id) = added.id else {
        return format!(
            "{}; not queued (--force queues it anyway): {}",
            added.published_in.as_deref().unwrap_or("published before"),
            added.url
        );
    };
    let Some(_) = added.duplicate_of else {
        return format!("{} as #{id}: {}", queued_word(&added.status), added.title);
    };
    let feeds: Vec<&str> = added
        .seen_in
        .iter()
        .map(String::as_str)
        .filter(|s| *s != crate::store::SUBMISSIONS)
        .collect();
    let mut facts = Vec::new();
    if !feeds.is_empty() {
        facts.push(format!("seen in {}", feeds.join(", ")));
    }
    facts.push(format!("submitted by {}", added.submitted_by.join(", ")));
    format!(
        "already {} as #{id} ({})",
        queued_word(&added.status),
        facts.join("; ")
    )
}

/// "queued" for a candidate awaiting a decision, else its status.
fn queued_word(status: &str) -> &str {
    match status {
        "new" => "queued",
        other => other,
    }
}
