//! `newsdesk draft --check`: every link of the issue fetched once from a
//! loopback server, links of past issues, placeholders, Zenn's front
//! matter; `--fix-redirects`.

use super::*;

#[test]
fn check_lists_dead_moved_and_published_links_placeholders_and_front_matter() {
    let target = TestServer::start(|seen| match seen.path.as_str() {
        "/alive" | "/new-home" | "/old-news" => Reply::ok("<html></html>", "text/html"),
        "/moved" => Reply::status(301).header("Location", "/new-home"),
        "/elsewhere" => Reply::status(302).header("Location", "/alive"),
        _ => Reply::status(404),
    });
    let (alive, dead, moved, elsewhere, old) = (
        target.url("/alive"),
        target.url("/dead"),
        target.url("/moved"),
        target.url("/elsewhere"),
        target.url("/old-news"),
    );
    let feed = [
        ("Alive story", alive.as_str(), "s"),
        ("Dead story", dead.as_str(), "s"),
        ("Moved story", moved.as_str(), "s"),
        ("Temporarily elsewhere", elsewhere.as_str(), "s"),
        ("Old story", old.as_str(), "s"),
    ];
    let (desk, _server) = desk_with(&feed, &[], "topics = [\"kubernetes\"]\n");
    for (title, _, _) in &feed[..4] {
        accept(&desk, title, Some("コメント。"));
    }
    // No comment: its placeholder stays.
    accept(&desk, "Old story", None);
    std::fs::create_dir_all(desk.dir.path().join("articles")).unwrap();
    std::fs::write(
        desk.dir.path().join("articles/test-weekly-2026-11-25.md"),
        format!("---\ntitle: \"past\"\n---\n\n### Old\n\n{old}\n"),
    )
    .unwrap();
    desk.ok(&["draft", "--date", DATE]);
    let path = zenn_path(&desk, DATE);
    let draft = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, draft.replace("emoji: \"📰\"", "emoji: \"🚀🚀\"")).unwrap();
    target.forget();

    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--check", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("6 problems in"), "{stderr}");
    let problems: Value = serde_json::from_slice(&output.stdout).unwrap();
    let found: Vec<(String, String)> = problems
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_owned(),
                p["url"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("front_matter", ""),
        ("dead", dead.as_str()),
        ("redirected", moved.as_str()),
        ("published", old.as_str()),
        ("placeholder", ""),
        ("placeholder", ""),
    ];
    assert_eq!(
        found,
        expected.map(|(k, u)| (k.to_owned(), u.to_owned())).to_vec(),
        "{problems:#}"
    );
    let redirected = problems
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "redirected")
        .unwrap();
    assert_eq!(redirected["new_url"], target.url("/new-home"));
    // Lines point into the file.
    let text = std::fs::read_to_string(&path).unwrap();
    let line_of = |kind: &str| -> String {
        let line = problems
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind)
            .unwrap()["line"]
            .as_u64()
            .unwrap() as usize;
        text.lines().nth(line - 1).unwrap().to_owned()
    };
    assert_eq!(line_of("dead"), dead);
    assert!(line_of("front_matter").starts_with("emoji:"));
    assert!(line_of("placeholder").contains("**TODO**"));
    // Each link once, the moved one followed to its new home.
    let mut fetched: Vec<String> = target.seen().into_iter().map(|s| s.path).collect();
    fetched.sort();
    assert_eq!(
        fetched,
        [
            "/alive",
            "/alive",
            "/dead",
            "/elsewhere",
            "/moved",
            "/new-home",
            "/old-news"
        ]
    );

    // A table for people; --fix-redirects rewrites the moved link.
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--check", "--fix-redirects"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.starts_with(" LINE  KIND"), "{stdout}");
    assert!(
        stdout.contains("dead") && !stdout.contains("redirected"),
        "{stdout}"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("rewrote 1 place of 1 moved link"));
    let fixed = std::fs::read_to_string(&path).unwrap();
    assert!(
        fixed.contains(&format!("\n{}\n", target.url("/new-home"))) && !fixed.contains(&moved),
        "{fixed}"
    );
}

#[test]
fn a_ready_draft_passes_and_a_missing_one_says_what_to_do() {
    let target = TestServer::start(|_| Reply::ok("<html></html>", "text/html"));
    let url = target.url("/fine");
    let (desk, _server) = desk_with(&[("Fine", url.as_str(), "s")], &[], "topics = [\"go\"]\n");
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("run `newsdesk draft --date 2026-12-02` first"),
        "{said}"
    );

    accept(&desk, "Fine", Some("良い記事です。"));
    desk.ok(&["draft", "--date", DATE]);
    let path = zenn_path(&desk, DATE);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replace("> **TODO** あとがきを書く", "また来週。"),
    )
    .unwrap();
    let output = desk
        .cmd()
        .args(["draft", "--date", DATE, "--check"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains(
        "1 link alive, no placeholders, front matter as Zenn wants it: ready to publish"
    ));
}
