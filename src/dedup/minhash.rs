//! MinHash over character trigrams, and LSH bands of its signature:
//! near-identical titles among 100,000 are found without comparing each
//! pair. Hashes are stable across runs and builds (sketches are stored).

use super::similarity::TitleKey;

/// 8 bands of 3 rows: titles with similarity 0.6 share a band with
/// probability 0.86, 0.7 with 0.97, 0.8 with 0.999; each entry costs 8
/// index lookups per fortnight compared.
const SIGNATURE: usize = 24;
const BAND_ROWS: usize = 3;

impl TitleKey {
    /// LSH band keys of the MinHash signature: titles sharing a band are
    /// compared; similar titles share one with high probability.
    pub fn bands(&self) -> Vec<u32> {
        let signature: Vec<u32> = (0..SIGNATURE as u64)
            .map(|seed| {
                self.shingles()
                    .iter()
                    .map(|s| mix(u64::from(*s) ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15)) as u32)
                    .min()
                    .unwrap_or(0)
            })
            .collect();
        let sketch = self.sketch();
        signature
            .chunks(BAND_ROWS)
            .enumerate()
            .map(|(band, rows)| {
                rows.iter()
                    .fold(mix(band as u64 + 1), |h, row| mix(h ^ u64::from(*row)))
                    as u32
            })
            // Headlines reworded in another order share few trigrams but
            // all their words: the word set is a band of its own.
            .chain(
                (sketch.head.rephrased != 0).then(|| mix(u64::from(sketch.head.rephrased)) as u32),
            )
            .chain(
                (sketch.head.cves != 0).then(|| mix(u64::from(sketch.head.cves) ^ 0xC0E5) as u32),
            )
            .collect()
    }
}

/// Hashed character trigrams of `text` without its spaces: sorted,
/// without repeats (the text itself when shorter than three characters).
pub(super) fn shingles_of(text: &str) -> Vec<u32> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if chars.len() < 3 {
        return vec![hash32(text)];
    }
    let mut shingles = Vec::with_capacity(chars.len());
    let mut buf = [0u8; 12];
    for w in chars.windows(3) {
        let mut len = 0;
        for c in w {
            len += c.encode_utf8(&mut buf[len..]).len();
        }
        shingles.push(mix(hash_bytes(&buf[..len])) as u32);
    }
    shingles.sort_unstable();
    shingles.dedup();
    shingles
}

/// The band key of `band` in fortnight `week`: titles are compared with
/// titles of the same or nearby fortnights only.
pub fn dated_band(band: u32, week: i64) -> u32 {
    mix(u64::from(band) ^ mix(week as u64)) as u32
}

fn hash_bytes(bytes: &[u8]) -> u64 {
    // FNV-1a: stable across runs and builds (sketches are stored).
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A 32-bit digest of `text` (FNV-1a, mixed: its low bits alone are weak).
pub(super) fn hash32(text: &str) -> u32 {
    mix(hash_bytes(text.as_bytes())) as u32
}

/// 0 stands for "none" in a sketch.
pub(super) fn nonzero(hash: u32) -> u32 {
    hash.max(1)
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_titles_share_a_band() {
        let a = TitleKey::new(
            "Dynamic Resource Allocation goes GA: what cluster operators need to know",
        );
        let b = TitleKey::new(
            "Kubernetes Dynamic Resource Allocation Goes GA: What Cluster Operators Need to Know",
        );
        let shared = a
            .bands()
            .iter()
            .filter(|band| b.bands().contains(band))
            .count();
        assert!(shared > 0);
        assert_eq!(
            a.bands(),
            TitleKey::new(
                "Dynamic Resource Allocation goes GA: what cluster operators need to know"
            )
            .bands()
        );
        // Reworded in another order: few trigrams in common, the same words.
        let donated = TitleKey::new("Grafana Labs Donates Beyla to OpenTelemetry");
        let reworded = TitleKey::new("Beyla donated to OpenTelemetry by Grafana Labs");
        assert!(donated.similarity(&reworded) >= 0.99);
        assert!(
            donated
                .bands()
                .iter()
                .any(|band| reworded.bands().contains(band))
        );
        let other = TitleKey::new("Grafana Labs Donates Alloy to OpenTelemetry");
        assert!(donated.similarity(&other) < 0.5);
        // One vulnerability is one story in any wording or language.
        let advisory = TitleKey::new(
            "CVE-2025-1974: ingress-nginx admission controller remote code execution",
        );
        let explainer = TitleKey::new("Ingress-nginx CVE-2025-1974：知っておくべきこと");
        assert_eq!(advisory.similarity(&explainer), 1.0);
        assert!(
            advisory
                .bands()
                .iter()
                .any(|band| explainer.bands().contains(band))
        );
        assert_eq!(
            TitleKey::new("Ingress-nginx CVE-2025-1974: What You Need to Know").similarity(
                &TitleKey::new("Ingress-nginx CVE-2025-1097: What You Need to Know")
            ),
            0.0
        );
        // Where a move goes is part of the story.
        assert_eq!(
            TitleKey::new("Migrating from Helm to Kustomize")
                .similarity(&TitleKey::new("Migrating from Kustomize to Helm")),
            0.0
        );
    }
}
