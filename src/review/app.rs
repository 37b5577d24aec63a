//! The state of the interactive queue and what each key does to it and to
//! the store: testable without a terminal.
//!
//! Rows are read a page at a time by stored score ([`Store::queue`]); a
//! decision goes to the store at once in its own transaction, and its
//! previous state onto the undo stack.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::config::{Config, SourceId};
use crate::ids::CandidateId;
use crate::rank::{Ranking, Rules};
use crate::source::SourceKind;
use crate::store::{
    CandidateView, EditorState, FileError, Filed, NewRelated, QueueQuery, Sighting, Status, Store,
    StoreError,
};

mod issue;
mod paging;
use super::line::{LineInput, edit_line};

/// Rows read per page.
pub const PAGE: usize = 100;
/// Stale scores re-computed per idle moment: a few milliseconds of work.
const RESCORE_BATCH: usize = 500;
/// Statuses `s` cycles through.
const STATUS_CYCLE: [Status; 5] = [
    Status::New,
    Status::Accepted,
    Status::Drafted,
    Status::Deferred,
    Status::Rejected,
];
/// Rows a page key moves (PgDn, Space, Ctrl-F); Ctrl-D and Ctrl-U move
/// half as many, as in less.
const PAGE_KEY: isize = 10;

/// What the screen is showing on top of the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Choosing the section of an accept; `choice` indexes the sections.
    Section {
        choice: usize,
    },
    Filter {
        input: LineInput,
    },
    Note {
        input: LineInput,
    },
    /// Filing a link under the selected candidate: a URL or a candidate id.
    Link {
        input: LineInput,
    },
    /// Typing "EMOJI TITLE" of a section of this issue only, to go after
    /// `after` (an index into the sections).
    NewSection {
        input: LineInput,
        after: usize,
    },
    Help,
}

/// What the terminal side has to do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    None,
    Quit,
    /// Edit the comment of candidate `id` in $EDITOR, starting from `note`.
    EditNote {
        id: CandidateId,
        note: String,
    },
    /// Open `url` in the browser.
    Open(String),
    /// Read the page at `url` and file it under candidate `under`
    /// ([`App::file_link`]): the terminal side has the network.
    ReadLink {
        under: CandidateId,
        url: String,
    },
}

/// Where and why the selected candidate was seen.
pub struct Detail {
    pub id: CandidateId,
    pub kind: Option<SourceKind>,
    pub sightings: Vec<Sighting>,
}

struct Undo {
    before: Vec<EditorState>,
    /// What the undo takes back, as a noun: "defer of #96".
    what: String,
}

pub struct App {
    store: Store,
    ranking: Ranking,
    /// Section ids and titles, in the configured order, then the one-off
    /// sections of the coming issue.
    pub sections: Vec<(String, String)>,
    kinds: HashMap<SourceId, SourceKind>,
    pub status: Status,
    pub text: Option<String>,
    pub rows: Vec<CandidateView>,
    /// Rows matching the filters over all pages.
    pub total: usize,
    /// Sources answering with nothing new for their `quiet_after`.
    pub quiet_sources: usize,
    pub selected: usize,
    pub mode: Mode,
    /// The last thing that happened, or went wrong.
    pub message: Option<String>,
    pub now: DateTime<Utc>,
    pub color: bool,
    undo: Vec<Undo>,
    detail: Option<Detail>,
    /// No stale scores left of the status shown (until the next decision).
    fresh: bool,
}

impl App {
    /// Opens the queue of new candidates at `now`: re-scores one batch of
    /// stale rows (the best first), then reads the first page.
    pub fn new(mut store: Store, config: &Config, now: DateTime<Utc>) -> Result<App, StoreError> {
        let ranking = Ranking::adopt(Rules::of(config), &mut store)?;
        let mut sections: Vec<(String, String)> = config
            .sections
            .iter()
            .map(|s| (s.id.clone(), s.title.clone()))
            .collect();
        sections.extend(
            store
                .current_one_off_sections()?
                .into_iter()
                .map(|s| (s.id, format!("{} {} (this issue)", s.emoji, s.title))),
        );
        let quiet_sources = store.quiet_sources(&config.quiet_rules(), now)?.len();
        let mut app = App {
            store,
            ranking,
            sections,
            kinds: config
                .sources
                .iter()
                .map(|s| (s.id.clone(), s.kind))
                .collect(),
            status: Status::New,
            text: None,
            rows: Vec::new(),
            total: 0,
            quiet_sources,
            selected: 0,
            mode: Mode::Normal,
            message: None,
            now,
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            undo: Vec::new(),
            detail: None,
            fresh: false,
        };
        let started = std::time::Instant::now();
        app.idle()?;
        let rescored = started.elapsed();
        app.reload()?;
        tracing::debug!(?rescored, first_page = ?started.elapsed() - rescored, "queue opened");
        Ok(app)
    }

    fn query(&self, limit: usize, offset: usize) -> QueueQuery {
        QueueQuery {
            status: Some(self.status),
            section: None,
            text: self.text.clone(),
            limit: Some(limit),
            offset,
        }
    }

    /// Reads the rows again (as many as were loaded, at least a page):
    /// new candidates from the daemon appear, decided ones go.
    pub fn reload(&mut self) -> Result<(), StoreError> {
        let keep = self.rows.get(self.selected).map(|c| c.id);
        self.rows = self
            .store
            .queue(&self.query(self.rows.len().max(PAGE), 0))?;
        self.total = self.store.queue_len(&self.query(0, 0))?;
        if let Some(position) = keep.and_then(|id| self.rows.iter().position(|c| c.id == id)) {
            self.selected = position;
        }
        self.clamp();
        Ok(())
    }

    /// Re-scores a batch of stale rows; called when no key is pressed.
    /// The list is not re-ordered under the editor: `R` shows the new order.
    pub fn idle(&mut self) -> Result<(), StoreError> {
        if !self.fresh {
            let generation = self.ranking.generation(&self.store)?;
            if !self
                .store
                .has_stale(generation, self.now, Some(self.status))?
            {
                self.fresh = true;
                return Ok(());
            }
            let scoring = self.ranking.scoring(&self.store, self.now)?;
            let done =
                self.store
                    .rescore_stale(&scoring, Some(self.status), Some(RESCORE_BATCH))?;
            self.fresh = done < RESCORE_BATCH;
        }
        Ok(())
    }

    pub fn selected(&self) -> Option<&CandidateView> {
        self.rows.get(self.selected)
    }

    /// The sightings of the selected candidate (read once per selection).
    pub fn detail(&mut self) -> Option<&Detail> {
        let candidate = self.rows.get(self.selected)?;
        if self.detail.as_ref().is_none_or(|d| d.id != candidate.id) {
            let sightings = match self.store.sightings(candidate.id) {
                Ok(sightings) => sightings,
                Err(err) => {
                    self.message = Some(format!("error: {}", crate::errors::with_causes(&err)));
                    Vec::new()
                }
            };
            self.detail = Some(Detail {
                id: candidate.id,
                kind: self.kinds.get(&candidate.source).copied(),
                sightings,
            });
        }
        self.detail.as_ref()
    }

    /// Applies one key; store errors become the message line. The message
    /// of the key before goes: it was read, or is stale.
    pub fn handle_key(&mut self, key: KeyEvent) -> Effect {
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Effect::Quit;
        }
        self.message = None;
        match self.key(key) {
            Ok(effect) => effect,
            Err(err) => {
                self.message = Some(format!("error: {}", crate::errors::with_causes(&err)));
                Effect::None
            }
        }
    }

    fn key(&mut self, key: KeyEvent) -> Result<Effect, StoreError> {
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => return self.normal_key(key),
            Mode::Help => {}
            Mode::Section { choice } => self.section_key(key, choice)?,
            Mode::Filter { input } => {
                if let Some(input) = edit_line(key, input, |input| Mode::Filter { input }, self) {
                    // Empty clears: the prompt starts empty.
                    self.text = Some(input).filter(|t| !t.trim().is_empty());
                    self.selected = 0;
                    self.rows.clear();
                    self.reload()?;
                    self.message = Some(match &self.text {
                        Some(text) => format!("filter \"{text}\": {} found", self.total),
                        None => "filter cleared".into(),
                    });
                }
            }
            Mode::NewSection { input, after } => {
                if let Some(input) =
                    edit_line(key, input, |input| Mode::NewSection { input, after }, self)
                {
                    self.accept_into_new_section(&input, after)?;
                }
            }
            Mode::Note { input } => {
                if let Some(input) = edit_line(key, input, |input| Mode::Note { input }, self)
                    && let Some(id) = self.selected().map(|c| c.id)
                {
                    self.save_note(id, &input)?;
                }
            }
            Mode::Link { input } => {
                if let Some(input) = edit_line(key, input, |input| Mode::Link { input }, self)
                    && let Some(under) = self.selected().map(|c| c.id)
                {
                    return self.link_under(under, input.trim());
                }
            }
        }
        Ok(Effect::None)
    }

    fn normal_key(&mut self, key: KeyEvent) -> Result<Effect, StoreError> {
        // Ctrl chords page as in less and never decide: a pager's Ctrl-D
        // must not defer.
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            match key.code {
                KeyCode::Char('d') => self.move_by(PAGE_KEY / 2)?,
                KeyCode::Char('u') => self.move_by(-PAGE_KEY / 2)?,
                KeyCode::Char('f') => self.move_by(PAGE_KEY)?,
                KeyCode::Char('b') => self.move_by(-PAGE_KEY)?,
                _ => {}
            }
            return Ok(Effect::None);
        }
        match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return Ok(Effect::Quit),
            KeyCode::Char('j') | KeyCode::Down => self.move_by(1)?,
            KeyCode::Char('k') | KeyCode::Up => self.move_by(-1)?,
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_by(PAGE_KEY)?,
            KeyCode::PageUp => self.move_by(-PAGE_KEY)?,
            KeyCode::Home | KeyCode::Char('g') => self.selected = 0,
            KeyCode::End | KeyCode::Char('G') => self.select_last()?,
            KeyCode::Char('a') => {
                if let Some(candidate) = self.selected() {
                    // The suggested section first, unless the editor already chose one.
                    let preselected = match candidate.status {
                        Status::Accepted => candidate.section.as_ref(),
                        _ => candidate
                            .suggested_section
                            .as_ref()
                            .or(candidate.section.as_ref()),
                    };
                    let choice = preselected
                        .and_then(|s| self.sections.iter().position(|(id, _)| id == s))
                        .unwrap_or(0);
                    if self.sections.is_empty() {
                        self.message = Some("no [[sections]] in feeds.toml to accept into".into());
                    } else {
                        self.mode = Mode::Section { choice };
                    }
                }
            }
            KeyCode::Char('r') => self.decide(Status::Rejected, None)?,
            KeyCode::Char('d') => self.decide(Status::Deferred, None)?,
            KeyCode::Char('u') => self.undo()?,
            KeyCode::Char('K') => self.move_in_section(-1)?,
            KeyCode::Char('J') => self.move_in_section(1)?,
            KeyCode::Char('n') => {
                if let Some(candidate) = self.selected() {
                    let note = candidate.note.clone().unwrap_or_default();
                    if std::env::var_os("EDITOR").is_some_and(|e| !e.is_empty()) {
                        return Ok(Effect::EditNote {
                            id: candidate.id,
                            note,
                        });
                    }
                    self.mode = Mode::Note {
                        input: LineInput::new(&note),
                    };
                }
            }
            KeyCode::Char('o') => {
                if let Some(candidate) = self.selected() {
                    match &candidate.url {
                        Some(url) => return Ok(Effect::Open(url.clone())),
                        None => self.message = Some("this candidate has no URL".into()),
                    }
                }
            }
            KeyCode::Char('/') => {
                self.mode = Mode::Filter {
                    input: LineInput::default(),
                }
            }
            KeyCode::Char('s') => {
                let at = STATUS_CYCLE.iter().position(|s| *s == self.status);
                self.status = STATUS_CYCLE[at.map_or(0, |i| (i + 1) % STATUS_CYCLE.len())];
                self.selected = 0;
                self.rows.clear();
                self.fresh = false;
                self.idle()?;
                self.reload()?;
                self.message = Some(format!("showing {} candidates", self.status));
            }
            KeyCode::Char('R') => {
                self.fresh = false;
                self.now = Utc::now();
                self.idle()?;
                self.reload()?;
                self.message = Some(format!("refreshed: {} {}", self.total, self.status));
            }
            KeyCode::Char('l') if self.selected().is_some() => {
                self.mode = Mode::Link {
                    input: LineInput::default(),
                };
            }
            KeyCode::Char('?') => self.mode = Mode::Help,
            _ => {}
        }
        Ok(Effect::None)
    }

    fn section_key(&mut self, key: KeyEvent, choice: usize) -> Result<(), StoreError> {
        let last = self.sections.len().saturating_sub(1);
        match key.code {
            KeyCode::Char('j') | KeyCode::Down => {
                self.mode = Mode::Section {
                    choice: (choice + 1).min(last),
                }
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.mode = Mode::Section {
                    choice: choice.saturating_sub(1),
                }
            }
            KeyCode::Enter | KeyCode::Char('a') => {
                let section = self.sections[choice].0.clone();
                self.decide(Status::Accepted, Some(&section))?;
            }
            KeyCode::Char(c) if c.is_ascii_digit() && c != '0' => {
                let index = c as usize - '1' as usize;
                self.mode = Mode::Section {
                    choice: index.min(last),
                };
            }
            KeyCode::Char('+') => {
                self.mode = Mode::NewSection {
                    input: LineInput::default(),
                    after: choice,
                }
            }
            KeyCode::Esc | KeyCode::Char('q') => self.message = Some("not accepted".into()),
            _ => self.mode = Mode::Section { choice },
        }
        Ok(())
    }

    fn decide(&mut self, status: Status, section: Option<&str>) -> Result<(), StoreError> {
        let Some(candidate) = self.selected() else {
            return Ok(());
        };
        let id = candidate.id;
        let before = self.store.decide(&[id], status, section, None)?;
        let (done, what) = match section {
            Some(section) => (
                format!("#{id} {status} in {section}"),
                format!("{} of #{id} into {section}", decision(status)),
            ),
            None => (
                format!("#{id} {status}"),
                format!("{} of #{id}", decision(status)),
            ),
        };
        self.message = Some(format!("{done} (u undoes)"));
        self.undo.push(Undo { before, what });
        self.fresh = false;
        self.refresh_row(id)
    }

    /// Shows candidate `id` as stored now: in place while it still matches
    /// the status shown, else gone from the list.
    fn refresh_row(&mut self, id: CandidateId) -> Result<(), StoreError> {
        let Some(position) = self.rows.iter().position(|c| c.id == id) else {
            return Ok(());
        };
        match self.store.candidate(id)? {
            Some(mut candidate) if candidate.status == self.status => {
                candidate.score = self.rows[position].score;
                self.rows[position] = candidate;
            }
            _ => {
                self.rows.remove(position);
                self.total = self.total.saturating_sub(1);
                self.load_more()?;
                self.clamp();
            }
        }
        self.detail = None;
        Ok(())
    }

    fn undo(&mut self) -> Result<(), StoreError> {
        let Some(last) = self.undo.pop() else {
            self.message = Some("nothing to undo".into());
            return Ok(());
        };
        if let Err(err) = self.store.restore(&last.before) {
            self.message = Some(format!(
                "cannot undo {}: {}",
                last.what,
                crate::errors::with_causes(&err)
            ));
            return Ok(());
        }
        self.fresh = false;
        let id = last.before[0].id;
        self.reload()?;
        if let Some(position) = self.rows.iter().position(|c| c.id == id) {
            self.selected = position;
        }
        self.detail = None;
        self.message = Some(format!("undid {}", last.what));
        Ok(())
    }

    /// What was typed after `l`: a candidate id (`12` or `#12`) is filed
    /// at once; a URL is read by the terminal side first.
    fn link_under(&mut self, under: CandidateId, input: &str) -> Result<Effect, StoreError> {
        if let Ok(number) = input.trim_start_matches('#').parse::<i64>() {
            let Some(other) = self.store.candidate(CandidateId(number))? else {
                self.message = Some(format!("no candidate #{number}"));
                return Ok(Effect::None);
            };
            let Some(url) = other.url.clone() else {
                self.message = Some(format!("#{number} has no URL to link"));
                return Ok(Effect::None);
            };
            self.file_link(under, &other.title, &url)?;
            return Ok(Effect::None);
        }
        if input.starts_with("http://") || input.starts_with("https://") {
            return Ok(Effect::ReadLink {
                under,
                url: input.to_owned(),
            });
        }
        self.message = Some(format!(
            "\"{input}\" is neither a candidate id nor an http(s) URL"
        ));
        Ok(Effect::None)
    }

    /// Files the link (`title`, `url`) under candidate `under`; a candidate
    /// the link was is folded in and leaves the list.
    pub fn file_link(
        &mut self,
        under: CandidateId,
        title: &str,
        url: &str,
    ) -> Result<(), StoreError> {
        let filed = self.store.file_related(
            under,
            &NewRelated {
                title,
                url,
                contributor: None,
            },
        );
        self.message = Some(match filed {
            Ok(Filed::AlreadyThere) => format!("#{under} already has {url}"),
            Ok(Filed::Attached { folded: None }) => format!("linked under #{under}: {title}"),
            Ok(Filed::Attached {
                folded: Some((id, status)),
            }) => {
                self.fresh = false;
                self.refresh_row(id)?;
                format!("linked under #{under}: {title} (#{id}, {status}, folded in)")
            }
            Err(FileError::Store(err)) => return Err(err),
            Err(err) => format!("not linked: {}", crate::errors::with_causes(&err)),
        });
        self.refresh_row(under)
    }

    /// Saves the comment of candidate `id` (empty clears it); undoable.
    pub fn save_note(&mut self, id: CandidateId, note: &str) -> Result<(), StoreError> {
        let note = note.trim();
        let before = self
            .store
            .set_note(id, Some(note).filter(|n| !n.is_empty()))?;
        let what = format!("comment on #{id}");
        self.message = Some(format!("saved {what}"));
        self.undo.push(Undo {
            before: vec![before],
            what,
        });
        self.refresh_row(id)
    }
}

/// The decision that gives `status`, as a noun ("undid defer of #96").
fn decision(status: Status) -> &'static str {
    match status {
        Status::New => "reopening",
        Status::Accepted => "accept",
        Status::Deferred => "defer",
        Status::Rejected => "reject",
        Status::Drafted => "draft",
    }
}
