//! `newsdesk check`: validate feeds.toml, exit 0 or 1, like `nginx -t`.

use std::io::Write;

use clap::Args;

use super::{Cli, CliError};

/// Validate feeds.toml (and the template it names) without fetching anything.
///
/// Every problem is listed with its file, line and column and what to do,
/// then the command exits 1; a valid configuration exits 0.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk check\n  newsdesk --config /etc/newsdesk/feeds.toml check && systemctl reload newsdesk"
)]
pub struct CheckArgs {}

pub fn run(cli: &Cli, _args: &CheckArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let enabled = config.sources.iter().filter(|s| s.enabled).count();
    writeln!(
        std::io::stdout(),
        "{}: ok ({} sources, {} enabled; {} sections)",
        cli.config_path().display(),
        config.sources.len(),
        enabled,
        config.sections.len()
    )?;
    match crate::secret::github_token().map_err(|e| CliError::Input(e.to_string()))? {
        Some(token) => writeln!(
            std::io::stdout(),
            "GitHub token: set (from the {})",
            token.origin
        )?,
        None => writeln!(
            std::io::stdout(),
            "GitHub token: none (optional: {} or the systemd credential {})",
            crate::secret::GITHUB_TOKEN_ENV,
            crate::secret::GITHUB_TOKEN_CREDENTIAL
        )?,
    }
    Ok(())
}
