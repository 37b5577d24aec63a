//! `draft --commit` in the repositories editors really have: hooks that
//! refuse, a detached HEAD, another user's clone, two commits at once.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use super::queue_of;
use crate::{Desk, git, skip};

const DATE: &str = "2026-12-02";

/// A desk with three accepted stories in a git repository with one commit.
fn repo_desk() -> (Desk, crate::server::TestServer) {
    let (desk, server, ids) = queue_of(3);
    let mut accept: Vec<String> = vec!["review".into(), "accept".into()];
    accept.extend(ids.iter().map(i64::to_string));
    let accept: Vec<&str> = accept.iter().map(String::as_str).collect();
    desk.ok(&accept);
    let repo = desk.dir.path();
    crate::git_init(repo);
    std::fs::write(repo.join(".gitignore"), "newsdesk.db*\n*.toml\n").unwrap();
    git(repo, &["add", ".gitignore"]);
    git(repo, &["commit", "-q", "-m", "start"]);
    (desk, server)
}

fn commit(desk: &Desk) -> Output {
    desk.cmd()
        .args(["draft", "--date", DATE, "--commit"])
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_failing_pre_commit_hook_leaves_the_draft_unstaged() {
    let (desk, _server) = repo_desk();
    let hook = desk.dir.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'hook: spell-check failed' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = commit(&desk);
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(said.contains("the pre-commit hook refused it"), "{said}");
    assert!(said.contains("hook: spell-check failed"), "{said}");
    let staged = git(desk.dir.path(), &["diff", "--cached", "--name-only"]);
    assert_eq!(staged.trim(), "", "nothing left staged");
}

#[test]
fn a_detached_head_is_refused_instead_of_reported_committed() {
    let (desk, _server) = repo_desk();
    let repo = desk.dir.path();
    git(repo, &["checkout", "-q", "--detach"]);
    let before = git(repo, &["rev-parse", "HEAD"]);
    let output = commit(&desk);
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(
        said.contains("HEAD of") && said.contains("is detached"),
        "{said}"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("committed"));
    assert_eq!(git(repo, &["rev-parse", "HEAD"]), before);
    assert_eq!(git(repo, &["diff", "--cached", "--name-only"]).trim(), "");
}

#[test]
fn a_repository_of_another_user_shows_gits_safe_directory_message() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return skip("only root can give the repository to another user");
    }
    let (desk, _server) = repo_desk();
    let repo = desk.dir.path().join(".git");
    let chown = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(desk.dir.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--commit"])
        // Only the repository's own settings: no safe.directory = * from
        // the machine's user.
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(said.contains("dubious ownership"), "{said}");
    assert!(said.contains("safe.directory"), "{said}");
    assert!(!said.contains("not in a git repository"), "{said}");
    assert!(repo.is_dir());
}

#[test]
fn two_draft_commits_at_once_both_succeed_one_after_the_other() {
    let (desk, _server) = repo_desk();
    let desk = std::sync::Arc::new(desk);
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let desk = desk.clone();
            std::thread::spawn(move || commit(&desk))
        })
        .collect();
    for run in runs {
        let output = run.join().unwrap();
        let said = stderr(&output);
        assert!(output.status.success(), "{said}");
        assert!(!said.contains("index.lock"), "{said}");
    }
    let log = git(desk.dir.path(), &["log", "--format=%s"]);
    assert!(
        log.lines().next().unwrap().starts_with("Draft Test Weekly"),
        "{log}"
    );
}
