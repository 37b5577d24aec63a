//! Entries into candidates: the deduplication layers, in order.
//!
//! 1. the same URL (canonical, then the looser [`dedup::url_key`]);
//! 2. the same release of the same project ([`dedup::release_key`]);
//! 3. a near-identical title (LSH bands, then exact similarity);
//! 4. already published in a past issue: kept as an entry, not queued.
//!
//! Each merge records its reason on the entry.

use rusqlite::{OptionalExtension, Transaction, params};
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

/// The most recent owners of each band: a band that hundreds of titles
/// share (a template such as "Debugging … in production") says little, and
/// reading all of them for every entry would make ingest quadratic.
fn band_query(table: &str, column: &str) -> String {
    format!("SELECT {column} FROM {table} WHERE band = ?1 ORDER BY rowid DESC LIMIT 16")
}

/// Owners sharing the most bands first. Candidate bands come from the
/// in-memory index (loaded once), past issues' from the database.
fn band_neighbours(
    tx: &Transaction,
    table: &str,
    column: &str,
    bands: &[i64],
    memo: &mut Memo,
) -> Result<Vec<i64>> {
    let mut shared: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
    if table == "title_bands" {
        let index = memo.bands(tx)?;
        for band in bands {
            for owner in index.owners(*band) {
                *shared.entry(owner).or_default() += 1;
            }
        }
    } else {
        let mut stmt = tx.prepare_cached(&band_query(table, column))?;
        for band in bands {
            for owner in stmt.query_map([band], |row| row.get::<_, i64>(0))? {
                *shared.entry(owner?).or_default() += 1;
            }
        }
    }
    let mut ranked: Vec<(i64, usize)> = shared.into_iter().collect();
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
    Ok(ranked.into_iter().take(8).map(|(owner, _)| owner).collect())
}

/// The fortnight (since 1970) of an RFC 3339 time; titles are compared
/// with titles of the same and the neighbouring fortnights.
fn week_of(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| t.timestamp().div_euclid(14 * 86_400))
        .unwrap_or_default()
}

/// What the writer keeps between polls: prepared titles by text (a title
/// is prepared once however often it is compared) and the LSH index of
/// candidate titles, read from `title_bands` once and kept up to date.
#[derive(Default)]
pub(super) struct Memo {
    titles: std::collections::HashMap<String, TitleKey>,
    bands: Option<BandIndex>,
    /// Candidates created since the index was loaded.
    candidates: std::collections::HashMap<i64, KnownCandidate>,
    /// Candidates created or changed in the current batch, to be scored.
    pub(super) touched: Vec<i64>,
    /// Whether past issues hold any link, read once per batch: without
    /// any, an entry costs no look-ups in them.
    pub(super) any_published: Option<bool>,
}

struct KnownCandidate {
    title: String,
    day: i64,
    source: String,
}

/// Days since 1970 of an RFC 3339 time.
fn day_of(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| t.timestamp().div_euclid(86_400))
        .unwrap_or_default()
}

const TITLE_CACHE_MAX: usize = 5_000;
/// Candidates remembered for title comparison; older ones are looked up.
const KNOWN_CANDIDATES_MAX: usize = 50_000;
/// Band keys kept in memory at most (about 20 MB).
const BAND_KEYS_MAX: usize = 1_000_000;
/// Owners kept per band in memory: the most recent, as in [`band_query`].
const BAND_OWNERS: usize = 16;

impl Memo {
    fn bands(&mut self, tx: &Transaction) -> Result<&mut BandIndex> {
        if self.bands.is_none() {
            let mut index = BandIndex::default();
            let mut stmt =
                tx.prepare("SELECT band, candidate_id FROM title_bands ORDER BY rowid")?;
            for row in
                stmt.query_map([], |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)))?
            {
                let (band, owner) = row?;
                index.push(band, owner);
            }
            self.bands = Some(index);
        }
        Ok(self.bands.as_mut().expect("just loaded"))
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

    fn remember_title(&mut self, text: String, key: TitleKey) {
        if self.titles.len() >= TITLE_CACHE_MAX {
            self.titles.clear();
        }
        self.titles.insert(text, key);
    }

    fn title(&mut self, text: String) -> &TitleKey {
        if self.titles.len() >= TITLE_CACHE_MAX {
            self.titles.clear();
        }
        self.titles
            .entry(text)
            .or_insert_with_key(|t| TitleKey::new(t))
    }
}

/// The LSH index of candidate titles: band key → the candidates that have
/// it, most recent last. Almost every band has one owner, so that owner is
/// kept inline (16 bytes a band instead of a vector's 56): the index of
/// 50,000 candidates costs about 10 MB, not 30.
#[derive(Default)]
pub(super) struct BandIndex {
    single: std::collections::HashMap<i64, i64>,
    shared: std::collections::HashMap<i64, Vec<i64>>,
}

impl BandIndex {
    fn push(&mut self, band: i64, owner: i64) {
        if let Some(owners) = self.shared.get_mut(&band) {
            if owners.len() >= BAND_OWNERS {
                owners.remove(0);
            }
            owners.push(owner);
        } else if let Some(first) = self.single.remove(&band) {
            self.shared.insert(band, vec![first, owner]);
        } else {
            self.single.insert(band, owner);
        }
    }

    fn owners(&self, band: i64) -> impl Iterator<Item = i64> + '_ {
        let single = self.single.get(&band).copied();
        let shared = self.shared.get(&band).into_iter().flatten().copied();
        single.into_iter().chain(shared)
    }

    fn len(&self) -> usize {
        self.single.len() + self.shared.len()
    }
}

/// Cross-posts appear within days of each other; the same title months
/// apart is another story (a weekly column, a template).
const TITLE_WINDOW_DAYS: i64 = 14;

/// The most similar of the titles sharing an LSH band with `title`.
/// Where band owners and their titles are looked up.
struct Owners<'q> {
    table: &'q str,
    column: &'q str,
    titles_of: &'q str,
}

fn best_title_match(
    tx: &Transaction,
    title: &TitleKey,
    bands: &[i64],
    owners: Owners,
    source_id: &str,
    when: &str,
    cache: &mut Memo,
) -> Result<Option<(i64, f64)>> {
    let Owners {
        table,
        column,
        titles_of,
    } = owners;
    let ids = band_neighbours(tx, table, column, bands, cache)?;
    let mut lookup = tx.prepare_cached(titles_of)?;
    let mut best: Option<(i64, f64)> = None;
    let day = day_of(when);
    for id in ids {
        // Candidates known to the writer are checked from memory: same
        // source (by the source that created it) and the date window.
        if table == "title_bands"
            && let Some(known) = cache.candidates.get(&id)
        {
            if known.source == source_id || (known.day - day).abs() > TITLE_WINDOW_DAYS {
                continue;
            }
            let other = known.title.clone();
            let similarity = title.similarity(cache.title(other));
            if best.is_none_or(|(_, b)| similarity > b) {
                best = Some((id, similarity));
            }
            continue;
        }
        let Some(other): Option<String> = lookup
            .query_row(params![id, source_id, when, TITLE_WINDOW_DAYS], |row| {
                row.get(0)
            })
            .optional()?
            .flatten()
        else {
            continue;
        };
        let similarity = title.similarity(cache.title(other));
        if best.is_none_or(|(_, b)| similarity > b) {
            best = Some((id, similarity));
        }
    }
    Ok(best)
}

/// What every placement in one poll shares.
struct Placing<'a> {
    tx: &'a Transaction<'a>,
    source: &'a Source,
    now: &'a str,
    threshold: f64,
}

fn place(
    placing: &Placing,
    entry: &IncomingEntry,
    published: Option<&str>,
    added: &mut Added,
    cache: &mut Memo,
) -> Result<Placement> {
    let Placing {
        tx,
        source,
        now,
        threshold,
    } = *placing;
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
    let week = week_of(published.unwrap_or(now));
    let nearby: Vec<i64> = (week - 1..=week + 1)
        .flat_map(|w| dedup::dated_bands(&bands, w))
        .collect();
    if let Some((id, similarity)) = best_title_match(
        tx,
        &title,
        &nearby,
        Owners {
            table: "title_bands",
            column: "candidate_id",
            titles_of: "SELECT c.title FROM candidates c WHERE c.id = ?1
           AND abs(julianday(c.published) - julianday(?3)) <= ?4
           AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.candidate_id = c.id AND e.source_id = ?2)",
        },
        &source.id.0,
        published.unwrap_or(now),
        cache,
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
    let published_before = cache.any_published(tx)?;
    if published_before
        && let Some(key) = &url_key
        && let Some((file, date)) = tx
            .prepare_cached("SELECT file, issue_date FROM published WHERE url_key = ?1 LIMIT 1")?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
    {
        return Ok(Placement::Published(issue(file, date)));
    }
    if published_before
        && let Some((id, similarity)) = best_title_match(
            tx,
            &title,
            &bands,
            Owners {
                table: "published_bands",
                column: "published_id",
                titles_of: "SELECT title FROM published WHERE id = ?1 AND ?2 IS NOT NULL AND ?3 IS NOT NULL AND ?4 IS NOT NULL",
            },
            &source.id.0,
            now,
            cache,
        )?
        && similarity >= threshold
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
    let dated = dedup::dated_bands(&bands, week);
    insert_bands(
        tx,
        "INSERT INTO title_bands (band, candidate_id) VALUES (?1, ?2)",
        &dated,
        id,
    )?;
    let index = cache.bands(tx)?;
    for band in dated {
        index.push(band, id);
    }
    if index.len() > BAND_KEYS_MAX {
        // Re-read on next use: the daemon prunes bands of old candidates.
        cache.bands = None;
    }
    if cache.candidates.len() >= KNOWN_CANDIDATES_MAX {
        cache.candidates.clear();
    }
    cache.candidates.insert(
        id,
        KnownCandidate {
            title: entry.title.clone(),
            day: day_of(published.unwrap_or(now)),
            source: source.id.0.clone(),
        },
    );
    // The entries of the next polls are compared with this title first:
    // prepared once, here, not again for every comparison.
    cache.remember_title(entry.title.clone(), title);
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

/// Places `entry`, merging it into an existing candidate when it joins
/// one: (candidate, why it joined, why it was kept out).
fn place_and_merge(
    placing: &Placing,
    entry: &IncomingEntry,
    published: Option<&str>,
    added: &mut Added,
    cache: &mut Memo,
) -> Result<(Option<i64>, Option<String>, Option<String>)> {
    Ok(match place(placing, entry, published, added, cache)? {
        Placement::Existing { id, reason } => {
            merge_into(placing.tx, id, placing.source, entry)?;
            cache.touched.push(id);
            (Some(id), Some(reason), None)
        }
        Placement::New(id) => {
            cache.touched.push(id);
            (Some(id), None, None)
        }
        Placement::Published(reason) => (None, None, Some(reason)),
    })
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
    cache: &mut Memo,
) -> Result<Added> {
    let mut added = Added::default();
    let placing = Placing {
        tx,
        source,
        now,
        threshold,
    };
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
                    let changed = tx.prepare_cached(
                        "UPDATE candidates SET title = ?3, summary = COALESCE(?4, summary), published = COALESCE(?5, published)
                         WHERE id = ?1 AND source_id = ?2 AND status = 'new'
                           AND (title IS NOT ?3 OR summary IS NOT COALESCE(?4, summary) OR published IS NOT COALESCE(?5, published))",
                    )?
                    .execute(params![candidate, source.id.0, entry.title, entry.summary, published])?;
                    if changed > 0 {
                        cache.touched.push(candidate);
                    }
                }
                None if entry.filtered.is_none() => {
                    let (candidate, reason, kept_out) =
                        place_and_merge(&placing, entry, published.as_deref(), &mut added, cache)?;
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
            None => place_and_merge(&placing, entry, published.as_deref(), &mut added, cache)?,
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
    let rows: Vec<(i64, String, String)> = tx
        .prepare("SELECT id, title, published FROM candidates")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (id, title, published) in rows {
        let key = TitleKey::new(&title);
        tx.execute(
            "UPDATE candidates SET release_key = ?2 WHERE id = ?1",
            params![id, key.release],
        )?;
        insert_bands(
            tx,
            "INSERT INTO title_bands (band, candidate_id) VALUES (?1, ?2)",
            &dedup::dated_bands(&key.bands(), week_of(&published)),
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
