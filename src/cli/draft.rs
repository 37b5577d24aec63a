//! `newsdesk draft`: write (or update) the next issue's Markdown.

use std::io::{self, Write};

use chrono::NaiveDate;
use clap::Args;

use super::{Cli, CliError};
use crate::draft::lock::{self, DraftLock};
use crate::draft::{self, DraftError, DraftReport, Templates, git::Committed};

/// Write the next issue from the accepted candidates.
///
/// The issue date is --date, else the next `issue_day` of [newsletter]
/// (today when it is that day); its number continues from the past issues
/// in drafts_dir. With `format = "zenn"` the file is
/// drafts_dir/articles/<slug_prefix>-YYYY-MM-DD.md (drafts_dir is the Zenn
/// repository's root, "." by default), with `"plain"`
/// drafts_dir/YYYY-MM-DD.md. Items come in the order accepted, section by
/// section; the lines with **TODO** are placeholders left to write.
///
/// Run it again after editing the file: newly accepted items are added to
/// the end of their sections, and nothing you wrote is changed or moved.
/// When the file's markers (`<!-- newsdesk:… -->` comments) no longer say
/// where things go, the new version is written beside it as `<file>.new`
/// and the command exits 1. Drafted candidates get status `drafted`.
///
/// One draft runs at a time per database: a second waits for the first
/// (up to two minutes, through its commit), and a decision taken while a
/// draft is written waits for it.
///
/// With --check, nothing is written: the issue's file is checked before
/// publishing. Every link in it is fetched once, politely (the per-host
/// limits, timeouts and body caps of [defaults]); dead ones (4xx/5xx, no
/// answer), ones moved permanently (with the new URL; --fix-redirects
/// rewrites them in the file), links already in one of the last --last N
/// issues, lines still with a placeholder (**TODO**), and for Zenn the
/// front matter as Zenn checks it. Exits 1 with the list when anything is
/// wrong: a table, or --json.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk draft\n  newsdesk draft --date 2026-12-02 --dry-run | less\n  newsdesk draft --commit\n  newsdesk draft --check --fix-redirects"
)]
pub struct DraftArgs {
    /// The issue's date (YYYY-MM-DD); default: the next issue day.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    date: Option<NaiveDate>,
    /// Then `git add` and `git commit` the draft file alone (hooks and git
    /// configuration apply; other changes in the repository are left alone).
    #[arg(long, conflicts_with = "dry_run")]
    commit: bool,
    /// Print the Markdown instead of writing it; nothing is changed.
    #[arg(long)]
    dry_run: bool,
    /// Check the issue's file before publishing (links, placeholders,
    /// front matter) instead of drafting; exit 1 with what is wrong.
    #[arg(long, conflicts_with_all = ["commit", "dry_run"])]
    check: bool,
    /// With --check: rewrite permanently moved links to where they moved.
    #[arg(long, requires = "check")]
    fix_redirects: bool,
    /// With --check: links already in one of the last N issues are reported.
    #[arg(long, value_name = "N", default_value_t = 4, requires = "check")]
    last: usize,
    /// With --check: print the problems as one JSON array (line, kind,
    /// url, detail, new_url).
    #[arg(long, requires = "check")]
    json: bool,
}

fn parse_date(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("\"{value}\" is not a date like 2026-12-02"))
}

pub fn run(cli: &Cli, args: &DraftArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let issue = draft::plan(
        &config.newsletter,
        args.date,
        chrono::Local::now().date_naive(),
    );
    if args.check {
        return super::draft_check::run(&config, &issue, args.fix_redirects, args.last, args.json);
    }
    let templates = Templates::load(&config.newsletter).map_err(DraftError::Templates)?;
    let mut store = cli.open_store(&config)?;
    // Held until the command ends: through the commit too.
    let _one_at_a_time = match args.dry_run {
        true => None,
        false => Some(take_draft_lock(&cli.database_path(&config))?),
    };
    let mut report = draft::draft(&config, &templates, &mut store, issue, args.dry_run)?;
    if args.dry_run {
        if let Some(reason) = &report.conflict {
            writeln!(
                io::stderr(),
                "note: {} cannot be merged into safely ({reason}); below is the whole issue, as `newsdesk draft` would write it to {}.new",
                report.issue.path.display(),
                report.issue.path.display()
            )?;
        }
        io::stdout().write_all(report.markdown.as_bytes())?;
        return Ok(());
    }
    if args.commit
        && let Err(err) = draft::commit(&mut report, &config.newsletter.title)
    {
        // The draft is on disk and its items drafted whatever git says:
        // the editor must not think nothing happened.
        print_report(&report)?;
        writeln!(
            io::stderr(),
            "the draft was written to {} and its items marked drafted, but committing it failed:",
            report.issue.path.display()
        )?;
        return Err(err.into());
    }
    print_report(&report)
}

fn take_draft_lock(database: &std::path::Path) -> Result<DraftLock, DraftError> {
    Ok(DraftLock::take(database, lock::PATIENCE, |pid| {
        let holder = pid.map(|p| format!(" (pid {p})")).unwrap_or_default();
        let _ = writeln!(
            io::stderr(),
            "waiting for another `newsdesk draft`{holder} to finish (up to {}s)…",
            lock::PATIENCE.as_secs()
        );
    })?)
}

/// What happened, for the editor.
pub fn print_report(report: &DraftReport) -> Result<(), CliError> {
    let mut out = io::stdout().lock();
    let verb = if report.created {
        "wrote"
    } else if report.added > 0 {
        "updated"
    } else {
        "unchanged"
    };
    writeln!(
        out,
        "{verb} {}: issue #{} ({}), {} item{} ({} new)",
        report.issue.path.display(),
        report.issue.number,
        report.issue.date,
        report.items,
        if report.items == 1 { "" } else { "s" },
        report.added
    )?;
    match draft::placeholders(&report.markdown) {
        0 => writeln!(out, "no placeholders left")?,
        n => writeln!(
            out,
            "{n} placeholder{} left to write (lines with {}): `newsdesk draft --check` lists them",
            if n == 1 { "" } else { "s" },
            draft::PLACEHOLDER
        )?,
    }
    for (id, section) in &report.skipped {
        let why = match section {
            Some(section) => format!("section \"{section}\" is not in [[sections]]"),
            None => "no section".to_owned(),
        };
        writeln!(
            io::stderr(),
            "skipped #{id} ({why}): newsdesk review accept {id} --section S"
        )?;
    }
    match &report.committed {
        Some(Committed::Commit(hash)) => writeln!(out, "committed {hash}")?,
        Some(Committed::Unchanged) => {
            writeln!(out, "nothing to commit: the draft is as in the last commit")?
        }
        None => {}
    }
    Ok(())
}
