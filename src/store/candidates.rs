//! Candidates read back: one, a page of the queue (see [`super::queue`]),
//! where each was seen, and how many there are of each status.

use std::collections::HashMap;

use rusqlite::Connection;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::Serialize;

use super::{Result, Store};
use crate::candidate::{RankInput, Status, rounded_score};
use crate::ids::{CandidateId, SourceId};
use crate::source::Session;

/// A candidate as `review list --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateView {
    pub id: CandidateId,
    pub title: String,
    pub url: Option<String>,
    pub source: SourceId,
    pub section: Option<String>,
    pub status: Status,
    pub seen_in: Vec<SourceId>,
    pub published: String,
    pub summary: Option<String>,
    /// When and where, for a session of a conference schedule.
    pub session: Option<Session>,
    pub note: Option<String>,
    pub decided_at: Option<String>,
    pub created_at: String,
    /// The stored ranking score (higher first), to two decimals.
    pub score: f64,
    /// Who added it by hand (`newsdesk add`), first first.
    pub submitted_by: Vec<String>,
    /// Links filed under it, first first.
    pub related: Vec<super::RelatedLink>,
    /// The date its feed gave it, when that lay more than a day after the
    /// fetch: `published` is then when it was fetched.
    pub dated_ahead: Option<String>,
    /// How a past issue mentioned it without carrying its link as an item
    /// ("mentioned in the 2022-08-05 issue: same title as “…”").
    pub mention: Option<String>,
    /// The section ranking suggests, from where the editor put similar
    /// items (else its source's section).
    pub suggested_section: Option<String>,
    /// The categories, tags or track its source gave it, for ranking (a
    /// session shows its track in `session`).
    #[serde(skip)]
    pub categories: Vec<String>,
}

impl CandidateView {
    /// What ranking reads of it.
    pub fn rank_input(&self) -> RankInput<'_> {
        RankInput {
            title: &self.title,
            summary: self.summary.as_deref(),
            source: &self.source,
            seen_in: self.seen_in.len(),
            published: &self.published,
            url: self.url.as_deref(),
            mention: self.mention.as_deref(),
            categories: &self.categories,
        }
    }
}

/// The categories kept as a JSON array in `entries.categories` and
/// `candidates.categories` (none for NULL; never anything else, as
/// newsdesk writes them).
pub(super) fn categories_of(json: Option<String>) -> Vec<String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

/// Stored as JSON in `candidates.session`.
impl ToSql for Session {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        let json = serde_json::to_string(self)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(json.into())
    }
}

impl FromSql for Session {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        serde_json::from_str(value.as_str()?).map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// One place a candidate was seen.
#[derive(Debug, Clone, Serialize)]
pub struct Sighting {
    pub source: SourceId,
    pub url: Option<String>,
    pub title: String,
    pub first_seen_at: String,
    /// Why this entry joined the candidate ("same URL as seen in k8s", …); `None`
    /// for the entry that created it.
    pub reason: Option<String>,
    /// The date this source gives the story, when it could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_date: Option<String>,
}

/// An entry stored but kept out of the queue: by a rule, by age, or
/// because a past issue carried it (`review list --status kept-out`).
#[derive(Debug, Clone, Serialize)]
pub struct KeptOut {
    /// The entry's row (entries have no candidate id).
    pub entry: i64,
    pub title: String,
    pub url: Option<String>,
    pub source: SourceId,
    pub published: Option<String>,
    pub first_seen_at: String,
    /// Why ("older than 30d when first seen (published 2019-08-01)").
    pub kept_out: String,
}

impl Store {
    /// Entries kept out of the queue, the most recently seen first, at
    /// most `limit`.
    pub fn kept_out(&self, limit: Option<usize>) -> Result<Vec<KeptOut>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, title, url, source_id, published, first_seen_at, filtered_reason FROM entries
             WHERE candidate_id IS NULL AND filtered_reason IS NOT NULL
             ORDER BY first_seen_at DESC, id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit.map_or(-1, |l| l as i64)], |row| {
            Ok(KeptOut {
                entry: row.get(0)?,
                title: row.get(1)?,
                url: row.get(2)?,
                source: row.get(3)?,
                published: row.get(4)?,
                first_seen_at: row.get(5)?,
                kept_out: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many entries are kept out of the queue.
    pub fn kept_out_len(&self) -> Result<usize> {
        let count: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM entries WHERE candidate_id IS NULL AND filtered_reason IS NOT NULL",
            [],
            |row| row.get(0),
        )?;
        Ok(count as usize)
    }

    /// One candidate, `None` when there is no such id.
    pub fn candidate(&self, id: CandidateId) -> Result<Option<CandidateView>> {
        Ok(select_candidates(&self.conn, "WHERE c.id = ?1", [id])?
            .into_iter()
            .next())
    }

    /// Every place a candidate was seen, first first.
    pub fn sightings(&self, id: CandidateId) -> Result<Vec<Sighting>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT source_id, url, title, first_seen_at, dedup_reason, unread_date FROM entries
             WHERE candidate_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |row| {
            Ok(Sighting {
                source: row.get(0)?,
                url: row.get(1)?,
                title: row.get(2)?,
                first_seen_at: row.get(3)?,
                reason: row.get(4)?,
                unread_date: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Candidates per status, for the daemon's status line and metrics.
    pub fn queue_counts(&self) -> Result<Vec<(Status, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT status, COUNT(*) FROM candidates GROUP BY status ORDER BY status",
        )?;
        let rows = stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// Candidates matching `tail` (WHERE, ORDER BY, LIMIT of `c`), with their
/// `seen_in` and stored score.
pub(super) fn select_candidates(
    conn: &Connection,
    tail: &str,
    values: impl rusqlite::Params,
) -> Result<Vec<CandidateView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT c.id, c.title, c.url, c.source_id, c.section, c.status, c.published, c.summary,
                c.note, c.decided_at, c.created_at, c.score, c.session, c.dated_ahead, c.mention,
                c.suggested_section, c.categories
         FROM candidates c
         {tail}"
    ))?;
    let rows = stmt.query_map(values, |row| {
        Ok(CandidateView {
            id: row.get(0)?,
            title: row.get(1)?,
            url: row.get(2)?,
            source: row.get(3)?,
            section: row.get(4)?,
            status: row.get(5)?,
            published: row.get(6)?,
            summary: row.get(7)?,
            note: row.get(8)?,
            decided_at: row.get(9)?,
            created_at: row.get(10)?,
            seen_in: Vec::new(),
            score: rounded_score(row.get(11)?),
            session: row.get(12)?,
            submitted_by: Vec::new(),
            related: Vec::new(),
            dated_ahead: row.get(13)?,
            mention: row.get(14)?,
            suggested_section: row.get(15)?,
            categories: categories_of(row.get(16)?),
        })
    })?;
    let mut candidates: Vec<CandidateView> = rows.collect::<Result<_, _>>()?;
    fill_seen_in(conn, &mut candidates)?;
    let only = match candidates.as_slice() {
        [one] => Some(one.id),
        _ => None,
    };
    let mut contributors = super::submissions::contributors(conn, only)?;
    let mut related = super::related::related_links(conn, only)?;
    for candidate in &mut candidates {
        candidate.submitted_by = contributors.remove(&candidate.id).unwrap_or_default();
        candidate.related = related.remove(&candidate.id).unwrap_or_default();
    }
    Ok(candidates)
}

/// Up to this many candidates, `seen_in` is looked up candidate by
/// candidate; more are filled by one pass over the index of entries.
pub(super) const SEEN_IN_ONE_BY_ONE: usize = 500;

/// Every source that carried each candidate, first first: one lookup per
/// candidate for a few, one pass over the entries for many.
fn fill_seen_in(conn: &Connection, candidates: &mut [CandidateView]) -> Result<()> {
    let add = |seen: &mut Vec<SourceId>, source: SourceId| {
        if !seen.contains(&source) {
            seen.push(source);
        }
    };
    if candidates.len() <= SEEN_IN_ONE_BY_ONE {
        let mut stmt = conn
            .prepare_cached("SELECT source_id FROM entries WHERE candidate_id = ?1 ORDER BY id")?;
        for candidate in candidates.iter_mut() {
            for source in stmt.query_map([candidate.id], |row| row.get::<_, SourceId>(0))? {
                add(&mut candidate.seen_in, source?);
            }
        }
        return Ok(());
    }
    let index: HashMap<CandidateId, usize> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT candidate_id, source_id FROM entries INDEXED BY entries_by_candidate_seen
         WHERE candidate_id IS NOT NULL ORDER BY candidate_id, id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        if let Some(&i) = index.get(&row.get::<_, CandidateId>(0)?) {
            add(&mut candidates[i].seen_in, row.get(1)?);
        }
    }
    Ok(())
}
