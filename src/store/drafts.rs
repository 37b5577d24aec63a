//! What goes into a draft, and the record of what went in: the issue's
//! row and its candidates marked drafted, in one transaction.

use chrono::Utc;
use rusqlite::params;

use super::{Result, Store, timestamp};
use crate::ids::{CandidateId, SourceId};

/// A candidate as `newsdesk draft` renders it.
#[derive(Debug, Clone)]
pub struct DraftCandidate {
    pub id: CandidateId,
    pub title: String,
    pub url: Option<String>,
    pub summary: Option<String>,
    pub note: Option<String>,
    pub section: Option<String>,
    pub source: SourceId,
    pub published: String,
    /// Already drafted in this issue (else accepted and new to it).
    pub drafted: bool,
    /// Who brought it by hand, first first, each once.
    pub contributors: Vec<String>,
    /// Links filed under it, first first.
    pub related: Vec<super::RelatedLink>,
}

/// One drafted issue.
#[derive(Debug, Clone)]
pub struct IssueRecord {
    /// YYYY-MM-DD.
    pub issue_date: String,
    pub number: u32,
    pub path: String,
}

impl Store {
    /// Candidates that go into the draft of `issue_date`: every accepted
    /// one, and those already drafted in that issue; in the editor's order
    /// (as accepted, or as moved since).
    pub fn draft_candidates(&self, issue_date: &str) -> Result<Vec<DraftCandidate>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.title, c.url, c.summary, c.note, c.section, c.source_id, c.published,
                    c.status = 'drafted'
             FROM candidates c LEFT JOIN issues i ON i.id = c.drafted_in
             WHERE c.status = 'accepted' OR (c.status = 'drafted' AND i.issue_date = ?1)
             ORDER BY COALESCE(c.editor_order, 0), c.decided_at, c.id",
        )?;
        let rows = stmt.query_map([issue_date], |row| {
            Ok(DraftCandidate {
                id: row.get(0)?,
                title: row.get(1)?,
                url: row.get(2)?,
                summary: row.get(3)?,
                note: row.get(4)?,
                section: row.get(5)?,
                source: row.get(6)?,
                published: row.get(7)?,
                drafted: row.get(8)?,
                contributors: Vec::new(),
                related: Vec::new(),
            })
        })?;
        let mut candidates: Vec<DraftCandidate> = rows.collect::<Result<_, _>>()?;
        let mut contributors = super::submissions::contributors(&self.conn, None)?;
        let mut related = super::related::related_links(&self.conn, None)?;
        for candidate in &mut candidates {
            candidate.contributors = contributors.remove(&candidate.id).unwrap_or_default();
            candidate.related = related.remove(&candidate.id).unwrap_or_default();
        }
        Ok(candidates)
    }

    /// Records that the draft of `issue` was written with `ids` in it, in
    /// one transaction: the issue's row and every accepted candidate of
    /// `ids` marked drafted in it. Returns how many were newly marked.
    pub fn record_draft(&mut self, issue: &IssueRecord, ids: &[CandidateId]) -> Result<usize> {
        let tx = self.editor_transaction()?;
        let issue_id: i64 = tx.query_row(
            "INSERT INTO issues (issue_date, number, path, generated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (issue_date) DO UPDATE SET
               number = excluded.number, path = excluded.path, generated_at = excluded.generated_at
             RETURNING id",
            params![
                issue.issue_date,
                issue.number,
                issue.path,
                timestamp(Utc::now())
            ],
            |row| row.get(0),
        )?;
        let mut marked = 0;
        {
            let mut mark = tx.prepare_cached(
                "UPDATE candidates SET status = 'drafted', drafted_in = ?2
                 WHERE id = ?1 AND status = 'accepted'",
            )?;
            for id in ids {
                marked += mark.execute(params![id, issue_id])?;
            }
        }
        tx.commit()?;
        Ok(marked)
    }
}
