//! Credentials: the GitHub token, read from a systemd credential
//! (`LoadCredential=github-token:…`) or the environment, and never printed.

use std::fmt;
use std::path::PathBuf;

/// Where the environment variable is looked for.
pub const GITHUB_TOKEN_ENV: &str = "NEWSDESK_GITHUB_TOKEN";
/// The credential's name under `$CREDENTIALS_DIRECTORY`.
pub const GITHUB_TOKEN_CREDENTIAL: &str = "github-token";

/// A value that shows up as `[redacted]` in every `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, for the one place that sends it (an Authorization header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A token and where it came from (for messages; never the value).
#[derive(Debug, Clone)]
pub struct Token {
    pub secret: Secret,
    pub origin: String,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the GitHub token credential {}\n  help: check LoadCredential= in the unit, or unset CREDENTIALS_DIRECTORY", path.display())]
pub struct TokenError {
    path: PathBuf,
    source: std::io::Error,
}

/// The GitHub token: the systemd credential when present, else the
/// environment variable; `None` when neither is set (public feeds need none).
pub fn github_token() -> Result<Option<Token>, TokenError> {
    if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
        let path = PathBuf::from(dir).join(GITHUB_TOKEN_CREDENTIAL);
        match std::fs::read_to_string(&path) {
            Ok(value) if !value.trim().is_empty() => {
                return Ok(Some(Token {
                    secret: Secret(value.trim().to_owned()),
                    origin: format!("systemd credential {GITHUB_TOKEN_CREDENTIAL}"),
                }));
            }
            Ok(_) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(TokenError { path, source }),
        }
    }
    Ok(std::env::var(GITHUB_TOKEN_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|value| Token {
            secret: Secret(value.trim().to_owned()),
            origin: format!("environment variable {GITHUB_TOKEN_ENV}"),
        }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format_their_value() {
        let token = Token {
            secret: Secret("ghp_very_secret".into()),
            origin: "test".into(),
        };
        assert_eq!(format!("{}", token.secret), "[redacted]");
        assert!(!format!("{token:?}").contains("ghp_very_secret"));
        assert_eq!(token.secret.expose(), "ghp_very_secret");
    }
}
