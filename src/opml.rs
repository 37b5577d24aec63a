//! OPML, the subscription lists feed readers import and export.
//!
//! Reading is lenient about what readers put in their files (OPML 1.0 or
//! 2.0, `text` or `title`, `xmlUrl` in any letter case, any encoding the
//! feed reader understands) but uses a real XML parser, so entities and
//! CDATA are decoded as XML says. Folders — outlines without `xmlUrl` that
//! hold other outlines — are the categories of the feeds inside them.
//!
//! Writing produces OPML 2.0 with one folder level per tag, so that a list
//! written here and read back gives the same feeds with the same tags.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// The namespace of our own outline attributes (`newsdesk:id`): readers
/// ignore attributes they do not know, and the source id survives a round
/// trip through a file.
pub const NAMESPACE: &str = "urn:newsdesk:opml";

/// A feed listed in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// `text`, else `title`; may be empty (newsboat writes `title=""`).
    pub title: String,
    pub xml_url: String,
    /// The names of the folders it is in, outermost first.
    pub categories: Vec<String>,
    /// `newsdesk:id`, when the file was written by `newsdesk export-opml`.
    pub newsdesk_id: Option<String>,
}

/// Why a file could not be read as OPML.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    #[error("line {line}: not well-formed XML: {message}")]
    Xml { line: usize, message: String },
    #[error("not an OPML document (the root element is <{0}>, not <opml>)")]
    NotOpml(String),
    #[error("not an OPML document (no <opml> element)")]
    Empty,
}

/// The feeds of an OPML document, in document order.
pub fn parse(bytes: &[u8]) -> Result<Vec<OpmlFeed>, OpmlError> {
    let (utf8, _) = crate::encoding::to_utf8(bytes, None);
    let text = String::from_utf8_lossy(&utf8);
    let mut reader = Reader::from_str(&text);
    let line_of = |position: u64| {
        let end = usize::try_from(position)
            .unwrap_or(usize::MAX)
            .min(text.len());
        text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    };
    let xml_error = |reader: &Reader<&[u8]>, err: &dyn std::fmt::Display| OpmlError::Xml {
        line: line_of(reader.error_position()),
        message: err.to_string(),
    };

    let mut root_seen = false;
    // One entry per open <outline>: the folder name it gives its children.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut feeds = Vec::new();
    loop {
        let event = reader.read_event().map_err(|e| xml_error(&reader, &e))?;
        let (element, is_empty) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().as_ref() == "outline" {
                    folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = element.local_name();
        if !root_seen {
            if name.as_ref() != "opml" {
                return Err(OpmlError::NotOpml(name.as_ref().to_owned()));
            }
            root_seen = true;
            continue;
        }
        if name.as_ref() != "outline" {
            continue;
        }
        let outline = Outline::read(element).map_err(|e| xml_error(&reader, &e))?;
        let folder = match outline.xml_url {
            Some(xml_url) => {
                feeds.push(OpmlFeed {
                    title: outline.text.or(outline.title).unwrap_or_default(),
                    xml_url,
                    categories: categories(&folders),
                    newsdesk_id: outline.newsdesk_id,
                });
                None
            }
            None => outline.text.or(outline.title),
        };
        if !is_empty {
            folders.push(folder);
        }
    }
    if root_seen {
        Ok(feeds)
    } else {
        Err(OpmlError::Empty)
    }
}

/// The folder names enclosing an outline, each once, outermost first.
fn categories(folders: &[Option<String>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in folders.iter().flatten() {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// The attributes of one `<outline>` that matter here, trimmed, empty ones
/// as `None`.
struct Outline {
    text: Option<String>,
    title: Option<String>,
    xml_url: Option<String>,
    newsdesk_id: Option<String>,
}

impl Outline {
    fn read(element: &BytesStart) -> Result<Outline, quick_xml::Error> {
        let mut outline = Outline {
            text: None,
            title: None,
            xml_url: None,
            newsdesk_id: None,
        };
        for attribute in element.attributes() {
            let attribute = attribute.map_err(quick_xml::Error::from)?;
            let key = attribute.key.as_ref().to_ascii_lowercase();
            let slot = match key.as_str() {
                "text" => &mut outline.text,
                "title" => &mut outline.title,
                "xmlurl" => &mut outline.xml_url,
                "newsdesk:id" => &mut outline.newsdesk_id,
                _ => continue,
            };
            let value = attribute.normalized_value(XmlVersion::Implicit1_0)?;
            let value = value.trim();
            if !value.is_empty() {
                *slot = Some(value.to_owned());
            }
        }
        Ok(outline)
    }
}

/// A feed to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFeed {
    pub id: String,
    pub title: String,
    pub xml_url: String,
    /// One folder level per tag, in this order.
    pub tags: Vec<String>,
}

/// One node of the folder tree: a feed, or a folder of nodes.
enum Node<'a> {
    Feed(&'a ExportFeed),
    Folder { name: &'a str, nodes: Vec<Node<'a>> },
}

/// An OPML 2.0 document listing `feeds`, nested in folders by their tags.
/// Folders and feeds keep the order in which they first appear.
pub fn write(title: &str, created: DateTime<Utc>, feeds: &[ExportFeed]) -> String {
    let mut root: Vec<Node> = Vec::new();
    for feed in feeds {
        let mut nodes = &mut root;
        for tag in &feed.tags {
            let index = nodes
                .iter()
                .position(|n| matches!(n, Node::Folder { name, .. } if *name == tag.as_str()));
            let index = index.unwrap_or_else(|| {
                nodes.push(Node::Folder {
                    name: tag,
                    nodes: Vec::new(),
                });
                nodes.len() - 1
            });
            let Node::Folder { nodes: inner, .. } = &mut nodes[index] else {
                unreachable!("the index points at a folder")
            };
            nodes = inner;
        }
        nodes.push(Node::Feed(feed));
    }

    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<opml version=\"2.0\" xmlns:newsdesk=\"{}\">",
        escape(NAMESPACE)
    );
    out.push_str("  <head>\n");
    let _ = writeln!(out, "    <title>{}</title>", escape(title));
    let _ = writeln!(
        out,
        "    <dateCreated>{}</dateCreated>",
        created.to_rfc2822()
    );
    out.push_str("    <docs>http://opml.org/spec2.opml</docs>\n");
    out.push_str("  </head>\n  <body>\n");
    write_nodes(&mut out, &root, 2);
    out.push_str("  </body>\n</opml>\n");
    out
}

fn write_nodes(out: &mut String, nodes: &[Node], depth: usize) {
    let indent = "  ".repeat(depth);
    for node in nodes {
        match node {
            Node::Feed(feed) => {
                let _ = writeln!(
                    out,
                    "{indent}<outline type=\"rss\" text=\"{title}\" title=\"{title}\" xmlUrl=\"{url}\" newsdesk:id=\"{id}\"/>",
                    title = escape(&feed.title),
                    url = escape(&feed.xml_url),
                    id = escape(&feed.id),
                );
            }
            Node::Folder { name, nodes } => {
                let name = escape(name);
                let _ = writeln!(out, "{indent}<outline text=\"{name}\" title=\"{name}\">");
                write_nodes(out, nodes, depth + 1);
                let _ = writeln!(out, "{indent}</outline>");
            }
        }
    }
}

/// Text for an attribute or element: markup escaped, characters XML 1.0
/// cannot hold dropped, line breaks as references so they survive
/// attribute-value normalisation.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_become_categories_and_entities_are_decoded() {
        let opml = br#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0"><head><title>x</title></head><body>
  <outline text="Cloud &amp; Native">
    <outline text="GitOps" title="GitOps">
      <outline type="rss" text="Argo &lt;CD&gt;" xmlUrl="https://github.com/argoproj/argo-cd/releases.atom"/>
    </outline>
    <outline type="rss" title="CNCF" xmlurl=" https://www.cncf.io/feed/ "></outline>
  </outline>
  <outline type="rss" text="" title="" xmlUrl="https://kubernetes.io/feed.xml" htmlUrl=""/>
</body></opml>"#;
        let feeds = parse(opml).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].title, "Argo <CD>");
        assert_eq!(feeds[0].categories, ["Cloud & Native", "GitOps"]);
        assert_eq!(feeds[1].title, "CNCF");
        assert_eq!(feeds[1].xml_url, "https://www.cncf.io/feed/");
        assert_eq!(feeds[1].categories, ["Cloud & Native"]);
        assert_eq!(feeds[2].title, "");
        assert!(feeds[2].categories.is_empty());
    }

    #[test]
    fn broken_and_foreign_documents_are_refused_with_a_reason() {
        let err = parse(b"<opml><body><outline text='a'></body></opml>").unwrap_err();
        assert!(matches!(err, OpmlError::Xml { line: 1, .. }), "{err}");
        let err = parse(b"<rss version='2.0'><channel/></rss>").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not an OPML document (the root element is <rss>, not <opml>)"
        );
        assert!(matches!(parse(b"").unwrap_err(), OpmlError::Empty));
    }

    #[test]
    fn written_documents_read_back_the_same() {
        let feeds = vec![
            ExportFeed {
                id: "a".into(),
                title: "A \"quoted\" & <b>".into(),
                xml_url: "https://example.org/feed?x=1&y=2".into(),
                tags: vec!["release".into(), "gitops".into()],
            },
            ExportFeed {
                id: "b".into(),
                title: "B".into(),
                xml_url: "https://example.org/b".into(),
                tags: vec![],
            },
            ExportFeed {
                id: "c".into(),
                title: "C".into(),
                xml_url: "https://example.org/c".into(),
                tags: vec!["release".into()],
            },
        ];
        let text = write("Weekly <1>", DateTime::UNIX_EPOCH, &feeds);
        assert!(text.contains("<title>Weekly &lt;1&gt;</title>"), "{text}");
        let read = parse(text.as_bytes()).unwrap();
        assert_eq!(read.len(), 3);
        assert_eq!(read[0].title, "A \"quoted\" & <b>");
        assert_eq!(read[0].xml_url, "https://example.org/feed?x=1&y=2");
        assert_eq!(read[0].categories, ["release", "gitops"]);
        assert_eq!(read[0].newsdesk_id.as_deref(), Some("a"));
        // Grouped by folder: C joins the "release" folder A opened.
        assert_eq!(read[1].xml_url, "https://example.org/c");
        assert_eq!(read[1].categories, ["release"]);
        assert_eq!(read[2].xml_url, "https://example.org/b");
    }
}
