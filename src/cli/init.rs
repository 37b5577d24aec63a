//! `newsdesk init [DIR]`: a new newsletter repository, ready for `poll`.
//!
//! Everything it writes is embedded in the binary, so an installed newsdesk
//! can scaffold a repository without the source tree. It never overwrites:
//! when any file it would write exists, it writes nothing and names them.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Args;

use super::CliError;

/// The example configuration shipped in the repository: real sources of the
/// field, every key explained. Its `database` and `drafts_dir` are relative
/// to the file, which suits a fresh repository.
const FEEDS_TOML: &str = include_str!("../../feeds.toml");

/// What templates/ holds besides the templates themselves.
const TEMPLATES_README: &str = include_str!("../../templates/README.md");

const GITIGNORE: &str = "\
# newsdesk's database (SQLite, WAL mode): the candidate queue AND the
# editors' decisions and comments. `newsdesk poll` cannot rebuild the
# decisions: back it up (sqlite3 newsdesk.db \".backup copy.db\"), and
# beware `git clean -x`, which deletes ignored files.
newsdesk.db
newsdesk.db-wal
newsdesk.db-shm
newsdesk.db.daemon-lock
# zenn-cli, installed by `npm install` (package.json pins it).
node_modules/
";

/// The zenn-cli the scaffold's package.json pins; the same version as the
/// real-client test's (tests/zenn/package.json), so what the tests check
/// is what the editor previews with.
pub const ZENN_CLI_VERSION: &str = "0.5.2";

fn package_json(dir: &Path) -> String {
    let name = std::path::absolute(dir)
        .ok()
        .and_then(|d| {
            d.file_name()
                .map(|n| crate::slug::slug(&n.to_string_lossy(), 60))
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "newsletter".to_owned());
    format!(
        r#"{{
  "name": "{name}",
  "private": true,
  "description": "A Zenn repository: `npm install`, then `npx zenn preview` shows the drafts of articles/ as Zenn will.",
  "scripts": {{
    "preview": "zenn preview"
  }},
  "devDependencies": {{
    "zenn-cli": "{ZENN_CLI_VERSION}"
  }}
}}
"#
    )
}

/// Scaffold a newsletter repository in DIR (default: the current directory).
///
/// Writes feeds.toml (commented, with real cloud-native sources), the
/// default templates, and DIR laid out as a Zenn repository (drafts go
/// to articles/ at its root, where Zenn's GitHub sync reads them): an
/// empty articles/, a package.json pinning zenn-cli (`npm install`, then
/// `npx zenn preview`), a .gitignore for the database and node_modules; and
/// runs `git init` unless DIR is already inside a git work tree. Refuses to overwrite: if any of these files exists, nothing is
/// written and the existing files are listed.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  newsdesk init cloud-native-weekly && cd cloud-native-weekly && newsdesk check\n  newsdesk init            # in the current directory"
)]
pub struct InitArgs {
    /// The repository directory; created when missing.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: &InitArgs) -> Result<(), CliError> {
    let dir = &args.dir;
    // The scaffold's drafts are rendered with its own copy of the
    // templates, which the editor customises.
    let feeds_toml = FEEDS_TOML.replace(
        "# templates_dir = \"templates\"",
        "templates_dir = \"templates\"",
    );
    let package_json = package_json(dir);
    let mut files: Vec<(PathBuf, &str)> = vec![
        (dir.join("feeds.toml"), feeds_toml.as_str()),
        (dir.join(".gitignore"), GITIGNORE),
        (dir.join("articles/.gitkeep"), ""),
        (dir.join("package.json"), package_json.as_str()),
        (dir.join("templates/README.md"), TEMPLATES_README),
    ];
    // The default templates, copied so the editor can customise them.
    files.extend(
        crate::draft::templates::built_in_files()
            .map(|(path, contents)| (dir.join(path), contents)),
    );
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.symlink_metadata().is_ok())
        .map(|(path, _)| path.display().to_string())
        .collect();
    if !existing.is_empty() {
        return Err(CliError::Input(format!(
            "not overwriting what exists; nothing was written:\n  {}\n  help: move {} away, or choose another directory",
            existing.join("\n  "),
            if existing.len() == 1 { "it" } else { "them" }
        )));
    }

    let mut out = io::stdout().lock();
    for (path, contents) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| cannot_write(parent, &e))?;
        }
        // create_new: a file appearing since the check above is not clobbered.
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| cannot_write(path, &e))?;
        file.write_all(contents.as_bytes())
            .map_err(|e| cannot_write(path, &e))?;
        writeln!(out, "created {}", path.display())?;
    }

    // Without git at all, `git init` below says so.
    if matches!(crate::draft::git::work_tree_root(dir), Ok(Some(_))) {
        writeln!(out, "{} is already in a git repository", dir.display())?;
    } else {
        match Command::new("git")
            .arg("init")
            .arg("--quiet")
            .arg(dir)
            .stdin(Stdio::null())
            .status()
        {
            Ok(status) if status.success() => {
                writeln!(out, "initialised a git repository in {}", dir.display())?
            }
            Ok(status) => {
                return Err(CliError::Input(format!(
                    "`git init {}` failed ({status}); the files are written, run it yourself",
                    dir.display()
                )));
            }
            Err(err) => writeln!(
                io::stderr(),
                "warning: git not run ({err}); the files are written, run `git init` yourself"
            )?,
        }
    }
    writeln!(
        out,
        "next: edit {}, then `newsdesk --config {0} check` and `newsdesk --config {0} poll`",
        dir.join("feeds.toml").display()
    )?;
    Ok(())
}

fn cannot_write(path: &Path, err: &io::Error) -> CliError {
    CliError::Input(format!("cannot write {}: {err}", path.display()))
}
