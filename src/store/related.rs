//! Related links: a link filed under a candidate (a pull request under
//! its release, an earlier item under its follow-up), rendered as a bullet
//! under the item. Never a candidate of its own: one that was a candidate
//! is folded in (rejected with a note saying where it went, and left out
//! of what ranking learns, since no editor judged it).

use std::collections::HashMap;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use super::decisions::next_generation;
use super::{Result, Status, Store, StoreError, timestamp};
use crate::ids::CandidateId;

/// A link under an item, as templates and `review show --json` see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RelatedLink {
    pub title: String,
    pub url: String,
}

/// What filing a link did.
#[derive(Debug, Clone, PartialEq)]
pub enum Filed {
    /// Filed under the candidate; `folded` is the candidate the link was
    /// (with its status before), now folded in.
    Attached {
        folded: Option<(CandidateId, Status)>,
    },
    /// The candidate already has it.
    AlreadyThere,
}

/// A link to file, read from its page like any submission.
#[derive(Debug, Clone, Copy)]
pub struct NewRelated<'a> {
    pub title: &'a str,
    /// The canonical URL.
    pub url: &'a str,
    pub contributor: Option<&'a str>,
}

/// Why a link cannot be filed under a candidate.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(
        "the link is candidate #{0} itself\n  help: name the candidate to file it under (--related-to ID)"
    )]
    Itself(CandidateId),
    #[error(
        "candidate #{0} is already in a draft; the link was not folded in\n  help: edit the draft, or file the link under #{0} instead"
    )]
    FoldingDrafted(CandidateId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for FileError {
    fn from(err: rusqlite::Error) -> FileError {
        FileError::Store(err.into())
    }
}

impl Store {
    /// Files `link` under candidate `under`, in one transaction: a
    /// candidate the link already is (same URL key) is folded in.
    pub fn file_related(
        &mut self,
        under: CandidateId,
        link: &NewRelated,
    ) -> Result<Filed, FileError> {
        let tx = self.editor_transaction()?;
        let exists: bool = tx.query_row(
            "SELECT COUNT(*) = 1 FROM candidates WHERE id = ?1",
            [under],
            |row| row.get(0),
        )?;
        if !exists {
            return Err(StoreError::NoCandidate(under).into());
        }
        let already: bool = tx.query_row(
            "SELECT COUNT(*) > 0 FROM related_links WHERE candidate_id = ?1 AND url = ?2",
            params![under, link.url],
            |row| row.get(0),
        )?;
        if already {
            return Ok(Filed::AlreadyThere);
        }
        // The candidate the link is, found as ingest would find it.
        let was: Option<(CandidateId, Status)> = match super::ingest::url_key_of(Some(link.url)) {
            Some(key) => tx
                .query_row(
                    "SELECT c.id, c.status FROM entries e JOIN candidates c ON c.id = e.candidate_id
                     WHERE e.url_key = ?1 ORDER BY e.id LIMIT 1",
                    [key],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?,
            None => None,
        };
        let now = timestamp(Utc::now());
        let folded = match was {
            Some((id, _)) if id == under => return Err(FileError::Itself(id)),
            Some((id, Status::Drafted)) => return Err(FileError::FoldingDrafted(id)),
            // Out of every issue already, by the editor's own decision
            // (which ranking keeps learning from).
            Some((_, Status::Rejected)) => None,
            Some((id, status)) => {
                tx.execute(
                    "UPDATE candidates SET status = 'rejected', decided_at = ?3,
                            note = COALESCE(note || char(10), '') || ?2
                     WHERE id = ?1",
                    params![id, format!("folded under #{under} as a related link"), now],
                )?;
                // What was filed under it goes along.
                tx.execute(
                    "UPDATE OR IGNORE related_links SET candidate_id = ?2 WHERE candidate_id = ?1",
                    params![id, under],
                )?;
                next_generation(&tx)?;
                Some((id, status))
            }
            None => None,
        };
        tx.execute(
            "INSERT INTO related_links (candidate_id, url, title, contributor, folded_id, added_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                under,
                link.url,
                link.title,
                link.contributor,
                folded.map(|(id, _)| id),
                now
            ],
        )?;
        tx.commit()?;
        Ok(Filed::Attached { folded })
    }
}

/// Related links per candidate, in the order they were filed (one
/// candidate's, or every one's).
pub(super) fn related_links(
    conn: &Connection,
    only: Option<CandidateId>,
) -> Result<HashMap<CandidateId, Vec<RelatedLink>>> {
    let mut stmt = conn.prepare_cached(
        "SELECT candidate_id, title, url FROM related_links
         WHERE ?1 IS NULL OR candidate_id = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([only])?;
    let mut found: HashMap<CandidateId, Vec<RelatedLink>> = HashMap::new();
    while let Some(row) = rows.next()? {
        found.entry(row.get(0)?).or_default().push(RelatedLink {
            title: row.get(1)?,
            url: row.get(2)?,
        });
    }
    Ok(found)
}
