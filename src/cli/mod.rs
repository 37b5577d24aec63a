//! The command line: the contract in DESIGN.md. One file per command.

mod add;
mod check;
mod completions;
mod contributors;
mod daemon;
mod demo;
mod draft;
mod draft_check;
pub mod init;
mod logging;
mod opml;
mod poll;
mod review;
mod sources;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::config::{Config, ConfigError};
use crate::store::{Store, StoreError};

#[derive(Debug, Parser)]
#[command(
    name = "newsdesk",
    version,
    about = "Collects the links of a curated tech newsletter and drafts its next issue.",
    long_about = "Collects the links of a curated tech newsletter and drafts its next issue.\n\n\
        Sources are listed in feeds.toml. `newsdesk poll` fetches them into a queue of \
        candidates (one per story, however many feeds carried it); `newsdesk review` is \
        where the editor decides; `newsdesk sources` shows which feeds are healthy.",
    after_help = "Examples:\n  newsdesk check                      validate feeds.toml\n  newsdesk poll                       fetch every enabled source once\n  newsdesk sources                    which sources work, which fail and why\n  newsdesk add URL --note TEXT        add a link by hand, with a comment\n  newsdesk review list --status new   the queue\n  newsdesk draft                      write the next issue from the accepted candidates\n  newsdesk demo                       try it all offline on sample feeds\n\nExit status: 0 ok, 1 something to fix (configuration, input), 2 usage error."
)]
pub struct Cli {
    /// The configuration file.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        default_value = "feeds.toml",
        env = "NEWSDESK_CONFIG"
    )]
    config: PathBuf,
    /// The database (default: `database` in [newsletter], else newsdesk.db beside the config).
    #[arg(long, global = true, value_name = "FILE", env = "NEWSDESK_DB")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Add(add::AddArgs),
    Daemon(daemon::DaemonArgs),
    Poll(poll::PollArgs),
    Sources(sources::SourcesArgs),
    Check(check::CheckArgs),
    Review(review::ReviewArgs),
    Draft(draft::DraftArgs),
    Demo(demo::DemoArgs),
    ImportOpml(opml::ImportOpmlArgs),
    ExportOpml(opml::ExportOpmlArgs),
    Init(init::InitArgs),
    Contributors(contributors::ContributorsArgs),
    Completions(completions::CompletionsArgs),
    Man(completions::ManArgs),
}

/// The command line's definition: what completions, the man page and the
/// tests of `--help` are generated from.
pub fn command() -> clap::Command {
    Cli::command()
}

/// Errors a command reports; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Poll(#[from] crate::poll::PollError),
    #[error(transparent)]
    Daemon(#[from] crate::daemon::DaemonError),
    #[error(transparent)]
    Draft(#[from] crate::draft::DraftError),
    #[error(transparent)]
    Review(#[from] crate::review::TuiError),
    #[error(transparent)]
    Intake(#[from] crate::intake::IntakeError),
    #[error("{0}")]
    Input(String),
    #[error("no candidate #{0}\n  help: `newsdesk review list` shows the ids")]
    NoCandidate(crate::ids::CandidateId),
    #[error("no section \"{section}\" in {}; {known}", config.display())]
    UnknownSection {
        section: String,
        config: PathBuf,
        /// What [`crate::config::known_sections`] says.
        known: String,
    },
    /// Exits 2, like clap's own usage errors.
    #[error("{0}")]
    Usage(String),
    #[error("cannot write the output")]
    Output(#[from] io::Error),
}

/// Parses the command line, runs the command, maps errors to exit codes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(if matches!(cli.command, Command::Daemon(_)) {
        "info"
    } else {
        "warn"
    });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError::Output(err)) if err.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            // Each error's text leaves its cause to the chain: printed
            // here once, link by link.
            let mut message = format!("error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                message.push_str(&format!("\n  caused by: {cause}"));
                source = cause.source();
            }
            let _ = writeln!(io::stderr(), "{message}");
            ExitCode::from(if matches!(err, CliError::Usage(_)) {
                2
            } else {
                1
            })
        }
    }
}

/// Logs go to stderr. Under systemd (JOURNAL_STREAM names our stderr) each
/// line starts with its syslog priority (`<3>` error … `<7>` debug) and has
/// no timestamp, which the journal adds itself. The daemon logs at `info`
/// by default, commands at `warn`; NEWSDESK_LOG overrides (EnvFilter syntax).
fn init_logging(default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NEWSDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    if logging::stderr_is_journal() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(io::stderr)
            .with_ansi(false)
            .event_format(logging::JournalFormat)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(io::stderr)
            .with_ansi(io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
            .init();
    }
}

fn run(cli: Cli) -> Result<(), CliError> {
    match &cli.command {
        Command::Add(args) => add::run(&cli, args),
        Command::Check(args) => check::run(&cli, args),
        Command::Daemon(args) => daemon::run(&cli, args),
        Command::Poll(args) => poll::run(&cli, args),
        Command::Sources(args) => sources::run(&cli, args),
        Command::Review(args) => review::run(&cli, args),
        Command::Draft(args) => draft::run(&cli, args),
        Command::Demo(args) => demo::run(args),
        Command::ImportOpml(args) => opml::run_import(&cli, args),
        Command::ExportOpml(args) => opml::run_export(&cli, args),
        Command::Init(args) => init::run(args),
        Command::Contributors(args) => contributors::run(&cli, args),
        Command::Completions(args) => completions::run_completions(args),
        Command::Man(args) => completions::run_man(args),
    }
}

impl Cli {
    fn load_config(&self) -> Result<Config, CliError> {
        Ok(Config::load(&self.config)?)
    }

    fn database_path(&self, config: &Config) -> PathBuf {
        self.db
            .clone()
            .unwrap_or_else(|| config.newsletter.database.clone())
    }

    /// The database, created when missing: for commands that fill it.
    fn open_store(&self, config: &Config) -> Result<Store, CliError> {
        Ok(Store::open(&self.database_path(config))?)
    }

    /// The database, which must exist: for commands that look at what is
    /// there or decide on it (a new, empty one would answer "nothing").
    fn open_existing_store(&self, config: &Config) -> Result<Store, CliError> {
        Ok(Store::open_existing(&self.database_path(config))?)
    }

    fn config_path(&self) -> &Path {
        &self.config
    }
}

/// Writes `value` as one pretty JSON document and a newline.
fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    // Buffered: stdout alone flushes at every line, and a long listing has
    // a million lines.
    let mut out = io::BufWriter::new(io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// Human sizes for tables: 512 B, 34 KB, 2.1 MB.
fn human_bytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{} KB", bytes / 1_000),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}
