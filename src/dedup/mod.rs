//! One story, one candidate: keys under which the same story compares
//! equal although feeds spell it differently.
//!
//! - [`url_key()`]: canonical URLs made looser (scheme, `www.`/`amp.`,
//!   `/index.html`, AMP and `?ref=` variants, GitHub's API URL of a release).
//! - [`release_key`]: "project version" read from a title, so the GitHub
//!   release and the blog post announcing it meet.
//! - [`TitleKey`]: normalised title, character-trigram shingles and a
//!   MinHash signature whose LSH bands find near-identical titles among
//!   100,000 without comparing each pair; the exact similarity decides, and
//!   titles whose numbers differ (v2.5 vs v2.4, #212 vs #213) never match.
//!
//! The words of a title are read in `words`, its stored form is the
//! [`TitleSketch`] of `sketch`, `similarity` compares two, and `minhash`
//! finds which to compare.

mod minhash;
mod similarity;
mod sketch;
mod url_key;
mod words;

pub use minhash::dated_band;
pub use similarity::TitleKey;
pub use sketch::{SketchHead, SketchRef, TitleSketch};
pub use url_key::url_key;

/// "project version" when the title announces a release: at most three
/// words (filler removed) before the first version number, at most three
/// after it.
pub fn release_key(title: &str) -> Option<String> {
    TitleKey::new(title).release
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_keys() {
        assert_eq!(
            release_key("Argo CD v2.5.0").as_deref(),
            Some("argo cd 2.5")
        );
        assert_eq!(
            release_key("Announcing Argo CD 2.5").as_deref(),
            Some("argo cd 2.5")
        );
        assert_eq!(
            release_key("What's new in Argo CD v2.5.0?").as_deref(),
            Some("argo cd 2.5")
        );
        assert_eq!(
            release_key("Kubernetes v1.35: Harbor Lights").as_deref(),
            Some("kubernetes 1.35")
        );
        assert_eq!(
            release_key("Argo CD v2.5.1").as_deref(),
            Some("argo cd 2.5.1")
        );
        assert_eq!(release_key("Migrating to Kubernetes"), None);
    }
}
