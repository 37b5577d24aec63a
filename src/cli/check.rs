//! `newsdesk check`: validate feeds.toml, exit 0 or 1, like `nginx -t`.

use std::io::Write;

use clap::Args;

use super::{Cli, CliError};

/// Validate feeds.toml and the draft templates without fetching anything.
///
/// Every problem is listed with its file, line and column and what to do,
/// then the command exits 1; a valid configuration exits 0. Templates
/// (built-in, or from `templates_dir` / `template`) are compiled, and
/// errors are shown with their file and line. With `format = "zenn"` the
/// front matter is checked as Zenn checks it (the title's length in UTF-16
/// code units, one emoji, topics); what Zenn only warns about is a warning
/// here too.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk check\n  newsdesk --config /etc/newsdesk/feeds.toml check && systemctl reload newsdesk"
)]
pub struct CheckArgs {}

pub fn run(cli: &Cli, _args: &CheckArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    crate::draft::Templates::load(&config.newsletter)
        .map_err(crate::draft::DraftError::Templates)?;
    for warning in config.newsletter.zenn_warnings() {
        writeln!(std::io::stderr(), "warning: {warning}")?;
    }
    let enabled = config.sources.iter().filter(|s| s.enabled).count();
    writeln!(
        std::io::stdout(),
        "{}: ok ({} sources, {} enabled; {} sections; {} template{})",
        cli.config_path().display(),
        config.sources.len(),
        enabled,
        config.sections.len(),
        config.newsletter.format.as_str(),
        if config.newsletter.templates_dir.is_some() || config.newsletter.template.is_some() {
            ", customised"
        } else {
            ""
        }
    )?;
    match crate::secret::github_token()
        .map_err(|e| CliError::Input(crate::errors::with_causes(&e)))?
    {
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
    let origin = config.contributors_served();
    let contributors = match origin {
        crate::config::ContributorsOrigin::FeedsToml(_) => config.contributors.len(),
        _ => crate::config::load_contributors(origin.path())?.len(),
    };
    writeln!(
        std::io::stdout(),
        "contributors: {contributors} (in {}){}",
        origin.describe(),
        match (contributors, config.daemon.listen) {
            (0, _) => "; submissions over HTTP are off",
            (_, None) => "; set [daemon] listen to take submissions over HTTP",
            _ => "; the daemon takes submissions on /api/submissions and /submit",
        }
    )?;
    Ok(())
}
