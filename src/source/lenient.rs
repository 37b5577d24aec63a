//! A forgiving second reading of RSS and Atom, with quick-xml, for what
//! feed-rs rejects or leaves out.
//!
//! feed-rs is the parser; this pass runs only when a document needs it
//! (see [`scan`](super::scan)): feed-rs refused it or read fewer
//! entries than it has `<item>`/`<entry>` elements (Atom 0.3, RSS 0.90,
//! `<rss version="0.94">`, items outside a `<channel>`, Atom text of an odd
//! `type`), or an entry lacks a title, link, text or date that another
//! element carries (`dc:title`, `itunes:summary`, a permalink `<guid>`,
//! `dcterms:issued`, `rdf:about`...), or markup inside `<description>` cut
//! feed-rs's text short. Each entry's fields are read here raw, in
//! feedparser's order of precedence, and `feed` merges them with feed-rs's.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use url::Url;

/// Text as an element holds it, references resolved once.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawText {
    pub value: String,
    /// HTML (to be reduced to text) rather than plain text.
    pub html: bool,
}

/// One `<item>` or `<entry>`, raw.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawEntry {
    pub title: Option<RawText>,
    pub summary: Option<RawText>,
    pub content: Option<RawText>,
    /// Resolved against the document's URL and every `xml:base` in scope.
    pub link: Option<String>,
    pub id: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    /// The rank each field was found at (lower wins): feedparser's
    /// precedence, e.g. `<title>` over `dc:title` over `media:title`.
    ranks: [u8; 7],
}

const TITLE: usize = 0;
const SUMMARY: usize = 1;
const CONTENT: usize = 2;
const LINK: usize = 3;
const ID: usize = 4;
const PUBLISHED: usize = 5;
const UPDATED: usize = 6;
const UNSET: u8 = u8::MAX;

/// The vocabularies this reading knows; anything else is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    /// No namespace, RSS 0.90/1.0/2.0 and Atom 0.3/1.0.
    Core,
    Dc,
    DcTerms,
    Itunes,
    Media,
    Content,
    Xhtml,
    Other,
}

fn vocabulary(resolved: &ResolveResult) -> Ns {
    match resolved {
        ResolveResult::Unbound => Ns::Core,
        ResolveResult::Bound(ns) => match ns.0.trim_end_matches('/') {
            "http://purl.org/dc/elements/1.1" => Ns::Dc,
            "http://purl.org/dc/terms" => Ns::DcTerms,
            "http://purl.org/rss/1.0/modules/content" => Ns::Content,
            "http://search.yahoo.com/mrss" => Ns::Media,
            "http://www.w3.org/1999/xhtml" => Ns::Xhtml,
            uri if uri.eq_ignore_ascii_case("http://www.itunes.com/dtds/podcast-1.0.dtd") => {
                Ns::Itunes
            }
            "http://www.w3.org/2005/Atom"
            | "http://purl.org/atom/ns#"
            | "http://purl.org/rss/1.0"
            | "http://my.netscape.com/rdf/simple/0.9"
            | "http://channel.netscape.com/rdf/simple/0.9"
            | "http://backend.userland.com/rss2"
            | "http://backend.userland.com/rss"
            | "http://blogs.law.harvard.edu/tech/rss"
            | "http://purl.org/net/rss1.1#" => Ns::Core,
            _ => Ns::Other,
        },
        // An undeclared prefix: go by its usual name.
        ResolveResult::Unknown(prefix) => match prefix.as_str() {
            "dc" => Ns::Dc,
            "dcterms" => Ns::DcTerms,
            "itunes" => Ns::Itunes,
            "media" => Ns::Media,
            "content" => Ns::Content,
            "xhtml" => Ns::Xhtml,
            "atom" | "rss" => Ns::Core,
            _ => Ns::Other,
        },
    }
}

/// Reads every item and entry of `xml` (UTF-8 by now), stopping quietly
/// where the document stops being XML: the entries before that count.
pub(crate) fn read(xml: &str, feed_url: &Url) -> Vec<RawEntry> {
    let mut reader = NsReader::from_str(xml);
    reader.config_mut().check_end_names = false;
    let mut bases: Vec<Url> = vec![feed_url.clone()];
    let mut entries = Vec::new();
    while let Ok((resolved, event)) = reader.read_resolved_event() {
        let ns = vocabulary(&resolved);
        match event {
            Event::Start(start) => {
                let base = with_base(&start, &bases[bases.len() - 1]);
                if ns != Ns::Other && is_entry(&start) {
                    let mut entry = RawEntry {
                        ranks: [UNSET; 7],
                        ..RawEntry::default()
                    };
                    about(&start, &base, &mut entry);
                    // An entry the document cuts off is not read at all.
                    if !read_children(&mut reader, &mut entry, &base) {
                        break;
                    }
                    entries.push(entry);
                } else {
                    bases.push(base);
                }
            }
            Event::Empty(start) if ns != Ns::Other && is_entry(&start) => {
                let mut entry = RawEntry {
                    ranks: [UNSET; 7],
                    ..RawEntry::default()
                };
                about(&start, &bases[bases.len() - 1], &mut entry);
                entries.push(entry);
            }
            Event::End(_) if bases.len() > 1 => {
                bases.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    entries
}

fn is_entry(start: &BytesStart) -> bool {
    matches!(start.local_name().as_ref(), "item" | "entry")
}

fn attribute(start: &BytesStart, local: &str) -> Option<String> {
    start.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local).then(|| unescape(&a.value).trim().to_owned())
    })
}

/// The base URL inside `start`: its `xml:base` resolved against `base`.
fn with_base(start: &BytesStart, base: &Url) -> Url {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == "xml:base")
        .and_then(|a| base.join(unescape(&a.value).trim()).ok())
        .unwrap_or_else(|| base.clone())
}

/// RSS 1.0's `rdf:about`: the item's id and, failing a `<link>`, its link.
fn about(start: &BytesStart, base: &Url, entry: &mut RawEntry) {
    if let Some(about) = attribute(start, "about").filter(|a| !a.is_empty()) {
        let link = base
            .join(&about)
            .map_or_else(|_| about.clone(), String::from);
        entry.offer(LINK, 4, |e| e.link = Some(link));
        entry.offer(ID, 2, |e| e.id = Some(about));
    }
}

impl RawEntry {
    /// Sets a field found at `rank` unless one of a better rank is set.
    fn offer(&mut self, field: usize, rank: u8, set: impl FnOnce(&mut RawEntry)) {
        // Of two dates of one rank the last counts, as in feedparser.
        let last_wins = matches!(field, PUBLISHED | UPDATED);
        if rank < self.ranks[field] || (last_wins && rank == self.ranks[field]) {
            self.ranks[field] = rank;
            set(self);
        }
    }
}

/// Reads the children of the element just started, up to its end;
/// false when the document ends (or stops being XML) first.
fn read_children(reader: &mut NsReader<&[u8]>, entry: &mut RawEntry, base: &Url) -> bool {
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((resolved, event)) => (vocabulary(&resolved), event),
            Err(_) => return false,
        };
        match event {
            Event::Start(child) => {
                let local = child.local_name().as_ref().to_owned();
                let child_base = with_base(&child, base);
                if ns == Ns::Media && matches!(local.as_str(), "group" | "content") {
                    if !read_children(reader, entry, &child_base) {
                        return false;
                    }
                    continue;
                }
                let Ok(inner) = reader.read_text(child.name()) else {
                    return false;
                };
                let inner = inner.into_inner();
                read_field(ns, &local, &child, &inner, &child_base, entry);
            }
            Event::Empty(child) => {
                let local = child.local_name().as_ref().to_owned();
                read_field(ns, &local, &child, "", &with_base(&child, base), entry);
            }
            Event::End(_) => return true,
            Event::Eof => return false,
            _ => {}
        }
    }
}

/// One child of an entry: `raw` is its content as written.
fn read_field(
    ns: Ns,
    local: &str,
    child: &BytesStart,
    raw: &str,
    base: &Url,
    entry: &mut RawEntry,
) {
    let resolve = |href: &str| {
        base.join(href)
            .map_or_else(|_| href.to_owned(), String::from)
    };
    let date = || Some(unescape(raw).trim().to_owned()).filter(|d| !d.is_empty());
    match (ns, local) {
        (Ns::Core, "title") => entry.offer(TITLE, 0, |e| e.title = text(child, raw, false)),
        (Ns::Dc, "title") => entry.offer(TITLE, 1, |e| e.title = text(child, raw, false)),
        (Ns::Media, "title") => entry.offer(TITLE, 2, |e| e.title = text(child, raw, false)),
        (Ns::Core, "description" | "summary") => {
            entry.offer(SUMMARY, 0, |e| e.summary = text(child, raw, true));
        }
        (Ns::Dc, "description") => entry.offer(SUMMARY, 1, |e| e.summary = text(child, raw, true)),
        (Ns::Itunes, "summary") => entry.offer(SUMMARY, 2, |e| e.summary = text(child, raw, true)),
        (Ns::Media, "description") => {
            entry.offer(SUMMARY, 3, |e| e.summary = text(child, raw, true));
        }
        (Ns::Content, "encoded") | (Ns::Core, "content") => {
            entry.offer(CONTENT, 0, |e| e.content = text(child, raw, true));
        }
        (Ns::Xhtml | Ns::Core, "body") | (Ns::Core, "fullitem") => {
            entry.offer(CONTENT, 1, |e| e.content = text(child, raw, true));
        }
        (Ns::Core, "link") => {
            let rel = attribute(child, "rel").unwrap_or_else(|| "alternate".into());
            let href = match attribute(child, "href") {
                Some(href) => href,
                None if !raw.trim().is_empty() => unescape(raw).trim().to_owned(),
                None => return,
            };
            let rank = match rel.as_str() {
                "alternate" => 0,
                "self" | "enclosure" | "edit" | "replies" | "license" => return,
                _ => 2,
            };
            entry.offer(LINK, rank, |e| e.link = Some(resolve(&href)));
        }
        (Ns::Core, "guid" | "id") => {
            let id = unescape(raw).trim().to_owned();
            if id.is_empty() {
                return;
            }
            let permalink = local == "guid"
                && attribute(child, "isPermaLink").is_none_or(|p| p != "false")
                && (id.starts_with("http://") || id.starts_with("https://"));
            if permalink {
                entry.offer(LINK, 3, |e| e.link = Some(resolve(&id)));
            }
            entry.offer(ID, 0, |e| e.id = Some(id));
        }
        (Ns::Dc, "identifier") => {
            let id = unescape(raw).trim().to_owned();
            entry.offer(ID, 1, |e| e.id = Some(id));
        }
        (Ns::Core, "pubDate" | "published" | "issued") => {
            entry.offer(PUBLISHED, 0, |e| e.published = date());
        }
        (Ns::DcTerms, "issued" | "created") | (Ns::Core, "created") => {
            entry.offer(PUBLISHED, 1, |e| e.published = date());
        }
        (Ns::Core, "updated" | "modified") => entry.offer(UPDATED, 0, |e| e.updated = date()),
        (Ns::Dc, "date") | (Ns::DcTerms, "modified") => {
            entry.offer(UPDATED, 1, |e| e.updated = date());
        }
        _ => {}
    }
}

/// An element's text: Atom's `type` (and 0.3's `mode`) says whether it is
/// HTML, XHTML, plain text or base64; without one, `markup_by_default`
/// elements (RSS descriptions) are HTML, others only when they hold markup.
fn text(child: &BytesStart, raw: &str, markup_by_default: bool) -> Option<RawText> {
    let kind = attribute(child, "type").map(|t| t.to_ascii_lowercase());
    let base64 = attribute(child, "mode").is_some_and(|m| m.eq_ignore_ascii_case("base64"))
        || kind.as_deref().is_some_and(|k| {
            k.contains('/') && !k.starts_with("text/") && !k.contains("xml") && !k.contains("html")
        });
    if base64 {
        let decoded = decode_base64(&unescape(raw))?;
        return Some(RawText {
            value: String::from_utf8_lossy(&decoded).into_owned(),
            html: true,
        });
    }
    let markup = has_markup(raw);
    let html = match kind.as_deref() {
        Some(k) if k.contains("html") || k.contains("xml") || k == "escaped" => true,
        Some("text" | "text/plain") => false,
        _ => markup_by_default || markup,
    };
    // Elements written out (XHTML, naked HTML) are HTML as they stand,
    // references and all; escaped HTML is unescaped once.
    let value = if html && markup {
        open_cdata(raw)
    } else {
        unescape(raw)
    };
    Some(RawText { value, html })
}

/// Written content with its CDATA sections opened, nothing else changed.
fn open_cdata(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find("<![CDATA[") {
        out.push_str(&rest[..at]);
        let cdata = &rest[at + 9..];
        let end = cdata.find("]]>").unwrap_or(cdata.len());
        out.push_str(&cdata[..end]);
        rest = cdata.get(end + 3..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// Whether written content holds an element (outside CDATA).
fn has_markup(raw: &str) -> bool {
    let mut rest = raw;
    while let Some(lt) = rest.find('<') {
        let after = &rest[lt + 1..];
        if let Some(cdata) = after.strip_prefix("![CDATA[") {
            rest = cdata.find("]]>").map_or("", |end| &cdata[end + 3..]);
            continue;
        }
        if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return true;
        }
        rest = after;
    }
    false
}

/// Content as written, as its text: CDATA sections opened, the XML
/// references outside them resolved, elements left as they are (HTML).
pub(crate) fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        let next = rest.find(['&', '<']);
        let Some(at) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let end = cdata.find("]]>").unwrap_or(cdata.len());
            out.push_str(&cdata[..end]);
            rest = cdata.get(end + 3..).unwrap_or("");
        } else if rest.starts_with('<') {
            out.push('<');
            rest = &rest[1..];
        } else {
            // `rest` starts with `&`: a `;` in the next few bytes ends a reference.
            let end = rest.bytes().take(12).position(|b| b == b';');
            let reference = end.map(|end| (&rest[1..end], end));
            let resolved = reference.and_then(|(name, end)| {
                let c = match name {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => {
                        let code = match name.strip_prefix("#x").or(name.strip_prefix("#X")) {
                            Some(hex) => u32::from_str_radix(hex, 16).ok(),
                            None => name.strip_prefix('#').and_then(|d| d.parse().ok()),
                        };
                        char::from_u32(code?)?
                    }
                };
                Some((c, end))
            });
            match resolved {
                Some((c, end)) => {
                    out.push(c);
                    rest = &rest[end + 1..];
                }
                // An HTML entity (`&nbsp;`): left for the HTML reduction.
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
    }
}

/// Standard base64, whitespace ignored; `None` when it is not base64.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_one(xml: &str) -> RawEntry {
        let url = Url::parse("http://example.org/feed/").unwrap();
        read(xml, &url).remove(0)
    }

    #[test]
    fn atom_0_3_fields_and_base64_content_are_read() {
        let e = read_one(
            r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry>
            <title type="text/plain" mode="escaped">A &amp;lt; B</title>
            <link rel="alternate" href="/one"/><link rel="self" href="/self"/>
            <id>tag:1</id><issued>2003-12-31T10:14:55Z</issued>
            <content mode="base64">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</content></entry></feed>"#,
        );
        assert_eq!(e.title.unwrap().value, "A &lt; B");
        assert_eq!(e.link.as_deref(), Some("http://example.org/one"));
        assert_eq!(e.id.as_deref(), Some("tag:1"));
        assert_eq!(e.published.as_deref(), Some("2003-12-31T10:14:55Z"));
        assert_eq!(e.content.unwrap().value, "Example <b>Atom</b>");
    }

    #[test]
    fn rss_markup_fallbacks_and_permalinks_are_read() {
        let e = read_one(
            r#"<rss xmlns:dc="http://purl.org/dc/elements/1.1/"><item>
            <dc:title>DC</dc:title><description>Intro <br/> more &amp; <![CDATA[<b>x</b>]]></description>
            <guid>http://example.org/p</guid><dc:date>2004-07-08 23:56:58</dc:date></item></rss>"#,
        );
        assert_eq!(e.title.unwrap().value, "DC");
        let summary = e.summary.unwrap();
        assert_eq!(summary.value, "Intro <br/> more &amp; <b>x</b>");
        assert!(summary.html);
        assert_eq!(e.link.as_deref(), Some("http://example.org/p"));
        assert_eq!(e.updated.as_deref(), Some("2004-07-08 23:56:58"));
        let rdf = read_one(
            r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://my.netscape.com/rdf/simple/0.9/">
            <item rdf:about="http://example.org/1"><title>T</title></item></rdf:RDF>"#,
        );
        assert_eq!(rdf.link.as_deref(), Some("http://example.org/1"));
    }
}
