//! Committing a draft with the `git` command, so the user's configuration,
//! hooks and signing apply as if they had typed it. Only the draft's path
//! is staged and committed (`git commit -- <path>`): whatever else is
//! staged or dirty in the working tree stays as it was.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("cannot run git: {0}\n  help: install git, or draft without --commit")]
    Spawn(std::io::Error),
    #[error(
        "{} is not in a git repository\n  help: run `git init` in the newsletter's directory (or set drafts_dir to a path inside one), or draft without --commit",
        dir.display()
    )]
    NotARepository { dir: PathBuf },
    #[error(
        "`git {command}` failed:\n{output}\n  help: the draft is written; fix what git says (a hook or your git configuration refused it) and run `newsdesk draft --commit` again, or commit it by hand"
    )]
    Failed { command: String, output: String },
}

/// What [`commit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Committed {
    /// The commit's abbreviated hash.
    Commit(String),
    /// The file is the same as in the last commit.
    Unchanged,
}

fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, GitError> {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(GitError::Spawn)
}

fn checked(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = git(dir, args)?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !stdout.trim().is_empty() {
        text = format!("{}\n{text}", stdout.trim());
    }
    Err(GitError::Failed {
        command: args.join(" "),
        output: text
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// The top of the git work tree `dir` is in, if it is in one.
pub fn work_tree_root(dir: &Path) -> Result<Option<PathBuf>, GitError> {
    let output = git(dir, &["rev-parse", "--show-toplevel"])?;
    Ok(output
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())))
}

/// Stages and commits `file` alone with `message`.
pub fn commit(file: &Path, message: &str) -> Result<Committed, GitError> {
    let file = std::path::absolute(file).map_err(|_| GitError::NotARepository {
        dir: file.to_path_buf(),
    })?;
    let dir = file.parent().unwrap_or(Path::new("/")).to_path_buf();
    let Some(top) = work_tree_root(&dir)? else {
        return Err(GitError::NotARepository { dir });
    };
    let relative = file
        .canonicalize()
        .ok()
        .and_then(|f| {
            let top = top.canonicalize().ok()?;
            f.strip_prefix(&top).ok().map(Path::to_path_buf)
        })
        .unwrap_or(file.clone());
    let path = relative.to_string_lossy().into_owned();
    checked(&top, &["add", "--", &path])?;
    let staged = git(&top, &["diff", "--cached", "--quiet", "--", &path])?;
    if staged.status.success() {
        return Ok(Committed::Unchanged);
    }
    checked(&top, &["commit", "--quiet", "-m", message, "--", &path])?;
    Ok(Committed::Commit(checked(
        &top,
        &["rev-parse", "--short", "HEAD"],
    )?))
}
