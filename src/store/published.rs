//! What past issues published (read from the drafts directory by
//! [`crate::published`]): their links' URL keys and titles, so that an
//! entry already published is kept out of the queue.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, Transaction, params};

use super::{Result, Store};
use crate::dedup::{self, TitleKey};
use crate::published::PublishedLink;

impl Store {
    /// Replaces what is known of past issues with `links`.
    pub fn replace_published(&mut self, links: &[PublishedLink]) -> Result<()> {
        let tx = self.conn.transaction()?;
        replace(&tx, links)?;
        // The learned model is trained from past issues too.
        super::decisions::next_generation(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

fn replace(tx: &Transaction, links: &[PublishedLink]) -> Result<()> {
    tx.execute("DELETE FROM published_bands", [])?;
    tx.execute("DELETE FROM published", [])?;
    for link in links {
        let canonical = crate::normalize::canonical_url(&link.url, None);
        tx.prepare_cached(
            "INSERT INTO published (url_key, title, file, issue_date, item, section, comment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            canonical.as_ref().map(dedup::url_key),
            link.title,
            link.file,
            link.issue_date,
            link.item,
            link.section,
            link.comment
        ])?;
        let id = tx.last_insert_rowid();
        if let Some(title) = &link.title {
            insert_published_bands(tx, id, title)?;
        }
    }
    Ok(())
}

/// Past issues' titles sharing a band with an entry, most shared first:
/// the most recent owners of each band (a band that hundreds of titles
/// share, such as a template's "Debugging … in production", says little).
fn neighbours(tx: &Transaction, bands: &[u32]) -> Result<Vec<i64>> {
    let mut shared: HashMap<i64, usize> = HashMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT published_id FROM published_bands WHERE band = ?1 ORDER BY rowid DESC LIMIT 16",
    )?;
    for band in bands {
        for owner in stmt.query_map([band], |row| row.get::<_, i64>(0))? {
            *shared.entry(owner?).or_default() += 1;
        }
    }
    let mut ranked: Vec<(i64, usize)> = shared.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    Ok(ranked.into_iter().take(8).map(|(owner, _)| owner).collect())
}

/// The most similar title of a past issue sharing a band with `title`:
/// (id, similarity, file, issue date, title).
#[allow(clippy::type_complexity)]
pub(super) fn best_published_match(
    tx: &Transaction,
    title: &TitleKey,
    bands: &[u32],
) -> Result<Option<(i64, f64, String, Option<String>, String)>> {
    let mut lookup = tx.prepare_cached(
        "SELECT file, issue_date, title FROM published WHERE id = ?1 AND title IS NOT NULL",
    )?;
    let mut best: Option<(i64, f64, String, Option<String>, String)> = None;
    for id in neighbours(tx, bands)? {
        let Some((file, date, other)) = lookup
            .query_row([id], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .optional()?
        else {
            continue;
        };
        let similarity = title.similarity(&TitleKey::new(&other));
        if best.as_ref().is_none_or(|b| similarity > b.1) {
            best = Some((id, similarity, file, date, other));
        }
    }
    Ok(best)
}

/// The bands of a past issue's link title, for [`best_published_match`].
pub(super) fn insert_published_bands(tx: &Transaction, id: i64, title: &str) -> Result<()> {
    let mut insert =
        tx.prepare_cached("INSERT INTO published_bands (band, published_id) VALUES (?1, ?2)")?;
    for band in TitleKey::new(title).bands() {
        insert.execute(params![band, id])?;
    }
    Ok(())
}

/// A past issue's link with a given URL key.
pub(super) struct PublishedAt {
    pub(super) file: String,
    pub(super) issue_date: Option<String>,
    /// An item's own link, not a related one or one in the prose.
    pub(super) item: bool,
}

/// The past issue that published a link with URL key `key`: one where it
/// was an item's own link when there is one.
pub(super) fn issue_with_url_key(tx: &Transaction, key: &str) -> Result<Option<PublishedAt>> {
    Ok(tx
        .prepare_cached(
            "SELECT file, issue_date, item FROM published WHERE url_key = ?1 ORDER BY item DESC, id LIMIT 1",
        )?
        .query_row([key], |row| {
            Ok(PublishedAt {
                file: row.get(0)?,
                issue_date: row.get(1)?,
                item: row.get(2)?,
            })
        })
        .optional()?)
}
