//! `feeds.toml`: what the editor writes, checked before anything runs.
//!
//! Parsing keeps the position of every value (`toml::Spanned`) so that each
//! problem can be reported as `file:line:column` with what to do about it.
//! All problems are collected and reported at once, like `nginx -t`.
//!
//! The rooms: `model` is the validated configuration the rest of newsdesk
//! reads; `raw` is the file as serde reads it; `problems` collects what is
//! wrong and parses the human-written values; `recover` reads the raw file
//! past the keys serde refuses, so that each is reported; `build` turns it
//! into the model one section at a time, with `newsletter` and `sources`
//! checking the two largest ones. The options of each kind of source are
//! the adapters' own types (`crate::source`): data flows from here to
//! there, never back.

use std::path::Path;

mod build;
mod contributions;
mod contributors;
mod model;
mod newsletter;
mod problems;
mod raw;
mod recover;
mod sources;
#[cfg(test)]
mod tests;

pub use contributions::Contributions;
pub use contributors::{
    CONTRIBUTORS_CREDENTIAL, Contributor, ContributorsOrigin, contributor_of, hex,
    load_contributors, parse_contributors, token_sha256,
};
pub use model::*;
pub use newsletter::{ZENN_TITLE_MAX, is_one_emoji, zenn_length};
pub use problems::{ConfigError, ConfigProblem};
pub(crate) use sources::valid_id;

use problems::Problems;

impl Config {
    /// Reads and validates `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|err| not_utf8(path, &err))?;
        Config::parse(path, &text)
    }

    /// Validates `text` as the contents of `path` (relative paths in it are
    /// resolved against the directory of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut problems = Problems::new(path, text);
        let config = recover::read(text, &mut problems).map(|raw| {
            let base_dir = path.parent().unwrap_or(Path::new("."));
            build::build(raw, base_dir, path, &mut problems)
        });
        match config {
            Some(config) if problems.found.is_empty() => Ok(config),
            _ => {
                // In the order of the file, as the reader goes through it.
                let mut found = problems.found;
                found.sort_by_key(|p| (p.line, p.column));
                Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    problems: found,
                })
            }
        }
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id.0 == id)
    }

    /// Each enabled source with its `quiet_after` (for
    /// `Store::quiet_sources`).
    pub fn quiet_rules(&self) -> Vec<(SourceId, std::time::Duration)> {
        self.sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| (s.id.clone(), s.quiet_after))
            .collect()
    }
}

/// A file that is not UTF-8 (TOML must be), with where the first byte
/// that is not.
fn not_utf8(path: &Path, err: &std::string::FromUtf8Error) -> ConfigError {
    let bytes = err.as_bytes();
    let at = err.utf8_error().valid_up_to();
    let before = String::from_utf8_lossy(&bytes[..at]);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    ConfigError::Invalid {
        path: path.to_path_buf(),
        problems: vec![ConfigProblem {
            file: path.to_path_buf(),
            line,
            column,
            message: format!("byte 0x{:02x} is not UTF-8, and TOML files must be", bytes[at]),
            help: Some("save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`), or fix the character there".into()),
        }],
    }
}
