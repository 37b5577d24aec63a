//! `newsdesk poll`: fetch sources once, now, and say how it went.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use super::{Cli, CliError, human_bytes};
use crate::enrich::{Enriched, enrich_pending};
use crate::fetch::PoliteClient;
use crate::outcome::Outcome;
use crate::poll::{InFlight, PollError, Progress, SourceResult, poll_once};

/// Article pages fetched after one `poll --enrich` at most; the rest wait
/// for the next one (the daemon works through them as it goes).
const ENRICH_PER_POLL: usize = 100;

/// Fetch sources once, now, then exit.
///
/// Sources are fetched concurrently within the limits in [defaults]
/// (`concurrency` in total, `per_host` per server), with conditional
/// requests so unchanged feeds cost a 304. Progress goes to stderr (a bar on
/// a terminal, one line per source otherwise), a summary to stdout. Exits 0
/// when the poll ran, even if some sources failed (see `newsdesk sources`).
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk poll\n  newsdesk poll --source kubernetes-blog --source cncf-blog\n  newsdesk poll --enrich"
)]
pub struct PollArgs {
    /// Poll only this source (repeatable); disabled sources can be polled this way.
    #[arg(long = "source", value_name = "ID")]
    sources: Vec<String>,
    /// Afterwards, fetch the article pages of up to 100 candidates without a
    /// real summary (sources with enrich = false excepted). The daemon does
    /// this by itself as it goes.
    #[arg(long)]
    enrich: bool,
}

pub fn run(cli: &Cli, args: &PollArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let selected = if args.sources.is_empty() {
        config
            .sources
            .iter()
            .filter(|s| s.enabled)
            .cloned()
            .collect::<Vec<_>>()
    } else {
        let mut chosen = Vec::new();
        for id in &args.sources {
            match config.source(id) {
                Some(source) => chosen.push(source.clone()),
                None => {
                    return Err(CliError::Input(format!(
                        "no source \"{id}\" in {}\n  help: `newsdesk sources` lists the ids",
                        config.path.display()
                    )));
                }
            }
        }
        chosen
    };
    let mut store = cli.open_store(&config)?;
    crate::housekeeping::refresh_published(&mut store, &config)?;
    let client = PoliteClient::new(&config).map_err(PollError::Client)?;
    let progress: Box<dyn Progress> = if io::stderr().is_terminal() {
        Box::new(BarProgress::default())
    } else {
        Box::new(LineProgress::default())
    };
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (mut store, results) =
        runtime.block_on(poll_once(&config, store, &client, selected, progress))?;
    let enriched = match args.enrich {
        true => runtime.block_on(enrich_pending(
            &client,
            &mut store,
            &config,
            ENRICH_PER_POLL,
        ))?,
        false => Enriched::default(),
    };
    print_summary(&results, enriched, started.elapsed())?;
    Ok(())
}

fn describe(result: &SourceResult) -> String {
    let status = result
        .http_status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    let detail = format!(
        "{status}, {}, {} ms",
        human_bytes(result.bytes),
        result.duration.as_millis()
    );
    let moved = result
        .moved_to
        .as_deref()
        .map(|to| format!("; moved permanently to {to}"))
        .unwrap_or_default();
    match result.outcome {
        Outcome::Fetched => format!(
            "ok           {}: {} new entries, {} new candidates ({detail}){moved}",
            result.id, result.added.entries, result.added.candidates
        ),
        Outcome::Unchanged => format!("unchanged    {} ({detail}){moved}", result.id),
        Outcome::NotModified => format!("not modified {} ({detail}){moved}", result.id),
        Outcome::Failed => format!(
            "FAILED       {}: {} ({detail}){moved}",
            result.id,
            result.error.as_deref().unwrap_or("unknown error")
        ),
    }
}

/// One line per source: for logs, pipes and CI.
#[derive(Default)]
struct LineProgress {
    total: usize,
    done: usize,
}

impl Progress for LineProgress {
    fn start(&mut self, total: usize) {
        self.total = total;
    }

    fn finished(&mut self, result: &SourceResult) {
        self.done += 1;
        let width = self.total.to_string().len();
        let _ = writeln!(
            io::stderr(),
            "[{:>width$}/{}] {}",
            self.done,
            self.total,
            describe(result)
        );
    }
}

/// A progress bar on a terminal; failures are printed above it as they happen.
#[derive(Default)]
struct BarProgress {
    bar: Option<ProgressBar>,
}

impl Progress for BarProgress {
    fn start(&mut self, total: usize) {
        let bar = ProgressBar::new(total as u64).with_style(
            ProgressStyle::with_template("{spinner} polling [{bar:30}] {pos}/{len} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bar = Some(bar);
    }

    fn finished(&mut self, result: &SourceResult) {
        if let Some(bar) = &self.bar {
            if result.outcome == Outcome::Failed || result.moved_to.is_some() {
                bar.println(describe(result));
            }
            bar.inc(1);
        }
    }

    /// The message says which hosts the bar waits on, refreshed as they
    /// change: "0/10" alone for 15 s says nothing.
    fn watch(&mut self, in_flight: std::sync::Arc<InFlight>) {
        let Some(bar) = self.bar.clone() else {
            return;
        };
        std::thread::spawn(move || {
            while !bar.is_finished() {
                bar.set_message(waiting_on(&in_flight.hosts()));
                std::thread::sleep(Duration::from_millis(200));
            }
        });
    }
}

/// "waiting on go.dev, github.com ×3 and 4 more hosts".
fn waiting_on(hosts: &[(String, usize)]) -> String {
    if hosts.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = hosts
        .iter()
        .take(3)
        .map(|(host, n)| match n {
            1 => host.clone(),
            n => format!("{host} ×{n}"),
        })
        .collect();
    let more = match hosts.len().saturating_sub(3) {
        0 => String::new(),
        1 => " and 1 more host".to_owned(),
        n => format!(" and {n} more hosts"),
    };
    format!("waiting on {}{more}", shown.join(", "))
}

impl Drop for BarProgress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn print_summary(
    results: &[SourceResult],
    enriched: Enriched,
    elapsed: Duration,
) -> io::Result<()> {
    let count = |outcome| results.iter().filter(|r| r.outcome == outcome).count();
    let entries: usize = results.iter().map(|r| r.added.entries).sum();
    let candidates: usize = results.iter().map(|r| r.added.candidates).sum();
    let bytes: u64 = results.iter().map(|r| r.bytes).sum();
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "polled {} sources in {:.1} s",
        results.len(),
        elapsed.as_secs_f64()
    )?;
    writeln!(out, "  fetched        {:>6}", count(Outcome::Fetched))?;
    writeln!(out, "  not modified   {:>6}", count(Outcome::NotModified))?;
    writeln!(out, "  unchanged      {:>6}", count(Outcome::Unchanged))?;
    writeln!(out, "  failed         {:>6}", count(Outcome::Failed))?;
    writeln!(out, "  new entries    {:>6}", entries)?;
    writeln!(out, "  new candidates {:>6}", candidates)?;
    writeln!(out, "  downloaded     {:>6}", human_bytes(bytes))?;
    if enriched.pages > 0 {
        writeln!(
            out,
            "  enriched       {:>6} (summaries from {} article pages, {} failed)",
            enriched.summaries, enriched.pages, enriched.failed
        )?;
    }
    let failed: Vec<&SourceResult> = results
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .collect();
    if !failed.is_empty() {
        writeln!(out, "failed sources (details: newsdesk sources):")?;
        for result in failed {
            writeln!(
                out,
                "  {}: {}",
                result.id,
                result.error.as_deref().unwrap_or("unknown error")
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bar_names_the_hosts_it_waits_on() {
        let hosts = |list: &[(&str, usize)]| -> Vec<(String, usize)> {
            list.iter().map(|(h, n)| (h.to_string(), *n)).collect()
        };
        assert_eq!(super::waiting_on(&[]), "");
        assert_eq!(
            super::waiting_on(&hosts(&[("github.com", 3), ("go.dev", 1)])),
            "waiting on github.com ×3, go.dev"
        );
        assert_eq!(
            super::waiting_on(&hosts(&[
                ("a.dev", 2),
                ("b.dev", 1),
                ("c.dev", 1),
                ("d.dev", 1),
                ("e.dev", 1)
            ])),
            "waiting on a.dev ×2, b.dev, c.dev and 2 more hosts"
        );
    }
}
