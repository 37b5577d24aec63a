//! The stored form of a title's sketch (`title_sketches.sketch`): what
//! comparing titles needs, packed small, so the writer can keep every
//! recent title in memory and read the text only when it must.

use rusqlite::{Transaction, params};

use crate::dedup::{SketchHead, SketchRef, TitleKey, TitleSketch};
use crate::store::Result;

/// A sketch and its (undated) bands as stored in `title_sketches.sketch`:
/// a format byte (1), numbers, cves, rephrased and word_bag (u32 each,
/// little-endian), the band count (u8) and bands (u32), the word count
/// (u16) and words (u32), then the text (UTF-8, the rest).
pub(super) struct StoredSketch<'a> {
    head: SketchHead,
    words: Vec<u32>,
    pub(super) text: &'a str,
    pub(super) bands: Vec<u32>,
}

const SKETCH_FORMAT: u8 = 1;

impl<'a> StoredSketch<'a> {
    pub(super) fn encode(sketch: &TitleSketch, bands: &[u32]) -> Vec<u8> {
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

    pub(super) fn decode(blob: &'a [u8]) -> Option<StoredSketch<'a>> {
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

    pub(super) fn sketch(&self) -> SketchRef<'_> {
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

/// Stores what comparing the title of candidate `id` needs.
pub(in crate::store) fn store_sketch(
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

#[cfg(test)]
mod tests {
    use super::*;

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
