//! Entries into candidates: the deduplication layers, in order.
//!
//! 1. the same URL (canonical, then the looser [`dedup::url_key`]);
//! 2. the same release of the same project ([`dedup::release_key`]);
//! 3. a near-identical title (LSH bands, then exact similarity);
//! 4. already published in a past issue: kept as an entry, not queued.
//!
//! Each merge records its reason on the entry. The rooms: [`placement`]
//! (the layers), [`title_index`] (recent titles in memory) with its
//! [`band_table`], and [`sketch`] (a title's stored form).

mod age;
mod band_table;
mod placement;
mod sketch;
mod title_index;

use rusqlite::{OptionalExtension, Transaction, params};
use url::Url;

use super::{Added, Result, timestamp};
use crate::candidate::Scoring;
use crate::config::Source;
use crate::dedup::{self, TitleKey};
use crate::ids::CandidateId;
use crate::source::IncomingEntry;
use age::{Dating, date_entry};
use placement::{Placement, PlacementContext, place};
pub(super) use sketch::store_sketch;
use title_index::TitleIndex;

/// The keys deduplication looks an entry up by, besides its row: its URL
/// key, its prepared title and the title's bands. Made where the entry is
/// parsed, off the writer thread ([`DedupKeys::of`]).
#[derive(Debug)]
pub struct DedupKeys {
    url_key: Option<String>,
    title: TitleKey,
    bands: Vec<u32>,
}

impl DedupKeys {
    pub fn of(entry: &IncomingEntry) -> DedupKeys {
        let mut title = TitleKey::new(&entry.title);
        let bands = title.bands();
        // Kept until the writer takes it: the shingles are taken again by
        // the one comparison in thirty that needs them.
        title.compact();
        DedupKeys {
            url_key: url_key_of(entry.canonical_url.as_deref()),
            title,
            bands,
        }
    }
}

/// How `entries.categories` and `candidates.categories` keep a source's
/// categories: a JSON array, NULL for none.
pub(super) fn categories_json(categories: &[String]) -> Option<String> {
    (!categories.is_empty()).then(|| serde_json::to_string(categories).expect("strings serialise"))
}

pub(super) fn url_key_of(canonical: Option<&str>) -> Option<String> {
    canonical
        .and_then(|u| Url::parse(u).ok())
        .map(|u| dedup::url_key(&u))
}

/// A stored RFC 3339 time (the epoch for one that is not: it was written
/// by this program, so never).
fn parse_time(time: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| t.to_utc())
        .unwrap_or_default()
}

/// Days since 1970 of an RFC 3339 time.
pub(super) fn day_of(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| t.timestamp().div_euclid(86_400))
        .unwrap_or_default()
}

/// What the writer keeps between polls: the title index of candidates,
/// read from `title_sketches` once and kept up to date, with what other
/// processes stored read at the start of each batch.
#[derive(Default)]
pub(super) struct IngestCache {
    titles: Option<TitleIndex>,
    /// Candidates created or changed in the current batch, to be scored.
    pub(super) touched: Vec<CandidateId>,
    /// Whether past issues hold any link, read once per batch: without
    /// any, an entry costs no look-ups in them.
    pub(super) any_published: Option<bool>,
    /// Whether the title index has read what other processes stored
    /// before this batch.
    pub(super) titles_caught_up: bool,
}

/// The index is read again from the database after this long: the daemon
/// prunes the sketches of old candidates (hourly, those published before
/// the fetch log's horizon), and the index then lets go of them. (A bound on its size would not help: every sketch in
/// the database is needed, and reading them again would bring them all
/// back.)
const TITLES_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl IngestCache {
    fn titles(&mut self, tx: &Transaction) -> Result<&mut TitleIndex> {
        let stale = self
            .titles
            .as_ref()
            .is_some_and(|index| index.loaded_at.elapsed() > TITLES_FRESH_FOR);
        if stale || self.titles.is_none() {
            self.titles = None;
            self.titles = Some(TitleIndex::load(tx)?);
            self.titles_caught_up = true;
        }
        let index = self.titles.as_mut().expect("just loaded");
        if !self.titles_caught_up {
            index.catch_up(tx)?;
            self.titles_caught_up = true;
        }
        Ok(index)
    }

    fn any_published(&mut self, tx: &Transaction) -> Result<bool> {
        if self.any_published.is_none() {
            self.any_published = Some(
                tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM published)")?
                    .query_row([], |row| row.get(0))?,
            );
        }
        Ok(self.any_published == Some(true))
    }
}

/// A merged entry may bring a better title and summary: the candidate,
/// while still undecided, shows those of its highest-priority source, and
/// fills a missing summary from any.
fn merge_into(
    tx: &Transaction,
    id: CandidateId,
    source: &Source,
    entry: &IncomingEntry,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE candidates SET title = ?3, url = COALESCE(?4, url), summary = COALESCE(?5, summary),
                source_id = ?6, priority = ?2, session = COALESCE(?7, session),
                categories = COALESCE(?8, categories)
         WHERE id = ?1 AND status = 'new' AND priority < ?2",
    )?
    .execute(params![id, source.priority, entry.title, entry.canonical_url.as_ref().or(entry.url.as_ref()), entry.summary, source.id, entry.session,
                     categories_json(&entry.categories)])?;
    tx.prepare_cached(
        "UPDATE candidates SET summary = ?2 WHERE id = ?1 AND summary IS NULL AND ?2 IS NOT NULL",
    )?
    .execute(params![id, entry.summary])?;
    Ok(())
}

/// Places `entry`, merging it into an existing candidate when it joins
/// one: (candidate, why it joined, why it was kept out).
fn place_and_merge(
    context: &PlacementContext,
    entry: &IncomingEntry,
    keys: &DedupKeys,
    dating: &Dating,
    added: &mut Added,
    cache: &mut IngestCache,
) -> Result<(Option<CandidateId>, Option<String>, Option<String>)> {
    Ok(match place(context, entry, keys, dating, added, cache)? {
        Placement::Existing { id, reason } => {
            merge_into(context.tx, id, context.source, entry)?;
            cache.touched.push(id);
            (Some(id), Some(reason), None)
        }
        // Scored as it was stored, or (without a scoring) stored with
        // generation 0: stale until a reader scores it.
        Placement::New(id) => (Some(id), None, None),
        Placement::Published(reason) => (None, None, Some(reason)),
    })
}

/// Inserts the entries a source has not shown before and places each (see
/// the module docs). Entries already known are refreshed; one a rule or a
/// past issue kept out stays an entry without a candidate until that
/// changes.
#[allow(clippy::too_many_arguments)]
pub(super) fn insert_entries(
    tx: &Transaction,
    source: &Source,
    entries: &[IncomingEntry],
    prepared: Option<&[DedupKeys]>,
    now: &str,
    threshold: f64,
    keep_out_published: bool,
    scoring: Option<Scoring>,
    cache: &mut IngestCache,
) -> Result<Added> {
    let mut added = Added::default();
    let context = PlacementContext {
        tx,
        source,
        now,
        threshold,
        keep_out_published,
        scoring,
    };
    let prepared = prepared.filter(|p| p.len() == entries.len());
    for (at, entry) in entries.iter().enumerate() {
        let keys_here;
        let keys = match prepared {
            Some(all) => &all[at],
            None => {
                keys_here = DedupKeys::of(entry);
                &keys_here
            }
        };
        let entry_published = entry.published.map(timestamp);
        let updated = entry.updated.map(timestamp);
        let known = tx
            .prepare_cached(
                "SELECT id, candidate_id, first_seen_at FROM entries WHERE source_id = ?1 AND entry_key = ?2",
            )?
            .query_row(params![source.id, entry.key], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, Option<CandidateId>>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        let first_seen = known.as_ref().map_or(now, |k| k.2.as_str());
        let dating = date_entry(entry, parse_time(first_seen), source.max_age);
        // A queued story stays queued: age keeps out only what has no
        // candidate (a later, shorter max_age does not take stories back).
        let kept_out = match known {
            Some((_, Some(_), _)) => entry.filtered.clone(),
            _ => entry.filtered.clone().or_else(|| dating.too_old.clone()),
        };
        let categories = categories_json(&entry.categories);
        if let Some((entry_id, candidate, _)) = &known {
            tx.prepare_cached(
                "UPDATE entries SET title = ?2, summary = ?3, updated = ?4, published = ?5, filtered_reason = ?6,
                                    unread_date = ?7, categories = ?8
                 WHERE id = ?1 AND (title IS NOT ?2 OR summary IS NOT ?3 OR updated IS NOT ?4 OR published IS NOT ?5
                                    OR filtered_reason IS NOT ?6 OR unread_date IS NOT ?7 OR categories IS NOT ?8)",
            )?
            .execute(params![entry_id, entry.title, entry.summary, updated, entry_published, kept_out,
                             entry.unread_date, categories])?;
            // A candidate still waiting for a decision follows its own
            // source's changes (a moved session, an edited release).
            if let Some(candidate) = candidate {
                let changed = tx.prepare_cached(
                    "UPDATE candidates SET title = ?3, summary = COALESCE(?4, summary), published = COALESCE(?5, published),
                                           session = COALESCE(?6, session), dated_ahead = ?7,
                                           categories = COALESCE(?8, categories)
                     WHERE id = ?1 AND source_id = ?2 AND status = 'new'
                       AND (title IS NOT ?3 OR summary IS NOT COALESCE(?4, summary) OR published IS NOT COALESCE(?5, published)
                            OR session IS NOT COALESCE(?6, session) OR dated_ahead IS NOT ?7
                            OR categories IS NOT COALESCE(?8, categories))",
                )?
                .execute(params![candidate, source.id, entry.title, entry.summary, dating.published, entry.session, dating.dated_ahead,
                                 categories])?;
                if changed > 0 {
                    cache.touched.push(*candidate);
                }
                continue;
            }
            if kept_out.is_some() {
                continue;
            }
        }
        let (candidate, reason, filtered) = match &kept_out {
            Some(rule) => (None, None, Some(rule.clone())),
            None => place_and_merge(&context, entry, keys, &dating, &mut added, cache)?,
        };
        // A known entry kept out until now: placed like a new one.
        if let Some((entry_id, _, _)) = known {
            tx.prepare_cached(
                "UPDATE entries SET candidate_id = ?2, dedup_reason = ?3, filtered_reason = ?4, url_key = ?5 WHERE id = ?1",
            )?
            .execute(params![entry_id, candidate, reason, filtered, keys.url_key])?;
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO entries (source_id, entry_key, url, canonical_url, title, summary, published, updated,
                                  first_seen_at, candidate_id, filtered_reason, dedup_reason, url_key, unread_date,
                                  categories)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?
        .execute(params![
            source.id,
            entry.key,
            entry.url,
            entry.canonical_url,
            entry.title,
            entry.summary,
            entry_published,
            updated,
            now,
            candidate,
            filtered,
            reason,
            keys.url_key,
            entry.unread_date,
            categories
        ])?;
        added.entries += 1;
    }
    Ok(added)
}
