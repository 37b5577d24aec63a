//! Keys for rows stored before a migration introduced them, filled in by
//! [`super::Store::open`] as it migrates.

use rusqlite::{Transaction, params};

use super::Result;
use super::ingest::{day_of, store_sketch, url_key_of};
use super::published::insert_published_bands;
use crate::dedup::TitleKey;

/// Release keys and URL keys for candidates and entries stored before
/// deduplication existed.
pub(super) fn dedup_keys(tx: &Transaction) -> Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, title FROM candidates")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, title) in rows {
        tx.execute(
            "UPDATE candidates SET release_key = ?2 WHERE id = ?1",
            params![id, TitleKey::new(&title).release],
        )?;
    }
    let entries: Vec<(i64, Option<String>)> = tx
        .prepare("SELECT id, canonical_url FROM entries")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, canonical) in entries {
        tx.execute(
            "UPDATE entries SET url_key = ?2 WHERE id = ?1",
            params![id, url_key_of(canonical.as_deref())],
        )?;
    }
    Ok(())
}

/// Title sketches for candidates stored before they existed (their title
/// bands were rows of `title_bands`), and past issues' bands in the
/// current form.
pub(super) fn title_sketches(tx: &Transaction) -> Result<()> {
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT id, title, published FROM candidates")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, title, published) in rows {
        let key = TitleKey::new(&title);
        store_sketch(tx, id, day_of(&published), &key, &key.bands())?;
    }
    let published: Vec<(i64, String)> = tx
        .prepare("SELECT id, title FROM published WHERE title IS NOT NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    tx.execute("DELETE FROM published_bands", [])?;
    for (id, title) in published {
        insert_published_bands(tx, id, &title)?;
    }
    Ok(())
}
