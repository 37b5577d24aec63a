//! The editor's decisions: accept, reject or defer candidates, comment on
//! them, and undo. Each is its own transaction synced to disk
//! ([`Store::editor_transaction`]), and each starts a new ranking
//! generation, since the learned model changes with it.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::{Result, Status, Store, StoreError, timestamp};
use crate::ids::CandidateId;

/// What the editor set on a candidate (status, section, note and when),
/// kept to undo a change.
#[derive(Debug, Clone, PartialEq)]
pub struct EditorState {
    pub id: CandidateId,
    pub status: Status,
    pub section: Option<String>,
    pub note: Option<String>,
    pub decided_at: Option<String>,
}

fn editor_state(conn: &Connection, id: CandidateId) -> Result<Option<EditorState>> {
    Ok(conn
        .prepare_cached("SELECT status, section, note, decided_at FROM candidates WHERE id = ?1")?
        .query_row([id], |row| {
            Ok(EditorState {
                id,
                status: row.get(0)?,
                section: row.get(1)?,
                note: row.get(2)?,
                decided_at: row.get(3)?,
            })
        })
        .optional()?)
}

/// Puts candidate `id` after every other in the editor's order.
fn place_last(tx: &Transaction, id: CandidateId) -> Result<()> {
    tx.execute(
        "UPDATE candidates SET editor_order = (SELECT COALESCE(MAX(editor_order), 0) + 1 FROM candidates)
         WHERE id = ?1",
        [id],
    )?;
    Ok(())
}

pub(super) fn next_generation(tx: &Transaction) -> Result<()> {
    tx.execute("UPDATE ranking SET generation = generation + 1", [])?;
    Ok(())
}

impl Store {
    /// Sets `status` (and for accepts the section and note) on every id, in
    /// one transaction: an unknown id or a drafted candidate changes nothing.
    /// An accept without a section takes the suggested one (ranking's,
    /// else the source's).
    /// Returns what each candidate was before, for [`Store::restore`].
    pub fn decide(
        &mut self,
        ids: &[CandidateId],
        status: Status,
        section: Option<&str>,
        note: Option<&str>,
    ) -> Result<Vec<EditorState>> {
        let tx = self.editor_transaction()?;
        let now = timestamp(Utc::now());
        let mut before = Vec::with_capacity(ids.len());
        for &id in ids {
            let Some(state) = editor_state(&tx, id)? else {
                return Err(StoreError::NoCandidate(id));
            };
            if state.status == Status::Drafted {
                return Err(StoreError::AlreadyDrafted(id));
            }
            tx.execute(
                "UPDATE candidates SET status = ?2, note = COALESCE(?4, note), decided_at = ?5,
                        section = COALESCE(?3, CASE WHEN ?2 = 'accepted' AND status != 'accepted' THEN suggested_section END, section)
                 WHERE id = ?1",
                params![id, status, section, note, now],
            )?;
            // A newly accepted item (or one moved to another section) goes
            // after every other; a second accept keeps its place.
            let moved = section.is_some_and(|s| state.section.as_deref() != Some(s));
            if status == Status::Accepted && (state.status != Status::Accepted || moved) {
                place_last(&tx, id)?;
            }
            before.push(state);
        }
        // The learned model changed: stored scores are now of an older generation.
        next_generation(&tx)?;
        tx.commit()?;
        Ok(before)
    }

    /// Puts candidates back as they were before a decision (undo), in one
    /// transaction; a candidate drafted since changes nothing.
    pub fn restore(&mut self, before: &[EditorState]) -> Result<()> {
        let tx = self.editor_transaction()?;
        for state in before {
            let current = editor_state(&tx, state.id)?;
            if current.as_ref().is_none_or(|c| c.status == Status::Drafted) {
                return Err(StoreError::CannotUndo(state.id));
            }
            tx.execute(
                "UPDATE candidates SET status = ?2, section = ?3, note = ?4, decided_at = ?5 WHERE id = ?1",
                params![
                    state.id,
                    state.status,
                    state.section,
                    state.note,
                    state.decided_at
                ],
            )?;
        }
        next_generation(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Moves accepted candidate `id` one place up (`by` < 0) or down in the
    /// editor's order of its section; returns its place (1-based) and the
    /// section's accepted count after the move, or `None` when `id` is not
    /// an accepted candidate with a section.
    pub fn move_accepted(&mut self, id: CandidateId, by: isize) -> Result<Option<(usize, usize)>> {
        let tx = self.editor_transaction()?;
        let section: Option<String> = tx
            .query_row(
                "SELECT section FROM candidates WHERE id = ?1 AND status = 'accepted'",
                [id],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        let Some(section) = section else {
            return Ok(None);
        };
        let mut ids: Vec<CandidateId> = tx
            .prepare_cached(
                "SELECT id FROM candidates WHERE status = 'accepted' AND section = ?1
                 ORDER BY COALESCE(editor_order, 0), decided_at, id",
            )?
            .query_map([&section], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let at = ids.iter().position(|i| *i == id).expect("selected above");
        let to = at.saturating_add_signed(by).min(ids.len() - 1);
        let item = ids.remove(at);
        ids.insert(to, item);
        // The whole section renumbered after every other order, so the
        // order within it is explicit from here on.
        for id in &ids {
            place_last(&tx, *id)?;
        }
        tx.commit()?;
        Ok(Some((to + 1, ids.len())))
    }

    /// Sets (or with `None` clears) the editor's comment on a candidate;
    /// returns what it was before.
    pub fn set_note(&mut self, id: CandidateId, note: Option<&str>) -> Result<EditorState> {
        let tx = self.editor_transaction()?;
        let before = editor_state(&tx, id)?.ok_or(StoreError::NoCandidate(id))?;
        tx.execute(
            "UPDATE candidates SET note = ?2 WHERE id = ?1",
            params![id, note],
        )?;
        tx.commit()?;
        Ok(before)
    }
}
