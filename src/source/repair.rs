//! Byte-level repairs of feed documents before feed-rs reads them: each
//! one a way real feeds break XML, or a way feed-rs 3.0 trips (panics) on
//! input it should refuse or read. Each returns the input unchanged (and
//! borrowed) when there is nothing to repair.

/// Removes the C0 control characters XML 1.0 forbids (a raw 0x08 in a title
/// is a real-world mistake that would otherwise reject the whole feed).
pub(super) fn strip_invalid_xml_chars(utf8: &[u8]) -> std::borrow::Cow<'_, [u8]> {
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
pub(super) fn strip_late_xml_declarations(
    xml: std::borrow::Cow<'_, [u8]>,
) -> std::borrow::Cow<'_, [u8]> {
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
pub(super) fn drop_unsafe_rss_contacts(
    xml: std::borrow::Cow<'_, [u8]>,
) -> std::borrow::Cow<'_, [u8]> {
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

/// Escapes every `&` that does not start an entity or character reference;
/// `None` when there is none.
pub(super) fn escape_bare_ampersands(xml: &[u8]) -> Option<Vec<u8>> {
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
pub(super) fn version_unversioned_rss(
    xml: std::borrow::Cow<'_, [u8]>,
) -> std::borrow::Cow<'_, [u8]> {
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
