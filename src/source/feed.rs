//! RSS 0.9x/1.0/2.0, Atom and JSON Feed, through feed-rs.
//!
//! feed-rs reads every document. When it refused one, read fewer entries
//! than the document has `<item>`/`<entry>` elements, or left an entry
//! without a title, link, text or date, or the document holds markup
//! inside a text element (which feed-rs cuts at the first child), the
//! document is read a second time by [`lenient`](super::lenient) and the
//! two readings are merged field by field: feed-rs's wins where it has
//! the field whole. What still could not be read is said in the
//! [`ParsedSource::warning`], never dropped silently.

use feed_rs::model::{Link, Text};
use url::Url;

use super::fields::{Fields, merge};
use super::repair::{
    drop_unsafe_rss_contacts, escape_bare_ampersands, strip_invalid_xml_chars,
    strip_late_xml_declarations, version_unversioned_rss,
};
use super::{IncomingEntry, ParseError, ParsedSource};
use super::{lenient, scan};
use crate::encoding;
use crate::normalize::{html_to_text, plain_text};

/// feed-rs invents an id for entries without one; this marks ours so we
/// can derive a stable key instead of trusting a random one.
pub(crate) const NO_ID: &str = "\u{0}newsdesk:no-id";

/// Parses a fetched feed document.
pub fn parse(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<ParsedSource, ParseError> {
    let (document, model) = read_model(body, content_type, feed_url)?;
    let scan = scan::scan(&document);
    let (title, ttl, mut fields) = match &model {
        Ok(feed) => (
            feed.title.as_ref().map(text_of),
            feed.ttl
                .map(|minutes| std::time::Duration::from_secs(u64::from(minutes) * 60)),
            feed.entries.iter().map(Fields::of_model).collect(),
        ),
        Err(_) => (None, None, Vec::new()),
    };
    let second_reading = !scan.json
        && (model.is_err()
            || fields.len() != scan.items.len()
            || scan.markup_in_text
            || fields
                .iter()
                .zip(&scan.items)
                .any(|(entry, carries)| entry.missing() & carries != 0));
    if second_reading {
        let raw = lenient::read(&String::from_utf8_lossy(&document), feed_url);
        fields = merge(fields, raw.iter().map(Fields::of_raw).collect());
    }
    if fields.is_empty()
        && let Err(error) = model
    {
        return Err(error);
    }
    let unread = (fields.len() < scan.items.len()).then(|| {
        format!(
            "{} of {} <item>/<entry> elements could not be read (help: the feed's XML is broken \
             there; the publisher has to fix it)",
            scan.items.len() - fields.len(),
            scan.items.len()
        )
    });
    let entries: Vec<IncomingEntry> = fields.into_iter().map(|f| f.finish(feed_url)).collect();
    let mut keys = std::collections::HashSet::with_capacity(entries.len());
    let repeated = entries.iter().filter(|e| !keys.insert(&e.key)).count();
    let repeated = (repeated > 0).then(|| {
        format!(
            "{repeated} of {} entries repeat another entry's id (or, without one, its link or \
             title) and are kept as one",
            entries.len()
        )
    });
    let warning = match (unread, repeated) {
        (Some(unread), Some(repeated)) => Some(format!("{unread}; {repeated}")),
        (unread, repeated) => unread.or(repeated),
    };
    Ok(ParsedSource {
        title,
        ttl,
        entries,
        warning,
    })
}

/// The document repaired for feed-rs, and feed-rs's reading of it.
type Reading<'a> = (
    std::borrow::Cow<'a, [u8]>,
    Result<feed_rs::model::Feed, ParseError>,
);

/// The feed as feed-rs reads it, after encoding repair; for adapters that
/// need more than the normalised entries (GitHub release notes).
pub(crate) fn parse_model(
    body: &[u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<feed_rs::model::Feed, ParseError> {
    read_model(body, content_type, feed_url)?.1
}

fn read_model<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    feed_url: &Url,
) -> Result<Reading<'a>, ParseError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let (utf8, _) = encoding::to_utf8(body, content_type);
    let cleaned = match utf8 {
        std::borrow::Cow::Borrowed(bytes) => strip_invalid_xml_chars(bytes),
        std::borrow::Cow::Owned(bytes) => {
            std::borrow::Cow::Owned(strip_invalid_xml_chars(&bytes).into_owned())
        }
    };
    let cleaned = version_unversioned_rss(cleaned);
    let cleaned = strip_late_xml_declarations(cleaned);
    let cleaned = drop_unsafe_rss_contacts(cleaned);
    let first_error = match parser(feed_url).parse(&cleaned[..]) {
        Ok(feed) => return Ok((cleaned, Ok(feed))),
        Err(error) => error,
    };
    // A JSON Feed feed-rs finds too loose is read once more with the
    // version and title it wants (only now: that parses the JSON again).
    // Raw `&` in titles and URLs is the most common way real feeds break
    // XML; escaping them and trying again recovers those feeds.
    let repaired = if super::json_feed::is_json(&cleaned) {
        super::json_feed::lenient_version(&cleaned)
    } else {
        escape_bare_ampersands(&cleaned)
    };
    match repaired {
        Some(repaired) => {
            let feed = parser(feed_url)
                .parse(&repaired[..])
                .map_err(|_| describe(first_error));
            Ok((std::borrow::Cow::Owned(repaired), feed))
        }
        None => Ok((cleaned, Err(describe(first_error)))),
    }
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

fn describe(error: feed_rs::parser::ParseFeedError) -> ParseError {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            ParseError::NotAFeed("no RSS, Atom or JSON Feed root element".into())
        }
        other => ParseError::Malformed(other.to_string()),
    }
}

fn is_html(text: &Text) -> bool {
    text.content_type.subty().as_str().contains("html")
}

pub(super) fn text_of(text: &Text) -> String {
    if is_html(text) {
        html_to_text(&text.content)
    } else {
        plain_text(&text.content)
    }
}

/// The entry's main link: the alternate HTML page when it says so, else the
/// first link that is not a self/enclosure/related reference.
pub(super) fn main_link(links: &[Link]) -> Option<&Link> {
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
