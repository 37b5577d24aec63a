//! A cheap pass over a feed document's bytes, before and beside feed-rs:
//! how many `<item>`/`<entry>` elements it has, which of them carry an
//! element that could give a title, text, link or date, and whether markup
//! sits inside a text element. `feed` reads a document a second time (with
//! [`lenient`](super::lenient)) only when this says the second reading can
//! find something feed-rs did not: that reading costs as much as feed-rs's.

/// What an item or entry may carry, as bits of a [`Carries`].
pub(super) const TITLE: u8 = 1;
pub(super) const TEXT: u8 = 2;
pub(super) const LINK: u8 = 4;
pub(super) const DATE: u8 = 8;

/// A set of [`TITLE`], [`TEXT`], [`LINK`] and [`DATE`].
pub(super) type Carries = u8;

#[derive(Debug, Default, PartialEq)]
pub(super) struct Scan {
    pub json: bool,
    /// For each `<item>` and `<entry>` start tag, any prefix, outside
    /// comments and CDATA, in document order: what its child elements
    /// could give, by their local names (`title`, `dc:title`, `media:title`
    /// all carry a title).
    pub items: Vec<Carries>,
    /// An element inside a `<title>`, `<description>`, `<summary>` or
    /// `<content>` (naked HTML, or Atom's `type="html"` written as markup),
    /// which feed-rs cuts at the first child. Atom's `type="xhtml"` is
    /// meant to hold elements, and feed-rs reads it whole.
    pub markup_in_text: bool,
}

/// What an element of this local name could give its entry.
fn carries(local: &[u8]) -> Carries {
    match local {
        b"title" => TITLE,
        b"description" | b"summary" | b"content" | b"encoded" | b"body" | b"fullitem" => TEXT,
        b"link" | b"guid" => LINK,
        b"pubDate" | b"published" | b"issued" | b"created" | b"updated" | b"modified" | b"date" => {
            DATE
        }
        _ => 0,
    }
}

pub(super) fn scan(xml: &[u8]) -> Scan {
    let mut found = Scan {
        json: super::json_feed::is_json(xml),
        ..Scan::default()
    };
    if found.json {
        return found;
    }
    let mut at = 0;
    // Whether the last tag opened a text element.
    let mut in_text = false;
    // Whether the last item or entry started is still open.
    let mut in_item = false;
    while let Some(lt) = memchr::memchr(b'<', &xml[at..]) {
        let tag = &xml[at + lt + 1..];
        at += lt + 1;
        let skip_to = |end: &[u8]| memchr::memmem::find(tag, end).map(|e| e + end.len());
        if tag.starts_with(b"!--") {
            at += skip_to(b"-->").unwrap_or(tag.len());
            continue;
        }
        if tag.starts_with(b"![CDATA[") {
            at += skip_to(b"]]>").unwrap_or(tag.len());
            continue;
        }
        let closing = tag.first() == Some(&b'/');
        let rest = &tag[usize::from(closing)..];
        let name_len = rest
            .iter()
            .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if name.is_empty() || !name[0].is_ascii_alphabetic() {
            in_text = false;
            continue;
        }
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        let is_item = matches!(local, b"item" | b"entry");
        if closing {
            in_text = false;
            in_item &= !is_item;
            continue;
        }
        let gt = memchr::memchr(b'>', tag).unwrap_or(tag.len());
        let start_tag = &tag[..gt];
        if in_text {
            found.markup_in_text = true;
        }
        let self_closing = start_tag.last() == Some(&b'/');
        if is_item {
            // RSS 1.0's rdf:about is the item's link.
            let about = memchr::memmem::find(start_tag, b"about=").is_some();
            found.items.push(if about { LINK } else { 0 });
            in_item = !self_closing;
        } else if in_item && let Some(item) = found.items.last_mut() {
            *item |= carries(local);
        }
        in_text = !self_closing
            && matches!(local, b"title" | b"description" | b"summary" | b"content")
            && !declares_xhtml(start_tag);
    }
    found
}

/// Whether a start tag says `type="xhtml"` (either quote).
fn declares_xhtml(start_tag: &[u8]) -> bool {
    memchr::memmem::find(start_tag, b"type=\"xhtml\"").is_some()
        || memchr::memmem::find(start_tag, b"type='xhtml'").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_say_what_their_children_carry() {
        let rss = br#"<rss><channel><title>t</title>
<item rdf:about="https://example.org/1"><dc:title>One</dc:title></item>
<!-- <item><title>commented out</title></item> -->
<item><description><![CDATA[<item>]]></description><pubDate>x</pubDate></item>
<item/></channel></rss>"#;
        let found = scan(rss);
        assert_eq!(found.items, vec![LINK | TITLE, TEXT | DATE, 0]);
        assert!(!found.markup_in_text);
    }

    #[test]
    fn markup_in_text_counts_unless_atom_says_xhtml() {
        let naked = b"<rss><channel><item><description>Intro <br/> more</description></item></channel></rss>";
        assert!(scan(naked).markup_in_text);
        let xhtml = br#"<feed><entry><content type="xhtml"><div>whole</div></content><summary type='xhtml'><p>x</p></summary></entry></feed>"#;
        let found = scan(xhtml);
        assert!(!found.markup_in_text);
        assert_eq!(found.items, vec![TEXT]);
        let html_as_markup =
            br#"<feed><entry><content type="html"><p>cut</p></content></entry></feed>"#;
        assert!(scan(html_as_markup).markup_in_text);
    }

    #[test]
    fn json_is_not_scanned() {
        let found = scan(b"  {\"items\": [\"<item>\"]}");
        assert!(found.json);
        assert!(found.items.is_empty());
    }
}
