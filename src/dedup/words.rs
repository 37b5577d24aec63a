//! The words of a title as compared: full-width folded, site suffix cut,
//! filler left out, stemmed, numbers and versions normalised, and the
//! "project version" of a release announcement.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

/// Full-width ASCII (Ｋｕｂｅｒｎｅｔｅｓ, ＃１２) and the ideographic space
/// folded to ASCII.
pub(super) fn fold_width(text: &str) -> String {
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
pub(super) const ANNOUNCE: &[&str] = &[
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
pub(super) const GRAMMAR: &[&str] = &["is", "the", "a", "an", "what", "s", "whats", "in", "its"];
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
pub(super) fn stems(text: &str, drop_announce: bool) -> BTreeSet<String> {
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
pub(super) fn strip_site_suffix(title: &str) -> &str {
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

pub(super) static CVE_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bcve-\d{4}-\d{4,7}\b").expect("valid regex"));

pub(super) static VERSION_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^v?\d+(?:\.\d+)+$").expect("valid regex"));

pub(super) fn numbers_text(word: &str) -> String {
    numbers(word)
        .into_iter()
        .next()
        .unwrap_or_else(|| word.to_owned())
}

/// Numbers in a title, versions normalised (`v1.35.0` = `1.35`).
pub(super) fn numbers(text: &str) -> BTreeSet<String> {
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

pub(super) fn release_of(text: &str) -> Option<String> {
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
