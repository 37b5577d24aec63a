//! `--related-to`: links filed under an item (never items of their own),
//! and who brought an item, as the draft shows them.

use serde_json::{Value, json};

use super::{desk, show, site};
use crate::{Desk, source};

const DATE: &str = "2026-12-02";

fn related(desk: &Desk, id: i64) -> Value {
    show(desk, &json!(id))["related"].clone()
}

#[test]
fn a_related_link_is_filed_under_its_candidate_and_is_no_candidate_itself() {
    let server = site();
    let desk = desk("");
    desk.ok(&["add", &server.url("/og"), "--by", "ann"]);
    let out = desk.ok(&[
        "add",
        &server.url("/amp/post"),
        "--related-to",
        "1",
        "--by",
        "ben",
    ]);
    assert_eq!(
        out.trim(),
        format!("linked under #1: A post ({})", server.url("/post"))
    );
    assert_eq!(
        related(&desk, 1),
        json!([{"title": "A post", "url": server.url("/post")}])
    );
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 1);
    let text = desk.ok(&["review", "show", "1"]);
    assert!(
        text.contains(&format!("  related:\n    A post {}", server.url("/post"))),
        "{text}"
    );
    // Again: nothing new.
    let again = desk.json(&[
        "add",
        &server.url("/amp/post"),
        "--related-to",
        "1",
        "--by",
        "ben",
        "--json",
    ]);
    assert_eq!(again[0]["status"], "already related");
    assert_eq!(again[0]["id"], Value::Null);
    assert_eq!(again[0]["related_to"], 1);
    // Under no candidate: refused, exit 1.
    let output = desk
        .cmd()
        .args([
            "add",
            &server.url("/amp/post"),
            "--related-to",
            "9",
            "--by",
            "b",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no candidate #9"), "{stderr}");
    // With --accept or --section: a usage error.
    let code = |extra: &str| {
        desk.cmd()
            .args(["add", &server.url("/amp/post"), "--related-to", "1", extra])
            .args(if extra == "--section" {
                vec!["articles"]
            } else {
                vec![]
            })
            .output()
            .unwrap()
            .status
            .code()
    };
    assert_eq!(code("--accept"), Some(2));
    assert_eq!(code("--section"), Some(2));
}

#[test]
fn a_link_published_before_still_attaches() {
    let server = site();
    let desk = desk("");
    let repo = desk.dir.path();
    std::fs::create_dir_all(repo.join("drafts")).unwrap();
    std::fs::write(
        repo.join("drafts/2026-11-04.md"),
        format!(
            "## Notable Articles\n\n### [The story]({})\nGood read.\n",
            server.url("/story")
        ),
    )
    .unwrap();
    crate::git_init(repo);
    crate::git(repo, &["add", "drafts"]);
    crate::git(repo, &["commit", "-q", "-m", "past issue"]);
    desk.ok(&["add", &server.url("/og"), "--by", "ann"]);
    let out = desk.ok(&[
        "add",
        &server.url("/story"),
        "--related-to",
        "1",
        "--by",
        "ann",
    ]);
    assert!(out.starts_with("linked under #1: The story"), "{out}");
    assert_eq!(related(&desk, 1)[0]["title"], "The story");
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 1);
}

#[test]
fn a_link_that_is_a_candidate_is_folded_in_and_the_draft_lists_it_under_the_item() {
    let server = site();
    let desk = desk(&source("blog", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    desk.ok(&[
        "add",
        &server.url("/og"),
        "--by",
        "ann",
        "--accept",
        "--section",
        "releases",
        "--note",
        "Run it against the cluster.",
    ]);
    let out = desk.ok(&[
        "add",
        &format!("{}?utm_source=chat", server.url("/story")),
        "--related-to",
        "2",
        "--by",
        "ben",
    ]);
    assert!(
        out.trim()
            .ends_with("; #1 was this link, folded in (no longer an item of its own)"),
        "{out}"
    );
    let folded = show(&desk, &json!(1));
    assert_eq!(folded["status"], "rejected");
    assert_eq!(folded["note"], "folded under #2 as a related link");
    assert_eq!(
        desk.json(&["review", "list", "--status", "new", "--json"]),
        json!([])
    );
    desk.ok(&[
        "add",
        &server.url("/tricky"),
        "--related-to",
        "2",
        "--by",
        "ben",
    ]);

    let draft = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    let comment_then_links = format!(
        "Run it against the cluster.\n\n- [The story]({})\n- [Fix \\*all\\* the \\[things\\](x)]({})\n",
        server.url("/story"),
        server.url("/tricky")
    );
    assert!(draft.contains(&comment_then_links), "{draft}");
    assert_eq!(draft.matches("The story").count(), 1, "{draft}");
}

#[test]
fn two_contributors_of_one_story_are_one_candidate_and_both_are_credited_in_the_draft() {
    let server = site();
    let desk = desk("");
    let templates = desk.dir.path().join("my-templates/partials");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("item.md.hbs"),
        "{{marker}}\n### {{title}}\nbrought by {{#each contributors}}{{this}}{{#unless @last}}, {{/unless}}{{/each}}\n",
    )
    .unwrap();
    let config = std::fs::read_to_string(desk.config()).unwrap().replacen(
        "title = \"Test Weekly\"\n",
        "title = \"Test Weekly\"\ntemplates_dir = \"my-templates\"\n",
        1,
    );
    std::fs::write(desk.config(), config).unwrap();
    desk.ok(&[
        "add",
        &server.url("/og"),
        "--by",
        "alice",
        "--accept",
        "--section",
        "articles",
    ]);
    let out = desk.ok(&["add", &server.url("/og"), "--by", "bob"]);
    assert_eq!(
        out.trim(),
        "already accepted as #1 (submitted by alice, bob)"
    );
    desk.ok(&["add", &server.url("/og"), "--by", "alice"]);
    assert_eq!(desk.count("SELECT COUNT(*) FROM candidates"), 1);
    assert_eq!(
        desk.json(&["review", "list", "--status", "accepted", "--json"])[0]["submitted_by"],
        json!(["alice", "bob"])
    );
    let draft = desk.ok(&["draft", "--date", DATE, "--dry-run"]);
    assert!(draft.contains("brought by alice, bob\n"), "{draft}");
}
