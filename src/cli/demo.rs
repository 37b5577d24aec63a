//! `newsdesk demo`: the whole workflow offline, in a directory of its own.
//!
//! Sample feeds (real-world fixtures from tests/fixtures, embedded in the
//! binary) are served by a loopback HTTP server inside this process; they
//! are polled through the normal poll path into a fresh directory, a few
//! candidates per section are accepted, and the next issue is drafted.
//! Nothing outside that directory is read or written, and nothing leaves
//! the machine: enrichment is off and GitHub sources read the served atom.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use hyper::StatusCode;

use super::CliError;
use crate::config::Config;
use crate::draft::{self, DraftError, Templates};
use crate::fetch::PoliteClient;
use crate::http_server::{self, Answer, respond};
use crate::ids::CandidateId;
use crate::poll::{PollError, Progress, SourceResult, poll_once};
use crate::rank::Ranking;
use crate::store::{QueueQuery, Status, Store};

/// Try newsdesk offline: poll sample feeds, accept a few, draft an issue.
///
/// Starts a web server on 127.0.0.1 serving bundled sample feeds (a
/// KubeCon schedule, blogs, GitHub release feeds), polls them into a new
/// directory (a fresh one under the system temp dir unless --dir is
/// given), accepts a handful of candidates across the sections, drafts the
/// next issue there, and prints its path and the commands to try next.
/// Needs no network and touches nothing outside that directory.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  newsdesk demo\n  newsdesk demo --dir /tmp/newsdesk-try")]
pub struct DemoArgs {
    /// Where to put feeds.toml, the database and the draft (created; must
    /// be empty if it exists).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Served path, fixture, content type.
const FEEDS: &[(&str, &[u8], &str)] = &[
    (
        "/kccnceu2026/all.ics",
        include_bytes!("../../tests/fixtures/real/ics/kubecon-eu-2026-sched-all.ics"),
        "text/calendar; charset=utf-8",
    ),
    (
        "/kubernetes/feed.xml",
        include_bytes!("../../tests/fixtures/written/kubernetes-blog.xml"),
        "application/rss+xml",
    ),
    (
        "/google-cloud/blog.rss",
        include_bytes!("../../tests/fixtures/real/rss2/google-cloud-blog.rss"),
        "application/rss+xml",
    ),
    (
        "/argoproj/argo-cd/releases.atom",
        include_bytes!("../../tests/fixtures/written/github-argo-cd-releases.atom"),
        "application/atom+xml",
    ),
    (
        "/bilalcaliskan/s3-manager/releases.atom",
        include_bytes!("../../tests/fixtures/real/github/releases-s3-manager.atom"),
        "application/atom+xml",
    ),
];

fn feeds_toml(base: &str) -> String {
    format!(
        r#"# Written by `newsdesk demo`. The sources point at the demo's own
# loopback server, which stopped when the demo ended: `poll` will fail here.
[newsletter]
title = "Cloud Native Weekly"
database = "newsdesk.db"
drafts_dir = "drafts"
format = "zenn"
emoji = "☸️"
topics = ["kubernetes", "cloudnative"]
issue_day = "wednesday"

[defaults]
timeout = "10s"
enrich = false
# The samples are months or years old: the demo takes them as news. A real
# feeds.toml keeps the default, "30d", which keeps a feed's back catalogue
# out of the queue (as google-cloud-blog below shows).
max_age = "36500d"

[github]
transport = "atom"

[[sections]]
id = "kubecon"
title = "KubeCon + CloudNativeCon Europe 2026"
emoji = "🤝"

[[sections]]
id = "articles"
title = "Notable Articles"

[[sections]]
id = "releases"
title = "Releases"

[[sections]]
id = "tools"
title = "Tools"

[[source]]
id = "kubecon-eu-2026"
kind = "ical"
url = "{base}/kccnceu2026/all.ics"
section = "kubecon"
tracks = ["Keynote Sessions", "Platform Engineering"]

[[source]]
id = "kubernetes-blog"
kind = "feed"
url = "{base}/kubernetes/feed.xml"
section = "articles"

[[source]]
id = "google-cloud-blog"
kind = "feed"
url = "{base}/google-cloud/blog.rss"
section = "articles"
max_age = "30d"

[[source]]
id = "argo-cd-releases"
kind = "github-releases"
repo = "argoproj/argo-cd"
display_name = "Argo CD"
url = "{base}/argoproj/argo-cd/releases.atom"
section = "releases"
# Version tags only: the nightly builds are not news.
tag_pattern = "^v[0-9]"

[[source]]
id = "s3-manager-releases"
kind = "github-releases"
repo = "bilalcaliskan/s3-manager"
display_name = "s3-manager"
url = "{base}/bilalcaliskan/s3-manager/releases.atom"
section = "tools"
"#
    )
}

/// Candidates accepted per section.
const ACCEPT_PER_SECTION: usize = 2;

pub fn run(args: &DemoArgs) -> Result<(), CliError> {
    let dir = demo_dir(args.dir.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (config, results) = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let server = tokio::spawn(http_server::serve(listener, answer));
        let config_path = dir.join("feeds.toml");
        std::fs::write(&config_path, feeds_toml(&base))?;
        let config = Config::load(&config_path)?;
        let mut store = Store::open(&config.newsletter.database)?;
        crate::housekeeping::refresh_published(&mut store, &config)?;
        let client = PoliteClient::new(&config).map_err(PollError::Client)?;
        let sources = config.sources.clone();
        let polled = poll_once(&config, store, &client, sources, Box::new(Quiet)).await;
        server.abort();
        Ok::<_, CliError>((config, polled?.1))
    })?;
    drop(runtime);

    let mut out = io::stdout().lock();
    writeln!(
        out,
        "newsdesk demo: {} sample feeds served on 127.0.0.1 and polled into {}",
        results.len(),
        dir.display()
    )?;
    for result in &results {
        writeln!(
            out,
            "  {:<22} {:>4} new candidates{}",
            result.id.0,
            result.added.candidates,
            result
                .error
                .as_deref()
                .map(|e| format!(" (failed: {e})"))
                .unwrap_or_default()
        )?;
    }

    let mut store = Store::open(&config.newsletter.database)?;
    let mut accepted = 0;
    let mut ranking = Ranking::adopt(crate::rank::Rules::of(&config), &mut store)?;
    // Best first, as `review list` shows them. The demo rejects nothing, so
    // its accepts leave the learned part of the ranking (and the order) as
    // it is: one scoring serves every section.
    let scoring = ranking.scoring(&store, chrono::Utc::now())?;
    store.rescore_stale(&scoring, Some(Status::New), None)?;
    for section in &config.sections {
        let candidates = store.queue(&QueueQuery {
            status: Some(Status::New),
            section: Some(section.id.clone()),
            text: None,
            limit: Some(ACCEPT_PER_SECTION),
            offset: 0,
        })?;
        let picks: Vec<CandidateId> = candidates
            .iter()
            .take(ACCEPT_PER_SECTION)
            .map(|c| c.id)
            .collect();
        // The first of each section gets a comment, the others show the
        // placeholder the editor replaces.
        for (n, id) in picks.iter().enumerate() {
            let note = (n == 0).then_some(
                "(demo) The editor's comment goes here: why this matters to readers this week.",
            );
            store.decide(&[*id], Status::Accepted, None, note)?;
            accepted += 1;
        }
    }
    writeln!(
        out,
        "accepted {accepted} candidates across {} sections",
        config.sections.len()
    )?;
    let kept_out = store.kept_out_len()?;
    if kept_out > 0 {
        writeln!(
            out,
            "kept {kept_out} entries out of the queue (too old when first seen, or filtered): `review list --status kept-out` lists them"
        )?;
    }

    let templates = Templates::load(&config.newsletter).map_err(DraftError::Templates)?;
    let issue = draft::plan(&config.newsletter, None, chrono::Local::now().date_naive());
    let report = draft::draft(&config, &templates, &mut store, issue, false)?;
    writeln!(
        out,
        "drafted issue #{} ({}) with {} items:\n\n  {}\n",
        report.issue.number,
        report.issue.date,
        report.items,
        report.issue.path.display()
    )?;
    let config_arg = shell_word(&config.path);
    let newsdesk = this_binary();
    writeln!(out, "Next, try:")?;
    for (command, what) in [
        (
            "review",
            "the queue in the terminal: a accepts, r rejects, ? shows the keys",
        ),
        ("review list", "the queue, best first, as text"),
        (
            "review accept ID --section articles --note \"…\"",
            "take one more",
        ),
        ("draft", "adds it to the draft; your edits stay as they are"),
        ("draft --dry-run", "print the draft instead of writing it"),
        ("check", "validate the configuration and templates"),
    ] {
        writeln!(
            out,
            "  {newsdesk} --config {config_arg} {command}\n      {what}"
        )?;
    }
    writeln!(
        out,
        "\nThe sample feeds were served by the demo itself, so `poll` on this configuration\nfails now; copy feeds.toml from the newsdesk repository for real sources."
    )?;
    Ok(())
}

/// A new directory for the demo: `dir` (created, or empty), else a fresh
/// one under the system temp dir.
fn demo_dir(dir: Option<&Path>) -> Result<PathBuf, CliError> {
    let create_err = |dir: &Path, err: io::Error| {
        CliError::Input(format!(
            "cannot create the demo directory {}: {err}\n  help: pass --dir with a writable path",
            dir.display()
        ))
    };
    match dir {
        Some(dir) => {
            if dir.exists() {
                let empty = std::fs::read_dir(dir)
                    .map_err(|e| create_err(dir, e))?
                    .next()
                    .is_none();
                if !empty {
                    return Err(CliError::Input(format!(
                        "{} is not empty\n  help: the demo only writes into a new or empty directory; pick another --dir",
                        dir.display()
                    )));
                }
            } else {
                std::fs::create_dir_all(dir).map_err(|e| create_err(dir, e))?;
            }
            Ok(std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()))
        }
        None => {
            let name = format!(
                "newsdesk-demo-{}-{}",
                chrono::Local::now().format("%Y%m%d-%H%M%S"),
                std::process::id()
            );
            let dir = std::env::temp_dir().join(name);
            std::fs::create_dir(&dir).map_err(|e| create_err(&dir, e))?;
            Ok(dir)
        }
    }
}

/// A path as one shell word.
/// How to run this newsdesk again: `newsdesk` when that is the one on
/// PATH, else the path of the running binary (after `cargo run` newsdesk
/// is in target/, not on PATH).
fn this_binary() -> String {
    let Ok(running) = std::env::current_exe().and_then(std::fs::canonicalize) else {
        return "cargo run --release --".to_owned();
    };
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::canonicalize(dir.join("newsdesk")).is_ok_and(|found| found == running)
        })
    });
    if on_path {
        "newsdesk".to_owned()
    } else {
        shell_word(&running)
    }
}

fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _total: usize) {}
    fn finished(&mut self, _result: &SourceResult) {}
}

fn answer(path: &str) -> Answer {
    match FEEDS.iter().find(|(served, _, _)| *served == path) {
        Some((_, body, content_type)) => respond(StatusCode::OK, content_type, *body),
        None => respond(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    }
}
