//! The compact, stored form of a title: the digests compared first and
//! the hashed words, with the byte codec the store keeps them in.

/// The digests of a title, compared before its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SketchHead {
    /// Digest of the numbers in the title, versions normalised (`v1.35.0`
    /// = `1.35`): titles whose numbers differ are other stories.
    pub numbers: u32,
    /// Digest of the CVE ids the title names (0: none): one vulnerability
    /// is one story, whatever the language or wording of its titles.
    pub cves: u32,
    /// Digest of the stemmed word set without announcing words, when it has
    /// three words or more (0: fewer): two titles with the same are one
    /// headline.
    pub rephrased: u32,
    /// Digest of the title's words in sorted order: two titles with the
    /// same words merely swapped are not a rephrasing.
    pub word_bag: u32,
}

impl SketchHead {
    /// Its size as stored.
    pub const BYTES: usize = 16;

    pub fn to_le_bytes(self) -> [u8; Self::BYTES] {
        let mut bytes = [0; Self::BYTES];
        for (at, value) in [self.numbers, self.cves, self.rephrased, self.word_bag]
            .into_iter()
            .enumerate()
        {
            bytes[at * 4..at * 4 + 4].copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    /// Reads what [`SketchHead::to_le_bytes`] wrote, from the start of `bytes`.
    pub fn from_le_bytes(bytes: &[u8]) -> Option<SketchHead> {
        let at = |i: usize| -> Option<u32> {
            Some(u32::from_le_bytes(
                bytes.get(i * 4..i * 4 + 4)?.try_into().ok()?,
            ))
        };
        Some(SketchHead {
            numbers: at(0)?,
            cves: at(1)?,
            rephrased: at(2)?,
            word_bag: at(3)?,
        })
    }
}

/// What comparing a title with others needs, compact enough to keep for
/// every candidate in memory (about 80 bytes for a title of 45
/// characters) and stored with it. The shingles are taken from `text` when
/// a comparison gets that far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleSketch {
    pub head: SketchHead,
    /// Content words (ASCII words, katakana and kanji runs; particles and
    /// filler left out), stemmed and hashed: sorted, without repeats.
    pub words: Vec<u32>,
    /// Lower-case words and CJK runs without punctuation, site suffix or
    /// filler words.
    pub text: String,
}

impl TitleSketch {
    pub fn as_ref(&self) -> SketchRef<'_> {
        SketchRef {
            head: self.head,
            words: &self.words,
        }
    }
}

/// A [`TitleSketch`] without its text, borrowed from wherever it is kept.
#[derive(Debug, Clone, Copy)]
pub struct SketchRef<'a> {
    pub head: SketchHead,
    /// Hashed words, sorted, without repeats.
    pub words: &'a [u32],
}
