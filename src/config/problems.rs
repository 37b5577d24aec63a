//! Problems found in `feeds.toml`, each with its file, line, column and
//! what to do, and the parsers of the human-written values (durations,
//! sizes, counts, rates, URLs, regular expressions) that report them.
//!
//! A parser reports what is wrong and returns `None`, so checking goes on
//! and every problem of the file is listed at once.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use regex::Regex;
use toml::Spanned;
use url::Url;

use super::Rate;

/// One problem in the configuration, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}{}", path.display(), if source.kind() == std::io::ErrorKind::NotFound {
        "\n  help: `newsdesk init` writes a starting feeds.toml here (or copy the one in the newsdesk repository), or pass --config FILE"
    } else {
        "\n  help: check the file's permissions, or pass --config FILE"
    })]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} has {} problem{}:\n{}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<ConfigProblem>,
    },
}

/// The longest duration any key takes: a source polled once a year is
/// the slowest schedule that means anything, and every duration stays far
/// from the ends of the calendar when added to a date.
pub(super) const LONGEST: Duration = Duration::from_secs(366 * 24 * 3600);
/// The longest age `max_age` takes: a century keeps every entry of any
/// feed ("36500d" is how tests and the demo read old fixtures), and a
/// date that far back is still far from the calendar's end.
pub(super) const LONGEST_AGE: Duration = Duration::from_secs(36_525 * 24 * 3600);
/// The largest size any key takes (a body held in memory).
pub(super) const LARGEST: u64 = 1 << 30;

/// Collects problems with their positions in one file.
pub(super) struct Problems<'a> {
    file: &'a Path,
    pub(super) text: &'a str,
    pub(super) found: Vec<ConfigProblem>,
    /// Keys serde refused and `recover` took out, each with the span of
    /// its table: already reported, so not reported missing.
    pub(super) refused: Vec<(Range<usize>, String)>,
}

impl<'a> Problems<'a> {
    pub(super) fn new(file: &'a Path, text: &'a str) -> Problems<'a> {
        Problems {
            file,
            text,
            found: Vec::new(),
            refused: Vec::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let (line, column) = line_column(self.text, span.start);
        self.found.push(ConfigProblem {
            file: self.file.to_path_buf(),
            line,
            column,
            message: message.into(),
            help,
        });
    }

    /// Whether `key` of the table holding byte `offset` was refused.
    pub(super) fn refused(&self, offset: usize, key: &str) -> bool {
        self.refused
            .iter()
            .any(|(table, refused)| refused == key && table.contains(&offset))
    }

    /// The line of a byte offset, for "already used on line N".
    pub(super) fn line_of(&self, offset: usize) -> usize {
        line_column(self.text, offset).0
    }

    /// A TOML syntax error, or a value serde refused (of `key`, when one).
    pub(super) fn add_toml_error(&mut self, err: &toml::de::Error, key: Option<&str>) {
        let message = err.message().trim().to_owned();
        let help = syntax_help(&message, key);
        self.add(err.span().unwrap_or(0..0), message, help);
    }

    // The parsers of optional keys take the key's `Option` and give `None`
    // when it is absent, so that each key reads in one line:
    // `problems.duration(&raw.interval, "interval").unwrap_or(HOUR)`.

    /// A duration longer than zero and at most [`LONGEST`] ("45m", "1h 30m").
    pub(super) fn duration(
        &mut self,
        value: &Option<Spanned<String>>,
        key: &str,
    ) -> Option<Duration> {
        self.duration_up_to(value, key, LONGEST)
    }

    /// An age (`max_age`): a duration up to [`LONGEST_AGE`].
    pub(super) fn age(&mut self, value: &Option<Spanned<String>>, key: &str) -> Option<Duration> {
        self.duration_up_to(value, key, LONGEST_AGE)
    }

    fn duration_up_to(
        &mut self,
        value: &Option<Spanned<String>>,
        key: &str,
        longest: Duration,
    ) -> Option<Duration> {
        let value = value.as_ref()?;
        match humantime::parse_duration(value.get_ref()) {
            Ok(d) if d.is_zero() => {
                self.add(
                    value.span(),
                    format!("`{key}` must be longer than zero"),
                    None,
                );
                None
            }
            Ok(d) if d > longest => {
                self.add(
                    value.span(),
                    format!("`{key}` = \"{}\" is too long", value.get_ref()),
                    Some(format!(
                        "`{key}` goes from above zero up to {}d",
                        longest.as_secs() / 86_400
                    )),
                );
                None
            }
            Ok(d) => Some(d),
            // humantime's own words ("expected number at 0") count
            // characters the user does not see.
            Err(_) => {
                self.add(
                    value.span(),
                    format!("`{key}` = \"{}\" is not a duration", value.get_ref()),
                    Some(DURATION_HELP.into()),
                );
                None
            }
        }
    }

    /// A size in bytes above zero ("512KB", "10MiB").
    pub(super) fn size(&mut self, value: &Option<Spanned<String>>, key: &str) -> Option<u64> {
        let value = value.as_ref()?;
        match value.get_ref().trim().parse::<bytesize::ByteSize>() {
            Ok(size) if size.as_u64() > LARGEST => {
                self.add(
                    value.span(),
                    format!("`{key}` = \"{}\" is too large", value.get_ref()),
                    Some(format!(
                        "sizes go from 1B up to {}",
                        bytesize::ByteSize(LARGEST).display().iec()
                    )),
                );
                None
            }
            Ok(size) if size.as_u64() > 0 => Some(size.as_u64()),
            _ => {
                self.add(
                    value.span(),
                    format!("`{key}` = \"{}\" is not a size", value.get_ref()),
                    Some("write sizes like \"512KB\", \"10MB\" or \"10MiB\"".into()),
                );
                None
            }
        }
    }

    /// A whole number of at least `min`.
    pub(super) fn count(
        &mut self,
        value: &Option<Spanned<i64>>,
        key: &str,
        min: i64,
    ) -> Option<usize> {
        let value = value.as_ref()?;
        match usize::try_from(*value.get_ref()) {
            Ok(n) if *value.get_ref() >= min => Some(n),
            _ => {
                self.add(
                    value.span(),
                    format!("`{key}` = {} is out of range", value.get_ref()),
                    Some(format!("use a whole number of at least {min}")),
                );
                None
            }
        }
    }

    /// "60/h", "1/s", "100/15m": requests per period.
    pub(super) fn rate(&mut self, value: &Option<Spanned<String>>, key: &str) -> Option<Rate> {
        let value = value.as_ref()?;
        let text = value.get_ref().trim();
        let parsed = text.split_once('/').and_then(|(count, period)| {
            let requests: u32 = count.trim().parse().ok().filter(|n| *n > 0)?;
            let period = period.trim();
            let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
                humantime::parse_duration(period).ok()?
            } else {
                humantime::parse_duration(&format!("1{period}")).ok()?
            };
            (!period.is_zero() && period <= LONGEST).then_some(Rate {
                requests,
                per: period,
            })
        });
        if parsed.is_none() {
            self.add(
                value.span(),
                format!("`{key}` = \"{text}\" is not a rate"),
                Some("write requests per period, e.g. \"60/h\", \"1/s\" or \"100/15m\"".into()),
            );
        }
        parsed
    }

    /// An absolute http(s) URL: `what` names the value in messages
    /// ("url \"…\" of source \"k8s\""), `example` shows a good one.
    pub(super) fn http_url(
        &mut self,
        value: &Spanned<String>,
        what: &str,
        example: &str,
    ) -> Option<Url> {
        let problem = match Url::parse(value.get_ref().trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                return Some(url);
            }
            Ok(url) => format!("is not an http(s) URL (scheme \"{}\")", url.scheme()),
            Err(err) => format!("is not a valid URL: {err}"),
        };
        self.add(
            value.span(),
            format!("{what} {problem}"),
            Some(format!("write the full address, e.g. {example}")),
        );
        None
    }

    pub(super) fn regex(&mut self, pattern: &Spanned<String>, key: &str) -> Option<Regex> {
        match Regex::new(pattern.get_ref()) {
            Ok(re) => Some(re),
            Err(err) => {
                let detail = err
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim()
                    .trim_start_matches("error: ")
                    .to_owned();
                self.add(
                    pattern.span(),
                    format!("`{key}` \"{}\" is not a valid regular expression: {detail}", pattern.get_ref()),
                    Some("see https://docs.rs/regex for the syntax; escape literal dots and brackets with \\\\".into()),
                );
                None
            }
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The keys whose values are durations, written as strings.
const DURATION_KEYS: &[&str] = &[
    "interval",
    "timeout",
    "connect_timeout",
    "min_interval",
    "max_interval",
    "backoff_start",
    "backoff_max",
    "grace_period",
    "writer_give_up_after",
    "quiet_after",
];

const DURATION_HELP: &str = "write durations like \"30s\", \"45m\", \"2h\" or \"1h 30m\"";

fn syntax_help(message: &str, key: Option<&str>) -> Option<String> {
    if message.starts_with("invalid type") && key.is_some_and(|k| DURATION_KEYS.contains(&k)) {
        Some(format!(
            "{DURATION_HELP}, in quotes: {} = \"1h\"",
            key.unwrap_or_default()
        ))
    } else if message.starts_with("invalid type") && message.ends_with("expected a sequence") {
        Some("write a list in brackets, e.g. [\"kubernetes\", \"ebpf\"]".into())
    } else if message.starts_with("invalid type") && message.ends_with("expected a string") {
        Some("write the value in quotes".into())
    } else if message.starts_with("unknown field") {
        Some(
            "remove the key or fix its spelling (the accepted keys are listed after \"expected\")"
                .into(),
        )
    } else if message.starts_with("missing field") {
        Some("add the key; see the example feeds.toml for its meaning".into())
    } else if message.contains("unknown variant") {
        Some("use one of the listed values".into())
    } else {
        None
    }
}
