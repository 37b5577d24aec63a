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

use super::{Added, CandidateView, Result, timestamp};
use crate::config::Source;
use crate::dedup::{self, SketchHead, SketchRef, TitleKey, TitleSketch};
use crate::published::PublishedLink;
use crate::rank::Ranker;
use crate::source::IncomingEntry;

/// What placing an entry takes from it besides its row: its URL key, its
/// prepared title and the title's bands. Made where the entry is parsed,
/// off the writer thread ([`Prepared::of`]).
#[derive(Debug)]
pub struct Prepared {
    url_key: Option<String>,
    title: TitleKey,
    bands: Vec<u32>,
}

impl Prepared {
    pub fn of(entry: &IncomingEntry) -> Prepared {
        let mut title = TitleKey::new(&entry.title);
        let bands = title.bands();
        // Kept until the writer takes it: the shingles are taken again by
        // the one comparison in thirty that needs them.
        title.compact();
        Prepared {
            url_key: url_key_of(entry.canonical_url.as_deref()),
            title,
            bands,
        }
    }
}

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

/// Past issues' titles sharing a band with an entry, most shared first:
/// the most recent owners of each band (a band that hundreds of titles
/// share, such as a template's "Debugging … in production", says little).
fn published_neighbours(tx: &Transaction, bands: &[u32]) -> Result<Vec<i64>> {
    let mut shared: std::collections::HashMap<i64, usize> = std::collections::HashMap::new();
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

/// Days since 1970 of an RFC 3339 time.
fn day_of(time: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| t.timestamp().div_euclid(86_400))
        .unwrap_or_default()
}

/// What the writer keeps between polls: the title index of candidates,
/// read from `title_sketches` once and kept up to date.
#[derive(Default)]
pub(super) struct Memo {
    titles: Option<TitleIndex>,
    /// Candidates created or changed in the current batch, to be scored.
    pub(super) touched: Vec<i64>,
    /// Whether past issues hold any link, read once per batch: without
    /// any, an entry costs no look-ups in them.
    pub(super) any_published: Option<bool>,
}

/// The index is read again from the database after this long: the daemon
/// prunes the sketches of old candidates (hourly, those published before
/// the fetch log's horizon), and the index then lets go of them. (A bound on its size would not help: every sketch in
/// the database is needed, and reading them again would bring them all
/// back.)
const TITLES_FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl Memo {
    fn titles(&mut self, tx: &Transaction) -> Result<&mut TitleIndex> {
        let stale = self
            .titles
            .as_ref()
            .is_some_and(|index| index.loaded_at.elapsed() > TITLES_FRESH_FOR);
        if stale || self.titles.is_none() {
            self.titles = None;
            self.titles = Some(TitleIndex::load(tx)?);
        }
        Ok(self.titles.as_mut().expect("just loaded"))
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

/// Cross-posts appear within days of each other; the same title months
/// apart is another story (a weekly column, a template).
const TITLE_WINDOW_DAYS: i64 = 14;
/// Candidates compared with an entry at most: those sharing most bands.
const TITLE_NEIGHBOURS: usize = 8;

/// The titles of candidates in memory, for finding near-identical ones
/// without reading the database: per candidate its sketch without the
/// text (about 70 bytes), and an LSH index of their bands by fortnight
/// (about 70 bytes more). The text is read from `title_sketches` by the
/// few comparisons that need it.
pub(super) struct TitleIndex {
    bands: BandTable,
    slots: Vec<Slot>,
    /// The slots' hashed words, one after another.
    words: Vec<u32>,
    /// Source ids by number.
    sources: std::collections::HashMap<String, u32>,
    loaded_at: std::time::Instant,
}

/// One candidate in the [`TitleIndex`].
struct Slot {
    /// The candidate (ids beyond u32 are not indexed): 36 bytes a slot.
    id: u32,
    day: i32,
    /// The source that created it.
    source: u32,
    head: SketchHead,
    words_at: u32,
    words_len: u16,
}

impl TitleIndex {
    fn empty(candidates: usize) -> TitleIndex {
        TitleIndex {
            bands: BandTable::with_capacity(candidates * 10),
            slots: Vec::with_capacity(candidates),
            words: Vec::new(),
            sources: std::collections::HashMap::new(),
            loaded_at: std::time::Instant::now(),
        }
    }

    fn load(tx: &Transaction) -> Result<TitleIndex> {
        let count: i64 =
            tx.query_row("SELECT count(*) FROM title_sketches", [], |row| row.get(0))?;
        let mut index = TitleIndex::empty(count as usize);
        let mut stmt = tx.prepare(
            "SELECT t.candidate_id, t.day, t.sketch, c.source_id
             FROM title_sketches t JOIN candidates c ON c.id = t.candidate_id ORDER BY t.candidate_id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let blob = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
            // A sketch this build cannot read is left out, not fatal: its
            // candidate is merely not found by title.
            let Some(stored) = StoredSketch::decode(blob) else {
                continue;
            };
            let source = row.get_ref(3)?.as_str().map_err(rusqlite::Error::from)?;
            index.push(
                row.get(0)?,
                row.get(1)?,
                source,
                stored.sketch(),
                &stored.bands,
            );
        }
        Ok(index)
    }

    fn source_number(&mut self, source: &str) -> u32 {
        let next = self.sources.len() as u32;
        match self.sources.get(source) {
            Some(number) => *number,
            None => {
                self.sources.insert(source.to_owned(), next);
                next
            }
        }
    }

    fn push(&mut self, id: i64, day: i64, source: &str, sketch: SketchRef, bands: &[u32]) {
        let Ok(id) = u32::try_from(id) else {
            return;
        };
        let source = self.source_number(source);
        let slot = self.slots.len() as u32;
        let words_at = self.words.len() as u32;
        let words_len = sketch.words.len().min(usize::from(u16::MAX));
        self.words.extend_from_slice(&sketch.words[..words_len]);
        self.slots.push(Slot {
            id,
            day: day as i32,
            source,
            head: sketch.head,
            words_at,
            words_len: words_len as u16,
        });
        let week = day.div_euclid(14);
        for band in bands {
            self.bands.insert(dedup::dated_band(*band, week), slot);
        }
    }

    fn sketch(&self, slot: &Slot) -> SketchRef<'_> {
        let words_at = slot.words_at as usize;
        SketchRef {
            head: slot.head,
            words: &self.words[words_at..words_at + usize::from(slot.words_len)],
        }
    }

    /// The most similar candidate of another source within the date
    /// window among those sharing a band with `title` in the fortnight of
    /// `day` or the fortnights next to it.
    fn best_match(
        &self,
        tx: &Transaction,
        title: &TitleKey,
        bands: &[u32],
        day: i64,
        source: Option<u32>,
    ) -> Option<(i64, f64)> {
        let mut found: Vec<u32> = Vec::new();
        let week = day.div_euclid(14);
        for week in week - 1..=week + 1 {
            for band in bands {
                self.bands
                    .owners(dedup::dated_band(*band, week), |slot| found.push(slot));
            }
        }
        found.sort_unstable();
        // (bands shared, slot), most shared first, then the most recent.
        let mut ranked: Vec<(usize, u32)> = Vec::new();
        for run in found.chunk_by(|a, b| a == b) {
            let slot = &self.slots[run[0] as usize];
            if Some(slot.source) == source || (i64::from(slot.day) - day).abs() > TITLE_WINDOW_DAYS
            {
                continue;
            }
            ranked.push((run.len(), run[0]));
        }
        ranked.sort_unstable_by(|a, b| b.cmp(a));
        let mut best: Option<(i64, f64)> = None;
        for (_, slot) in ranked.into_iter().take(TITLE_NEIGHBOURS) {
            let slot = &self.slots[slot as usize];
            let id = i64::from(slot.id);
            let text = || stored_text(tx, id);
            let similarity = title.similarity_to(self.sketch(slot), text);
            if best.is_none_or(|(_, b)| similarity > b) {
                best = Some((id, similarity));
            }
        }
        best
    }
}

/// The normalised text of candidate `id`'s title, from its stored sketch
/// (none when it is gone or unreadable: the titles then do not match).
fn stored_text(tx: &Transaction, id: i64) -> Option<String> {
    let mut stmt = tx
        .prepare_cached("SELECT sketch FROM title_sketches WHERE candidate_id = ?1")
        .ok()?;
    stmt.query_row([id], |row| {
        let blob = row.get_ref(0)?.as_blob()?;
        Ok(StoredSketch::decode(blob).map(|s| s.text.to_owned()))
    })
    .ok()
    .flatten()
}

/// A sketch and its (undated) bands as stored in `title_sketches.sketch`:
/// a format byte (1), numbers, cves, rephrased and word_bag (u32 each,
/// little-endian), the band count (u8) and bands (u32), the word count
/// (u16) and words (u32), then the text (UTF-8, the rest).
struct StoredSketch<'a> {
    head: SketchHead,
    words: Vec<u32>,
    text: &'a str,
    bands: Vec<u32>,
}

const SKETCH_FORMAT: u8 = 1;

impl<'a> StoredSketch<'a> {
    fn encode(sketch: &TitleSketch, bands: &[u32]) -> Vec<u8> {
        let words = &sketch.words[..sketch.words.len().min(usize::from(u16::MAX))];
        let mut blob =
            Vec::with_capacity(20 + bands.len() * 4 + words.len() * 4 + sketch.text.len());
        blob.push(SKETCH_FORMAT);
        blob.extend_from_slice(&sketch.head.to_le_bytes());
        let bands = &bands[..bands.len().min(usize::from(u8::MAX))];
        blob.push(bands.len() as u8);
        for band in bands {
            blob.extend_from_slice(&band.to_le_bytes());
        }
        blob.extend_from_slice(&(words.len() as u16).to_le_bytes());
        for word in words {
            blob.extend_from_slice(&word.to_le_bytes());
        }
        blob.extend_from_slice(sketch.text.as_bytes());
        blob
    }

    fn decode(blob: &'a [u8]) -> Option<StoredSketch<'a>> {
        let (&format, rest) = blob.split_first()?;
        if format != SKETCH_FORMAT {
            return None;
        }
        let head = SketchHead::from_le_bytes(rest)?;
        let rest = rest.get(SketchHead::BYTES..)?;
        let (&band_count, rest) = rest.split_first()?;
        let (bands, rest) = u32s(rest, usize::from(band_count))?;
        let word_count = u16::from_le_bytes(rest.get(..2)?.try_into().ok()?);
        let (words, rest) = u32s(rest.get(2..)?, usize::from(word_count))?;
        let text = std::str::from_utf8(rest).ok()?;
        Some(StoredSketch {
            head,
            words,
            text,
            bands,
        })
    }

    fn sketch(&self) -> SketchRef<'_> {
        SketchRef {
            head: self.head,
            words: &self.words,
        }
    }
}

/// `count` little-endian u32s from the start of `bytes`, and what follows.
fn u32s(bytes: &[u8], count: usize) -> Option<(Vec<u32>, &[u8])> {
    let (numbers, rest) = bytes.split_at_checked(count * 4)?;
    let numbers = numbers
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Some((numbers, rest))
}

/// Band keys → the slots of the candidates that have them: a multimap in
/// flat arrays (open addressing, linear probing), 8 bytes an entry and at
/// most 5/4 as many cells as entries — a `HashMap<u32, Vec<u32>>` of
/// 500,000 bands takes about four times the memory. Split in
/// [`BAND_SHARDS`] by the band's top bits, so that growing copies one
/// shard at a time rather than the whole index. Each band keeps its
/// [`BAND_OWNERS`] most recent slots.
struct BandTable {
    shards: Vec<BandShard>,
}

const BAND_SHARDS: usize = 64;
const SHARD_BITS: u32 = BAND_SHARDS.trailing_zeros();

/// Owners kept per band: the most recent. A band hundreds of titles share
/// (a template) says little, and comparing each would make ingest
/// quadratic.
const BAND_OWNERS: usize = 16;

impl BandTable {
    fn with_capacity(entries: usize) -> BandTable {
        BandTable {
            shards: (0..BAND_SHARDS)
                .map(|_| BandShard::with_capacity(entries / BAND_SHARDS))
                .collect(),
        }
    }

    /// Its shard, and the band with the bits choosing the shard dropped.
    fn locate(&self, band: u32) -> (usize, u32) {
        // Bands are hashes already: their bits are uniform. 0 marks an
        // empty cell, so no band is 0.
        let band = band.max(1);
        ((band >> (32 - SHARD_BITS)) as usize, band)
    }

    fn owners(&self, band: u32, found: impl FnMut(u32)) {
        let (shard, band) = self.locate(band);
        self.shards[shard].owners(band, found);
    }

    fn insert(&mut self, band: u32, slot: u32) {
        let (shard, band) = self.locate(band);
        self.shards[shard].insert(band, slot);
    }

    #[cfg(test)]
    fn within_load(&self) -> bool {
        self.shards.iter().all(|s| s.len * 5 <= s.cells.len() * 4)
    }
}

struct BandShard {
    /// `band << 32 | slot`; 0 is an empty cell.
    cells: Vec<u64>,
    len: usize,
}

impl BandShard {
    fn with_capacity(entries: usize) -> BandShard {
        BandShard {
            cells: vec![0; (entries * 5 / 4).max(64)],
            len: 0,
        }
    }

    fn home(&self, band: u32) -> usize {
        // The bits below those that chose the shard.
        ((u64::from(band << SHARD_BITS) * self.cells.len() as u64) >> 32) as usize
    }

    fn next(&self, at: usize) -> usize {
        if at + 1 == self.cells.len() {
            0
        } else {
            at + 1
        }
    }

    fn owners(&self, band: u32, mut found: impl FnMut(u32)) {
        let mut at = self.home(band);
        loop {
            let cell = self.cells[at];
            if cell == 0 {
                return;
            }
            if (cell >> 32) as u32 == band {
                found(cell as u32);
            }
            at = self.next(at);
        }
    }

    fn insert(&mut self, band: u32, slot: u32) {
        if (self.len + 1) * 5 > self.cells.len() * 4 {
            self.grow();
        }
        let cell = (u64::from(band) << 32) | u64::from(slot);
        let mut at = self.home(band);
        let mut owners = 0;
        let mut oldest: Option<usize> = None;
        loop {
            let here = self.cells[at];
            if here == 0 {
                break;
            }
            if (here >> 32) as u32 == band {
                owners += 1;
                if oldest.is_none_or(|o| (self.cells[o] as u32) > here as u32) {
                    oldest = Some(at);
                }
            }
            at = self.next(at);
        }
        match oldest {
            Some(oldest) if owners >= BAND_OWNERS => self.cells[oldest] = cell,
            _ => {
                self.cells[at] = cell;
                self.len += 1;
            }
        }
    }

    fn grow(&mut self) {
        let grown = vec![0; self.cells.len() * 13 / 10];
        let old = std::mem::replace(&mut self.cells, grown);
        for cell in old.into_iter().filter(|c| *c != 0) {
            let mut at = self.home((cell >> 32) as u32);
            while self.cells[at] != 0 {
                at = self.next(at);
            }
            self.cells[at] = cell;
        }
    }
}

/// What every placement in one poll shares.
struct Placing<'a> {
    tx: &'a Transaction<'a>,
    source: &'a Source,
    now: &'a str,
    threshold: f64,
    scoring: Option<(i64, &'a Ranker)>,
}

fn place(
    placing: &Placing,
    entry: &IncomingEntry,
    prepared: &Prepared,
    published: Option<&str>,
    added: &mut Added,
    cache: &mut Memo,
) -> Result<Placement> {
    let Placing {
        tx,
        source,
        now,
        threshold,
        scoring,
    } = *placing;
    let Prepared {
        url_key,
        title,
        bands,
    } = prepared;
    if let Some(key) = url_key
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
    let when = published.unwrap_or(now);
    let day = day_of(when);
    let index = cache.titles(tx)?;
    let source_number = index.sources.get(&source.id.0).copied();
    let best = index.best_match(tx, title, bands, day, source_number);
    if let Some((id, similarity)) = best
        && similarity >= threshold
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
        && let Some(key) = url_key
        && let Some((file, date)) = tx
            .prepare_cached("SELECT file, issue_date FROM published WHERE url_key = ?1 LIMIT 1")?
            .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?
    {
        return Ok(Placement::Published(issue(file, date)));
    }
    if published_before
        && let Some((_, similarity, file, date, other)) = best_published_match(tx, title, bands)?
        && similarity >= threshold
    {
        return Ok(Placement::Published(format!(
            "{}: same title as “{other}”",
            issue(file, date)
        )));
    }
    // Scored here, from what is at hand, rather than read back at the end
    // of the batch (a new candidate is seen in its own source only).
    let score = scoring.map(|(generation, ranker)| {
        let view = CandidateView {
            id: 0,
            title: entry.title.clone(),
            url: None,
            source: source.id.0.clone(),
            section: source.section.clone(),
            status: "new".into(),
            seen_in: vec![source.id.0.clone()],
            published: when.to_owned(),
            summary: entry.summary.clone(),
            session: entry.session.clone(),
            note: None,
            decided_at: None,
            created_at: now.to_owned(),
            score: 0.0,
        };
        (ranker.score(&view).total, timestamp(ranker.now), generation)
    });
    tx.prepare_cached(
        "INSERT INTO candidates (source_id, canonical_url, url, title, summary, published, section, created_at,
                                 release_key, priority, score, scored_at, scored_generation, session)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, COALESCE(?11, 0), ?12, COALESCE(?13, 0), ?14)",
    )?
    .execute(params![
        source.id.0,
        entry.canonical_url,
        // The link the newsletter shows: without tracking parameters.
        entry.canonical_url.as_ref().or(entry.url.as_ref()),
        entry.title,
        entry.summary,
        when,
        source.section,
        now,
        title.release,
        source.priority,
        score.as_ref().map(|s| s.0),
        score.as_ref().map(|s| &s.1),
        score.as_ref().map(|s| s.2),
        entry.session,
    ])?;
    let id = tx.last_insert_rowid();
    store_sketch(tx, id, day, title, bands)?;
    // Loaded above by the search; never reloaded here (a reload would
    // read the sketch just stored and push it twice).
    if let Some(index) = cache.titles.as_mut() {
        index.push(id, day, &source.id.0, title.sketch().as_ref(), bands);
    }
    added.candidates += 1;
    Ok(Placement::New(id))
}

/// Stores what comparing the title of candidate `id` needs.
fn store_sketch(
    tx: &Transaction,
    id: i64,
    day: i64,
    title: &TitleKey,
    bands: &[u32],
) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR REPLACE INTO title_sketches (candidate_id, day, sketch) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![
        id,
        day,
        StoredSketch::encode(title.sketch(), bands)
    ])?;
    Ok(())
}

/// The most similar title of a past issue sharing a band with `title`:
/// (id, similarity, file, issue date, title).
#[allow(clippy::type_complexity)]
fn best_published_match(
    tx: &Transaction,
    title: &TitleKey,
    bands: &[u32],
) -> Result<Option<(i64, f64, String, Option<String>, String)>> {
    let mut lookup = tx.prepare_cached(
        "SELECT file, issue_date, title FROM published WHERE id = ?1 AND title IS NOT NULL",
    )?;
    let mut best: Option<(i64, f64, String, Option<String>, String)> = None;
    for id in published_neighbours(tx, bands)? {
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
fn insert_published_bands(tx: &Transaction, id: i64, title: &str) -> Result<()> {
    let mut insert =
        tx.prepare_cached("INSERT INTO published_bands (band, published_id) VALUES (?1, ?2)")?;
    for band in TitleKey::new(title).bands() {
        insert.execute(params![band, id])?;
    }
    Ok(())
}

/// A merged entry may bring a better title and summary: the candidate,
/// while still undecided, shows those of its highest-priority source, and
/// fills a missing summary from any.
fn merge_into(tx: &Transaction, id: i64, source: &Source, entry: &IncomingEntry) -> Result<()> {
    tx.prepare_cached(
        "UPDATE candidates SET title = ?3, url = COALESCE(?4, url), summary = COALESCE(?5, summary),
                source_id = ?6, priority = ?2, session = COALESCE(?7, session)
         WHERE id = ?1 AND status = 'new' AND priority < ?2",
    )?
    .execute(params![id, source.priority, entry.title, entry.canonical_url.as_ref().or(entry.url.as_ref()), entry.summary, source.id.0, entry.session])?;
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
    prepared: &Prepared,
    published: Option<&str>,
    added: &mut Added,
    cache: &mut Memo,
) -> Result<(Option<i64>, Option<String>, Option<String>)> {
    Ok(
        match place(placing, entry, prepared, published, added, cache)? {
            Placement::Existing { id, reason } => {
                merge_into(placing.tx, id, placing.source, entry)?;
                cache.touched.push(id);
                (Some(id), Some(reason), None)
            }
            // Scored as it was stored, or (without a current ranker) stored
            // with generation 0: stale until a reader scores it.
            Placement::New(id) => (Some(id), None, None),
            Placement::Published(reason) => (None, None, Some(reason)),
        },
    )
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
    prepared: Option<&[Prepared]>,
    now: &str,
    threshold: f64,
    scoring: Option<(i64, &Ranker)>,
    cache: &mut Memo,
) -> Result<Added> {
    let mut added = Added::default();
    let placing = Placing {
        tx,
        source,
        now,
        threshold,
        scoring,
    };
    let prepared = prepared.filter(|p| p.len() == entries.len());
    for (at, entry) in entries.iter().enumerate() {
        let prepared_here;
        let prepared = match prepared {
            Some(all) => &all[at],
            None => {
                prepared_here = Prepared::of(entry);
                &prepared_here
            }
        };
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
            // A candidate still waiting for a decision follows its own
            // source's changes (a moved session, an edited release).
            if let Some(candidate) = candidate {
                let changed = tx.prepare_cached(
                    "UPDATE candidates SET title = ?3, summary = COALESCE(?4, summary), published = COALESCE(?5, published),
                                           session = COALESCE(?6, session)
                     WHERE id = ?1 AND source_id = ?2 AND status = 'new'
                       AND (title IS NOT ?3 OR summary IS NOT COALESCE(?4, summary) OR published IS NOT COALESCE(?5, published)
                            OR session IS NOT COALESCE(?6, session))",
                )?
                .execute(params![candidate, source.id.0, entry.title, entry.summary, published, entry.session])?;
                if changed > 0 {
                    cache.touched.push(candidate);
                }
                continue;
            }
            if entry.filtered.is_some() {
                continue;
            }
        }
        let (candidate, reason, filtered) = match &entry.filtered {
            Some(rule) => (None, None, Some(rule.clone())),
            None => place_and_merge(
                &placing,
                entry,
                prepared,
                published.as_deref(),
                &mut added,
                cache,
            )?,
        };
        // A known entry kept out until now: placed like a new one.
        if let Some((entry_id, _)) = known {
            tx.prepare_cached(
                "UPDATE entries SET candidate_id = ?2, dedup_reason = ?3, filtered_reason = ?4, url_key = ?5 WHERE id = ?1",
            )?
            .execute(params![entry_id, candidate, reason, filtered, prepared.url_key])?;
            continue;
        }
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
            prepared.url_key
        ])?;
        added.entries += 1;
    }
    Ok(added)
}

/// Release keys and URL keys for candidates and entries stored before
/// deduplication existed.
pub(super) fn backfill_dedup_keys(tx: &Transaction) -> Result<()> {
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
pub(super) fn backfill_title_sketches(tx: &Transaction) -> Result<()> {
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
            insert_published_bands(tx, id, title)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    /// What a band's owners must be: its last `BAND_OWNERS` slots.
    fn model(pushes: &[(u32, u32)]) -> HashMap<u32, Vec<u32>> {
        let mut owners: HashMap<u32, Vec<u32>> = HashMap::new();
        for (band, slot) in pushes {
            let list = owners.entry((*band).max(1)).or_default();
            list.push(*slot);
            if list.len() > BAND_OWNERS {
                list.remove(0);
            }
        }
        owners
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The flat band table answers as a map of bands to their most
        /// recent owners would, through growth and crowded bands (few
        /// distinct bands, band 0 among them).
        #[test]
        fn band_table_keeps_the_most_recent_owners(
            bands in prop::collection::vec(
            prop_oneof![0u32..40, (0u32..40).prop_map(|b| b << 26 | 7), any::<u32>()],
            1..3000,
        )
        ) {
            let pushes: Vec<(u32, u32)> =
                bands.iter().enumerate().map(|(slot, band)| (*band, slot as u32)).collect();
            let mut table = BandTable::with_capacity(0);
            for (band, slot) in &pushes {
                table.insert(*band, *slot);
            }
            for (band, mut expected) in model(&pushes) {
                let mut found = Vec::new();
                table.owners(band, |slot| found.push(slot));
                found.sort_unstable();
                expected.sort_unstable();
                prop_assert_eq!(found, expected);
            }
            prop_assert!(table.within_load());
        }

        /// A sketch read back from its blob compares exactly as the title
        /// it was made from, and keeps its bands.
        #[test]
        fn stored_sketches_compare_like_their_titles(
            a in "[a-zA-Z0-9 .:|ー-ヿ一-龯-]{0,60}",
            b in "[a-zA-Z0-9 .:|ー-ヿ一-龯-]{0,60}",
        ) {
            let (a, b) = (TitleKey::new(&a), TitleKey::new(&b));
            let blob = StoredSketch::encode(b.sketch(), &b.bands());
            let stored = StoredSketch::decode(&blob).expect("decodes");
            prop_assert_eq!(&stored.bands, &b.bands());
            let mut index = TitleIndex::empty(0);
            index.push(7, 0, "s", stored.sketch(), &stored.bands);
            let text = || Some(stored.text.to_owned());
            let via_index = a.similarity_to(index.sketch(&index.slots[0]), text);
            prop_assert_eq!(via_index, a.similarity(&b));
        }
    }

    /// A database of the last version with title bands gets a sketch for
    /// each candidate, and its titles are found as before.
    #[test]
    fn migrating_from_title_bands_fills_the_sketches() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v8.db");
        let conn = rusqlite::Connection::open(&path).unwrap();
        for migration in &crate::store::MIGRATIONS[..8] {
            conn.execute_batch(migration).unwrap();
        }
        conn.execute_batch(
            "PRAGMA user_version = 8;
             INSERT INTO sources (id, kind, url) VALUES ('grafana', 'feed', 'https://grafana.com/blog/index.xml');
             INSERT INTO candidates (id, source_id, title, published, created_at)
               VALUES (41, 'grafana', 'Grafana Labs Donates Beyla to OpenTelemetry', '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z');
             INSERT INTO title_bands (band, candidate_id) VALUES (12345, 41);",
        )
        .unwrap();
        drop(conn);
        let mut store = crate::store::Store::open(&path).unwrap();
        let tx = store.conn.transaction().unwrap();
        let tables: i64 = tx
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'title_bands'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
        let index = TitleIndex::load(&tx).unwrap();
        assert_eq!(index.slots.len(), 1);
        let rephrased = TitleKey::new("Beyla donated to OpenTelemetry by Grafana Labs");
        let day = day_of("2026-11-22T08:00:00Z");
        let found = index.best_match(&tx, &rephrased, &rephrased.bands(), day, None);
        assert_eq!(found, Some((41, 1.0)));
        // Not from the same source, nor a month later.
        let own = index.sources.get("grafana").copied();
        assert_eq!(
            index.best_match(&tx, &rephrased, &rephrased.bands(), day, own),
            None
        );
        let later = day + 30;
        assert_eq!(
            index.best_match(&tx, &rephrased, &rephrased.bands(), later, None),
            None
        );
    }

    #[test]
    fn a_sketch_of_another_format_or_cut_short_is_not_read() {
        let key = TitleKey::new("Kubernetes v1.35: Harbor Lights");
        let blob = StoredSketch::encode(key.sketch(), &key.bands());
        for end in 0..blob.len() - key.text().len() {
            assert!(StoredSketch::decode(&blob[..end]).is_none(), "cut at {end}");
        }
        let mut other = blob.clone();
        other[0] = SKETCH_FORMAT + 1;
        assert!(StoredSketch::decode(&other).is_none());
    }
}
