//! Errors that misled: each names the file and says what to do.

use std::process::{Command, Output, Stdio};

use super::queue_of;
use crate::{Desk, skip};

fn newsdesk(desk: &Desk) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("newsdesk"));
    command
        .arg("--config")
        .arg(desk.config())
        .env_remove("NEWSDESK_DB");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn review_accept_into_a_full_stdout_says_the_decision_was_saved() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return skip("no /dev/full");
    };
    let (desk, _server, ids) = queue_of(1);
    let output = newsdesk(&desk)
        .args([
            "review",
            "accept",
            &ids[0].to_string(),
            "--section",
            "articles",
        ])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(said.contains("the decision was saved"), "{said}");
    assert!(said.contains(&format!("accepted: #{}", ids[0])), "{said}");
    assert_eq!(
        super::candidate_ids(&desk, "status = 'accepted'"),
        [ids[0]],
        "stored"
    );
}

/// A command as a user who may read the database but not write it: the
/// test's own user with the file made read-only, or (as root, whom file
/// modes do not stop) `nobody` through setpriv.
fn as_reader(desk: &Desk) -> Option<Command> {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        std::fs::set_permissions(desk.db(), std::fs::Permissions::from_mode(0o444)).unwrap();
        return Some(newsdesk(desk));
    }
    let setpriv = Command::new("setpriv").arg("--version").output();
    if !setpriv.is_ok_and(|o| o.status.success()) {
        return None;
    }
    // `nobody` must reach the files; the temp dir is the owner's alone.
    std::fs::set_permissions(desk.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = Command::new("setpriv");
    command
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(assert_cmd::cargo::cargo_bin("newsdesk"))
        .arg("--config")
        .arg(desk.config())
        .env_remove("NEWSDESK_DB");
    Some(command)
}

#[test]
fn a_read_only_database_can_be_read_and_writers_say_which_file() {
    let (desk, _server, ids) = queue_of(3);
    if as_reader(&desk).is_none() {
        return skip("running as root without setpriv: file modes cannot be tried");
    }
    let listed = as_reader(&desk)
        .unwrap()
        .args(["review", "list"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    let table = String::from_utf8_lossy(&listed.stdout);
    assert!(table.contains("3 candidates"), "{table}");
    assert!(stderr(&listed).contains("read-only"), "{}", stderr(&listed));
    let shown = as_reader(&desk)
        .unwrap()
        .args(["review", "show", &ids[0].to_string()])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", stderr(&shown));
    let sources = as_reader(&desk).unwrap().arg("sources").output().unwrap();
    assert!(sources.status.success(), "{}", stderr(&sources));
    for writer in [
        vec!["review".to_string(), "accept".into(), ids[0].to_string()],
        vec!["poll".to_string()],
    ] {
        let refused = as_reader(&desk).unwrap().args(&writer).output().unwrap();
        assert_eq!(refused.status.code(), Some(1), "{writer:?}");
        let said = stderr(&refused);
        assert!(
            said.contains("is read-only for this user"),
            "{writer:?}: {said}"
        );
        assert!(said.contains(&desk.db().display().to_string()), "{said}");
        assert!(said.contains("help:"), "{said}");
    }
}

#[test]
fn a_file_that_is_not_a_database_is_called_so() {
    let desk = Desk::new("");
    let bad = desk.dir.path().join("notes.txt");
    std::fs::write(&bad, "meeting notes, not a database\n".repeat(200)).unwrap();
    for command in [&["review", "list"][..], &["poll"][..]] {
        let output = newsdesk(&desk)
            .arg("--db")
            .arg(&bad)
            .args(command)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1));
        let said = stderr(&output);
        assert!(
            said.contains(&format!("{} is not a SQLite database", bad.display())),
            "{command:?}: {said}"
        );
        assert!(!said.contains("writable"), "{said}");
    }
}

#[test]
fn feeds_toml_that_is_not_utf8_gets_its_line_and_column() {
    let desk = Desk::new("");
    let mut text = std::fs::read(desk.config()).unwrap();
    text.extend_from_slice(b"[[source]]\nid = \"caf\xe9\"\n");
    std::fs::write(desk.config(), &text).unwrap();
    let lines = text.iter().filter(|b| **b == b'\n').count();
    let output = newsdesk(&desk).arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = stderr(&output);
    assert!(
        said.contains(&format!("feeds.toml:{lines}:10: byte 0xe9 is not UTF-8")),
        "{said}"
    );
    assert!(!said.contains("create it"), "{said}");
}
