//! `newsdesk draft --check`: the issue's problems as a table or JSON, exit
//! 1 when there are any; `--fix-redirects` rewrites moved links first.

use std::io::{self, IsTerminal, Write};

use super::CliError;
use crate::config::Config;
use crate::draft::Issue;
use crate::draft::check::{self, Problem, ProblemKind};

pub fn run(
    config: &Config,
    issue: &Issue,
    fix_redirects: bool,
    last: usize,
    json: bool,
) -> Result<(), CliError> {
    let path = &issue.path;
    let markdown = std::fs::read_to_string(path).map_err(|err| {
        CliError::Input(format!(
            // The date is always named: `draft` alone picks the next issue
            // day, which need not be the one checked.
            "cannot read the draft {}: {err}\n  help: run `newsdesk draft --date {}` first, or pass the issue's --date",
            path.display(),
            issue.date
        ))
    })?;
    let links = check::links(&markdown);
    let client = crate::fetch::PoliteClient::new(config)
        .map_err(|e| CliError::Input(format!("cannot start the HTTP client: {e}")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Input(format!("cannot start the async runtime: {e}")))?;
    let mut problems = runtime.block_on(check::check_links(&client, &links));
    problems.extend(check::already_published(
        &links,
        &check::last_issues(config, issue, last),
    ));
    problems.extend(check::placeholders(&markdown));
    if check::is_zenn(config) {
        let slug = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        problems.extend(check::front_matter(&markdown, &slug));
    }
    problems.sort_by(|a, b| (a.line, a.kind, &a.url).cmp(&(b.line, b.kind, &b.url)));

    let mut out = io::stdout().lock();
    if fix_redirects {
        let moves: Vec<(String, String)> = problems
            .iter()
            .filter_map(|p| Some((p.url.clone()?, p.new_url.clone()?)))
            .collect();
        if !moves.is_empty() {
            let (text, places) = check::rewrite_links(&markdown, &moves);
            crate::draft::write_atomically(path, &text)?;
            writeln!(
                io::stderr(),
                "rewrote {places} place{} of {} moved link{} in {}",
                if places == 1 { "" } else { "s" },
                moves.len(),
                if moves.len() == 1 { "" } else { "s" },
                path.display()
            )?;
            problems.retain(|p| p.kind != ProblemKind::Redirected);
        }
    }
    if json {
        serde_json::to_writer_pretty(&mut out, &problems)
            .map_err(|e| CliError::Input(format!("cannot write JSON: {e}")))?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &problems, io::stdout().is_terminal())?;
    }
    if problems.is_empty() {
        writeln!(
            io::stderr(),
            "{}: {} link{} alive, no placeholders{}: ready to publish",
            path.display(),
            links.len(),
            if links.len() == 1 { "" } else { "s" },
            if check::is_zenn(config) {
                ", front matter as Zenn wants it"
            } else {
                ""
            }
        )?;
        return Ok(());
    }
    Err(CliError::Input(format!(
        "{} problem{} in {}\n  help: fix them in the file and run `newsdesk draft --check` again",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" },
        path.display()
    )))
}

/// One problem a line: LINE KIND WHAT DETAIL, aligned (on a terminal the
/// long detail is cut to the width).
fn print_table(out: &mut impl Write, problems: &[Problem], terminal: bool) -> io::Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let what = |p: &Problem| p.url.clone().unwrap_or_default();
    let kind_width = problems
        .iter()
        .map(|p| p.kind.as_str().len())
        .max()
        .unwrap_or(4);
    let what_width = problems
        .iter()
        .map(|p| what(p).chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    writeln!(
        out,
        "{:>5}  {:kind_width$}  {:what_width$}  DETAIL",
        "LINE",
        "KIND",
        if what_width > 0 { "URL" } else { "" }
    )?;
    for problem in problems {
        let mut detail = problem.detail.clone();
        if terminal {
            detail = detail.chars().take(100).collect();
        }
        writeln!(
            out,
            "{:>5}  {:kind_width$}  {:what_width$}  {detail}",
            problem.line,
            problem.kind.as_str(),
            what(problem)
        )?;
    }
    Ok(())
}
