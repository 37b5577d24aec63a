//! The titles of recent candidates in the writer's memory, for finding
//! near-identical ones (cross-posts) without reading the database.

use rusqlite::Transaction;

use super::band_table::BandTable;
use super::sketch::StoredSketch;
use crate::dedup::{self, SketchHead, SketchRef, TitleKey};
use crate::store::Result;

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
    pub(super) loaded_at: std::time::Instant,
    /// The highest candidate id read or pushed: rows above it were stored
    /// by another process (`poll` beside the daemon, `add`).
    last_id: i64,
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
            last_id: 0,
        }
    }

    pub(super) fn load(tx: &Transaction) -> Result<TitleIndex> {
        let count: i64 =
            tx.query_row("SELECT count(*) FROM title_sketches", [], |row| row.get(0))?;
        let mut index = TitleIndex::empty(count as usize);
        index.catch_up(tx)?;
        Ok(index)
    }

    /// Reads the titles other processes stored since this index last
    /// looked: called inside the write transaction, when nobody else can
    /// add more before it ends, so no story is split between processes.
    pub(super) fn catch_up(&mut self, tx: &Transaction) -> Result<()> {
        let mut stmt = tx.prepare_cached(
            "SELECT t.candidate_id, t.day, t.sketch, c.source_id
             FROM title_sketches t JOIN candidates c ON c.id = t.candidate_id
             WHERE t.candidate_id > ?1 ORDER BY t.candidate_id",
        )?;
        let mut rows = stmt.query([self.last_id])?;
        let index = self;
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
        Ok(())
    }

    /// The number of `source` in the index, if it created any candidate.
    pub(super) fn source_number_of(&self, source: &str) -> Option<u32> {
        self.sources.get(source).copied()
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

    pub(super) fn push(
        &mut self,
        id: i64,
        day: i64,
        source: &str,
        sketch: SketchRef,
        bands: &[u32],
    ) {
        self.last_id = self.last_id.max(id);
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
    pub(super) fn best_match(
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::store::ingest::day_of;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

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
        let own = index.source_number_of("grafana");
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
}
