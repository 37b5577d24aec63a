//! Entries into candidates: the deduplication layers, in order.
//!
//! 1. the same URL (canonical, then the looser [`dedup::url_key`]);
//! 2. the same release of the same project ([`dedup::release_key`]);
//! 3. a near-identical title (LSH bands, then exact similarity);
//! 4. already published in a past issue: kept as an entry, not queued.
//!
//! Each merge records its reason on the entry.

use rusqlite::{OptionalExtension, Transaction, params, params_from_iter};
use url::Url;

use super::{Added, Result, timestamp};
use crate::config::Source;
use crate::dedup::{self, TitleKey};
use crate::published::PublishedLink;
use crate::source::IncomingEntry;

/// Where an entry goes.
enum Placement {
    /// Joins candidate `id` for `reason`.
    Existing {
        id: i64,
        reason: String,
    },
    New(i64),
    /// Already published: no candidate.
    Published(String),
}

fn url_key_of(canonical: Option<&str>) -> Option<String> {
    canonical
        .and_then(|u| Url::parse(u).ok())
        .map(|u| dedup::url_key(&u))
}

fn band_query(table: &str, column: &str, bands: usize) -> String {
    let marks = vec!["?"; bands].join(", ");
    format!(
        "SELECT DISTINCT {column} FROM {table} WHERE band IN ({marks}) ORDER BY {column} DESC LIMIT 200"
    )
}

/// The most similar of the titles sharing an LSH band with `title`.
fn best_title_match(
    tx: &Transaction,
    title: &TitleKey,
    bands: &[i64],
    table: &str,
    column: &str,
    titles_of: &str,
    source_id: &str,
) -> Result<Option<(i64, f64)>> {
    let ids: Vec<i64> = tx
        .prepare_cached(&band_query(table, column, bands.len()))?
        .query_map(params_from_iter(bands), |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut lookup = tx.prepare_cached(titles_of)?;
    let mut best: Option<(i64, f64)> = None;
    for id in ids {
        let Some(other): Option<String> = lookup
            .query_row(params![id, source_id], |row| row.get(0))
            .optional()?
            .flatten()
        else {
            continue;
        };
        let similarity = title.similarity(&TitleKey::new(&other));
        if best.is_none_or(|(_, b)| similarity > b) {
            best = Some((id, similarity));
        }
    }
    Ok(best)
}

fn place(
    tx: &Transaction,
    source: &Source,
    entry: &IncomingEntry,
    published: Option<&str>,
    now: &str,
    threshold: f64,
    added: &mut Added,
) -> Result<Placement> {
    let url_key = url_key_of(entry.canonical_url.as_deref());
    if let Some(key) = &url_key
        && let Some(id) = tx
            .prepare_cached("SELECT candidate_id FROM entries WHERE url_key = ?1 AND candidate_id IS NOT NULL ORDER BY id LIMIT 1")?
            .query_row([key], |row| row.get::<_, i64>(0))
            .optional()?
    {
        return Ok(Placement::Existing {
            id,
            reason: format!("same URL as #{id}"),
        });
    }
    // Titles and releases join stories across sources only: two entries of
    // one source with different keys are two items by the source's own
    // account (sessions in two rooms, two posts about one release).
    let title = TitleKey::new(&entry.title);
    if let Some(release) = &title.release
        && let Some(id) = tx
            .prepare_cached(
                "SELECT id FROM candidates c WHERE release_key = ?1
                   AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.candidate_id = c.id AND e.source_id = ?2)
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![release, source.id.0], |row| row.get::<_, i64>(0))
            .optional()?
    {
        return Ok(Placement::Existing {
            id,
            reason: format!("same release ({release}) as #{id}"),
        });
    }
    let bands = title.bands();
    if let Some((id, similarity)) = best_title_match(
        tx,
        &title,
        &bands,
        "title_bands",
        "candidate_id",
        "SELECT c.title FROM candidates c WHERE c.id = ?1
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.candidate_id = c.id AND e.source_id = ?2)",
        &source.id.0,
    )? && similarity >= threshold
    {
        return Ok(Placement::Existing {
            id,
            reason: format!("same title as #{id} (similarity {similarity:.2})"),
        });
    }
    let issue = |file: String, date: Option<String>| match date {
        Some(date) => format!("published in {file} ({date})"),
        None => format!("published in {file}"),
    };
    if let Some(key) = &url_key
        && let Some((file, date)) = tx
            .prepare_cached("SELECT file, issue_date FROM published WHERE url_key = ?1 LIMIT 1")?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
    {
        return Ok(Placement::Published(issue(file, date)));
    }
    if let Some((id, similarity)) = best_title_match(
        tx,
        &title,
        &bands,
        "published_bands",
        "published_id",
        "SELECT title FROM published WHERE id = ?1 AND ?2 IS NOT NULL",
        &source.id.0,
    )? && similarity >= threshold
    {
        let (file, date, other): (String, Option<String>, String) = tx.query_row(
            "SELECT file, issue_date, title FROM published WHERE id = ?1",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )?;
        return Ok(Placement::Published(format!(
            "{}: same title as “{other}”",
            issue(file, date)
        )));
    }
    tx.prepare_cached(
        "INSERT INTO candidates (source_id, canonical_url, url, title, summary, published, section, created_at,
                                 release_key, priority)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        source.id.0,
        entry.canonical_url,
        // The link the newsletter shows: without tracking parameters.
        entry.canonical_url.as_ref().or(entry.url.as_ref()),
        entry.title,
        entry.summary,
        published.unwrap_or(now),
        source.section,
        now,
        title.release,
        source.priority
    ])?;
    let id = tx.last_insert_rowid();
    insert_bands(
        tx,
        "INSERT INTO title_bands (band, candidate_id) VALUES (?1, ?2)",
        &bands,
        id,
    )?;
    added.candidates += 1;
    Ok(Placement::New(id))
}

fn insert_bands(tx: &Transaction, sql: &str, bands: &[i64], owner: i64) -> Result<()> {
    let mut insert = tx.prepare_cached(sql)?;
    for band in bands {
        insert.execute(params![band, owner])?;
    }
    Ok(())
}

/// A merged entry may bring a better title and summary: the candidate,
/// while still undecided, shows those of its highest-priority source, and
/// fills a missing summary from any.
fn merge_into(tx: &Transaction, id: i64, source: &Source, entry: &IncomingEntry) -> Result<()> {
    tx.prepare_cached(
        "UPDATE candidates SET title = ?3, url = COALESCE(?4, url), summary = COALESCE(?5, summary),
                source_id = ?6, priority = ?2
         WHERE id = ?1 AND status = 'new' AND priority < ?2",
    )?
    .execute(params![id, source.priority, entry.title, entry.canonical_url.as_ref().or(entry.url.as_ref()), entry.summary, source.id.0])?;
    tx.prepare_cached(
        "UPDATE candidates SET summary = ?2 WHERE id = ?1 AND summary IS NULL AND ?2 IS NOT NULL",
    )?
    .execute(params![id, entry.summary])?;
    Ok(())
}

/// Inserts the entries a source has not shown before and places each (see
/// the module docs). Entries already known are refreshed; one a rule or a
/// past issue kept out stays an entry without a candidate until that
/// changes.
pub(super) fn insert_entries(
    tx: &Transaction,
    source: &Source,
    entries: &[IncomingEntry],
    now: &str,
    threshold: f64,
) -> Result<Added> {
    let mut added = Added::default();
    for entry in entries {
        let published = entry.published.map(timestamp);
        let updated = entry.updated.map(timestamp);
        let known = tx
            .prepare_cached(
                "SELECT id, candidate_id FROM entries WHERE source_id = ?1 AND entry_key = ?2",
            )?
            .query_row(params![source.id.0, entry.key], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Option<i64>>(1)?))
            })
            .optional()?;
        if let Some((entry_id, candidate)) = known {
            tx.prepare_cached(
                "UPDATE entries SET title = ?2, summary = ?3, updated = ?4, published = ?5, filtered_reason = ?6
                 WHERE id = ?1 AND (title IS NOT ?2 OR summary IS NOT ?3 OR updated IS NOT ?4 OR published IS NOT ?5
                                    OR filtered_reason IS NOT ?6)",
            )?
            .execute(params![entry_id, entry.title, entry.summary, updated, published, entry.filtered])?;
            match candidate {
                // A candidate still waiting for a decision follows its own
                // source's changes (a moved session, an edited release).
                Some(candidate) => {
                    tx.prepare_cached(
                        "UPDATE candidates SET title = ?3, summary = COALESCE(?4, summary), published = COALESCE(?5, published)
                         WHERE id = ?1 AND source_id = ?2 AND status = 'new'
                           AND (title IS NOT ?3 OR summary IS NOT COALESCE(?4, summary) OR published IS NOT COALESCE(?5, published))",
                    )?
                    .execute(params![candidate, source.id.0, entry.title, entry.summary, published])?;
                }
                None if entry.filtered.is_none() => {
                    let (candidate, reason, kept_out) = match place(
                        tx,
                        source,
                        entry,
                        published.as_deref(),
                        now,
                        threshold,
                        &mut added,
                    )? {
                        Placement::Existing { id, reason } => {
                            merge_into(tx, id, source, entry)?;
                            (Some(id), Some(reason), None)
                        }
                        Placement::New(id) => (Some(id), None, None),
                        Placement::Published(reason) => (None, None, Some(reason)),
                    };
                    tx.prepare_cached(
                        "UPDATE entries SET candidate_id = ?2, dedup_reason = ?3, filtered_reason = ?4, url_key = ?5 WHERE id = ?1",
                    )?
                    .execute(params![entry_id, candidate, reason, kept_out, url_key_of(entry.canonical_url.as_deref())])?;
                }
                None => {}
            }
            continue;
        }
        let (candidate, reason, filtered) = match &entry.filtered {
            Some(rule) => (None, None, Some(rule.clone())),
            None => match place(
                tx,
                source,
                entry,
                published.as_deref(),
                now,
                threshold,
                &mut added,
            )? {
                Placement::Existing { id, reason } => {
                    merge_into(tx, id, source, entry)?;
                    (Some(id), Some(reason), None)
                }
                Placement::New(id) => (Some(id), None, None),
                Placement::Published(reason) => (None, None, Some(reason)),
            },
        };
        tx.prepare_cached(
            "INSERT INTO entries (source_id, entry_key, url, canonical_url, title, summary, published, updated,
                                  first_seen_at, candidate_id, filtered_reason, dedup_reason, url_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?
        .execute(params![
            source.id.0,
            entry.key,
            entry.url,
            entry.canonical_url,
            entry.title,
            entry.summary,
            published,
            updated,
            now,
            candidate,
            filtered,
            reason,
            url_key_of(entry.canonical_url.as_deref())
        ])?;
        added.entries += 1;
    }
    Ok(added)
}

/// Keys and bands for candidates stored before deduplication existed.
pub(super) fn backfill_dedup_keys(tx: &Transaction) -> Result<()> {
    let rows: Vec<(i64, String)> = tx
        .prepare("SELECT id, title FROM candidates")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, title) in rows {
        let key = TitleKey::new(&title);
        tx.execute(
            "UPDATE candidates SET release_key = ?2 WHERE id = ?1",
            params![id, key.release],
        )?;
        insert_bands(
            tx,
            "INSERT INTO title_bands (band, candidate_id) VALUES (?1, ?2)",
            &key.bands(),
            id,
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

pub(super) fn replace_published(tx: &Transaction, links: &[PublishedLink]) -> Result<()> {
    tx.execute("DELETE FROM published_bands", [])?;
    tx.execute("DELETE FROM published", [])?;
    for link in links {
        let canonical = crate::normalize::canonical_url(&link.url, None);
        tx.prepare_cached(
            "INSERT INTO published (url_key, title, file, issue_date) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![
            canonical.as_ref().map(dedup::url_key),
            link.title,
            link.file,
            link.issue_date
        ])?;
        let id = tx.last_insert_rowid();
        if let Some(title) = &link.title {
            insert_bands(
                tx,
                "INSERT INTO published_bands (band, published_id) VALUES (?1, ?2)",
                &TitleKey::new(title).bands(),
                id,
            )?;
        }
    }
    Ok(())
}
