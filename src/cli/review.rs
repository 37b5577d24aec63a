//! `newsdesk review`: the editor's queue.

use std::io::{self, Write};

use clap::{Args, Subcommand};

use super::{Cli, CliError, print_json};
use crate::store::{CandidateFilter, Status};

/// Look through and decide on candidates.
#[derive(Debug, Args)]
pub struct ReviewArgs {
    #[command(subcommand)]
    command: ReviewCommand,
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    List(ListArgs),
}

/// List candidates, newest first.
///
/// With --json, prints one JSON array; each candidate has `id`, `title`,
/// `url`, `source` (where it was first seen), `section`, `status`,
/// `seen_in` (every source id that carried it), `published` (RFC 3339),
/// `summary`, `note`, `decided_at` and `created_at`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk review list\n  newsdesk review list --status new --section releases --json | jq '.[].title'"
)]
struct ListArgs {
    /// Only candidates in this state.
    #[arg(long, value_enum)]
    status: Option<Status>,
    /// Only candidates in this section (an id from [[sections]]).
    #[arg(long, value_name = "S")]
    section: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn run(cli: &Cli, args: &ReviewArgs) -> Result<(), CliError> {
    match &args.command {
        ReviewCommand::List(list) => run_list(cli, list),
    }
}

fn run_list(cli: &Cli, args: &ListArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    if let Some(section) = &args.section
        && !config.sections.iter().any(|s| &s.id == section)
    {
        return Err(CliError::Input(format!(
            "no section \"{section}\" in {}; known sections: {}",
            config.path.display(),
            config
                .sections
                .iter()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let store = cli.open_store(&config)?;
    let candidates = store.list_candidates(&CandidateFilter {
        status: args.status,
        section: args.section.clone(),
    })?;
    if args.json {
        return print_json(&candidates);
    }
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "{:>6}  {:<9}  {:<10}  {:<10}  {:<18}  TITLE",
        "ID", "STATUS", "SECTION", "PUBLISHED", "SEEN IN"
    )?;
    for c in &candidates {
        writeln!(
            out,
            "{:>6}  {:<9}  {:<10}  {:<10}  {:<18}  {}",
            c.id,
            c.status,
            c.section.as_deref().unwrap_or("-"),
            c.published.get(..10).unwrap_or(&c.published),
            c.seen_in.join(","),
            c.title
        )?;
    }
    writeln!(out, "{} candidates", candidates.len())?;
    Ok(())
}
