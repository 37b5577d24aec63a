//! `newsdesk check` and configuration errors as the user sees them.

use std::path::Path;

use crate::Desk;

#[test]
fn the_shipped_feeds_toml_is_valid() {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml");
    let out = crate::newsdesk_ok(&["--config", shipped.to_str().unwrap(), "check"]);
    assert!(out.contains(": ok ("));
}

#[test]
fn check_names_file_line_and_column_of_every_problem() {
    let desk = Desk::new(
        "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/feed\"\nsection = \"gossip\"\n\n\
         [[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"ftp://example.org/feed\"\n",
    );
    let output = desk.cmd().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let file = desk.config().display().to_string();
    assert!(stderr.contains("has 3 problems"), "{stderr}");
    assert!(
        stderr.contains(&format!("{file}:20:11: source \"a\" names section \"gossip\", which is not defined (known sections: articles, releases)")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{file}:23:6: source id \"a\" is already used on line 17"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:25:7: url \"ftp://example.org/feed\"")),
        "{stderr}"
    );
    assert!(stderr.contains("help: "), "{stderr}");
}

#[test]
fn unknown_keys_and_syntax_errors_point_at_the_line() {
    let desk = Desk::new(
        "[[source]]\nid = \"a\"\nkind = \"feed\"\nurl = \"https://example.org/feed\"\nintervall = \"1h\"\n",
    );
    let output = desk.cmd().arg("poll").output().unwrap();
    assert_eq!(output.status.code(), Some(1), "bad config: exit 1");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(":20:1: unknown field `intervall`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("help: remove the key or fix its spelling"),
        "{stderr}"
    );

    std::fs::write(desk.config(), "[newsletter]\ntitle = \"x\n").unwrap();
    let output = desk.cmd().arg("check").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("feeds.toml:2:"), "{stderr}");
}

#[test]
fn a_missing_config_says_what_to_do_and_usage_errors_exit_2() {
    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .args(["--config", "/nonexistent/feeds.toml", "check"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot read /nonexistent/feeds.toml"),
        "{stderr}"
    );
    assert!(stderr.contains("--config FILE"), "{stderr}");

    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn the_github_token_is_found_but_never_printed() {
    let secret = "ghp_0123456789abcdefSECRET";
    let desk = Desk::new("");
    // From the environment.
    let output = desk
        .cmd()
        .arg("check")
        .env("NEWSDESK_GITHUB_TOKEN", secret)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("GitHub token: set (from the environment variable NEWSDESK_GITHUB_TOKEN)"),
        "{stdout}"
    );
    // From a systemd credential, which wins.
    let credentials = desk.dir.path().join("credentials");
    std::fs::create_dir(&credentials).unwrap();
    std::fs::write(credentials.join("github-token"), format!("{secret}\n")).unwrap();
    for args in [
        &["check"][..],
        &["sources"],
        &["sources", "--json"],
        &["poll"],
        &["review", "list", "--json"],
    ] {
        let output = desk
            .cmd()
            .args(args)
            .env("NEWSDESK_GITHUB_TOKEN", secret)
            .env("CREDENTIALS_DIRECTORY", &credentials)
            .env("NEWSDESK_LOG", "trace")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!all.contains(secret), "{args:?} printed the token:\n{all}");
        if args == ["check"] {
            assert!(
                all.contains("from the systemd credential github-token"),
                "{all}"
            );
        }
    }
}

/// `newsdesk --config feeds.toml check` in a directory holding only that
/// file: its exit code and stderr, as the user sees them.
fn check_output(feeds_toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("feeds.toml"), feeds_toml).unwrap();
    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .current_dir(dir.path())
        .args(["--config", "feeds.toml", "check"])
        .env_remove("NEWSDESK_DB")
        .env_remove("NEWSDESK_LOG")
        .output()
        .unwrap();
    shown(&output)
}

fn shown(output: &std::process::Output) -> String {
    format!(
        "{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    )
}

const ONE_FEED: &str = "[newsletter]\ntitle = \"Weekly\"\n\n[[source]]\nid = \"k8s\"\nkind = \"feed\"\nurl = \"https://kubernetes.io/feed.xml\"\n";

#[test]
fn config_error_with_three_mistakes() {
    let text =
        ONE_FEED.replace("\"feed\"", "\"rss\"") + "intervall = \"1h\"\ninterval = \"an hour\"\n";
    insta::assert_snapshot!("three_mistakes", check_output(&text));
}

#[test]
fn config_error_toml_syntax_names_its_line() {
    let unclosed_string = "[newsletter]\ntitle = \"Weekly\n";
    insta::assert_snapshot!("toml_syntax_error", check_output(unclosed_string));
}

#[test]
fn config_error_unknown_key() {
    let text = ONE_FEED.replace(
        "title = \"Weekly\"",
        "title = \"Weekly\"\ncolour = \"blue\"",
    );
    insta::assert_snapshot!("unknown_key", check_output(&text));
}

#[test]
fn config_error_values_checked_after_parsing() {
    let text = ONE_FEED.to_owned() + "interval = \"an hour\"\nsection = \"nope\"\n";
    insta::assert_snapshot!("values_checked_after_parsing", check_output(&text));
}

#[test]
fn config_error_missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .current_dir(dir.path())
        .args(["--config", "missing.toml", "check"])
        .output()
        .unwrap();
    insta::assert_snapshot!("missing_file", shown(&output));
}

#[test]
fn config_error_every_problem_at_once() {
    // A type error in [filters] hides neither its regexes nor the rest;
    // values serde refused get a help line on how to write them.
    let text = "[newsletter]\ntitle = \"Weekly\"\n\n\
        [defaults]\ninterval = 5\nmin_interval = \"8h\"\nmax_interval = \"2h\"\n\n\
        [filters]\ninclude = \"kubernetes\"\ninclude_regex = [\"(unclosed\", \"[z-a]\"]\n\n\
        [[source]]\nid = \"blog\"\nkind = \"html\"\nurl = \"https://example.org/blog/\"\n\
        selectors = { item = \"article >\", title = \"h2\", link = \"a@href\" }\n";
    insta::assert_snapshot!("every_problem_at_once", check_output(text));
}
