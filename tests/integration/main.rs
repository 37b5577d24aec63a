//! Integration tests: the real `newsdesk` binary against a real HTTP server
//! on 127.0.0.1, a real SQLite file in a temp dir. Never the internet.

mod add;
mod age;
mod architecture;
mod chaos;
mod cli;
mod clock;
mod config;
mod conformance;
mod daemon;
mod dedup;
mod dedup_quality;
mod draft;
mod golden;
mod history;
mod init;
mod kinds;
mod opml;
mod package;
mod past_issues;
mod poll;
mod quiet;
mod regression;
mod reliability;
mod review;
mod review_tui;
mod server;
mod submissions;
mod submissions_load;
mod submit_page;
mod write_failures;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// A `max_age` that keeps out nothing a fixture holds.
pub const ANY_AGE: &str = "36500d";

/// A temp dir holding feeds.toml and the database.
pub struct Desk {
    pub dir: tempfile::TempDir,
}

impl Desk {
    /// A desk whose feeds.toml has the usual sections, `extra` appended.
    /// Its `max_age` takes entries of any age: the fixtures are real feeds
    /// of 2015–2026, news to these tests (tests of `max_age` set it per
    /// source).
    pub fn new(extra: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let text = format!(
            "[newsletter]\ntitle = \"Test Weekly\"\n\n[defaults]\ntimeout = \"3s\"\nenrich = false\nmax_age = \"{ANY_AGE}\"\n\
             [[sections]]\nid = \"articles\"\ntitle = \"Notable Articles\"\n\n\
             [[sections]]\nid = \"releases\"\ntitle = \"Releases\"\n\n{extra}"
        );
        std::fs::write(dir.path().join("feeds.toml"), text).unwrap();
        Desk { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("feeds.toml")
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("newsdesk.db")
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("newsdesk").unwrap();
        cmd.arg("--config")
            .arg(self.config())
            .env_remove("NEWSDESK_DB");
        cmd
    }

    /// Runs the command, asserts it exited 0, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.cmd().args(args).output().unwrap();
        assert!(
            output.status.success(),
            "newsdesk {args:?} failed: {}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.ok(args)).unwrap()
    }

    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.db()).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.value(sql)
    }

    /// The one value `sql` selects.
    pub fn value<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
        self.sqlite().query_row(sql, [], |row| row.get(0)).unwrap()
    }
}

/// Runs the newsdesk binary with `args` (no configuration or database
/// from the environment), asserts it succeeded, returns its stdout.
pub fn newsdesk_ok(args: &[&str]) -> String {
    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .args(args)
        .env_remove("NEWSDESK_CONFIG")
        .env_remove("NEWSDESK_DB")
        .output()
        .unwrap();
    stdout_of_success(output, format_args!("newsdesk {args:?}"))
}

/// The stdout of a command that must have succeeded (else its stderr).
pub fn stdout_of_success(output: std::process::Output, what: std::fmt::Arguments) -> String {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A new git repository in `dir` that can commit whatever the user's
/// global configuration says (identity set, signing off).
pub fn git_init(dir: &Path) {
    git(dir, &["init", "-q"]);
    git(dir, &["config", "user.name", "Editor"]);
    git(dir, &["config", "user.email", "editor@example.org"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
}

/// Runs `git args` in `dir`, asserts it succeeded, returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    stdout_of_success(output, format_args!("git {args:?}"))
}

/// The titles of a `review list --json` answer (or `GET /api/queue`), in
/// the order listed.
pub fn listed_titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect()
}

/// `review list --json` output is ordered by score, highest first.
pub fn assert_best_first(list: &Value) {
    let scores: Vec<f64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

/// A `[[source]]` table.
pub fn source(id: &str, url: &str, section: &str) -> String {
    format!(
        "[[source]]\nid = \"{id}\"\nkind = \"feed\"\nurl = \"{url}\"\nsection = \"{section}\"\n\n"
    )
}

/// Says why a test did not run its checks, on the real stderr: libtest
/// captures `println!`/`eprintln!` of passing tests, and a skip must never
/// be silent.
pub fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "skipped: {reason}");
}

pub fn fixture(relative: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
