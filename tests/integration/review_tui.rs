//! `newsdesk review` in a real pseudo-terminal (80×24): the real binary,
//! a database filled by a real poll of a loopback feed, keys typed as a
//! person would; the screen is read back through a VT100 parser and every
//! decision is checked in the database with `review list --json`.

use std::io::{Read, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};
use serde_json::Value;

use crate::server::{Reply, TestServer};
use crate::{Desk, source};

/// Every wait is bounded so a stuck TUI fails the test instead of CI.
const WAIT: Duration = Duration::from_secs(15);

/// Five stories a day apart: the newest ranks first.
fn feed() -> String {
    let now = chrono::Utc::now();
    let items: String = [
        "Alpha: Kubernetes SIG tooling",
        "Bravo: an eBPF deep dive",
        "Charlie: 新機能まとめ",
        "Delta: an enterprise webinar",
        "Echo: GitOps at scale",
    ]
    .iter()
    .enumerate()
    .map(|(i, title)| {
        let date = (now - chrono::Duration::days(i as i64 + 1)).to_rfc2822();
        format!(
            "<item><guid>g{i}</guid><title>{title}</title><link>https://e.example/{i}</link><pubDate>{date}</pubDate><description>About {title}, long enough to need no page.</description></item>"
        )
    })
    .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>{items}</channel></rss>"
    )
}

/// What the terminal shows, and whether the TUI has closed it; the
/// reader thread notifies the condvar after each change.
struct Screen {
    parser: vt100::Parser,
    closed: bool,
}

struct Tui {
    screen: Arc<(Mutex<Screen>, Condvar)>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
}

impl Tui {
    /// Starts `newsdesk review` with `EDITOR` set to `editor`, or unset.
    fn start(desk: &Desk, editor: Option<&str>) -> Tui {
        Tui::start_with(desk, editor, &[])
    }

    /// As [`Tui::start`], with more variables in the environment.
    fn start_with(desk: &Desk, editor: Option<&str>, env: &[(&str, &str)]) -> Tui {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_newsdesk"));
        cmd.arg("--config");
        cmd.arg(desk.config());
        cmd.arg("review");
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NEWSDESK_DB");
        match editor {
            Some(editor) => cmd.env("EDITOR", editor),
            None => cmd.env_remove("EDITOR"),
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.cwd(desk.dir.path());
        let child = pty
            .slave
            .spawn_command(cmd)
            .expect("newsdesk review starts");
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let screen = Arc::new((
            Mutex::new(Screen {
                parser: vt100::Parser::new(24.try_into().unwrap(), 80.try_into().unwrap(), 0),
                closed: false,
            }),
            Condvar::new(),
        ));
        let shared = screen.clone();
        std::thread::spawn(move || {
            let _master = pty.master;
            let mut buf = [0u8; 8192];
            let (lock, changed) = &*shared;
            // Ends at EOF, or EIO once the TUI has exited.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                lock.lock().unwrap().parser.process(&buf[..n]);
                changed.notify_all();
            }
            lock.lock().unwrap().closed = true;
            changed.notify_all();
        });
        Tui {
            screen,
            writer,
            child,
        }
    }

    fn text(&self) -> String {
        self.screen.0.lock().unwrap().parser.screen().contents()
    }

    /// Waits (on the reader's notifications) until `done` holds for the
    /// screen, or panics with `what` after [`WAIT`].
    fn wait_until(&self, what: &str, done: impl Fn(&Screen) -> bool) {
        let (lock, changed) = &*self.screen;
        let (screen, timeout) = changed
            .wait_timeout_while(lock.lock().unwrap(), WAIT, |screen| !done(screen))
            .unwrap();
        assert!(
            !timeout.timed_out() || done(&screen),
            "{what}; the screen shows:\n{}",
            screen.parser.screen().contents()
        );
    }

    /// Waits until the screen shows `what`.
    fn wait_for(&self, what: &str) {
        self.wait_until(&format!("the screen never showed {what:?}"), |screen| {
            screen.parser.screen().contents().contains(what)
        });
    }

    /// Waits until the TUI has quit (after `q`): it closes the terminal.
    fn wait_for_exit(&mut self) -> portable_pty::ExitStatus {
        self.wait_until("q did not quit", |screen| screen.closed);
        self.child.wait().unwrap()
    }

    fn keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn by_title(list: &Value, start: &str) -> Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"].as_str().unwrap().starts_with(start))
        .unwrap_or_else(|| panic!("no {start:?} in {list:#}"))
        .clone()
}

#[test]
fn review_in_a_terminal_accepts_rejects_undoes_filters_and_quits() {
    let body = feed();
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(&source("blog", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);

    let mut tui = Tui::start(&desk, None);
    tui.wait_for("1 of 5");
    assert!(tui.text().contains("Alpha: Kubernetes SIG tooling"));
    // Accept the first into the second section (the chooser starts on the
    // source's section, articles).
    tui.keys("a");
    tui.wait_for("accept into section");
    tui.keys("j\r");
    tui.wait_for("accepted in releases");
    tui.wait_for("1 of 4");
    // Reject the next; defer the one after and take that back.
    tui.keys("r");
    tui.wait_for("rejected (u undoes)");
    tui.keys("d");
    tui.wait_for("deferred (u undoes)");
    tui.keys("u");
    tui.wait_for("undid defer of #");
    tui.wait_for("1 of 3");
    // Filter by a word further down, reject what it finds.
    tui.keys("/gitops\r");
    tui.wait_for("filter \"gitops\": 1 found");
    tui.keys("r");
    tui.wait_for("0 of 0");
    tui.keys("q");
    let status = tui.wait_for_exit();
    assert!(status.success(), "{status:?}");

    let list = desk.json(&["review", "list", "--json"]);
    let alpha = by_title(&list, "Alpha");
    assert_eq!(
        (&alpha["status"], &alpha["section"]),
        (&"accepted".into(), &"releases".into())
    );
    assert_eq!(by_title(&list, "Bravo")["status"], "rejected");
    assert_eq!(
        by_title(&list, "Charlie")["status"],
        "new",
        "the defer was undone"
    );
    assert_eq!(by_title(&list, "Delta")["status"], "new");
    assert_eq!(by_title(&list, "Echo")["status"], "rejected");
}

#[test]
fn review_without_a_terminal_points_at_review_list() {
    let desk = Desk::new("");
    let output = desk.cmd().arg("review").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("needs a terminal") && stderr.contains("newsdesk review list"),
        "{stderr}"
    );
}

#[test]
fn review_writes_the_comment_in_the_editor_and_comes_back() {
    let body = feed();
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(&source("blog", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    // An "editor" that writes the comment into the file it is given.
    let mut tui = Tui::start(
        &desk,
        Some("printf '必読: the SIG tooling story\\nAsk Ada for a quote.' >"),
    );
    tui.wait_for("1 of 5");
    tui.keys("n");
    tui.wait_for("saved comment on #");
    tui.wait_for("Comment: 必読: the SIG tooling story");
    tui.wait_for("\n         Ask Ada for a quote.");
    tui.keys("a\r");
    tui.wait_for("accepted in articles");
    tui.keys("q");
    tui.wait_for_exit();
    let alpha = by_title(
        &desk.json(&["review", "list", "--status", "accepted", "--json"]),
        "Alpha",
    );
    assert_eq!(
        alpha["note"],
        "必読: the SIG tooling story\nAsk Ada for a quote."
    );
    assert_eq!(alpha["section"], "articles");
}

#[test]
fn l_reads_a_url_and_files_it_under_the_selected_candidate() {
    let body = feed();
    let server = TestServer::start(move |seen| match seen.path.as_str() {
        "/feed" => Reply::ok(body.clone(), "application/rss+xml"),
        "/pull" => Reply::ok(
            "<html><head><title>SIG tooling: the pull request</title></head></html>",
            "text/html",
        ),
        _ => Reply::status(404),
    });
    let desk = Desk::new(&format!(
        "{}{}",
        crate::add::loopback_contributions(""),
        source("blog", &server.url("/feed"), "articles")
    ));
    desk.ok(&["poll"]);
    let mut tui = Tui::start(&desk, None);
    tui.wait_for("1 of 5");
    tui.keys("l");
    tui.wait_for("link under this one");
    tui.keys(&format!("{}\r", server.url("/pull")));
    tui.wait_for("linked under #1: SIG tooling: the pull request");
    // The rules of `add`: a private address is refused, with the reason.
    tui.keys("lhttp://169.254.169.254/latest\r");
    tui.wait_for("is a link-local address; a link must be on a public one");
    tui.keys("q");
    tui.wait_for_exit();
    let shown = desk.json(&["review", "show", "1", "--json"]);
    assert_eq!(
        shown["related"],
        serde_json::json!([{"title": "SIG tooling: the pull request", "url": server.url("/pull")}])
    );
}

#[test]
fn ctrl_chords_page_and_a_failed_open_shows_the_url() {
    let body = feed();
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(&source("blog", &server.url("/feed"), "articles"));
    desk.ok(&["poll"]);
    // A PATH without xdg-open: opening fails as on a machine without one.
    let bare = tempfile::tempdir().unwrap();
    let mut tui = Tui::start_with(&desk, None, &[("PATH", bare.path().to_str().unwrap())]);
    tui.wait_for("1 of 5");
    // Ctrl-D, Ctrl-R, Ctrl-U, Ctrl-A as a pager's user types them.
    tui.keys("\x04");
    tui.wait_for("5 of 5");
    tui.keys("\x12\x15\x01");
    tui.wait_for("1 of 5");
    tui.keys("G");
    tui.wait_for("5 of 5");
    tui.keys("o");
    tui.wait_for("not opened: xdg-open missing (install xdg-utils)");
    tui.wait_for("the URL: https://e.example/4");
    tui.keys("k");
    tui.wait_for("4 of 5");
    assert!(
        !tui.text().contains("not opened"),
        "the message went with the next key"
    );
    tui.keys("q");
    tui.wait_for_exit();
    let list = desk.json(&["review", "list", "--json"]);
    let statuses: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new"; 5], "no Ctrl chord decided anything");
}
