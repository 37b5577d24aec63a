//! Drafts written while other commands change the queue.

use std::collections::BTreeSet;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{candidate_ids, items_in, queue_of};
use crate::Desk;

const DATE: &str = "2026-12-02";

fn draft_path(desk: &Desk, date: &str) -> std::path::PathBuf {
    desk.dir.path().join(format!("drafts/{date}.md"))
}

fn run(desk: &Desk, args: &[String]) -> Output {
    desk.cmd().args(args).output().unwrap()
}

/// The command started, its output captured.
fn spawn(desk: &Desk, args: &[&str]) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("newsdesk"))
        .arg("--config")
        .arg(desk.config())
        .args(args)
        .env_remove("NEWSDESK_DB")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Every candidate marked drafted in the issue of `date` is in its file,
/// and every item in the file is marked drafted.
fn draft_and_database_agree(desk: &Desk, date: &str) -> BTreeSet<i64> {
    let text = std::fs::read_to_string(draft_path(desk, date)).unwrap();
    let in_file = items_in(&text);
    let drafted: BTreeSet<i64> = candidate_ids(
        desk,
        &format!(
            "status = 'drafted' AND drafted_in = (SELECT id FROM issues WHERE issue_date = '{date}')"
        ),
    )
    .into_iter()
    .collect();
    let lost: Vec<_> = drafted.difference(&in_file).collect();
    assert!(
        lost.is_empty(),
        "marked drafted but not in the draft: {lost:?}"
    );
    let unmarked: Vec<_> = in_file.difference(&drafted).collect();
    assert!(
        unmarked.is_empty(),
        "in the draft but not marked drafted: {unmarked:?}"
    );
    in_file
}

#[test]
fn two_drafts_at_once_lose_nothing() {
    let (desk, _server, ids) = queue_of(300);
    let desk = Arc::new(desk);
    let accepting = Arc::new(AtomicBool::new(true));
    let loops: Vec<_> = (0..2)
        .map(|_| {
            let desk = desk.clone();
            let accepting = accepting.clone();
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                while accepting.load(Ordering::SeqCst) {
                    let output = run(&desk, &strings(&["draft", "--date", DATE]));
                    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
                    // Before the first accept there is nothing to draft.
                    if !output.status.success() && !stderr.contains("nothing to draft") {
                        failures.push(stderr);
                    }
                }
                failures
            })
        })
        .collect();
    for batch in ids.chunks(1) {
        let mut args = strings(&["review", "accept"]);
        args.extend(batch.iter().map(i64::to_string));
        let output = run(&desk, &args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    accepting.store(false, Ordering::SeqCst);
    for draft_loop in loops {
        let failures = draft_loop.join().unwrap();
        assert!(failures.is_empty(), "a draft failed: {failures:#?}");
    }
    desk.ok(&["draft", "--date", DATE]);
    let in_file = draft_and_database_agree(&desk, DATE);
    assert_eq!(in_file.len(), 300, "every accepted story is in the draft");
    assert!(candidate_ids(&desk, "status = 'accepted'").is_empty());
}

#[test]
fn a_reject_racing_a_draft_agrees_with_it() {
    let (desk, _server, ids) = queue_of(80);
    for (round, batch) in ids.chunks(20).enumerate() {
        let date = format!("2026-12-0{}", round + 1);
        let mut accept = strings(&["review", "accept"]);
        accept.extend(batch.iter().map(i64::to_string));
        assert!(run(&desk, &accept).status.success());
        // The draft and eight rejects start together.
        let draft = spawn(&desk, &["draft", "--date", &date]);
        let rejects: Vec<_> = batch[10..18]
            .iter()
            .map(|id| (*id, spawn(&desk, &["review", "reject", &id.to_string()])))
            .collect();
        let drafted = draft.wait_with_output().unwrap();
        assert!(
            drafted.status.success(),
            "{}",
            String::from_utf8_lossy(&drafted.stderr)
        );
        let answers: Vec<(i64, Output)> = rejects
            .into_iter()
            .map(|(id, child)| (id, child.wait_with_output().unwrap()))
            .collect();
        let in_file = draft_and_database_agree(&desk, &date);
        for (id, answer) in answers {
            let stderr = String::from_utf8_lossy(&answer.stderr);
            if answer.status.success() {
                assert!(
                    !in_file.contains(&id),
                    "round {round}: `review reject {id}` said rejected, and #{id} is in the draft"
                );
                assert_eq!(
                    candidate_ids(&desk, &format!("id = {id} AND status = 'rejected'")),
                    [id]
                );
            } else {
                assert!(in_file.contains(&id), "round {round}: #{id}: {stderr}");
                assert!(stderr.contains("already in a draft"), "{stderr}");
            }
        }
    }
}
