//! `newsdesk completions SHELL` and `newsdesk man`: shell completions and
//! the manual page, generated from the same clap definitions as the parser,
//! so they cannot drift from the real options.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;

use super::CliError;

/// Print a shell completion script for newsdesk.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk completions bash > ~/.local/share/bash-completion/completions/newsdesk\n  newsdesk completions zsh > ~/.zfunc/_newsdesk\n  newsdesk completions fish > ~/.config/fish/completions/newsdesk.fish"
)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Print the manual page (roff), or write one page per command.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk man > newsdesk.1 && man ./newsdesk.1\n  newsdesk man --dir /usr/local/share/man/man1    # newsdesk.1, newsdesk-poll.1, …"
)]
pub struct ManArgs {
    /// Write newsdesk.1 and a page per command (newsdesk-poll.1, …) into DIR.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn run_completions(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut command = super::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "newsdesk", &mut out);
    out.flush()?;
    Ok(())
}

pub fn run_man(args: &ManArgs) -> Result<(), CliError> {
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            clap_mangen::generate_to(super::command(), dir)
                .map_err(|e| CliError::Input(format!("cannot write into {}: {e}", dir.display())))
        }
        None => {
            let mut out = io::stdout().lock();
            // As generate_to does for --dir: the help subcommand has no
            // page, so the page must not list newsdesk-help(1).
            let command = super::command().disable_help_subcommand(true);
            clap_mangen::Man::new(command).render(&mut out)?;
            out.flush()?;
            Ok(())
        }
    }
}
