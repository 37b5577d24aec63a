//! One story, one candidate: keys under which the same story compares
//! equal although feeds spell it differently.
//!
//! - [`url_key`]: canonical URLs made looser (scheme, `www.`/`amp.`,
//!   `/index.html`, AMP and `?ref=` variants, GitHub's API URL of a release).
//! - [`release_key`]: "project version" read from a title, so the GitHub
//!   release and the blog post announcing it meet.
//! - [`TitleKey`]: normalised title, character-trigram shingles and a
//!   MinHash signature whose LSH bands find near-identical titles among
//!   100,000 without comparing each pair; the exact similarity decides, and
//!   titles whose numbers differ (v2.5 vs v2.4, #212 vs #213) never match.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// Query parameters that name where a link was shared from, not what it is.
const REFERRER_PARAMS: &[&str] = &[
    "ref",
    "ref_src",
    "ref_url",
    "source",
    "amp",
    "outputtype",
    "share",
];

/// The key under which equivalent URLs of one story compare equal.
pub fn url_key(canonical: &Url) -> String {
    let host = canonical.host_str().unwrap_or("").to_ascii_lowercase();
    let mut host = host.as_str();
    for prefix in ["www.", "amp.", "m."] {
        if let Some(rest) = host.strip_prefix(prefix)
            && rest.contains('.')
        {
            host = rest;
        }
    }
    let mut path = canonical.path().to_owned();
    // GitHub's API URL of a release is the same release as its page.
    if host == "api.github.com"
        && let Some(rest) = path.strip_prefix("/repos/")
        && let Some((repo, tag)) = rest.split_once("/releases/tags/")
    {
        return format!("github.com/{repo}/releases/tag/{tag}");
    }
    loop {
        let before = path.len();
        for suffix in [
            "/index.html",
            "/index.htm",
            "/index.php",
            "/amp",
            "/amp.html",
            "/",
        ] {
            if path.len() > suffix.len() && path.ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
            }
        }
        if path == "/" || path.len() == before {
            break;
        }
    }
    if path == "/" {
        path.clear();
    }
    let query: Vec<String> = canonical
        .query_pairs()
        .filter(|(name, _)| !REFERRER_PARAMS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(n, v)| {
            if v.is_empty() {
                n.into_owned()
            } else {
                format!("{n}={v}")
            }
        })
        .collect();
    if query.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{host}{path}?{}", query.join("&"))
    }
}

/// Full-width ASCII (Ｋｕｂｅｒｎｅｔｅｓ, ＃１２) and the ideographic space
/// folded to ASCII.
fn fold_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

static SITE_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:\s*\|\s*|\s[\-–—:]\s|\s::\s)\s*([^|–—]{1,30})$").expect("valid regex")
});
static VERSION_OR_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"v?(\d+(?:\.\d+)*)").expect("valid regex"));

/// Words that announce rather than name a story ("Announcing X", "X is
/// now available").
const ANNOUNCE: &[&str] = &[
    "announcing",
    "introducing",
    "announced",
    "announces",
    "released",
    "release",
    "releases",
    "now",
    "available",
    "out",
    "new",
    "here",
];
/// Grammar that says nothing about the story.
const GRAMMAR: &[&str] = &["is", "the", "a", "an", "what", "s", "whats", "in", "its"];
/// Linking words that a rephrased headline moves around ("Beyla donated
/// to OpenTelemetry by Grafana Labs"): not content when comparing word
/// sets.
const LINKING: &[&str] = &[
    "to", "from", "by", "of", "for", "with", "and", "on", "at", "as", "into",
];
/// Stems of words that announce a story in any title, with or without a
/// version ("CNCF Announces Crossplane's Graduation").
const ANNOUNCE_STEMS: &[&str] = &["announc", "introduc", "unveil"];
/// Spelled-out names and their short forms, folded before words are
/// compared.
const PHRASES: &[(&str, &str)] = &[
    ("cloud native computing foundation", "cncf"),
    ("call for proposals", "cfp"),
    ("call for papers", "cfp"),
    ("generally available", "ga"),
    ("general availability", "ga"),
];
/// Suffixes cut from English words so "graduates", "graduated" and
/// "graduation" (or "donates"/"donated") compare equal; the first that
/// leaves a stem of four letters or more wins.
const SUFFIXES: &[&str] = &[
    "ations", "ation", "ators", "ator", "ates", "ated", "ating", "ate", "ings", "ing", "ions",
    "ion", "ed", "es", "s", "e",
];

/// A word without its inflection (see [`SUFFIXES`]).
fn stem(word: &str) -> &str {
    if !word.bytes().all(|b| b.is_ascii_lowercase()) {
        return word;
    }
    SUFFIXES
        .iter()
        .find_map(|suffix| {
            word.strip_suffix(suffix)
                .filter(|stem| stem.len() >= 4 && !word.ends_with("ss"))
        })
        .unwrap_or(word)
}

/// Content words of a title, stemmed, short forms folded, linking and
/// announcing words left out: the set two phrasings of one headline share.
fn stems(text: &str, drop_announce: bool) -> BTreeSet<String> {
    let folded;
    let mut text = text;
    if PHRASES.iter().any(|(long, _)| text.contains(long)) {
        let mut spaced = format!(" {text} ");
        for (long, short) in PHRASES {
            spaced = spaced.replace(&format!(" {long} "), &format!(" {short} "));
        }
        folded = spaced;
        text = &folded;
    }
    // "Migrating from Helm to Kustomize" is not "… from Kustomize to
    // Helm": the word a move goes to keeps that role.
    let mut words = BTreeSet::new();
    let mut towards = false;
    for word in text.split_whitespace() {
        if matches!(word, "to" | "into") {
            towards = true;
            continue;
        }
        content_runs(word, drop_announce, |content| {
            if LINKING.contains(&content) {
                return;
            }
            let stemmed = stem(content);
            if drop_announce && ANNOUNCE_STEMS.contains(&stemmed) {
                return;
            }
            words.insert(if towards {
                format!("→{stemmed}")
            } else {
                stemmed.to_owned()
            });
            towards = false;
        });
    }
    words
}

/// Known suffixes of sites and feeds; anything else after a separator is
/// kept (it may be the subtitle).
fn strip_site_suffix(title: &str) -> &str {
    match SITE_SUFFIX.captures(title) {
        Some(caps) => {
            let tail = caps[1].trim();
            let head_len = caps.get(0).map_or(title.len(), |m| m.start());
            let words = tail.split_whitespace().count();
            let looks_like_site = (words <= 2
                || (words <= 4 && tail.to_lowercase().contains("blog")))
                && (tail.contains('.')
                    || tail.chars().next().is_some_and(char::is_uppercase)
                    || !tail.is_ascii())
                && head_len >= 12
                && !VERSION_OR_NUMBER.is_match(tail);
            if looks_like_site {
                &title[..head_len]
            } else {
                title
            }
        }
        None => title,
    }
}

static CVE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bcve-\d{4}-\d{4,7}\b").expect("valid regex"));

static VERSION_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^v?\d+(?:\.\d+)+$").expect("valid regex"));

fn numbers_text(word: &str) -> String {
    numbers(word)
        .into_iter()
        .next()
        .unwrap_or_else(|| word.to_owned())
}

/// Numbers in a title, versions normalised (`v1.35.0` = `1.35`).
fn numbers(text: &str) -> BTreeSet<String> {
    VERSION_OR_NUMBER
        .captures_iter(text)
        .map(|c| {
            let mut parts: Vec<&str> = c[1].split('.').collect();
            while parts.len() > 2 && parts.last() == Some(&"0") {
                parts.pop();
            }
            parts
                .iter()
                .map(|p| p.trim_start_matches('0'))
                .map(|p| if p.is_empty() { "0" } else { p })
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect()
}

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

/// Calls `found` with each run of one script in `text`; hiragana runs
/// (particles, inflections) are dropped, and so are grammar words (and
/// announcing ones, with `drop_announce`). Runs are slices of `text`: a
/// title is split without allocating.
fn content_runs(text: &str, drop_announce: bool, mut found: impl FnMut(&str)) {
    #[derive(PartialEq, Clone, Copy)]
    enum Script {
        Latin,
        Katakana,
        Kanji,
        Hiragana,
        Other,
    }
    let script = |c: char| match c {
        'a'..='z' | '0'..='9' | '.' => Script::Latin,
        '\u{30A0}'..='\u{30FF}' => Script::Katakana,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' => Script::Kanji,
        '\u{3040}'..='\u{309F}' => Script::Hiragana,
        _ => Script::Other,
    };
    let noise = |word: &str| GRAMMAR.contains(&word) || (drop_announce && ANNOUNCE.contains(&word));
    let mut start = 0;
    let mut kind = Script::Other;
    for (at, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let k = script(c);
        if k != kind || k == Script::Other {
            let word = text[start..at].trim_matches('.');
            match kind {
                Script::Latin if word.len() >= 2 && !noise(word) => {
                    // Plurals: "Containers" and "Container" are one word.
                    let word = if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
                        &word[..word.len() - 1]
                    } else {
                        word
                    };
                    if word.len() >= 2 && !noise(word) {
                        found(word);
                    }
                }
                Script::Katakana | Script::Kanji if !word.is_empty() => found(word),
                _ => {}
            }
            kind = k;
            start = if k == Script::Other {
                at + c.len_utf8()
            } else {
                at
            };
        }
    }
}

/// 8 bands of 3 rows: titles with similarity 0.6 share a band with
/// probability 0.86, 0.7 with 0.97, 0.8 with 0.999; each entry costs 8
/// index lookups per fortnight compared.
const SIGNATURE: usize = 24;
const BAND_ROWS: usize = 3;

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

    fn shingles(&self) -> &Vec<u32> {
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
        let sketch = &self.sketch;
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

/// Hashed character trigrams of `text` without its spaces: sorted,
/// without repeats (the text itself when shorter than three characters).
fn shingles_of(text: &str) -> Vec<u32> {
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
fn hash32(text: &str) -> u32 {
    mix(hash_bytes(text.as_bytes())) as u32
}

/// 0 stands for "none" in a sketch.
fn nonzero(hash: u32) -> u32 {
    hash.max(1)
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// "project version" when the title announces a release: at most three
/// words (filler removed) before the first version number, at most three
/// after it.
pub fn release_key(title: &str) -> Option<String> {
    TitleKey::new(title).release
}

fn release_of(text: &str) -> Option<String> {
    static VERSION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|\s)v?(\d+\.\d+(?:\.\d+)?)(?:\s|$|:)").expect("valid regex")
    });
    let caps = VERSION.captures(text)?;
    let whole = caps.get(0)?;
    let project: Vec<&str> = text[..whole.start()].split_whitespace().collect();
    // A release announcement names the project, the version and perhaps a
    // codename; "Kubernetes 1.35 の新機能まとめ …" is an article about it.
    let after = text[whole.end()..].split_whitespace().count();
    if project.is_empty() || project.len() > 3 || after > 3 {
        return None;
    }
    let project = project.join(" ");
    let version = numbers(&caps[1]).into_iter().next()?;
    Some(format!("{project} {version}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> String {
        url_key(&Url::parse(url).unwrap())
    }

    #[test]
    fn equivalent_urls_share_a_key() {
        let same = [
            "https://www.example.com/blog/post/",
            "http://example.com/blog/post",
            "https://example.com/blog/post/index.html",
            "https://amp.example.com/blog/post/amp/",
            "https://example.com/blog/post?ref=hackernews",
        ];
        for url in same {
            assert_eq!(key(url), "example.com/blog/post", "{url}");
        }
        assert_eq!(key("https://example.com/?p=12&ref=x"), "example.com?p=12");
        assert_ne!(key("https://example.com/a"), key("https://example.com/b"));
        assert_eq!(
            key("https://api.github.com/repos/argoproj/argo-cd/releases/tags/v2.5.0"),
            key("https://github.com/argoproj/argo-cd/releases/tag/v2.5.0")
        );
    }

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
