//! The TUI's "link under…" (`l`) and who brought a candidate, against a
//! real SQLite file (the desk of [`super::tests`]).

use ratatui::crossterm::event::KeyCode;

use super::app::Effect;
use super::tests::{Desk, entry, key, keys, screen};
use crate::store::{Submission, submissions_source};

#[test]
fn l_files_a_candidate_or_a_url_under_the_selected_one() {
    let desk = Desk::new();
    let mut app = desk.app();
    let under = app.selected().unwrap().id;
    let other = app.rows[1].clone();
    key(&mut app, KeyCode::Char('l'));
    keys(&mut app, &format!("#{}", other.id));
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.message.as_deref(),
        Some(
            format!(
                "linked under #{under}: {} (#{}, new, folded in)",
                other.title, other.id
            )
            .as_str()
        )
    );
    assert!(
        app.rows.iter().all(|c| c.id != other.id),
        "folded in: gone from the queue"
    );
    let shown = desk.store().candidate(under).unwrap().unwrap();
    assert_eq!(shown.related.len(), 1);
    assert_eq!(shown.related[0].title, other.title);
    assert_eq!(Some(&shown.related[0].url), other.url.as_ref());
    let folded = desk.store().candidate(other.id).unwrap().unwrap();
    assert_eq!(
        folded.note.as_deref(),
        Some(format!("folded under #{under} as a related link").as_str())
    );

    // A URL is for the terminal side to read.
    key(&mut app, KeyCode::Char('l'));
    keys(&mut app, "https://github.com/o/r/pull/12");
    assert_eq!(
        key(&mut app, KeyCode::Enter),
        Effect::ReadLink {
            under,
            url: "https://github.com/o/r/pull/12".into()
        }
    );
    app.file_link(under, "Fix it", "https://github.com/o/r/pull/12")
        .unwrap();
    assert_eq!(
        app.message.as_deref(),
        Some(format!("linked under #{under}: Fix it").as_str())
    );
    let text = screen(&mut app, 100, 30);
    assert!(
        text.contains("Related: Fix it https://github.com/o/r/pull/12"),
        "{text}"
    );

    for typed in ["not a link", "#999999"] {
        key(&mut app, KeyCode::Char('l'));
        keys(&mut app, typed);
        assert_eq!(key(&mut app, KeyCode::Enter), Effect::None);
        assert!(
            app.message
                .as_deref()
                .is_some_and(|m| m.contains("neither") || m.contains("no candidate")),
            "{typed}: {:?}",
            app.message
        );
    }
    // Itself: refused, nothing changed.
    key(&mut app, KeyCode::Char('l'));
    keys(&mut app, &under.to_string());
    key(&mut app, KeyCode::Enter);
    assert!(
        app.message
            .as_deref()
            .is_some_and(|m| m.starts_with("not linked: the link is candidate")),
        "{:?}",
        app.message
    );
    assert_eq!(
        desk.store()
            .candidate(under)
            .unwrap()
            .unwrap()
            .related
            .len(),
        2
    );
}

#[test]
fn the_detail_pane_shows_who_brought_it() {
    let desk = Desk::new();
    let app = desk.app();
    let first = app.selected().unwrap().clone();
    drop(app);
    let mut store = desk.store();
    let url = first.url.clone().unwrap();
    let brought = crate::source::IncomingEntry {
        key: url.clone(),
        url: Some(url.clone()),
        canonical_url: Some(url.clone()),
        ..entry("unused", &first.title, "", 1)
    };
    for contributor in ["alice", "bob", "alice"] {
        store
            .submit(
                &submissions_source(None),
                &Submission {
                    entry: &brought,
                    given_url: &url,
                    contributor,
                    comment: None,
                    force: false,
                },
            )
            .unwrap();
    }
    let mut app = desk.app();
    while app.selected().unwrap().id != first.id {
        key(&mut app, KeyCode::Char('j'));
    }
    assert_eq!(
        desk.store()
            .candidate(first.id)
            .unwrap()
            .unwrap()
            .submitted_by,
        ["alice", "bob"]
    );
    let text = screen(&mut app, 100, 30);
    assert!(text.contains("By: alice, bob"), "{text}");
}
