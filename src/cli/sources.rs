//! `newsdesk sources`: which sources work, which fail, since when and why.

use std::io::{self, Write};

use chrono::{DateTime, Utc};
use clap::Args;

use super::{Cli, CliError, print_json};
use crate::config::SourceId;
use crate::store::{SourceHealth, Store};

/// Show every configured source's health: last success, last error and
/// since when it has been failing, entries and candidates it produced.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk sources\n  newsdesk sources --json | jq '.[] | select(.consecutive_failures > 0)'"
)]
pub struct SourcesArgs {
    /// Print one JSON array (fields as in the table, times in RFC 3339).
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct SourceRow {
    #[serde(flatten)]
    health: SourceHealth,
    enabled: bool,
    tags: Vec<String>,
    /// Answering but with nothing new since then, for `quiet_after`.
    quiet_since: Option<String>,
}

pub fn run(cli: &Cli, args: &SourcesArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let mut store = Store::open_for_reading(&cli.database_path(&config))?;
    // Without write access, sources not polled yet show as never polled.
    if !store.is_read_only() {
        store.sync_sources(&config)?;
    }
    let ids: Vec<SourceId> = config.sources.iter().map(|s| s.id.clone()).collect();
    let now = Utc::now();
    let quiet: std::collections::HashMap<SourceId, String> = store
        .quiet_sources(&config.quiet_rules(), now)?
        .into_iter()
        .collect();
    let rows: Vec<SourceRow> = store
        .source_health(&ids)?
        .into_iter()
        .zip(&config.sources)
        .map(|(health, source)| SourceRow {
            health,
            enabled: source.enabled,
            tags: source.tags.clone(),
            quiet_since: quiet.get(&source.id).cloned(),
        })
        .collect();
    if args.json {
        return print_json(&rows);
    }
    let mut out = io::stdout().lock();
    let width = rows
        .iter()
        .map(|r| r.health.id.as_str().len())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(
        out,
        "{:<width$}  {:<16}  {:<12}  {:<12}  {:>7}  {:>10}",
        "ID", "HEALTH", "LAST OK", "NEXT POLL", "ENTRIES", "CANDIDATES"
    )?;
    for row in &rows {
        let h = &row.health;
        let health = if !row.enabled {
            "disabled".to_owned()
        } else if h.consecutive_failures > 0 {
            format!("FAILING x{}", h.consecutive_failures)
        } else if h.last_attempt_at.is_none() {
            "never polled".to_owned()
        } else if row.quiet_since.is_some() {
            "quiet".to_owned()
        } else {
            "ok".to_owned()
        };
        let next = if row.enabled {
            until(h.next_poll_at.as_deref(), now)
        } else {
            "-".to_owned()
        };
        writeln!(
            out,
            "{:<width$}  {:<16}  {:<12}  {:<12}  {:>7}  {:>10}",
            h.id,
            health,
            ago(h.last_success_at.as_deref(), now),
            next,
            h.entries,
            h.candidates
        )?;
        if h.consecutive_failures > 0 {
            writeln!(
                out,
                "{:width$}  failing since {} ({}): {}; next try {}",
                "",
                h.failing_since.as_deref().unwrap_or("?"),
                ago(h.failing_since.as_deref(), now),
                h.last_error.as_deref().unwrap_or("unknown error"),
                until(h.next_poll_at.as_deref(), now)
            )?;
        }
        if h.consecutive_failures == 0
            && h.last_error_at.is_some()
            && h.last_error_at == h.last_success_at
            && let Some(warning) = &h.last_error
        {
            writeln!(out, "{:width$}  warning: {warning}", "")?;
        }
        if let Some(since) = &row.quiet_since {
            writeln!(
                out,
                "{:width$}  quiet since {} ({}): answers, but nothing new; moved or abandoned? (quiet_after)",
                "",
                since.get(..10).unwrap_or(since),
                ago(Some(since), now)
            )?;
        }
        if let Some(to) = &h.moved_to {
            writeln!(
                out,
                "{:width$}  moved permanently to {to} (update its url in feeds.toml)",
                ""
            )?;
        }
    }
    Ok(())
}

/// "now" (due or overdue), "in 5m", "in 3h", "in 2d".
fn until(time: Option<&str>, now: DateTime<Utc>) -> String {
    let Some(time) = time.and_then(|t| DateTime::parse_from_rfc3339(t).ok()) else {
        return "now".to_owned();
    };
    let seconds = (time.with_timezone(&Utc) - now).num_seconds();
    match seconds {
        ..60 => "now".to_owned(),
        60..3600 => format!("in {}m", seconds / 60),
        3600..86400 => format!("in {}h", seconds / 3600),
        _ => format!("in {}d", seconds / 86400),
    }
}

/// "never", "just now", "5m ago", "3h ago", "2d ago".
fn ago(time: Option<&str>, now: DateTime<Utc>) -> String {
    let Some(time) = time.and_then(|t| DateTime::parse_from_rfc3339(t).ok()) else {
        return "never".to_owned();
    };
    let seconds = (now - time.with_timezone(&Utc)).num_seconds().max(0);
    match seconds {
        0..60 => "just now".to_owned(),
        60..3600 => format!("{}m ago", seconds / 60),
        3600..86400 => format!("{}h ago", seconds / 3600),
        _ => format!("{}d ago", seconds / 86400),
    }
}
