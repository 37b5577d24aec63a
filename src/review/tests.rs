//! The queue's keys against a real SQLite file, and the screen at 80×24
//! with Japanese titles (insta snapshots of a TestBackend).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod keys;

use super::app::{App, Effect, Mode};
use crate::candidate::rounded_score;
use crate::config::Config;
use crate::ids::CandidateId;
use crate::outcome::Outcome;
use crate::rank::{Ranking, Rules};
use crate::source::{IncomingEntry, Session};
use crate::store::{FetchedDocument, PollRecord, QueueQuery, Status, Store};

pub(super) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

const CONFIG: &str = r#"
[newsletter]
title = "Test Weekly"

[ranking]
keywords = { kubernetes = 2.0 }

[[sections]]
id = "articles"
title = "Notable Articles"

[[sections]]
id = "releases"
title = "Releases"

[[sections]]
id = "events"
title = "Events"

[[source]]
id = "zenn"
kind = "feed"
url = "http://127.0.0.1:9/zenn"
section = "articles"

[[source]]
id = "k8s-blog"
kind = "feed"
url = "http://127.0.0.1:9/k8s"
section = "articles"

[[source]]
id = "argo-cd"
kind = "github-releases"
repo = "argoproj/argo-cd"
display_name = "Argo CD"
url = "http://127.0.0.1:9/releases.atom"
section = "releases"

[[source]]
id = "kubecon"
kind = "ical"
url = "http://127.0.0.1:9/all.ics"
section = "events"
"#;

pub(super) fn entry(key: &str, title: &str, summary: &str, hours_ago: i64) -> IncomingEntry {
    let url = format!("https://example.org/{key}");
    IncomingEntry {
        key: key.into(),
        url: Some(url.clone()),
        canonical_url: Some(url),
        title: title.into(),
        summary: Some(summary.into()),
        published: Some(now() - chrono::Duration::hours(hours_ago)),
        updated: None,
        unread_date: None,
        categories: Vec::new(),
        filtered: None,
        session: None,
    }
}

/// Records a poll of source `id` that read `entries`, as the daemon's
/// writer does (scoring new candidates when it has a `ranking`).
fn record(
    store: &mut Store,
    ranking: Option<&mut Ranking>,
    config: &Config,
    id: &str,
    entries: &[IncomingEntry],
) {
    let source = config.sources.iter().find(|s| s.id.0 == id).unwrap();
    let scoring = match ranking {
        Some(ranking) => ranking.scoring_if_current(&*store, Utc::now()).unwrap(),
        None => None,
    };
    store
        .in_batch(scoring, |batch| {
            batch.record_poll(
                &PollRecord {
                    source,
                    started_at: now(),
                    http_status: Some(200),
                    bytes: 0,
                    duration: Duration::ZERO,
                    moved_to: None,
                    outcome: Outcome::Fetched,
                    document: Some(FetchedDocument {
                        entries,
                        prepared: None,
                        validators: &Default::default(),
                        body_sha: id,
                        warning: None,
                    }),
                    error: None,
                },
                |_| crate::schedule::NextPoll {
                    interval: Duration::from_secs(3600),
                    at: now(),
                },
            )
        })
        .unwrap();
}

/// A desk: the configuration and a database holding one poll per source.
pub(super) struct Desk {
    _dir: tempfile::TempDir,
    config: Config,
    db: std::path::PathBuf,
}

impl Desk {
    /// The desk of [`Desk::new`] with 250 more stories: several pages.
    pub(super) fn with_many_stories() -> Desk {
        let desk = Desk::new();
        let many: Vec<IncomingEntry> = (0..250)
            .map(|i| entry(&format!("m{i}"), &format!("Story number {i}"), "x", i))
            .collect();
        record(&mut desk.store(), None, &desk.config, "k8s-blog", &many);
        desk
    }
    pub(super) fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::parse(&dir.path().join("feeds.toml"), CONFIG).unwrap();
        let db = dir.path().join("newsdesk.db");
        let mut store = Store::open(&db).unwrap();
        store.sync_sources(&config).unwrap();
        let polls: [(&str, Vec<IncomingEntry>); 4] = [
            (
                "zenn",
                vec![
                    entry(
                        "z1",
                        "Kubernetes 1.35 の新機能まとめ：サイドカーコンテナとインプレース Pod リサイズが GA に",
                        "Kubernetes 1.35 で GA になった機能を日本語で解説します。",
                        5,
                    ),
                    entry(
                        "z2",
                        "eBPF で始めるクラウドネイティブ可観測性入門",
                        "Cilium と Hubble を使ったネットワーク可観測性。",
                        30,
                    ),
                ],
            ),
            (
                "k8s-blog",
                vec![entry(
                    "k1",
                    "Dynamic Resource Allocation Goes GA: What Cluster Operators Need to Know",
                    "DRA is generally available in Kubernetes v1.35.",
                    50,
                )],
            ),
            (
                "argo-cd",
                vec![entry(
                    "a1",
                    "Argo CD v3.2.0",
                    "Highlights: server-side diff by default; faster sync of large apps.",
                    100,
                )],
            ),
            (
                "kubecon",
                vec![IncomingEntry {
                    session: Some(Session {
                        start: Some("2026-11-12T14:30:00Z".parse().unwrap()),
                        end: Some("2026-11-12T15:05:00Z".parse().unwrap()),
                        room: Some("Room B308".into()),
                        track: Some("Platform Engineering".into()),
                        speakers: Some("Ada Lovelace, Acme".into()),
                    }),
                    ..entry(
                        "s1",
                        "Scaling GitOps to 10,000 Clusters",
                        "How we run Argo CD at scale.",
                        300,
                    )
                }],
            ),
        ];
        for (id, entries) in &polls {
            record(&mut store, None, &config, id, entries);
        }
        Desk {
            _dir: dir,
            config,
            db,
        }
    }

    pub(super) fn app(&self) -> App {
        let store = Store::open(&self.db).unwrap();
        let mut app = App::new(store, &self.config, now()).unwrap();
        app.color = false;
        app
    }

    pub(super) fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn status_of(&self, title_start: &str) -> (Status, Option<String>, Option<String>) {
        let all = self.store().queue(&QueueQuery::default()).unwrap();
        let c = all
            .iter()
            .find(|c| c.title.starts_with(title_start))
            .unwrap();
        (c.status, c.section.clone(), c.note.clone())
    }
}

pub(super) fn key(app: &mut App, code: KeyCode) -> Effect {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub(super) fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn titles(app: &App) -> Vec<&str> {
    app.rows.iter().map(|c| c.title.as_str()).collect()
}

#[test]
fn the_queue_opens_best_first_with_stored_scores() {
    let desk = Desk::new();
    let app = desk.app();
    assert_eq!(app.total, 5);
    let scores: Vec<f64> = app.rows.iter().map(|c| c.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(titles(&app)[0].starts_with("Kubernetes 1.35"));
}

#[test]
fn accept_chooses_the_section_preselected_from_the_source() {
    let desk = Desk::new();
    let mut app = desk.app();
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.mode, Mode::Section { choice: 0 }, "zenn is in articles");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Normal);
    assert_eq!(
        desk.status_of("Kubernetes 1.35"),
        (Status::Accepted, Some("releases".into()), None)
    );
    assert_eq!(app.total, 4, "the accepted one left the new queue");
    // The release is preselected in its own section; Esc accepts nothing.
    while !app.selected().unwrap().title.starts_with("Argo CD") {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.mode, Mode::Section { choice: 1 });
    key(&mut app, KeyCode::Esc);
    assert_eq!(desk.status_of("Argo CD").0, Status::New);
}

#[test]
fn reject_defer_and_undo_go_straight_to_the_database() {
    let desk = Desk::new();
    let mut app = desk.app();
    let first = app.selected().unwrap().title.clone();
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(desk.status_of(&first).0, Status::Rejected);
    let second = app.selected().unwrap().title.clone();
    key(&mut app, KeyCode::Char('d'));
    assert_eq!(desk.status_of(&second).0, Status::Deferred);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(desk.status_of(&second).0, Status::New);
    let id = app.selected().unwrap().id;
    assert_eq!(app.message, Some(format!("undid defer of #{id}")));
    assert_eq!(app.selected().unwrap().title, second, "back where it was");
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(desk.status_of(&first).0, Status::New);
    assert_eq!(app.total, 5);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.message.as_deref(), Some("nothing to undo"));
}

#[test]
fn undo_restores_an_earlier_section_and_note() {
    let desk = Desk::new();
    let mut store = desk.store();
    store
        .decide(
            &[CandidateId(1)],
            Status::Accepted,
            Some("releases"),
            Some("Read it."),
        )
        .unwrap();
    let mut app = desk.app();
    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.status, Status::Accepted);
    assert_eq!(app.total, 1);
    key(&mut app, KeyCode::Char('a'));
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Enter);
    let title = app.selected().unwrap().title.clone();
    assert_eq!(desk.status_of(&title).1.as_deref(), Some("events"));
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(
        desk.status_of(&title),
        (
            Status::Accepted,
            Some("releases".into()),
            Some("Read it.".into())
        )
    );
}

#[test]
fn filter_by_text_and_cycle_statuses() {
    let desk = Desk::new();
    let mut app = desk.app();
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "argo");
    assert_eq!(app.total, 5, "nothing applies before Enter");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        titles(&app),
        ["Argo CD v3.2.0", "Scaling GitOps to 10,000 Clusters"],
        "title or summary"
    );
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "xyz");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.text.as_deref(), Some("argo"), "Esc keeps the filter");
    // The prompt starts empty, so Enter right away clears, as it says.
    key(&mut app, KeyCode::Char('/'));
    assert!(screen(&mut app, 80, 24).contains("/▏ (Enter filters; empty clears \"argo\""));
    key(&mut app, KeyCode::Enter);
    assert_eq!((app.text.as_deref(), app.total), (None, 5));
    assert_eq!(app.message.as_deref(), Some("filter cleared"));
    key(&mut app, KeyCode::Char('/'));
    keys(&mut app, "50%_");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.total, 0, "LIKE wildcards are literal");
    let statuses: Vec<Status> = (0..5)
        .map(|_| {
            key(&mut app, KeyCode::Char('s'));
            app.status
        })
        .collect();
    assert_eq!(
        statuses,
        [
            Status::Accepted,
            Status::Drafted,
            Status::Deferred,
            Status::Rejected,
            Status::New
        ]
    );
}

#[test]
fn the_inline_note_editor_saves_and_undo_takes_it_back() {
    // SAFETY: no other test of this binary reads EDITOR.
    unsafe { std::env::remove_var("EDITOR") };
    let desk = Desk::new();
    let mut app = desk.app();
    let title = app.selected().unwrap().title.clone();
    assert_eq!(key(&mut app, KeyCode::Char('n')), Effect::None);
    keys(&mut app, "必読。Worth it");
    key(&mut app, KeyCode::Backspace);
    key(&mut app, KeyCode::Enter);
    assert_eq!(desk.status_of(&title).2.as_deref(), Some("必読。Worth i"));
    assert_eq!(
        desk.status_of(&title).0,
        Status::New,
        "a comment is not a decision"
    );
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(desk.status_of(&title).2, None);
}

#[test]
fn open_and_quit_are_left_to_the_terminal() {
    let desk = Desk::new();
    let mut app = desk.app();
    let url = app.selected().unwrap().url.clone().unwrap();
    assert_eq!(key(&mut app, KeyCode::Char('o')), Effect::Open(url));
    assert_eq!(key(&mut app, KeyCode::Char('q')), Effect::Quit);
    assert_eq!(
        app.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Effect::Quit
    );
}

#[test]
fn a_drafted_candidate_cannot_be_decided_and_says_so() {
    let desk = Desk::new();
    let conn = rusqlite::Connection::open(&desk.db).unwrap();
    let mut app = desk.app();
    let id = app.selected().unwrap().id;
    conn.execute(
        "UPDATE candidates SET status = 'drafted' WHERE id = ?1",
        [id],
    )
    .unwrap();
    key(&mut app, KeyCode::Char('r'));
    assert!(
        app.message
            .as_deref()
            .unwrap()
            .contains("already in a draft"),
        "{:?}",
        app.message
    );
}

#[test]
fn pages_are_read_as_the_selection_moves() {
    let desk = Desk::with_many_stories();
    let mut app = desk.app();
    assert_eq!((app.rows.len(), app.total), (super::app::PAGE, 255));
    for _ in 0..30 {
        key(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.rows.len(), 255);
    assert_eq!(app.selected, 254);
}

pub(super) fn screen(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|frame| super::ui::draw(frame, app)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..width {
            let symbol = buffer[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            line.push_str(symbol);
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn the_screen_at_80x24_with_japanese_titles() {
    let desk = Desk::new();
    let mut app = desk.app();
    insta::assert_snapshot!("queue_80x24", screen(&mut app, 80, 24));
    key(&mut app, KeyCode::Char('a'));
    insta::assert_snapshot!("accept_80x24", screen(&mut app, 80, 24));
    key(&mut app, KeyCode::Esc);
    while !app.selected().unwrap().title.starts_with("Scaling") {
        key(&mut app, KeyCode::Char('j'));
    }
    insta::assert_snapshot!("session_80x24", screen(&mut app, 80, 24));
}

#[test]
fn every_line_fits_however_wide_the_characters_and_small_the_terminal() {
    let desk = Desk::new();
    let mut app = desk.app();
    for (width, height) in [(80, 24), (81, 25), (100, 30), (40, 10), (20, 5), (1, 1)] {
        let text = screen(&mut app, width, height);
        for line in text.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= width as usize,
                "{width}×{height}: {line:?}"
            );
        }
    }
    assert!(screen(&mut app, 30, 8).contains("terminal too small"));
    key(&mut app, KeyCode::Char('?'));
    assert!(screen(&mut app, 80, 24).contains("undo the last decision"));
    key(&mut app, KeyCode::Char('x'));
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn wide_titles_are_cut_by_display_width() {
    assert_eq!(super::ui::fit("新機能まとめ", 7), "新機能…");
    assert_eq!(super::ui::fit("新機能まとめ", 12), "新機能まとめ");
    assert_eq!(super::ui::fit("abc", 2), "a…");
}

#[test]
fn refresh_shows_what_the_daemon_wrote_meanwhile() {
    let desk = Desk::new();
    let mut app = desk.app();
    let before = app.total;
    // The daemon, on its own connection, stores a new story.
    let mut daemon = desk.store();
    let mut ranking = Ranking::adopt(Rules::of(&desk.config), &mut daemon).unwrap();
    record(
        &mut daemon,
        Some(&mut ranking),
        &desk.config,
        "k8s-blog",
        &[entry(
            "k9",
            "Kubernetes v1.36 Sneak Peek",
            "What is coming in the next Kubernetes release, feature by feature.",
            1,
        )],
    );
    assert!(!titles(&app).contains(&"Kubernetes v1.36 Sneak Peek"));
    key(&mut app, KeyCode::Char('R'));
    assert_eq!(app.total, before + 1);
    assert!(
        titles(&app).contains(&"Kubernetes v1.36 Sneak Peek"),
        "{:?}",
        titles(&app)
    );
}

/// The writer scores a candidate as it stores it (with a current ranker),
/// exactly as the ranker scores it when it is read back.
#[test]
fn new_candidates_are_scored_as_they_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::parse(&dir.path().join("feeds.toml"), CONFIG).unwrap();
    let mut store = Store::open(&dir.path().join("newsdesk.db")).unwrap();
    store.sync_sources(&config).unwrap();
    let mut ranking = Ranking::adopt(Rules::of(&config), &mut store).unwrap();
    record(
        &mut store,
        Some(&mut ranking),
        &config,
        "zenn",
        &[
            entry(
                "z1",
                "Kubernetes 1.35 の新機能まとめ",
                "GA になった機能。",
                5,
            ),
            entry("z2", "eBPF で始める可観測性入門", "Cilium と Hubble。", 30),
        ],
    );
    record(
        &mut store,
        Some(&mut ranking),
        &config,
        "k8s-blog",
        &[entry(
            "k1",
            "Dynamic Resource Allocation Goes GA",
            "DRA.",
            50,
        )],
    );
    let scoring = ranking.scoring(&store, Utc::now()).unwrap();
    assert_eq!(
        store.rescore_stale(&scoring, None, None).unwrap(),
        0,
        "none left for a reader to score"
    );
    let stored = store.queue(&QueueQuery::default()).unwrap();
    assert_eq!(stored.len(), 3);
    let ranker = ranking.ranker(&store, Utc::now()).unwrap();
    for candidate in &stored {
        let fresh = rounded_score(ranker.score(&candidate.rank_input()).total);
        assert_eq!(candidate.score, fresh, "{}", candidate.title);
        assert!(candidate.score > 0.0);
    }
}
