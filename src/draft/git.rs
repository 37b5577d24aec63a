//! Committing a draft with the `git` command, so the user's configuration,
//! hooks and signing apply as if they had typed it. Only the draft's path
//! is staged and committed (`git commit -- <path>`): whatever else is
//! staged or dirty in the working tree stays as it was. A commit git
//! refuses (a hook) leaves the draft unstaged again; a detached HEAD is
//! refused before anything is staged.

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
    #[error(
        "`git commit` failed{}:\n{output}\n  help: the draft is written and no longer staged; fix what {} says and run `newsdesk draft --commit` again, or commit it by hand",
        if *hook { ": the pre-commit hook refused it" } else { "" },
        if *hook { "the hook" } else { "git" }
    )]
    CommitRefused { output: String, hook: bool },
    #[error(
        "HEAD of {} is detached (no branch is checked out): a commit would move no branch; nothing was committed\n  help: check out the branch the newsletter is published from (e.g. `git switch main`) and run `newsdesk draft --commit` again; the draft is written",
        top.display()
    )]
    DetachedHead { top: PathBuf },
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
    Err(GitError::Failed {
        command: args.join(" "),
        output: indented(&output),
    })
}

/// What git said (stdout, then stderr), indented under our line.
fn indented(output: &std::process::Output) -> String {
    let mut text = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !stdout.trim().is_empty() {
        text = format!("{}\n{text}", stdout.trim());
    }
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top of the git work tree `dir` is in, if it is in one.
/// Any other refusal (a repository owned by another user: "dubious
/// ownership", with git's own `safe.directory` advice) is git's message.
pub fn work_tree_root(dir: &Path) -> Result<Option<PathBuf>, GitError> {
    let output = git(dir, &["rev-parse", "--show-toplevel"])?;
    if output.status.success() {
        return Ok(Some(PathBuf::from(
            String::from_utf8_lossy(&output.stdout).trim(),
        )));
    }
    if String::from_utf8_lossy(&output.stderr).contains("not a git repository") {
        return Ok(None);
    }
    Err(GitError::Failed {
        command: "rev-parse --show-toplevel".into(),
        output: indented(&output),
    })
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
    // A repository without commits yet has no branch to be on either.
    let born = git(&top, &["rev-parse", "--verify", "-q", "HEAD"])?
        .status
        .success();
    if born && !git(&top, &["symbolic-ref", "-q", "HEAD"])?.status.success() {
        return Err(GitError::DetachedHead { top });
    }
    checked(&top, &["add", "--", &path])?;
    let staged = git(&top, &["diff", "--cached", "--quiet", "--", &path])?;
    if staged.status.success() {
        return Ok(Committed::Unchanged);
    }
    let committed = git(&top, &["commit", "--quiet", "-m", message, "--", &path])?;
    if !committed.status.success() {
        // Left as it was found: not staged.
        match born {
            true => checked(&top, &["reset", "-q", "--", &path])?,
            false => checked(&top, &["rm", "-q", "--cached", "--", &path])?,
        };
        return Err(GitError::CommitRefused {
            output: indented(&committed),
            hook: pre_commit_hook(&top),
        });
    }
    Ok(Committed::Commit(checked(
        &top,
        &["rev-parse", "--short", "HEAD"],
    )?))
}

/// Whether the repository at `top` has an executable pre-commit hook
/// (where `core.hooksPath` says, else .git/hooks).
fn pre_commit_hook(top: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Ok(path) = checked(top, &["rev-parse", "--git-path", "hooks/pre-commit"]) else {
        return false;
    };
    let hooks_path = checked(top, &["config", "core.hooksPath"]).ok();
    let hook = match hooks_path {
        Some(dir) => top.join(dir).join("pre-commit"),
        None => top.join(path),
    };
    std::fs::metadata(hook).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
