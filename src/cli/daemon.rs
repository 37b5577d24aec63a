//! `newsdesk daemon`: run under systemd (or in a terminal) and poll forever.

use clap::Args;

use super::{Cli, CliError};
use crate::daemon::{self, Paths};

/// Poll every source on its own schedule until stopped.
///
/// Each source is polled at its interval, adapted to how often it publishes
/// and to the server's Cache-Control / Expires / RSS ttl, with exponential
/// back-off after errors (Retry-After honoured). The schedule is kept in the
/// database, so a restart resumes it. With systemd (Type=notify) it reports
/// READY, STATUS and watchdog pings. SIGTERM or SIGINT: stop taking new
/// work, let fetches in flight finish within [daemon] grace_period, exit 0.
/// SIGHUP: re-read feeds.toml (a bad file is reported and the running
/// configuration stays). With [daemon] listen set, serves /metrics
/// (Prometheus) and /healthz.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk daemon\n  NEWSDESK_LOG=debug newsdesk --config /etc/newsdesk/feeds.toml daemon\n  systemctl reload newsdesk     # sends SIGHUP"
)]
pub struct DaemonArgs {}

pub fn run(cli: &Cli, _args: &DaemonArgs) -> Result<(), CliError> {
    daemon::run(Paths {
        config: cli.config.clone(),
        database_override: cli.db.clone(),
    })?;
    Ok(())
}
