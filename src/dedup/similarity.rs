//! How alike two titles are: [`TitleKey`] built from a title, compared
//! with another by its digests, its words and at last its trigrams.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::minhash::{hash32, nonzero, shingles_of};
use super::sketch::{SketchHead, SketchRef, TitleSketch};
use super::words::{
    ANNOUNCE, CVE_ID, GRAMMAR, VERSION_WORD, fold_width, numbers, numbers_text, release_of, stems,
    strip_site_suffix,
};

/// A title prepared for comparison.
#[derive(Debug, Clone)]
pub struct TitleKey {
    /// "project version" when the title names a release.
    pub release: Option<String>,
    sketch: TitleSketch,
    /// Hashed character trigrams of `sketch.text`: sorted, without repeats.
    /// Taken when first needed, and dropped by [`TitleKey::compact`].
    shingles: std::cell::OnceCell<Vec<u32>>,
}

impl TitleKey {
    pub fn new(title: &str) -> TitleKey {
        let folded = fold_width(title);
        let body = strip_site_suffix(folded.trim()).to_lowercase();
        let numbers = numbers(&body);
        let words: Vec<String> = body
            .split(|c: char| !(c.is_alphanumeric() || c == '.'))
            .map(|w| w.trim_matches('.'))
            .filter(|w| !w.is_empty() && !GRAMMAR.contains(w))
            .map(|w| match VERSION_WORD.is_match(w) {
                // `v1.35.0` and `1.35` are the same version.
                true => numbers_text(w),
                false => w.to_owned(),
            })
            .collect();
        // Announcement words separate nothing in a release title ("Argo
        // CD 3.0 released" / "Announcing Argo CD 3.0") but do elsewhere
        // ("Migrating from release to …" / "Migrating from ingress to …").
        let words_text = words.join(" ");
        let mut bag: Vec<&str> = words.iter().map(String::as_str).collect();
        bag.sort_unstable();
        let word_bag = hash32(&bag.join(" "));
        let cves: BTreeSet<String> = CVE_ID
            .find_iter(&body)
            .map(|m| m.as_str().to_ascii_uppercase())
            .collect();
        let cves = match cves.is_empty() {
            true => 0,
            false => nonzero(hash32(&cves.into_iter().collect::<Vec<_>>().join(" "))),
        };
        let words_for_veto = stems(&words_text, !numbers.is_empty());
        // The words of the headline, however phrased: announcing words say
        // nothing here ("CNCF Announces Crossplane's Graduation").
        // With numbers in the title the veto set already leaves them out.
        let rephrased: Vec<String> = if numbers.is_empty() {
            stems(&words_text, true).into_iter().collect()
        } else {
            words_for_veto.iter().cloned().collect()
        };
        let rephrased = match rephrased.len() >= 3 {
            true => nonzero(hash32(&rephrased.join(" "))),
            false => 0,
        };
        let text = words
            .iter()
            .filter(|w| !ANNOUNCE.contains(&w.as_str()))
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let release = release_of(&text);
        let mut hashed: Vec<u32> = words_for_veto.iter().map(|w| hash32(w)).collect();
        hashed.sort_unstable();
        hashed.dedup();
        let numbers = hash32(&numbers.into_iter().collect::<Vec<_>>().join(" "));
        TitleKey {
            release,
            sketch: TitleSketch {
                head: SketchHead {
                    numbers,
                    cves,
                    rephrased,
                    word_bag,
                },
                words: hashed,
                text,
            },
            shingles: std::cell::OnceCell::new(),
        }
    }

    pub(super) fn shingles(&self) -> &Vec<u32> {
        self.shingles.get_or_init(|| shingles_of(&self.sketch.text))
    }

    /// Drops what can be taken again from the text (the shingles: most
    /// comparisons end before them), for a key kept a while.
    pub fn compact(&mut self) {
        self.shingles = std::cell::OnceCell::new();
    }

    /// The normalised text compared.
    pub fn text(&self) -> &str {
        &self.sketch.text
    }

    /// The compact form kept for candidates.
    pub fn sketch(&self) -> &TitleSketch {
        &self.sketch
    }

    /// How alike two titles are, 0 to 1: the larger of Jaccard similarity
    /// and a discounted containment (one title is the other plus a
    /// subtitle). Titles with different numbers score 0.
    pub fn similarity(&self, other: &TitleKey) -> f64 {
        self.similarity_with(other.sketch.as_ref(), || {
            Some(Cow::Borrowed(other.shingles().as_slice()))
        })
    }

    /// [`TitleKey::similarity`] with a title known by its sketch, without
    /// its text: `text` gives it when the comparison gets that far (one in
    /// thirty comparisons in a cold poll). Without the text the titles
    /// count as different.
    pub fn similarity_to(&self, other: SketchRef, text: impl FnOnce() -> Option<String>) -> f64 {
        self.similarity_with(other, || text().map(|t| Cow::Owned(shingles_of(&t))))
    }

    fn similarity_with<'s>(
        &self,
        other: SketchRef,
        shingles: impl FnOnce() -> Option<Cow<'s, [u32]>>,
    ) -> f64 {
        let mine = &self.sketch;
        let (mine_head, other_head) = (mine.head, other.head);
        if mine_head.numbers != other_head.numbers {
            return 0.0;
        }
        if mine_head.cves != 0 && mine_head.cves == other_head.cves {
            return 1.0;
        }
        // One word swapped for another ("Alpha"/"Beta", "EKS"/"GKE",
        // "Cilium 1.17"/"Istio 1.17") is another story; a word only one
        // side has (a subtitle, a site name) is not.
        let shared_words = sorted_intersection(&mine.words, other.words);
        if shared_words < mine.words.len() && shared_words < other.words.len() {
            return 0.0;
        }
        // Both titles have the same stemmed words in another order: one
        // headline rephrased ("Grafana Labs Donates Beyla to
        // OpenTelemetry" / "Beyla donated to OpenTelemetry by Grafana
        // Labs"). Only the same set counts: one word more or less in a
        // rephrased title is as likely another story, and so is one with
        // the very same words swapped ("network driver" / "driver
        // network"). Sets of fewer than three words say too little.
        if mine_head.rephrased != 0
            && mine_head.rephrased == other_head.rephrased
            && mine_head.word_bag != other_head.word_bag
        {
            return 1.0;
        }
        let Some(theirs) = shingles() else {
            return 0.0;
        };
        let mine_shingles = self.shingles();
        let common = sorted_intersection(mine_shingles, &theirs) as f64;
        let union = (mine_shingles.len() + theirs.len()) as f64 - common;
        let smaller = mine_shingles.len().min(theirs.len()) as f64;
        if union == 0.0 || smaller == 0.0 {
            return 0.0;
        }
        let jaccard = common / union;
        let containment = common / smaller;
        // Containment of a very short title says little, and neither does
        // one whose longer side adds more words than the two share ("Karpenter
        // v1.6 Released" / "Karpenter v1.6 の Spot 中断処理を検証する").
        let extra_words = mine.words.len().max(other.words.len()) - shared_words;
        let weight = if smaller >= 6.0 && extra_words <= shared_words {
            0.9
        } else {
            0.0
        };
        jaccard.max(containment * weight)
    }
}

/// Size of the intersection of two sorted, repeat-free lists.
fn sorted_intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut common) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_compared_without_noise_but_numbers_must_agree() {
        let sim = |a: &str, b: &str| TitleKey::new(a).similarity(&TitleKey::new(b));
        assert!(
            sim(
                "Announcing Argo CD v2.5",
                "Argo CD 2.5 is now available | CNCF"
            ) > 0.8
        );
        assert_eq!(sim("Argo CD v2.5 released", "Argo CD v2.4 released"), 0.0);
        assert_eq!(
            sim(
                "This week in Kubernetes #212",
                "This week in Kubernetes #213"
            ),
            0.0
        );
        assert!(
            sim(
                "Ｋｕｂｅｒｎｅｔｅｓ 1.35 の新機能まとめ",
                "Kubernetes 1.35 の新機能まとめ｜Zenn"
            ) > 0.95
        );
        assert!(sim("Cilium 1.17 release notes", "Istio 1.17 release notes") < 0.5);
        assert_eq!(
            TitleKey::new("Kubernetes - The Hard Way").text(),
            "kubernetes hard way"
        );
    }
}
