//! The editor's shape of the issue from the TUI: the order of a section's
//! accepted items (as accepted, moved with K and J) and sections of this
//! issue only (`+` in the section chooser), as `draft` reads them.

use ratatui::crossterm::event::KeyCode;

use super::tests::{Desk, key};
use crate::store::{QueueQuery, Status};

/// The titles `draft` would write in section `section`, in order.
fn draft_order(desk: &Desk, section: &str) -> Vec<String> {
    desk.store()
        .draft_candidates("2026-12-02")
        .unwrap()
        .into_iter()
        .filter(|c| c.section.as_deref() == Some(section))
        .map(|c| c.title.chars().take(12).collect())
        .collect()
}

#[test]
fn accepted_items_keep_the_order_accepted_and_k_j_move_them() {
    let desk = Desk::new();
    let mut store = desk.store();
    let all = store.queue(&QueueQuery::default()).unwrap();
    let id = |start: &str| all.iter().find(|c| c.title.starts_with(start)).unwrap().id;
    let (dra, ebpf, k135) = (id("Dynamic"), id("eBPF"), id("Kubernetes 1.35"));
    // Accepted in this order, whatever their scores or dates.
    for accepted in [ebpf, k135, dra] {
        store
            .decide(&[accepted], Status::Accepted, Some("articles"), None)
            .unwrap();
    }
    // A second accept (a new note, say) keeps the place.
    store
        .decide(&[ebpf], Status::Accepted, None, Some("note"))
        .unwrap();
    assert_eq!(
        draft_order(&desk, "articles"),
        ["eBPF で始めるクラウ", "Kubernetes 1", "Dynamic Reso"]
    );

    let mut app = desk.app();
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status, Status::Accepted);
    while app.selected().unwrap().id != dra {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Char('K'));
    assert_eq!(
        app.message.as_deref(),
        Some(&*format!("#{dra} is now 2 of 3 in articles"))
    );
    key(&mut app, KeyCode::Char('K'));
    key(&mut app, KeyCode::Char('K'));
    assert_eq!(
        draft_order(&desk, "articles"),
        ["Dynamic Reso", "eBPF で始めるクラウ", "Kubernetes 1"]
    );
    key(&mut app, KeyCode::Char('J'));
    assert_eq!(
        draft_order(&desk, "articles"),
        ["eBPF で始めるクラウ", "Dynamic Reso", "Kubernetes 1"]
    );
    // Accepted later: at the end, after the moved ones.
    let argo = id("Argo CD");
    store
        .decide(&[argo], Status::Accepted, Some("articles"), None)
        .unwrap();
    assert_eq!(
        draft_order(&desk, "articles").last().unwrap(),
        "Argo CD v3.2"
    );

    // Only accepted items move.
    while app.status != Status::New {
        key(&mut app, KeyCode::Char('s'));
    }
    key(&mut app, KeyCode::Char('K'));
    assert!(
        app.message.as_deref().unwrap().contains("is not accepted"),
        "{:?}",
        app.message
    );
}

#[test]
fn plus_in_the_section_chooser_makes_a_section_of_this_issue() {
    let desk = Desk::new();
    let mut app = desk.app();
    let id = app.selected().unwrap().id;
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('+'));
    for c in "✨ Kubernetes 1.25".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    let store = desk.store();
    let made = store.one_off_section("Kubernetes 1.25").unwrap().unwrap();
    assert_eq!(
        (made.id.as_str(), made.emoji.as_str(), made.after.as_deref()),
        ("one-off-kubernetes-1-25", "✨", Some("articles"))
    );
    let candidate = store.candidate(id).unwrap().unwrap();
    assert_eq!(
        (candidate.status, candidate.section.as_deref()),
        (Status::Accepted, Some("one-off-kubernetes-1-25"))
    );
    // The next accept can choose it (after the configured sections).
    key(&mut app, KeyCode::Char('a'));
    assert!(
        app.sections
            .last()
            .unwrap()
            .1
            .contains("Kubernetes 1.25 (this issue)"),
        "{:?}",
        app.sections
    );
    key(&mut app, KeyCode::Esc);
    // A new App (the next session) lists it too.
    let app = desk.app();
    assert_eq!(app.sections.last().unwrap().0, "one-off-kubernetes-1-25");
}
