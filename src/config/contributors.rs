//! `[[contributors]]`: who may submit links over HTTP, each with the
//! SHA-256 of their bearer token (never the token itself). The entries
//! live in feeds.toml, or in the file `[daemon] contributors_file` names,
//! or in the systemd credential `contributors` (`LoadCredential=`), which
//! the daemon prefers when it is there.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use toml::Spanned;

use super::problems::{ConfigError, Problems};

/// The credential's name under `$CREDENTIALS_DIRECTORY`.
pub const CONTRIBUTORS_CREDENTIAL: &str = "contributors";

/// One person who may submit, known by their token's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    pub name: String,
    pub token_sha256: [u8; 32],
}

/// The SHA-256 of a token, which is what is stored and compared.
pub fn token_sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Lower-case hex, as `token_sha256 = "…"` is written.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The contributor whose token this is. Every entry is compared, each in
/// constant time, so the answer's timing tells nothing about the hashes.
pub fn contributor_of<'a>(contributors: &'a [Contributor], token: &str) -> Option<&'a Contributor> {
    let hash = token_sha256(token);
    let mut found = None;
    for contributor in contributors {
        if bool::from(contributor.token_sha256.ct_eq(&hash)) {
            found = Some(contributor);
        }
    }
    found
}

/// Where the entries are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContributorsOrigin {
    /// `$CREDENTIALS_DIRECTORY/contributors`: a copy systemd made at start.
    Credential(PathBuf),
    /// `[daemon] contributors_file`.
    File(PathBuf),
    /// `[[contributors]]` of feeds.toml itself.
    FeedsToml(PathBuf),
}

impl ContributorsOrigin {
    pub fn path(&self) -> &Path {
        match self {
            ContributorsOrigin::Credential(path)
            | ContributorsOrigin::File(path)
            | ContributorsOrigin::FeedsToml(path) => path,
        }
    }

    /// For messages: "the systemd credential contributors", "FILE".
    pub fn describe(&self) -> String {
        match self {
            ContributorsOrigin::Credential(_) => {
                format!("the systemd credential {CONTRIBUTORS_CREDENTIAL}")
            }
            ContributorsOrigin::File(path) | ContributorsOrigin::FeedsToml(path) => {
                path.display().to_string()
            }
        }
    }
}

impl super::Config {
    /// Where `newsdesk contributors` writes: `[daemon] contributors_file`,
    /// else feeds.toml.
    pub fn contributors_editable(&self) -> ContributorsOrigin {
        match &self.daemon.contributors_file {
            Some(file) => ContributorsOrigin::File(file.clone()),
            None => ContributorsOrigin::FeedsToml(self.path.clone()),
        }
    }

    /// Where the daemon reads: the systemd credential when it is there,
    /// else where `newsdesk contributors` writes.
    pub fn contributors_served(&self) -> ContributorsOrigin {
        if let Some(dir) = std::env::var_os("CREDENTIALS_DIRECTORY") {
            let path = PathBuf::from(dir).join(CONTRIBUTORS_CREDENTIAL);
            if path.exists() {
                return ContributorsOrigin::Credential(path);
            }
        }
        self.contributors_editable()
    }
}

#[derive(Deserialize)]
pub(super) struct RawContributorsFile {
    #[serde(default)]
    contributors: Vec<RawContributor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContributor {
    pub(super) name: Spanned<String>,
    token_sha256: Spanned<String>,
}

/// Reads the `[[contributors]]` of a file (feeds.toml or a file of its
/// own); a file that does not exist has none.
pub fn load_contributors(path: &Path) -> Result<Vec<Contributor>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse_contributors(path, &text)
}

/// The `[[contributors]]` of `text`, the contents of `path`.
pub fn parse_contributors(path: &Path, text: &str) -> Result<Vec<Contributor>, ConfigError> {
    let mut problems = Problems::new(path, text);
    let found = match toml::from_str::<RawContributorsFile>(text) {
        Ok(raw) => contributors(&mut problems, &raw.contributors),
        Err(err) => {
            problems.add_toml_error(&err, None);
            Vec::new()
        }
    };
    if problems.found.is_empty() {
        Ok(found)
    } else {
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems: problems.found,
        })
    }
}

/// Checks the entries: a name, a 64-digit hex hash, neither used twice.
pub(super) fn contributors(problems: &mut Problems, raw: &[RawContributor]) -> Vec<Contributor> {
    let mut found: Vec<Contributor> = Vec::new();
    for entry in raw {
        let name = entry.name.get_ref().trim().to_owned();
        if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
            problems.add(
                entry.name.span(),
                format!("contributor name \"{}\" is not usable", name.escape_debug()),
                Some("give a name of 1 to 64 printable characters, e.g. name = \"alice\"".into()),
            );
            continue;
        }
        let Some(hash) = parse_hash(entry.token_sha256.get_ref()) else {
            problems.add(
                entry.token_sha256.span(),
                format!("`token_sha256` of contributor \"{name}\" is not 64 hex digits"),
                Some(
                    "it is the SHA-256 of the token, not the token; `newsdesk contributors add NAME` writes it".into(),
                ),
            );
            continue;
        };
        if found.iter().any(|c| c.name == name) {
            problems.add(
                entry.name.span(),
                format!("contributor \"{name}\" is listed twice"),
                Some("keep one [[contributors]] entry per person".into()),
            );
            continue;
        }
        if found.iter().any(|c| c.token_sha256 == hash) {
            problems.add(
                entry.token_sha256.span(),
                format!("contributor \"{name}\" has another contributor's token"),
                Some(format!(
                    "give each person a token of their own: `newsdesk contributors remove {name}`, then `add` again"
                )),
            );
            continue;
        }
        found.push(Contributor {
            name,
            token_sha256: hash,
        });
    }
    found
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut hash = [0u8; 32];
    for (i, byte) in hash.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_found_by_its_hash_and_no_other_is() {
        let contributors = vec![
            Contributor {
                name: "alice".into(),
                token_sha256: token_sha256("a-token"),
            },
            Contributor {
                name: "bob".into(),
                token_sha256: token_sha256("b-token"),
            },
        ];
        assert_eq!(
            contributor_of(&contributors, "b-token").map(|c| c.name.as_str()),
            Some("bob")
        );
        assert_eq!(contributor_of(&contributors, "b-toke"), None);
        assert_eq!(contributor_of(&contributors, ""), None);
    }

    #[test]
    fn hashes_are_read_back_from_their_hex() {
        let hash = token_sha256("x");
        assert_eq!(parse_hash(&hex(&hash)), Some(hash));
        assert_eq!(parse_hash(&hex(&hash).to_uppercase()), Some(hash));
        assert_eq!(parse_hash("abc"), None);
        assert_eq!(parse_hash(&"g".repeat(64)), None);
    }

    #[test]
    fn a_file_with_a_token_instead_of_its_hash_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("contributors.toml");
        std::fs::write(
            &path,
            "[[contributors]]\nname = \"alice\"\ntoken_sha256 = \"secret-token\"\n",
        )
        .unwrap();
        let err = load_contributors(&path).unwrap_err().to_string();
        assert!(err.contains("contributors.toml:3:"), "{err}");
        assert!(err.contains("not 64 hex digits"), "{err}");
        assert_eq!(load_contributors(&dir.path().join("absent")).unwrap(), []);
    }

    #[test]
    fn entries_in_feeds_toml_beside_a_contributors_file_are_refused_not_ignored() {
        let hash = hex(&token_sha256("t"));
        let text = format!(
            "[newsletter]\ntitle = \"T\"\n[daemon]\ncontributors_file = \"team.toml\"\n\
             [[contributors]]\nname = \"x\"\ntoken_sha256 = \"{hash}\"\n"
        );
        let err = crate::config::Config::parse(Path::new("/etc/newsdesk/feeds.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("feeds.toml:6:"), "{err}");
        assert!(err.contains("/etc/newsdesk/team.toml"), "{err}");
        assert!(err.contains("would not be read"), "{err}");
    }
}
