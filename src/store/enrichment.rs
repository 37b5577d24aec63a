//! What article pages said about candidates whose feed said little: the
//! page cache (`enrichment`) and the summaries and titles taken from it.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Result, Store, timestamp};
use crate::ids::{CandidateId, SourceId};

/// What fetching an article page found (or why it failed).
#[derive(Debug, Clone, PartialEq)]
pub struct Enrichment {
    pub url: String,
    pub http_status: Option<u16>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub error: Option<String>,
}

impl Enrichment {
    pub fn failed(url: String, http_status: Option<u16>, error: String) -> Enrichment {
        Enrichment {
            url,
            http_status,
            title: None,
            description: None,
            published: None,
            error: Some(error),
        }
    }
}

impl Store {
    /// Candidates (id, source, url) whose summary is missing or shorter than
    /// `thin` characters and whose page has not been fetched yet, newest first.
    pub fn candidates_to_enrich(
        &self,
        thin: usize,
    ) -> Result<Vec<(CandidateId, SourceId, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.source_id, c.url FROM candidates c
             WHERE c.url IS NOT NULL AND c.status IN ('new', 'deferred')
               AND (c.summary IS NULL OR length(c.summary) < ?1) AND c.session IS NULL
               AND NOT EXISTS (SELECT 1 FROM enrichment x WHERE x.url = c.url)
             ORDER BY c.created_at DESC, c.id DESC",
        )?;
        let rows = stmt.query_map([thin as i64], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Caches what a page said and gives candidate `id` the page's
    /// description when its own summary is missing or thin; returns whether
    /// it did.
    pub fn record_enrichment(
        &mut self,
        id: CandidateId,
        found: &Enrichment,
        thin: usize,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        tx.prepare_cached(
            "INSERT OR REPLACE INTO enrichment (url, fetched_at, http_status, title, description, published, error)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            found.url,
            timestamp(Utc::now()),
            found.http_status,
            found.title,
            found.description,
            found.published.map(timestamp),
            found.error
        ])?;
        let updated = tx
            .prepare_cached(
                "UPDATE candidates SET summary = ?2, scored_generation = 0
                 WHERE id = ?1 AND ?2 IS NOT NULL
                   AND (summary IS NULL OR (length(summary) < ?3 AND length(?2) > length(summary)))",
            )?
            .execute(params![id, found.description, thin as i64])?;
        // A candidate named after its URL (the feed gave no title) takes the page's.
        tx.prepare_cached(
            "UPDATE candidates SET title = ?2, scored_generation = 0 WHERE id = ?1 AND ?2 IS NOT NULL AND title = url",
        )?
        .execute(params![id, found.title])?;
        tx.commit()?;
        Ok(updated > 0)
    }
}
