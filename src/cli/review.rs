//! `newsdesk review`: the editor's queue, interactive (a TUI on a
//! terminal) or scriptable (the subcommands).

use std::io::{self, IsTerminal, Write};

use clap::builder::TypedValueParser;
use clap::{Args, Subcommand};

use super::{Cli, CliError, print_json};
use crate::candidate::rounded_score;
use crate::ids::CandidateId;
use crate::rank::{Ranking, Rules};
use crate::store::{QueueQuery, Status, Store};

/// Look through and decide on candidates.
///
/// Without a subcommand, opens the interactive queue (a TUI) when stdin
/// and stdout are a terminal; otherwise exits 2 and points at `review list`.
/// Keys: j/k or arrows move, a accept (then choose the section), r reject,
/// d defer, u undo, n comment ($EDITOR, else inline), o open the URL,
/// / filter by text, s cycle the status shown, R refresh, ? help, q quit.
/// Every decision is saved at once.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk review                        the queue, interactively\n  newsdesk review list --status new      the queue as a table\n  newsdesk review accept 42 --section releases"
)]
pub struct ReviewArgs {
    #[command(subcommand)]
    command: Option<ReviewCommand>,
    /// Render the first screen, then exit (start-up benchmark).
    #[arg(long, hide = true)]
    exit_after_first_frame: bool,
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    List(ListArgs),
    Show(ShowArgs),
    Accept(AcceptArgs),
    Reject(DecideArgs),
    Defer(DecideArgs),
}

/// Show one candidate: everything known, every place it was seen and why
/// those were merged into it.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk review show 42\n  newsdesk review show 42 --json | jq '.seen_at[].reason'"
)]
struct ShowArgs {
    id: CandidateId,
    /// Print JSON: the fields of `review list --json` plus `seen_at`
    /// (source, url, title, first_seen_at, reason).
    #[arg(long)]
    json: bool,
}

/// Accept candidates for the next issue.
///
/// All ids are decided in one transaction: an unknown id or a candidate
/// already in a draft changes nothing and exits 1. They go into the draft
/// in the order accepted (the TUI's K/J move them).
///
/// With --new-section, --section is the title of a section made for this
/// issue only ("Kubernetes 1.25"), with --emoji, placed --after a section
/// (a [[sections]] id or another one-off; default: after the configured
/// ones); feeds.toml is not touched. Later accepts name it by its title or
/// its id (one-off-…); it stays in the issue its items are drafted in.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk review accept 42 --section releases --note \"Server-side diff by default.\"\n  newsdesk review accept 7 8 9\n  newsdesk review accept 51 --section \"Kubernetes 1.25\" --new-section --emoji ✨ --after articles"
)]
struct AcceptArgs {
    #[arg(required = true)]
    ids: Vec<CandidateId>,
    /// The section to put them in (an id from [[sections]], or a one-off
    /// section's title or id); default: the suggested one
    /// (`suggested_section`: where you put similar items, else the section
    /// of their source).
    #[arg(long, value_name = "S")]
    section: Option<String>,
    /// Make --section a new section of this issue only, titled so.
    #[arg(long, requires = "section")]
    new_section: bool,
    /// The new section's emoji (one, as Zenn wants); default 📌.
    #[arg(long, value_name = "EMOJI", requires = "new_section")]
    emoji: Option<String>,
    /// The section the new one follows in the draft.
    #[arg(long, value_name = "S", requires = "new_section")]
    after: Option<String>,
    /// The editor's comment that goes under the link in the draft.
    #[arg(long, value_name = "TEXT")]
    note: Option<String>,
}

/// Reject or defer candidates (all in one transaction, as for accept).
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  newsdesk review reject 12 13\n  newsdesk review defer 14")]
struct DecideArgs {
    #[arg(required = true)]
    ids: Vec<CandidateId>,
}

/// List candidates, best first (equal scores: the newer, then the higher id).
///
/// The score adds: `[ranking] keywords` found in title or summary, the
/// source's `weight` − 1, ln(number of sources), 2 points halving every
/// week of age, 1 point when a past issue mentioned the story under
/// another link, and what your past issues (the items under drafts_dir)
/// and decisions say of its title words and link (±4 at most).
/// `review show ID` lists the parts.
///
/// `--status kept-out` lists the entries stored but kept out of the queue
/// instead: by a filter rule, by `max_age`, or published in a past issue
/// (JSON: `entry`, `title`, `url`, `source`, `published`,
/// `first_seen_at`, `kept_out`).
///
/// With --json, prints one JSON array; each candidate has `id`, `title`,
/// `url`, `source` (where it was first seen), `section`, `status`,
/// `seen_in` (every source id that carried it), `published` (RFC 3339),
/// `summary`, `session` (a conference session's start, end, room, track
/// and speakers, or null), `note`, `decided_at`, `created_at`, `score`,
/// `suggested_section`, `mention` (how a past issue mentioned it, or null)
/// and `dated_ahead` (the feed's date when it lay more than a day after the
/// fetch; `published` is then the fetch).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk review list\n  newsdesk review list --status new --section releases --json | jq '.[].title'\n  newsdesk review list --status kept-out"
)]
struct ListArgs {
    /// Only candidates in this state, or `kept-out`: entries kept out of
    /// the queue, with the reason.
    #[arg(long, value_parser = status_parser())]
    status: Option<Listed>,
    /// Only candidates in this section (an id from [[sections]]).
    #[arg(long, value_name = "S")]
    section: Option<String>,
    /// Only the first N (best first).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What `--status` lists.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Listed {
    Candidates(Status),
    KeptOut,
}

const KEPT_OUT: &str = "kept-out";

/// `--status`: the queue states as the store spells them, and `kept-out`.
fn status_parser() -> impl clap::builder::TypedValueParser<Value = Listed> {
    let words = Status::ALL.map(Status::as_str);
    clap::builder::PossibleValuesParser::new(words.into_iter().chain([KEPT_OUT])).map(
        |word: String| match Status::parse(&word) {
            Some(status) => Listed::Candidates(status),
            None => Listed::KeptOut,
        },
    )
}

pub fn run(cli: &Cli, args: &ReviewArgs) -> Result<(), CliError> {
    let Some(command) = &args.command else {
        if !(io::stdout().is_terminal() && io::stdin().is_terminal()) {
            return Err(CliError::Usage(
                "`newsdesk review` alone is interactive and needs a terminal\n  help: in scripts use `newsdesk review list [--json]`, `review show ID`, `review accept|reject|defer ID...`".into(),
            ));
        }
        let config = cli.load_config()?;
        let store = cli.open_existing_store(&config)?;
        return crate::review::run(
            store,
            &config,
            crate::review::Options {
                exit_after_first_frame: args.exit_after_first_frame,
            },
        )
        .map_err(CliError::from);
    };
    match command {
        ReviewCommand::List(list) => run_list(cli, list),
        ReviewCommand::Show(show) => run_show(cli, show),
        ReviewCommand::Accept(accept) => run_accept(cli, accept),
        ReviewCommand::Reject(args) => decide(cli, &args.ids, Status::Rejected),
        ReviewCommand::Defer(args) => decide(cli, &args.ids, Status::Deferred),
    }
}

fn run_accept(cli: &Cli, accept: &AcceptArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let mut store = cli.open_existing_store(&config)?;
    let section = match &accept.section {
        Some(title) if accept.new_section => {
            let section = new_section(&config, &mut store, title, accept)?;
            writeln!(
                io::stdout(),
                "new section \"{} {}\" ({}) for this issue, after {}",
                section.emoji,
                section.title,
                section.id,
                section
                    .after
                    .as_deref()
                    .unwrap_or("the configured sections")
            )?;
            Some(section.id)
        }
        Some(name) => Some(section_id(&config, &store, name)?),
        None => None,
    };
    store.decide(
        &accept.ids,
        Status::Accepted,
        section.as_deref(),
        accept.note.as_deref(),
    )?;
    decided(&accept.ids, Status::Accepted)
}

/// The id of section `name`: a [[sections]] id, or a one-off section's
/// id or title.
fn section_id(
    config: &crate::config::Config,
    store: &Store,
    name: &str,
) -> Result<String, CliError> {
    if config.sections.iter().any(|s| s.id == name) {
        return Ok(name.to_owned());
    }
    match store.one_off_section(name)? {
        Some(one_off) => Ok(one_off.id),
        None => Err(CliError::UnknownSection {
            section: name.to_owned(),
            config: config.path.clone(),
            known: format!(
                "{}\n  help: or make it a section of this issue only: --section \"{name}\" --new-section",
                crate::config::known_sections(&config.sections)
            ),
        }),
    }
}

/// The one-off section of `accept --new-section`, checked and stored.
fn new_section(
    config: &crate::config::Config,
    store: &mut Store,
    title: &str,
    accept: &AcceptArgs,
) -> Result<crate::store::OneOffSection, CliError> {
    let title = title.trim();
    if title.is_empty() || title.contains(['\n', '\r']) {
        return Err(CliError::Input(
            "a new section needs a one-line title\n  help: e.g. --section \"Kubernetes 1.25\" --new-section".into(),
        ));
    }
    let emoji = accept.emoji.as_deref().map_or("📌", str::trim);
    if !crate::config::is_one_emoji(emoji) {
        return Err(CliError::Input(format!(
            "--emoji \"{emoji}\" is not one emoji\n  help: write a single emoji, e.g. --emoji ✨"
        )));
    }
    let after = match &accept.after {
        Some(after) => Some(section_id(config, store, after)?),
        None => None,
    };
    Ok(store.add_one_off_section(title, emoji, after.as_deref())?)
}

fn decide(cli: &Cli, ids: &[CandidateId], status: Status) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let mut store = cli.open_existing_store(&config)?;
    store.decide(ids, status, None, None)?;
    decided(ids, status)
}

/// Says what was decided. The decision is stored by now: when stdout
/// cannot take the line (`> /dev/full`), stderr says it was saved.
fn decided(ids: &[CandidateId], status: Status) -> Result<(), CliError> {
    let list: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
    let line = format!("{status}: {}", list.join(", "));
    match writeln!(io::stdout(), "{line}").and_then(|()| io::stdout().flush()) {
        Err(err) if err.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Input(format!(
            "the decision was saved ({line}), but it could not be written to stdout: {err}\n  help: nothing to redo; `newsdesk review show ID` shows it"
        ))),
        written => Ok(written?),
    }
}

pub(super) fn known_section(config: &crate::config::Config, section: &str) -> Result<(), CliError> {
    if config.sections.iter().any(|s| s.id == section) {
        return Ok(());
    }
    Err(CliError::UnknownSection {
        section: section.to_owned(),
        config: config.path.clone(),
        known: crate::config::known_sections(&config.sections),
    })
}

#[derive(serde::Serialize)]
struct Shown {
    #[serde(flatten)]
    candidate: crate::store::CandidateView,
    seen_at: Vec<crate::store::Sighting>,
    /// What the score is made of.
    score_parts: Vec<crate::rank::Part>,
    /// Which items of past issues it is like, in words.
    likeness: Option<String>,
}

/// The database for `review list` and `review show`, read-only when this
/// user may not write it.
fn store_for_reading(cli: &Cli, config: &crate::config::Config) -> Result<Store, CliError> {
    let store = Store::open_for_reading(&cli.database_path(config))?;
    if store.is_read_only() {
        writeln!(
            io::stderr(),
            "note: {} is read-only for this user: scores are as last stored",
            cli.database_path(config).display()
        )?;
    }
    Ok(store)
}

fn run_show(cli: &Cli, args: &ShowArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let mut store = store_for_reading(cli, &config)?;
    let mut ranking = Ranking::adopt(Rules::of(&config), &mut store)?;
    let Some(mut candidate) = store.candidate(args.id)? else {
        return Err(CliError::NoCandidate(args.id));
    };
    let ranker = ranking.ranker(&store, chrono::Utc::now())?;
    let score = ranker.score(&candidate.rank_input());
    let likeness = ranker.likeness(&candidate.rank_input());
    candidate.suggested_section = ranker.suggest_section(&candidate.rank_input());
    candidate.score = rounded_score(score.total);
    let shown = Shown {
        seen_at: store.sightings(args.id)?,
        candidate,
        score_parts: score.parts,
        likeness,
    };
    if args.json {
        return print_json(&shown);
    }
    let c = &shown.candidate;
    let mut out = io::stdout().lock();
    writeln!(out, "#{} {}", c.id, c.title)?;
    writeln!(out, "  url:       {}", c.url.as_deref().unwrap_or("-"))?;
    writeln!(
        out,
        "  status:    {}{}",
        c.status,
        c.decided_at
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default()
    )?;
    writeln!(out, "  section:   {}", c.section.as_deref().unwrap_or("-"))?;
    if let Some(suggested) = &c.suggested_section {
        writeln!(out, "  suggested: {suggested}")?;
    }
    writeln!(out, "  published: {}", c.published)?;
    if let Some(dated) = &c.dated_ahead {
        writeln!(
            out,
            "             (the feed dates it {dated}, after it was fetched: taken as published when fetched)"
        )?;
    }
    if let Some(mention) = &c.mention {
        writeln!(out, "  mentioned: {mention}")?;
    }
    for s in shown.seen_at.iter().filter(|s| s.unread_date.is_some()) {
        writeln!(
            out,
            "             (first seen: {} dates it {:?}, which could not be read)",
            s.source,
            s.unread_date.as_deref().unwrap_or_default()
        )?;
    }
    if let Some(note) = &c.note {
        writeln!(out, "  note:      {note}")?;
    }
    if !c.submitted_by.is_empty() {
        writeln!(out, "  by:        {}", c.submitted_by.join(", "))?;
    }
    if let Some(session) = &c.session {
        writeln!(out, "  session:   {session}")?;
    }
    if let Some(summary) = &c.summary {
        writeln!(out, "  summary:   {summary}")?;
    }
    writeln!(out, "  score:     {:.2}", c.score)?;
    for part in &shown.score_parts {
        writeln!(out, "    {:+6.2}  {}", part.points, part.reason)?;
    }
    if let Some(likeness) = &shown.likeness {
        writeln!(out, "  why:       {likeness}")?;
    }
    if !c.related.is_empty() {
        writeln!(out, "  related:")?;
        for link in &c.related {
            writeln!(out, "    {} {}", link.title, link.url)?;
        }
    }
    writeln!(out, "  seen at:")?;
    for s in &shown.seen_at {
        let reason = s
            .reason
            .as_deref()
            .map(|r| format!(" — {r}"))
            .unwrap_or_default();
        writeln!(
            out,
            "    {} {}{reason}",
            s.source,
            s.url.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

fn run_list(cli: &Cli, args: &ListArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    if let Some(section) = &args.section {
        known_section(&config, section)?;
    }
    let mut store = store_for_reading(cli, &config)?;
    let status = match args.status {
        Some(Listed::KeptOut) => return list_kept_out(&store, args),
        Some(Listed::Candidates(status)) => Some(status),
        None => None,
    };
    let candidates = list(&mut store, &config, status, args)?;
    if args.json {
        return print_json(&candidates);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    let seen_in = |c: &crate::store::CandidateView| {
        c.seen_in
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    // Columns as wide as their widest cell (ids are ASCII), so a story
    // seen in many feeds does not push its title out of line.
    let width = |header: &str, cell: &dyn Fn(&crate::store::CandidateView) -> usize| {
        candidates
            .iter()
            .map(cell)
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let section_width = width("SECTION", &|c| c.section.as_deref().unwrap_or("-").len());
    let seen_width = width("SEEN IN", &|c| seen_in(c).len());
    writeln!(
        out,
        "{:>6}  {:>6}  {:<9}  {:<section_width$}  {:<10}  {:<seen_width$}  TITLE",
        "ID", "SCORE", "STATUS", "SECTION", "PUBLISHED", "SEEN IN"
    )?;
    for c in &candidates {
        writeln!(
            out,
            "{:>6}  {:>6.2}  {:<9}  {:<section_width$}  {:<10}  {:<seen_width$}  {}{}",
            c.id,
            c.score,
            c.status,
            c.section.as_deref().unwrap_or("-"),
            c.published.get(..10).unwrap_or(&c.published),
            seen_in(c),
            c.title,
            match c.submitted_by.as_slice() {
                [] => String::new(),
                names => format!("  (by {})", names.join(", ")),
            }
        )?;
    }
    let total = match args.limit {
        Some(limit) if candidates.len() == limit => store.queue_len(&QueueQuery {
            status,
            section: args.section.clone(),
            text: None,
            limit: None,
            offset: 0,
        })?,
        _ => candidates.len(),
    };
    writeln!(out, "{}", count_line(candidates.len(), total))?;
    if total == 0 && store.queue_len(&QueueQuery::default())? == 0 {
        writeln!(
            out,
            "  help: nothing has been fetched yet: `newsdesk poll` fetches the sources once, `newsdesk daemon` keeps polling"
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The entries kept out of the queue, the most recently seen first.
fn list_kept_out(store: &Store, args: &ListArgs) -> Result<(), CliError> {
    let kept_out = store.kept_out(args.limit)?;
    if args.json {
        return print_json(&kept_out);
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    writeln!(
        out,
        "{:>6}  {:<18}  {:<10}  TITLE — WHY KEPT OUT",
        "ENTRY", "SOURCE", "PUBLISHED"
    )?;
    for e in &kept_out {
        let published = e.published.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{:>6}  {:<18}  {:<10}  {} — {}",
            e.entry,
            e.source,
            published.get(..10).unwrap_or(published),
            e.title,
            e.kept_out
        )?;
    }
    let total = match args.limit {
        Some(limit) if kept_out.len() == limit => store.kept_out_len()?,
        _ => kept_out.len(),
    };
    let noun = if total == 1 { "entry" } else { "entries" };
    match kept_out.len() == total {
        true => writeln!(out, "{total} {noun} kept out")?,
        false => writeln!(out, "{} of {total} {noun} kept out", kept_out.len())?,
    }
    out.flush()?;
    Ok(())
}

/// "1 candidate", "8 candidates", or "20 of 99 candidates" when a limit
/// cut the list.
fn count_line(shown: usize, total: usize) -> String {
    let noun = if total == 1 {
        "candidate"
    } else {
        "candidates"
    };
    match shown == total {
        true => format!("{total} {noun}"),
        false => format!("{shown} of {total} {noun}"),
    }
}

/// The listing, best first by stored score; stale scores (see
/// `store::queue`) of the listed status are brought up to date first.
fn list(
    store: &mut Store,
    config: &crate::config::Config,
    status: Option<Status>,
    args: &ListArgs,
) -> Result<Vec<crate::store::CandidateView>, CliError> {
    let mut ranking = Ranking::adopt(Rules::of(config), store)?;
    let started = std::time::Instant::now();
    let now = chrono::Utc::now();
    let rescored = if store.has_stale(ranking.generation(&*store)?, now, status)? {
        let scoring = ranking.scoring(&*store, now)?;
        store.rescore_stale(&scoring, status, None)?
    } else {
        0
    };
    tracing::debug!(rescored, took = ?started.elapsed(), "stale scores");
    let started = std::time::Instant::now();
    let listed = store.queue(&QueueQuery {
        status,
        section: args.section.clone(),
        text: None,
        limit: args.limit,
        offset: 0,
    })?;
    tracing::debug!(listed = listed.len(), took = ?started.elapsed(), "listing read");
    Ok(listed)
}
