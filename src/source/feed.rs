//! RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.

use chrono::{DateTime, Utc};
use feed_rs::model::{Entry, Link, Text};
use url::Url;

use super::{IncomingEntry, ParseError, ParsedSource, SUMMARY_CHARS, THIN_SUMMARY_CHARS};
use crate::encoding;
use crate::normalize::{canonical_url, digest_hex, html_to_text, plain_text, truncate_chars};

/// feed-rs invents an id for entries without one; this marks ours so we
/// can derive a stable key instead of trusting a random one.
pub(crate) const NO_ID: &str = "\u{0}newsdesk:no-id";

/// Parses a fetched feed document.
pub fn parse(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<ParsedSource, ParseError> {
    let feed = parse_model(body, content_type, feed_url)?;
    let entries = feed
        .entries
        .into_iter()
        .map(|entry| normalise_entry(entry, feed_url))
        .collect();
    Ok(ParsedSource {
        title: feed.title.map(|t| text_of(&t)),
        ttl: feed
            .ttl
            .map(|minutes| std::time::Duration::from_secs(u64::from(minutes) * 60)),
        entries,
    })
}

/// The feed as feed-rs reads it, after encoding repair; for adapters that
/// need more than the normalised entries (GitHub release notes).
pub(crate) fn parse_model(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<feed_rs::model::Feed, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let (utf8, _) = encoding::to_utf8(body, content_type);
    let cleaned = strip_invalid_xml_chars(&utf8);
    let cleaned = version_unversioned_rss(cleaned);
    let cleaned = strip_late_xml_declarations(cleaned);
    let cleaned = drop_unsafe_rss_contacts(cleaned);
    let feed = match parser(feed_url).parse(&cleaned[..]) {
        Ok(feed) => feed,
        // Raw `&` in titles and URLs is the most common way real feeds
        // break XML; escaping them and trying again recovers those feeds.
        Err(first_error) => match escape_bare_ampersands(&cleaned) {
            Some(repaired) => parser(feed_url)
                .parse(&repaired[..])
                .map_err(|_| describe(first_error))?,
            None => return Err(describe(first_error)),
        },
    };
    Ok(feed)
}

/// A new parser for each attempt: feed-rs keeps Media RSS state in the
/// parser, and a parse that failed inside an entry leaves it behind, so
/// the next parse with the same parser panics (an assertion in
/// `MediaRssState::entry_begin`).
fn parser(feed_url: &Url) -> feed_rs::parser::Parser {
    feed_rs::parser::Builder::new()
        .base_uri(Some(feed_url.as_str()))
        .id_generator(|_, _, _| NO_ID.to_owned())
        .build()
}

/// Removes the C0 control characters XML 1.0 forbids (a raw 0x08 in a title
/// is a real-world mistake that would otherwise reject the whole feed).
fn strip_invalid_xml_chars(utf8: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let invalid = |b: &u8| *b < 0x20 && !matches!(*b, b'\t' | b'\n' | b'\r');
    if utf8.iter().any(invalid) {
        std::borrow::Cow::Owned(utf8.iter().copied().filter(|b| !invalid(b)).collect())
    } else {
        std::borrow::Cow::Borrowed(utf8)
    }
}

/// Removes the XML declarations feed-rs would trip on: every one after the
/// start of the document, and one at the start that names an encoding other
/// than UTF-8. feed-rs hands each declaration's encoding to quick-xml's
/// decoder, which panics ("set_encoding() called after prefix buffer was
/// drained") when the encoding changes past the first 64 bytes; the text is
/// UTF-8 by now, whatever a declaration says, and one after the start is
/// not XML anyway. JSON Feeds are left alone.
///
/// Only a declaration as quick-xml reads it counts: `<?xml` inside CDATA, a
/// comment, a processing instruction or a tag's quoted attribute is text
/// and stays. So the rare document with a second `<?xml` (or a leading one
/// naming another encoding) is read once with feed-rs's own reader and
/// settings to find them; every other document costs one substring search.
fn strip_late_xml_declarations(xml: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    use quick_xml::events::{BytesDecl, BytesStart, Event};

    // feed-rs reads a document as JSON when `{` comes before any `<`.
    let Some(first) = xml.iter().position(|b| matches!(b, b'<' | b'{')) else {
        return xml;
    };
    if xml[first] == b'{' {
        return xml;
    }
    let utf8_or_none = |decl: &BytesDecl| {
        decl.encoder()
            .is_none_or(|encoding| encoding == encoding_rs::UTF_8)
    };
    let leading = xml.iter().position(|b| !b.is_ascii_whitespace());
    // `<?xml` then whitespace or `?>`: quick-xml's rule for a declaration
    // (`<?xml-stylesheet …?>` is a processing instruction).
    let mut declarations = memchr::memmem::find_iter(&xml, b"<?xml")
        .filter(|at| matches!(xml.get(at + 5), Some(b' ' | b'\t' | b'\r' | b'\n' | b'?')));
    match (declarations.next(), declarations.next()) {
        (None, _) => return xml,
        // One, at the start: harmless unless it names another encoding.
        (Some(at), None) if Some(at) == leading => {
            let content = memchr::memmem::find(&xml[at + 1..], b"?>")
                .and_then(|end| std::str::from_utf8(&xml[at + 2..at + 1 + end]).ok());
            if content.is_some_and(|content| {
                utf8_or_none(&BytesDecl::from_start(BytesStart::from_content(content, 3)))
            }) {
                return xml;
            }
        }
        _ => {}
    }

    // feed-rs's reader replaces invalid UTF-8 as it decodes; so does this.
    // Its other settings change no event's place, only which events come.
    let text = String::from_utf8_lossy(&xml);
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut cuts: Vec<std::ops::Range<usize>> = Vec::new();
    loop {
        let before = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Decl(decl)) => {
                // `<?`, the declaration's content, `?>`.
                let end = reader.buffer_position() as usize;
                let start = end - decl.len() - 4;
                let at_start = text.as_bytes()[..start].iter().all(u8::is_ascii_whitespace);
                if !(at_start && utf8_or_none(&decl)) {
                    cuts.push(start..end);
                }
            }
            Ok(_) => {}
            // feed-rs stops at an error. Reading on where quick-xml can
            // finds declarations it would never reach: cutting those too
            // changes nothing it reads.
            Err(_) if reader.buffer_position() == before => break,
            Err(_) => {}
        }
    }
    if cuts.is_empty() {
        return xml;
    }
    let text = text.as_bytes();
    let mut kept = Vec::with_capacity(text.len());
    let mut copied = 0;
    for cut in cuts {
        kept.extend_from_slice(&text[copied..cut.start]);
        copied = cut.end;
    }
    kept.extend_from_slice(&text[copied..]);
    std::borrow::Cow::Owned(kept)
}

/// Empties RSS `<author>`, `<managingEditor>` and `<webMaster>` elements
/// whose text holds a non-ASCII character or a reference. feed-rs 3.0
/// splits "name email" there with byte arithmetic and panics when a
/// multi-byte character touches the address ("taro@example.jp（山田）").
/// newsdesk reads no authors, so nothing is lost; ASCII ones are kept.
fn drop_unsafe_rss_contacts(xml: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    const CONTACTS: [&[u8]; 3] = [b"author", b"managingEditor", b"webMaster"];
    let find = |from: usize, needle: &[u8]| {
        xml.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| from + p)
    };
    if xml.iter().find(|b| matches!(b, b'<' | b'{')) != Some(&b'<') {
        return xml;
    }
    let mut kept: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut at = 0;
    while let Some(lt) = find(at, b"<") {
        at = lt + 1;
        let Some(name) = CONTACTS.iter().find(|name| {
            xml[lt + 1..].starts_with(name)
                && matches!(
                    xml.get(lt + 1 + name.len()),
                    Some(b'>' | b' ' | b'\t' | b'\r' | b'\n')
                )
        }) else {
            continue;
        };
        let Some(gt) = find(lt, b">") else { break };
        if xml[gt - 1] == b'/' {
            continue;
        }
        let close = [b"</".as_slice(), name].concat();
        let Some(end) = find(gt + 1, &close) else {
            break;
        };
        let text = &xml[gt + 1..end];
        if text.iter().any(|b| !b.is_ascii() || *b == b'&') {
            kept.get_or_insert_with(Vec::new)
                .extend_from_slice(&xml[copied..gt + 1]);
            copied = end;
        }
        at = end;
    }
    match kept {
        Some(mut kept) => {
            kept.extend_from_slice(&xml[copied..]);
            std::borrow::Cow::Owned(kept)
        }
        None => xml,
    }
}

fn describe(error: feed_rs::parser::ParseFeedError) -> ParseError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            ParseError::NotAFeed("no RSS, Atom or JSON Feed root element".into())
        }
        other => ParseError::Malformed(other.to_string()),
    }
}

/// Escapes every `&` that does not start an entity or character reference;
/// `None` when there is none.
fn escape_bare_ampersands(xml: &[u8]) -> Option<Vec<u8>> {
    let is_reference = |rest: &[u8]| {
        let end = rest.iter().take(40).position(|&b| b == b';');
        let Some(end) = end else { return false };
        let name = &rest[1..end];
        match name {
            [b'#', b'x' | b'X', hex @ ..] => {
                !hex.is_empty() && hex.iter().all(u8::is_ascii_hexdigit)
            }
            [b'#', digits @ ..] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
            [first, rest @ ..] => {
                first.is_ascii_alphabetic()
                    && rest
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            }
            [] => false,
        }
    };
    let mut out: Option<Vec<u8>> = None;
    for (i, &b) in xml.iter().enumerate() {
        if b == b'&' && !is_reference(&xml[i..]) {
            let out = out.get_or_insert_with(|| xml[..i].to_vec());
            out.extend_from_slice(b"&amp;");
        } else if let Some(out) = out.as_mut() {
            out.push(b);
        }
    }
    out
}

/// `<rss>` without a `version` is RSS 2.0 in practice (feedparser reads it
/// so); feed-rs wants the attribute, so it is added.
fn version_unversioned_rss(xml: std::borrow::Cow<'_, [u8]>) -> std::borrow::Cow<'_, [u8]> {
    let head = &xml[..xml.len().min(4096)];
    let Some(start) = head.windows(4).position(|w| w == b"<rss") else {
        return xml;
    };
    let Some(end) = head[start..].iter().position(|&b| b == b'>') else {
        return xml;
    };
    let tag = &head[start..start + end];
    let next = tag.get(4).copied();
    if tag.windows(8).any(|w| w == b"version=")
        || !matches!(next, Some(b' ' | b'\t' | b'\r' | b'\n') | None)
    {
        return xml;
    }
    let mut fixed = Vec::with_capacity(xml.len() + 16);
    fixed.extend_from_slice(&xml[..start + 4]);
    fixed.extend_from_slice(b" version=\"2.0\"");
    fixed.extend_from_slice(&xml[start + 4..]);
    std::borrow::Cow::Owned(fixed)
}

fn is_html(text: &Text) -> bool {
    text.content_type.subty().as_str().contains("html")
}

fn text_of(text: &Text) -> String {
    if is_html(text) {
        html_to_text(&text.content)
    } else {
        plain_text(&text.content)
    }
}

/// The entry's main link: the alternate HTML page when it says so, else the
/// first link that is not a self/enclosure/related reference.
fn main_link(links: &[Link]) -> Option<&Link> {
    links
        .iter()
        .find(|l| l.rel.as_deref() == Some("alternate"))
        .or_else(|| links.iter().find(|l| l.rel.is_none()))
        .or_else(|| {
            links.iter().find(|l| {
                !matches!(
                    l.rel.as_deref(),
                    Some("self" | "enclosure" | "edit" | "replies")
                )
            })
        })
}

pub(crate) fn normalise_entry(entry: Entry, feed_url: &Url) -> IncomingEntry {
    let link = main_link(&entry.links)
        .and_then(|l| canonical_url(&l.href, Some(feed_url)).map(|c| (l, c)));
    let url = link.as_ref().map(|(l, _)| {
        feed_url
            .join(l.href.trim())
            .map_or_else(|_| l.href.trim().to_owned(), String::from)
    });
    let canonical = link.map(|(_, c)| String::from(c));

    let summary = entry
        .summary
        .as_ref()
        .map(text_of)
        .filter(|s| !s.is_empty());
    let content = || {
        let content = entry.content.as_ref()?;
        let body = content.body.as_deref()?;
        let text = if content.content_type.subty().as_str().contains("html") {
            html_to_text(body)
        } else {
            plain_text(body)
        };
        Some(text).filter(|s| !s.is_empty())
    };
    // A one-line teaser next to the full content: the content says more.
    let summary_text = match summary {
        Some(teaser) if teaser.chars().count() < THIN_SUMMARY_CHARS => content()
            .filter(|c| c.chars().count() > teaser.chars().count())
            .or(Some(teaser)),
        Some(summary) => Some(summary),
        None => content(),
    };
    let title = entry
        .title
        .as_ref()
        .map(text_of)
        .filter(|t| !t.is_empty())
        .or_else(|| summary_text.as_deref().map(|s| truncate_chars(s, 80)))
        .or_else(|| url.clone())
        .unwrap_or_else(|| "(untitled)".to_owned());
    let summary = summary_text.map(|s| truncate_chars(&s, SUMMARY_CHARS));

    let key = stable_key(
        &entry.id,
        canonical.as_deref(),
        &title,
        entry.published.or(entry.updated),
    );
    IncomingEntry {
        key,
        url,
        canonical_url: canonical,
        title,
        summary,
        published: entry.published.or(entry.updated),
        updated: entry.updated,
        categories: entry
            .categories
            .iter()
            .map(|c| plain_text(c.label.as_deref().unwrap_or(&c.term)))
            .filter(|c| !c.is_empty())
            .collect(),
        filtered: None,
        session: None,
    }
}

/// The feed's own id when it has one; else the canonical link; else a digest
/// of title and date. Never feed-rs's invented id, which is random.
fn stable_key(
    id: &str,
    canonical: Option<&str>,
    title: &str,
    date: Option<DateTime<Utc>>,
) -> String {
    let id = id.trim();
    if !id.is_empty() && id != NO_ID {
        return format!("id:{id}");
    }
    if let Some(url) = canonical {
        return format!("url:{url}");
    }
    let date = date.map(|d| d.to_rfc3339()).unwrap_or_default();
    format!("sha:{}", digest_hex(&[title, &date]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by the feed_normalize fuzz target (a seed: a real Atom feed cut
    /// at 64 KiB): a document that fails inside an entry and holds a bare
    /// `&` was parsed again, for the repair, by the same feed-rs parser,
    /// whose leftover state made it panic.
    #[test]
    fn bare_ampersand_inside_an_entry_is_repaired_without_a_panic() {
        let url = Url::parse("https://example.org/atom.xml").unwrap();
        let atom = br#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>1</id><title>Fish & Chips</title><link href="https://example.org/a"/></entry></feed>"#;
        let parsed = parse(atom, None, &url).unwrap();
        assert_eq!(parsed.entries[0].title, "Fish & Chips");

        let truncated = br#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><content type="html">&lt;p&gt;A &amp; B &l"#;
        assert!(matches!(
            parse(truncated, None, &url),
            Err(ParseError::Malformed(_))
        ));
    }

    /// Found by the feed_normalize fuzz target: feed-rs panicked on an RSS
    /// author whose address touches a multi-byte character ("start byte
    /// index 22 is not a char boundary" in parse_person_name_email).
    #[test]
    fn rss_author_with_a_multibyte_character_next_to_the_address_is_read() {
        let url = Url::parse("https://example.org/rss.xml").unwrap();
        for author in [
            "taro@example.jp（山田太郎）",
            "（taro@example.jp）",
            "taro@example.jp&#12354;&#12354;&#12354;",
        ] {
            let rss = format!(
                "<rss version=\"2.0\"><channel><title>t</title><managingEditor>{author}</managingEditor><item><title>One</title><author>{author}</author><link>https://example.org/1</link></item></channel></rss>"
            );
            let parsed = parse(rss.as_bytes(), None, &url).unwrap();
            assert_eq!(parsed.entries[0].title, "One", "{author}");
        }
        let ascii = b"<rss><channel><author>a@b.example (A)</author><itunes:author>\xc3\xa9</itunes:author><author/></channel></rss>";
        assert_eq!(&drop_unsafe_rss_contacts(ascii[..].into())[..], &ascii[..]);
    }

    /// Found by the feed_normalize fuzz target: a second XML declaration
    /// naming another encoding, inside an item, made quick-xml panic.
    #[test]
    fn xml_declaration_inside_an_item_is_removed_without_a_panic() {
        let url = Url::parse("https://example.org/rss.xml").unwrap();
        let rss = br#"<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0"><channel><title>t</title>
<item><title>One</title><?xml version="1.0" encoding="EUC-JP"?><link>https://example.org/1</link>
<description><![CDATA[<pre><?xml version="1.0" encoding="EUC-JP"?></pre>]]></description></item>
<!-- <?xml version="1.0" encoding="EUC-JP"?> --></channel></rss>"#;
        let parsed = parse(rss, None, &url).unwrap();
        assert_eq!(parsed.entries[0].title, "One");
        assert_eq!(
            parsed.entries[0].url.as_deref(),
            Some("https://example.org/1")
        );
        // After junk, the first declaration is not at the start either
        // (found next: a JSON fragment before an RSS document).
        let junk = format!(
            "{}\n<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>t</title></channel></rss>",
            "\"id\": 1,".repeat(1000)
        );
        assert!(parse(junk.as_bytes(), None, &url).is_ok());
        // Inside CDATA and comments it is text, and stays.
        let kept = br#"<rss><![CDATA[<?xml version="1.0"?>]]><!-- <?xml ?> --><?xml-stylesheet href="a"?><?xml version="1.0"?></rss>"#;
        assert_eq!(
            &strip_late_xml_declarations(kept[..].into())[..],
            br#"<rss><![CDATA[<?xml version="1.0"?>]]><!-- <?xml ?> --><?xml-stylesheet href="a"?></rss>"#
        );
    }

    /// Found by the feed_normalize fuzz target (2026-11-26): `<![CDATA[`
    /// inside a tag's quoted attribute is not CDATA to quick-xml, so the
    /// declaration after it was real and made it panic; the old scanner
    /// took it for CDATA and skipped the rest of the document.
    #[test]
    fn declaration_after_cdata_lookalike_in_a_tag_is_removed_without_a_panic() {
        let url = Url::parse("https://example.org/rss.xml").unwrap();
        let crash = b"\"?>\n<fr\"<![CDATA[NIA\">n <?xml veion=\"1\" encoding=\"windows-1251\"?>05/";
        assert_eq!(
            &strip_late_xml_declarations(crash[..].into())[..],
            b"\"?>\n<fr\"<![CDATA[NIA\">n 05/"
        );
        assert!(parse(crash, None, &url).is_err());
        let rss = r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title a="<![CDATA[">t</title>
<item><title>Éé<?xml version="1.0" encoding="KOI8-R"?></title><link>https://example.org/1</link></item></channel></rss>"#;
        let parsed = parse(rss.as_bytes(), None, &url).unwrap();
        assert_eq!(parsed.entries[0].title, "Éé");
    }

    /// Where each declaration starts, after text (multibyte or not), a tag,
    /// an empty element, a comment or a processing instruction; and which
    /// stay: text in CDATA, comments and PIs, and a UTF-8 declaration at the
    /// start.
    #[test]
    fn only_the_declarations_quick_xml_reads_are_removed() {
        let strip = |xml: &str| {
            String::from_utf8(strip_late_xml_declarations(xml.as_bytes().into()).into_owned())
                .unwrap()
        };
        let d = r#"<?xml version="1.0" encoding="EUC-JP"?>"#;
        for (before, after) in [
            ("<a>é", "</a>"),
            ("<a>x", "</a>"),
            ("<a>", "</a>"),
            ("<a/>", ""),
            ("<a><!-- c -->", "</a>"),
            ("<a><?pi <?xml ?>", "</a>"),
            ("<a b='>'>", "</a>"),
        ] {
            assert_eq!(
                strip(&format!("{before}{d}{after}")),
                format!("{before}{after}")
            );
            assert_eq!(
                strip(&format!("{before}{d}{d}{after}")),
                format!("{before}{after}")
            );
        }
        for kept in [
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><a><![CDATA[<?xml ?>]]></a>",
            "<a><!-- <?xml ?> --><?pi <?xml ?><b c=\"<?xml ?>\"/></a>",
            "  <?xml version=\"1.0\"?><a/>",
        ] {
            assert_eq!(strip(kept), kept);
        }
        // At the start, one naming another encoding goes too, however far
        // in it is.
        let far = format!("{}{d}<a/>", " ".repeat(100));
        assert_eq!(strip(&far), format!("{}<a/>", " ".repeat(100)));
        let url = Url::parse("https://example.org/rss.xml").unwrap();
        let rss = format!(
            "{}<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\"><channel><title>t</title><item><title>One</title></item></channel></rss>",
            " ".repeat(100)
        );
        assert_eq!(
            parse(rss.as_bytes(), None, &url).unwrap().entries[0].title,
            "One"
        );
    }
}
