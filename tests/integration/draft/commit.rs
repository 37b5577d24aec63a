//! `draft --commit` in a real git repository, and the issue's number and
//! date.

use super::*;

#[test]
fn commit_puts_only_the_draft_in_a_commit_naming_the_issue() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    let repo = desk.dir.path();
    git_repo(repo);
    // Unrelated work in progress: a modified file and a staged change.
    std::fs::write(repo.join("notes.txt"), "first\nsecond\n").unwrap();
    std::fs::write(repo.join("staged.txt"), "one\ntwo\n").unwrap();
    git(repo, &["add", "staged.txt"]);

    accept(&desk, "Kubernetes v1.35: Harbor Lights", None);
    accept(&desk, "Argo CD v3.0.0", None);
    let out = desk.ok(&["draft", "--date", DATE, "--commit"]);
    assert!(out.contains("committed "), "{out}");
    assert_eq!(
        git(repo, &["log", "-1", "--format=%s"]).trim(),
        "Draft Test Weekly 2026-12-02 (#1): 2 items (2 new)"
    );
    assert_eq!(
        git(repo, &["show", "--name-only", "--format=", "HEAD"]).trim(),
        "articles/test-weekly-2026-12-02.md"
    );
    let status = git(
        repo,
        &["status", "--porcelain", "--", "notes.txt", "staged.txt"],
    );
    assert_eq!(status, " M notes.txt\nM  staged.txt\n");

    // Another item later: a second commit; nothing new: nothing to commit.
    accept(&desk, "Life after kube-proxy", None);
    desk.ok(&["draft", "--date", DATE, "--commit"]);
    assert_eq!(
        git(repo, &["log", "-1", "--format=%s"]).trim(),
        "Draft Test Weekly 2026-12-02 (#1): 3 items (1 new)"
    );
    let out = desk.ok(&["draft", "--date", DATE, "--commit"]);
    assert!(out.contains("nothing to commit"), "{out}");
}

#[test]
fn a_failing_pre_commit_hook_fails_the_command_and_says_why() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    let repo = desk.dir.path();
    git_repo(repo);
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'hook says: no drafts on Fridays' >&2\nexit 1\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    accept(&desk, "Kubernetes v1.35: Harbor Lights", None);
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--commit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("git commit") && stderr.contains("hook says: no drafts on Fridays"),
        "{stderr}"
    );
    assert!(stderr.contains("help: the draft is written"), "{stderr}");
    assert_eq!(git(repo, &["log", "--format=%s"]).trim(), "start");
    assert!(zenn_path(&desk, DATE).is_file());
}

#[test]
fn commit_outside_a_git_repository_says_to_run_git_init() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "");
    accept(&desk, "Kubernetes v1.35: Harbor Lights", None);
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--commit"])
        .env("GIT_CEILING_DIRECTORIES", desk.dir.path().parent().unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("not in a git repository") && stderr.contains("git init"),
        "{stderr}"
    );
    let path = zenn_path(&desk, DATE);
    assert!(
        stderr.contains(&format!(
            "the draft was written to {} and its items marked drafted, but committing it failed:",
            path.display()
        )),
        "{stderr}"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("wrote "), "{stdout}");
    assert!(path.is_file());
}

#[test]
fn issue_numbers_continue_from_past_drafts() {
    let (desk, _server) = desk_with(ARTICLES, RELEASES, "first_issue = 10\n");
    let repo = desk.dir.path();
    std::fs::create_dir_all(repo.join("articles")).unwrap();
    std::fs::create_dir_all(repo.join("books/x")).unwrap();
    for past in [
        "articles/test-weekly-2026-11-11.md",
        "articles/test-weekly-2026-11-18.md",
        "articles/test-weekly-2026-11-25.md",
        // Later issues and other files do not count: an author's own
        // article with a date in its name and a book's chapter made 第1回
        // into 第3回.
        "articles/test-weekly-2026-12-09.md",
        "articles/kubecon-report-2026-11-20.md",
        "articles/test-weekly-extra-2026-11-21.md",
        "books/x/2026-01-01.md",
        "README.md",
    ] {
        std::fs::write(repo.join(past), "# past\n").unwrap();
    }
    accept(&desk, "Argo CD v3.0.0", None);
    let draft = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    assert!(
        draft.contains("title: \"Test Weekly (2026-12-02号)\""),
        "{draft}"
    );
    assert!(
        draft.contains("Test Weekly 第13回（2026年12月2日）"),
        "{draft}"
    );
    let out = desk.ok(&["draft", "--date", DATE]);
    assert!(out.contains("issue #13 (2026-12-02)"), "{out}");
    // Two weeks on, 2026-12-09 counts as a past issue too.
    accept(&desk, "Cilium 1.19.0", None);
    let out = desk.ok(&["draft", "--date", "2026-12-16"]);
    assert!(out.contains("issue #15 (2026-12-16)"), "{out}");
}

#[test]
fn without_a_date_the_draft_is_for_the_next_issue_day() {
    let (desk, _server) = desk_with(
        ARTICLES,
        RELEASES,
        "issue_day = \"monday\"\nformat = \"plain\"\n",
    );
    accept(&desk, "Argo CD v3.0.0", None);
    let out = desk.ok(&["draft"]);
    let date: String = out
        .split_once("issue #1 (")
        .map(|(_, rest)| rest[..10].to_owned())
        .unwrap_or_else(|| panic!("{out}"));
    let date = chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").unwrap();
    use chrono::Datelike;
    assert_eq!(date.weekday(), chrono::Weekday::Mon);
    let today = chrono::Local::now().date_naive();
    assert!(
        date >= today && (date - today).num_days() < 7,
        "{date} {today}"
    );
}

fn git_repo(dir: &Path) {
    crate::git_init(dir);
    std::fs::write(dir.join("notes.txt"), "first\n").unwrap();
    std::fs::write(dir.join("staged.txt"), "one\n").unwrap();
    git(dir, &["add", "notes.txt", "staged.txt"]);
    git(dir, &["commit", "-q", "-m", "start"]);
}
