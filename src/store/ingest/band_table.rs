//! The title index's band table: band keys → the slots of the candidates
//! that have them, in flat arrays rather than a map of vectors, because
//! it holds every band of every recent title in the writer's memory.

/// Band keys → the slots of the candidates that have them: a multimap in
/// flat arrays (open addressing, linear probing), 8 bytes an entry and at
/// most 5/4 as many cells as entries — a `HashMap<u32, Vec<u32>>` of
/// 500,000 bands takes about four times the memory. Split in
/// [`BAND_SHARDS`] by the band's top bits, so that growing copies one
/// shard at a time rather than the whole index. Each band keeps its
/// [`BAND_OWNERS`] most recent slots.
pub(super) struct BandTable {
    shards: Vec<BandShard>,
}

const BAND_SHARDS: usize = 64;
const SHARD_BITS: u32 = BAND_SHARDS.trailing_zeros();

/// Owners kept per band: the most recent. A band hundreds of titles share
/// (a template) says little, and comparing each would make ingest
/// quadratic.
const BAND_OWNERS: usize = 16;

impl BandTable {
    pub(super) fn with_capacity(entries: usize) -> BandTable {
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

    pub(super) fn owners(&self, band: u32, found: impl FnMut(u32)) {
        let (shard, band) = self.locate(band);
        self.shards[shard].owners(band, found);
    }

    pub(super) fn insert(&mut self, band: u32, slot: u32) {
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

    }
}
