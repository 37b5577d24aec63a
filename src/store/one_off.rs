//! Sections of one issue, made by the editor while accepting: stored here,
//! not in feeds.toml; the draft places them among the configured ones.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::{Result, Store, timestamp};

/// A section that exists only in the issues its items are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOffSection {
    /// `one-off-<slug of the title>` (or of its digest when the title has
    /// no ASCII letters): never a [[sections]] id.
    pub id: String,
    pub title: String,
    pub emoji: String,
    /// The section it follows; `None`: after the configured ones.
    pub after: Option<String>,
}

/// The prefix of every one-off section's id.
pub const ONE_OFF_PREFIX: &str = "one-off-";

/// The id of the one-off section titled `title`.
pub fn one_off_id(title: &str) -> String {
    let slug = crate::slug::slug(title, 40);
    if slug.chars().any(|c| c.is_ascii_lowercase()) {
        format!("{ONE_OFF_PREFIX}{slug}")
    } else {
        let digest = crate::digest::sha256_hex(title.as_bytes());
        format!("{ONE_OFF_PREFIX}{}", &digest[..8])
    }
}

impl Store {
    /// Makes (or, for a title used before, updates) the one-off section
    /// `title`; returns it.
    pub fn add_one_off_section(
        &mut self,
        title: &str,
        emoji: &str,
        after: Option<&str>,
    ) -> Result<OneOffSection> {
        let section = OneOffSection {
            id: one_off_id(title),
            title: title.to_owned(),
            emoji: emoji.to_owned(),
            after: after.map(str::to_owned),
        };
        let tx = self.editor_transaction()?;
        tx.execute(
            "INSERT INTO one_off_sections (id, title, emoji, after, created_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, emoji = excluded.emoji, after = excluded.after",
            params![section.id, section.title, section.emoji, section.after, timestamp(Utc::now())],
        )?;
        tx.commit()?;
        Ok(section)
    }

    /// Every one-off section, oldest first.
    pub fn one_off_sections(&self) -> Result<Vec<OneOffSection>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, title, emoji, after FROM one_off_sections ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], one_off_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The one-off sections of the coming issue: those without items in an
    /// issue before the latest drafted one.
    pub fn current_one_off_sections(&self) -> Result<Vec<OneOffSection>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.title, o.emoji, o.after FROM one_off_sections o
             WHERE NOT EXISTS (
                 SELECT 1 FROM candidates c JOIN issues i ON i.id = c.drafted_in
                 WHERE c.section = o.id AND i.issue_date < (SELECT MAX(issue_date) FROM issues))
             ORDER BY o.created_at, o.id",
        )?;
        let rows = stmt.query_map([], one_off_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The one-off section with this id or title.
    pub fn one_off_section(&self, id_or_title: &str) -> Result<Option<OneOffSection>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, title, emoji, after FROM one_off_sections WHERE id = ?1 OR title = ?1",
            )?
            .query_row([id_or_title], one_off_row)
            .optional()?)
    }
}

fn one_off_row(row: &rusqlite::Row) -> rusqlite::Result<OneOffSection> {
    Ok(OneOffSection {
        id: row.get(0)?,
        title: row.get(1)?,
        emoji: row.get(2)?,
        after: row.get(3)?,
    })
}
