//! What a new editor tries first: a pager's Ctrl chords, G to the end,
//! drafted candidates, several feeds of one story, a comment of several
//! lines, and messages that go when read.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{CONFIG, Desk, entry, key, record, screen};
use crate::config::Config;
use crate::ids::CandidateId;
use crate::source::IncomingEntry;
use crate::store::{QueueQuery, Status};

fn ctrl(app: &mut super::App, c: char) {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

fn statuses(desk: &Desk) -> Vec<Status> {
    let all = desk.store().queue(&QueueQuery::default()).unwrap();
    all.iter().map(|c| c.status).collect()
}

#[test]
fn ctrl_chords_page_as_in_less_and_never_decide() {
    let desk = Desk::with_many_stories();
    let mut app = desk.app();
    ctrl(&mut app, 'd');
    assert_eq!(app.selected, 5, "Ctrl-D: half a page down");
    ctrl(&mut app, 'f');
    assert_eq!(app.selected, 15, "Ctrl-F: a page down");
    ctrl(&mut app, 'b');
    ctrl(&mut app, 'u');
    assert_eq!(app.selected, 0, "Ctrl-B and Ctrl-U back up");
    for c in ['r', 'a', 'n', 'o', 's', 'e', 'w', 'k'] {
        ctrl(&mut app, c);
    }
    assert_eq!(app.mode, super::Mode::Normal);
    assert_eq!(app.status, Status::New);
    assert!(statuses(&desk).iter().all(|s| *s == Status::New));

    key(&mut app, KeyCode::Char('G'));
    assert_eq!(
        (app.rows.len(), app.selected),
        (255, 254),
        "G reads every page"
    );
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::End);
    assert_eq!(app.selected, 254);
}

#[test]
fn s_shows_drafted_candidates_too() {
    let desk = Desk::new();
    let conn = rusqlite::Connection::open(&desk.db).unwrap();
    conn.execute("UPDATE candidates SET status = 'drafted' WHERE id = 2", [])
        .unwrap();
    let mut app = desk.app();
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('s'));
    assert_eq!((app.status, app.total), (Status::Drafted, 1));
    assert_eq!(app.message.as_deref(), Some("showing drafted candidates"));
    assert!(screen(&mut app, 80, 24).contains("drafted · 1 of 1"));
}

#[test]
fn a_story_from_several_feeds_shows_its_count_however_long_the_source_id() {
    let mut desk = Desk::new();
    let long = "[[source]]\nid = \"kubernetes-blog-japan\"\nkind = \"feed\"\nurl = \"http://127.0.0.1:9/ja\"\nsection = \"articles\"\n";
    desk.config = Config::parse(
        &desk._dir.path().join("feeds.toml"),
        &format!("{CONFIG}\n{long}"),
    )
    .unwrap();
    let mut store = desk.store();
    store.sync_sources(&desk.config).unwrap();
    let story = entry("j1", "Gateway API 1.4 の紹介", "HTTPRoute の新機能。", 1);
    record(
        &mut store,
        None,
        &desk.config,
        "kubernetes-blog-japan",
        std::slice::from_ref(&story),
    );
    for (source, key) in [("zenn", "z9"), ("k8s-blog", "k9")] {
        let again = IncomingEntry {
            key: key.into(),
            ..story.clone()
        };
        record(&mut store, None, &desk.config, source, &[again]);
    }
    let mut app = desk.app();
    let text = screen(&mut app, 80, 24);
    let row = text
        .lines()
        .find(|l| l.contains("Gateway API"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("kubernetes… +2"), "{row}");
    // The detail says what each sighting matched, never the candidate
    // itself.
    while !app.selected().unwrap().title.starts_with("Gateway") {
        key(&mut app, KeyCode::Char('j'));
    }
    let text = screen(&mut app, 80, 24);
    assert!(
        text.contains("same URL as seen in kubernetes-blog-japan"),
        "{text}"
    );
    assert!(!text.contains("as #"), "{text}");
}

#[test]
fn a_comment_of_several_lines_is_shown_as_lines() {
    let desk = Desk::new();
    let mut app = desk.app();
    let id = app.selected().unwrap().id;
    app.save_note(id, "Read the GA list.\nAsk Ada for a quote.\n")
        .unwrap();
    let text = screen(&mut app, 80, 24);
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("Comment: Read the GA list."))
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(lines[at + 1].trim(), "Ask Ada for a quote.");
}

#[test]
fn a_message_goes_with_the_next_key_and_undo_says_what_it_undid() {
    let desk = Desk::new();
    let mut app = desk.app();
    let id: CandidateId = app.selected().unwrap().id;
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(app.message, Some(format!("#{id} deferred (u undoes)")));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.message, None);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.message, Some(format!("undid defer of #{id}")));
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(
        app.message,
        Some(format!("undid accept of #{id} into releases"))
    );
}

#[test]
fn a_browser_that_fails_is_told_with_the_url_to_copy() {
    use std::os::unix::process::ExitStatusExt;
    let desk = Desk::new();
    let mut app = desk.app();
    let url = "https://example.org/z1";
    app.opened(url, Ok(std::process::ExitStatus::from_raw(3 << 8)));
    assert_eq!(
        app.message.as_deref(),
        Some(
            "not opened: xdg-open found no browser (set BROWSER); the URL: https://example.org/z1"
        )
    );
    app.opened(url, Err(std::io::ErrorKind::NotFound.into()));
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .ends_with("xdg-open missing (install xdg-utils); the URL: https://example.org/z1"),
        "{:?}",
        app.message
    );
    app.opened(url, Ok(std::process::ExitStatus::from_raw(0)));
    assert_eq!(
        app.message.as_deref(),
        Some("opened https://example.org/z1")
    );
}

#[test]
fn the_header_counts_sources_gone_quiet() {
    let desk = Desk::new();
    let mut app = desk.app();
    assert_eq!(app.quiet_sources, 0);
    assert!(!screen(&mut app, 100, 24).contains("quiet"));
    // Sixty days on, with the default quiet_after of 30 days, every polled
    // source has brought nothing new for too long.
    let later = super::now() + chrono::Duration::days(60);
    let mut app = super::App::new(desk.store(), &desk.config, later).unwrap();
    assert_eq!(app.quiet_sources, 4);
    assert!(
        screen(&mut app, 100, 24).contains("· 4 sources quiet (newsdesk sources)"),
        "{}",
        screen(&mut app, 100, 24)
    );
}
