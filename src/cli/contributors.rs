//! `newsdesk contributors`: who may submit links over HTTP. `add` makes a
//! random token, prints it once and keeps only its SHA-256, in feeds.toml
//! (edited in place, comments kept) or in `[daemon] contributors_file`.

use std::io::{self, Write};
use std::path::Path;

use clap::{Args, Subcommand};
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, value};

use super::{Cli, CliError};
use crate::config::{ContributorsOrigin, hex, parse_contributors, token_sha256};

/// Who may submit links to the daemon's `POST /api/submissions` and `/submit` page.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    newsdesk contributors add alice          prints alice's token, once\n  \
    newsdesk contributors list\n  \
    newsdesk contributors remove alice       her token stops working\n\n\
    The token is printed on stdout and never stored: feeds.toml (or [daemon] contributors_file) \
    keeps its SHA-256 only. A running daemon sees the change at its next request; one that \
    reads the systemd credential `contributors` needs `systemctl restart newsdesk`.")]
pub struct ContributorsArgs {
    #[command(subcommand)]
    command: ContributorsCommand,
}

#[derive(Debug, Subcommand)]
enum ContributorsCommand {
    /// Give NAME a new token (printed once) so they can submit links.
    #[command(after_help = "Examples:\n  \
        newsdesk contributors add alice\n  \
        TOKEN=$(newsdesk contributors add \"Bob Smith\")    the token alone is on stdout")]
    Add {
        /// Who the token is for, as the queue will credit them.
        name: String,
    },
    /// The contributors and where they are kept.
    #[command(after_help = "Examples:\n  newsdesk contributors list")]
    List,
    /// Take NAME's token away.
    #[command(after_help = "Examples:\n  newsdesk contributors remove alice")]
    Remove {
        /// The contributor, as `list` shows them.
        name: String,
    },
}

pub fn run(cli: &Cli, args: &ContributorsArgs) -> Result<(), CliError> {
    let config = cli.load_config()?;
    let origin = config.contributors_editable();
    match &args.command {
        ContributorsCommand::Add { name } => add(&origin, name.trim()),
        ContributorsCommand::List => list(&config, &origin),
        ContributorsCommand::Remove { name } => remove(&origin, name.trim()),
    }
}

fn add(origin: &ContributorsOrigin, name: &str) -> Result<(), CliError> {
    let path = origin.path();
    let mut doc = read(path)?;
    if entries(&doc)
        .iter()
        .any(|entry| entry.get("name").and_then(Item::as_str) == Some(name))
    {
        return Err(CliError::Input(format!(
            "\"{name}\" is already a contributor in {}\n  help: `newsdesk contributors remove {name}` first to give them a new token",
            path.display()
        )));
    }
    let token = new_token()?;
    let mut entry = Table::new();
    entry["name"] = value(name);
    entry["token_sha256"] = value(hex(&token_sha256(&token)));
    match doc.get_mut("contributors") {
        Some(Item::ArrayOfTables(array)) => array.push(entry),
        _ => {
            let mut array = ArrayOfTables::new();
            array.push(entry);
            doc["contributors"] = Item::ArrayOfTables(array);
        }
    }
    write(origin, &doc)?;
    writeln!(io::stdout(), "{token}")?;
    writeln!(
        io::stderr(),
        "contributor \"{name}\" added to {}. The token above is shown this once: hand it to {name} \
         (the file keeps only its SHA-256).",
        path.display()
    )?;
    Ok(())
}

fn list(config: &crate::config::Config, origin: &ContributorsOrigin) -> Result<(), CliError> {
    let contributors = match origin {
        ContributorsOrigin::FeedsToml(_) => config.contributors.clone(),
        _ => crate::config::load_contributors(origin.path())?,
    };
    let mut out = io::stdout().lock();
    for contributor in &contributors {
        // A prefix of the hash tells two entries apart without showing much.
        let hash = hex(&contributor.token_sha256);
        writeln!(out, "{}\t(token sha256 {}…)", contributor.name, &hash[..8])?;
    }
    writeln!(
        out,
        "{} contributor{} in {}",
        contributors.len(),
        if contributors.len() == 1 { "" } else { "s" },
        origin.describe()
    )?;
    Ok(())
}

fn remove(origin: &ContributorsOrigin, name: &str) -> Result<(), CliError> {
    let path = origin.path();
    let mut doc = read(path)?;
    let Some(Item::ArrayOfTables(array)) = doc.get_mut("contributors") else {
        return Err(no_such(name, path));
    };
    let before = array.len();
    array.retain(|entry| entry.get("name").and_then(Item::as_str) != Some(name));
    if array.len() == before {
        return Err(no_such(name, path));
    }
    if array.is_empty() {
        doc.remove("contributors");
    }
    write(origin, &doc)?;
    writeln!(
        io::stdout(),
        "removed contributor \"{name}\" from {}",
        path.display()
    )?;
    Ok(())
}

fn no_such(name: &str, path: &Path) -> CliError {
    CliError::Input(format!(
        "no contributor \"{name}\" in {}\n  help: `newsdesk contributors list` shows them",
        path.display()
    ))
}

fn entries(doc: &DocumentMut) -> Vec<&Table> {
    match doc.get("contributors") {
        Some(Item::ArrayOfTables(array)) => array.iter().collect(),
        _ => Vec::new(),
    }
}

/// 32 bytes from the operating system's CSPRNG, in hex, after a prefix
/// that secret scanners (and people) recognise.
fn new_token() -> Result<String, CliError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| CliError::Input(format!("no random numbers from the system: {err}")))?;
    Ok(format!("newsdesk_{}", hex(&bytes)))
}

/// The file as a document; one that does not exist yet is empty.
fn read(path: &Path) -> Result<DocumentMut, CliError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(crate::config::ConfigError::Read {
                path: path.to_path_buf(),
                source,
            }
            .into());
        }
    };
    text.parse::<DocumentMut>().map_err(|err| {
        CliError::Input(format!(
            "{} is not valid TOML: {}",
            path.display(),
            err.message()
        ))
    })
}

/// Checks the entries as the daemon will read them, then replaces the
/// file; a contributors file of its own is readable by its owner only.
fn write(origin: &ContributorsOrigin, doc: &DocumentMut) -> Result<(), CliError> {
    let path = origin.path();
    let text = doc.to_string();
    parse_contributors(path, &text)?;
    if matches!(origin, ContributorsOrigin::File(_)) && !path.exists() {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
    }
    crate::atomic_file::write(path, &text)?;
    Ok(())
}
