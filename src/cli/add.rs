//! `newsdesk add`: links brought by hand (from chat, a browser, a
//! colleague), one by one or from stdin, through [`crate::intake`]: the
//! same polite client and deduplication as feed entries, credited to
//! whoever brought them.

use std::io::{self, BufRead, Write};

use clap::Args;

use super::{Cli, CliError, print_json};
use crate::fetch::PoliteClient;
use crate::ids::CandidateId;
use crate::intake::{self, Request, describe};

/// Add links by hand: each page is read (title, description, canonical
/// URL) and queued like a feed's entry, credited to its contributor.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    newsdesk add https://github.com/metalbear-co/mirrord --note \"Run locally against the cluster\"\n  \
    newsdesk add https://kubernetes.io/blog/2026/11/20/x/ --section articles --by alice\n  \
    newsdesk add https://example.com/post --accept --note \"Worth a read\"\n  \
    newsdesk add https://github.com/o/r/pull/12 --related-to 7   a bullet under #7's item\n  \
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
    /// Accept it straight into the next issue (in --section, else
    /// [contributions] section).
    #[arg(long)]
    accept: bool,
    /// The title to show instead of the page's.
    #[arg(long, value_name = "TEXT")]
    title: Option<String>,
    /// File the link under candidate ID as a related link (a bullet under
    /// its item), not as a candidate; a candidate the link was is folded in.
    #[arg(long, value_name = "ID", conflicts_with_all = ["accept", "section"])]
    related_to: Option<CandidateId>,
    /// Queue it even when a past issue has it or the page answers 404/410.
    #[arg(long)]
    force: bool,
    /// One JSON object per link.
    #[arg(long)]
    json: bool,
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
        let request = Request {
            url: link,
            note: comment.as_deref().or(args.note.as_deref()),
            section: args.section.as_deref(),
            contributor: &contributor,
            force: args.force,
            accept: args.accept,
            title: args.title.as_deref(),
            related_to: args.related_to,
        };
        let added = runtime.block_on(intake::submit(&client, &mut store, &config, &request));
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
