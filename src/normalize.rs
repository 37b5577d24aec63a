//! Turning what feeds say into what the queue needs: canonical URLs that
//! compare equal when two feeds link the same story, plain text for titles
//! and summaries, and entry keys that survive re-polls.
//!
//! Everything here is pure and cheap: it runs for every entry of every poll.

use url::Url;

use crate::digest::sha256_hex;

/// What a query parameter says about the page its URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryParam {
    /// Part of what the page is (`?id=3`, `?page=2`): kept.
    Content,
    /// Only tracks where a click came from (`utm_*`, `fbclid`): dropped
    /// from every canonical URL, so a cross-post (`?utm_source=cncf`)
    /// compares equal to the original.
    Tracking,
    /// Names where a link was shared (`?ref=hackernews`): dropped from the
    /// looser dedup key only, since a few sites also choose content with
    /// these names.
    Referrer,
}

/// Every parameter that is not [`QueryParam::Content`], lower-case; any
/// `utm_*` is tracking as well.
const NOT_CONTENT_PARAMS: &[(&str, QueryParam)] = &[
    ("fbclid", QueryParam::Tracking),
    ("gclid", QueryParam::Tracking),
    ("dclid", QueryParam::Tracking),
    ("gbraid", QueryParam::Tracking),
    ("wbraid", QueryParam::Tracking),
    ("msclkid", QueryParam::Tracking),
    ("yclid", QueryParam::Tracking),
    ("twclid", QueryParam::Tracking),
    ("igshid", QueryParam::Tracking),
    ("mc_cid", QueryParam::Tracking),
    ("mc_eid", QueryParam::Tracking),
    ("_hsenc", QueryParam::Tracking),
    ("_hsmi", QueryParam::Tracking),
    ("mkt_tok", QueryParam::Tracking),
    ("oly_anon_id", QueryParam::Tracking),
    ("oly_enc_id", QueryParam::Tracking),
    ("vero_id", QueryParam::Tracking),
    ("wt_mc", QueryParam::Tracking),
    ("ncid", QueryParam::Tracking),
    ("cmpid", QueryParam::Tracking),
    ("sr_share", QueryParam::Tracking),
    ("ref", QueryParam::Referrer),
    ("ref_src", QueryParam::Referrer),
    ("ref_url", QueryParam::Referrer),
    ("source", QueryParam::Referrer),
    ("amp", QueryParam::Referrer),
    ("outputtype", QueryParam::Referrer),
    ("share", QueryParam::Referrer),
];

/// What the query parameter `name` says about its page (case ignored).
pub fn query_param(name: &str) -> QueryParam {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("utm_") {
        return QueryParam::Tracking;
    }
    NOT_CONTENT_PARAMS
        .iter()
        .find(|(known, _)| *known == lower)
        .map_or(QueryParam::Content, |(_, role)| *role)
}

/// Resolves `link` against `base` and returns the canonical form of an
/// http(s) URL: scheme and host lower-cased, default port, fragment and
/// tracking parameters removed. Anything that is not http(s) gives `None`:
/// such links cannot be published in a newsletter anyway.
pub fn canonical_url(link: &str, base: Option<&Url>) -> Option<Url> {
    let link = link.trim();
    if link.is_empty() {
        return None;
    }
    let mut url = match base {
        Some(base) => base.join(link).ok()?,
        None => Url::parse(link).ok()?,
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return None;
    }
    // `url` lower-cases scheme and host and drops default ports itself.
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(name, _)| query_param(name) != QueryParam::Tracking)
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url)
}

/// Plain text from a fragment of HTML: tags removed (with the contents of
/// `script` and `style`), entities decoded, whitespace folded to single
/// spaces. Block-level tags become spaces so words do not run together.
///
/// A small scanner rather than an HTML5 parser: summaries only need their
/// words, and this runs for every entry of every poll.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        text.push_str(&rest[..lt]);
        let after = &rest[lt + 1..];
        let Some(first) = after.chars().next() else {
            // A lone `<` at the end is text.
            text.push('<');
            rest = "";
            break;
        };
        if !(first.is_ascii_alphabetic() || matches!(first, '/' | '!' | '?')) {
            // `a < b` is text, not a tag.
            text.push('<');
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |end| &comment[end + 3..]);
            continue;
        }
        let Some(gt) = after.find('>') else {
            // No closing `>`: this was text after all (`c<d`).
            text.push('<');
            rest = after;
            continue;
        };
        let tag = &after[..gt];
        rest = &after[gt + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if !tag.starts_with('/') && matches!(name.as_str(), "script" | "style") {
            let close = format!("</{name}");
            let lower = rest.to_ascii_lowercase();
            rest = match lower.find(&close) {
                Some(pos) => rest[pos..].find('>').map_or("", |gt| &rest[pos + gt + 1..]),
                None => "",
            };
        }
        if !is_inline_tag(&name) {
            text.push(' ');
        }
    }
    text.push_str(rest);
    fold_whitespace(&html_escape::decode_html_entities(&text))
}

fn is_inline_tag(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "bdi"
            | "bdo"
            | "cite"
            | "code"
            | "data"
            | "dfn"
            | "em"
            | "i"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "u"
            | "var"
            | "wbr"
            | "font"
            | "tt"
            | "strike"
            | "del"
            | "ins"
    )
}

/// Plain text that may still hold entities (RSS titles are often escaped
/// twice): entities decoded and whitespace folded.
pub fn plain_text(text: &str) -> String {
    fold_whitespace(&html_escape::decode_html_entities(text))
}

/// Collapses every run of whitespace (including non-breaking spaces and
/// control characters) to one space and trims the ends; C1 controls are
/// read as windows-1252 first.
pub fn fold_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars().map(windows_1252_control) {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The character windows-1252 has at a C1 control code point: HTML5 reads
/// `&#147;` as `“`, and so do feeds' authors; a C1 control is never text.
fn windows_1252_control(c: char) -> char {
    const C1: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match u32::from(c) {
        code @ 0x80..=0x9f => C1[(code - 0x80) as usize],
        _ => c,
    }
}

/// Cuts `text` to at most `max_chars` characters at a word boundary when
/// one is near, marking the cut with an ellipsis.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return text.to_owned();
    };
    let head = &text[..cut];
    // Prefer a space in the last fifth; CJK text has none, so cut mid-run.
    let word_cut = head
        .rfind(' ')
        .filter(|&space| space >= head.len() * 4 / 5)
        .unwrap_or(head.len());
    format!("{}…", head[..word_cut].trim_end())
}

/// A short, stable hex digest: entry keys for entries that carry no id.
/// Each part ends with a NUL, so `["ab", "c"]` and `["a", "bc"]` differ.
pub fn digest_hex(parts: &[&str]) -> String {
    let mut joined = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        joined.extend_from_slice(part.as_bytes());
        joined.push(0);
    }
    let mut hex = sha256_hex(&joined);
    hex.truncate(32);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(link: &str) -> String {
        canonical_url(link, None)
            .map(String::from)
            .unwrap_or_default()
    }

    #[test]
    fn canonical_url_drops_tracking_fragment_and_default_port() {
        assert_eq!(
            canon("HTTPS://Kubernetes.IO:443/blog/x/?utm_source=cncf&utm_medium=rss#comments"),
            "https://kubernetes.io/blog/x/"
        );
        assert_eq!(
            canon("http://example.com:80/a?id=3&fbclid=abc&gclid=z&page=2"),
            "http://example.com/a?id=3&page=2"
        );
        assert_eq!(
            canon("https://example.com:8443/a"),
            "https://example.com:8443/a"
        );
    }

    #[test]
    fn canonical_url_resolves_relative_links_and_refuses_other_schemes() {
        let base = Url::parse("https://www.qemu.org/feed.xml").unwrap();
        assert_eq!(
            canonical_url("/2025/08/26/x/", Some(&base))
                .unwrap()
                .as_str(),
            "https://www.qemu.org/2025/08/26/x/"
        );
        assert_eq!(
            canonical_url("posts/a.html", Some(&base)).unwrap().as_str(),
            "https://www.qemu.org/posts/a.html"
        );
        assert!(canonical_url("mailto:a@example.com", None).is_none());
        assert!(canonical_url("javascript:alert(1)", Some(&base)).is_none());
        assert!(canonical_url("", Some(&base)).is_none());
    }

    #[test]
    fn canonical_url_is_idempotent() {
        for link in [
            "https://a.example/x?b=1&utm_campaign=q#f",
            "http://A.example:80/%7Euser/?a=%20b",
            "https://a.example/?",
        ] {
            let once = canon(link);
            assert_eq!(canon(&once), once, "{link}");
        }
    }

    #[test]
    fn html_to_text_strips_tags_scripts_and_entities() {
        assert_eq!(
            html_to_text(
                "<p>Hello&nbsp;<b>world</b> &amp; friends</p><script>alert('x')</script><p>Next</p>"
            ),
            "Hello world & friends Next"
        );
        assert_eq!(html_to_text("a < b and c<d"), "a < b and c<d");
        assert_eq!(html_to_text("x<!-- hidden -->y"), "xy");
        assert_eq!(
            html_to_text("日本語の<em>記事</em>です"),
            "日本語の記事です"
        );
        assert_eq!(html_to_text("<style>p{}</style>  \n\t text "), "text");
    }

    #[test]
    fn truncation_keeps_whole_words_and_characters() {
        assert_eq!(truncate_chars("short", 10), "short");
        assert_eq!(
            truncate_chars("one two three four five", 16),
            "one two three…"
        );
        assert_eq!(truncate_chars("日本語のテキスト", 4), "日本語の…");
    }
}
