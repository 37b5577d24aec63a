//! Bytes in, UTF-8 out: feeds declare their encoding in the HTTP header or
//! the XML prolog, and quite often lie. The rule, in order:
//!
//! 1. a byte-order mark wins, then the byte pattern of a leading `<` in
//!    UTF-16 or UTF-32;
//! 2. bytes that are valid UTF-8 and contain non-ASCII text are UTF-8,
//!    whatever the prolog says (legacy encodings almost never form valid
//!    UTF-8 by accident, while "UTF-8 body, ISO-8859-1 prolog" is common);
//! 3. otherwise the charset from `Content-Type`, then the prolog's
//!    `encoding`, when it names a legacy encoding;
//! 4. otherwise the encoding is sniffed (chardetng, the detector Firefox
//!    uses), which recognises undeclared Shift_JIS and EUC-JP.
//!
//! The prolog is rewritten to say UTF-8 so the XML parser does not decode
//! the text a second time.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8};

/// Returns the document as UTF-8, and the encoding it was read as.
pub fn to_utf8<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, [u8]>, &'static Encoding) {
    decode(body, content_type, None)
}

/// The same for HTML pages, which declare their charset in a `<meta>` tag
/// (looked for in the first 8 KB; browsers stop at 1 KB, real pages don't).
pub fn html_to_utf8<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
) -> (Cow<'a, [u8]>, &'static Encoding) {
    decode(body, content_type, meta_charset(body))
}

fn meta_charset(body: &[u8]) -> Option<&'static Encoding> {
    let head = &body[..body.len().min(8192)];
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<meta") {
        let tag = &rest[start..];
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        if let Some(at) = tag.find("charset=") {
            let value = tag[at + "charset=".len()..].trim_start_matches(['"', '\'', ' ']);
            let end = value
                .find(['"', '\'', ' ', ';', '/', '>'])
                .unwrap_or(value.len());
            if let Some(encoding) = Encoding::for_label(&value.as_bytes()[..end]) {
                return Some(encoding);
            }
        }
        rest = &rest[start + 5..];
    }
    None
}

fn decode<'a>(
    body: &'a [u8],
    content_type: Option<&str>,
    in_document: Option<&'static Encoding>,
) -> (Cow<'a, [u8]>, &'static Encoding) {
    if let Some(text) = utf32(body) {
        return (with_utf8_prolog(text), UTF_8);
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(body) {
        let (text, _) = encoding.decode_without_bom_handling(&body[bom_len..]);
        return (with_utf8_prolog(text.into_owned()), encoding);
    }
    // UTF-16 without a byte-order mark: `<` then a zero byte, or after one.
    match body {
        [b'<', 0, c, 0, ..] if *c != 0 => {
            let (text, _) = encoding_rs::UTF_16LE.decode_without_bom_handling(body);
            return (with_utf8_prolog(text.into_owned()), encoding_rs::UTF_16LE);
        }
        [0, b'<', 0, c, ..] if *c != 0 => {
            let (text, _) = encoding_rs::UTF_16BE.decode_without_bom_handling(body);
            return (with_utf8_prolog(text.into_owned()), encoding_rs::UTF_16BE);
        }
        _ => {}
    }
    let declared = content_type
        .and_then(charset_from_content_type)
        .or_else(|| prolog_encoding(body))
        .or(in_document)
        .filter(|e| *e != UTF_8 && e.is_ascii_compatible());
    let encoding = match std::str::from_utf8(body) {
        Ok(_) => UTF_8,
        Err(_) => declared.unwrap_or_else(|| sniff(body)),
    };
    if encoding == UTF_8 {
        if declared.is_none() && prolog_encoding(body).is_none_or(|e| e == UTF_8) {
            return (Cow::Borrowed(body), UTF_8);
        }
        // Valid UTF-8 under a prolog that says otherwise, or invalid UTF-8
        // that is sniffed as UTF-8: decode (replacing bad bytes) and fix the prolog.
        let text = String::from_utf8_lossy(body).into_owned();
        return (with_utf8_prolog(text), UTF_8);
    }
    let (text, _) = encoding.decode_without_bom_handling(body);
    (with_utf8_prolog(text.into_owned()), encoding)
}

/// UTF-32 (encoding_rs has none), by its byte-order mark or the pattern
/// of a leading `<`; invalid code points are replaced.
fn utf32(body: &[u8]) -> Option<String> {
    let (big_endian, rest) = match body {
        [0, 0, 0xFE, 0xFF, rest @ ..] => (true, rest),
        [0xFF, 0xFE, 0, 0, rest @ ..] => (false, rest),
        [0, 0, 0, b'<', ..] => (true, body),
        [b'<', 0, 0, 0, ..] => (false, body),
        _ => return None,
    };
    Some(
        rest.chunks_exact(4)
            .map(|c| {
                let bytes = [c[0], c[1], c[2], c[3]];
                let code = if big_endian {
                    u32::from_be_bytes(bytes)
                } else {
                    u32::from_le_bytes(bytes)
                };
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
    )
}

fn sniff(body: &[u8]) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(body, true);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if name.trim().eq_ignore_ascii_case("charset") {
            Encoding::for_label(value.trim().trim_matches('"').as_bytes())
        } else {
            None
        }
    })
}

/// The `encoding` of an XML declaration at the start of the document.
fn prolog_encoding(body: &[u8]) -> Option<&'static Encoding> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    let rest = &body[start..];
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    let end = rest.iter().take(512).position(|&b| b == b'>')?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    let after = &decl[decl.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    let value = &value[..value.find(quote)?];
    Encoding::for_label(value.trim().as_bytes())
}

/// Replaces (or leaves out) the XML declaration so it no longer names a
/// legacy encoding.
fn with_utf8_prolog(text: String) -> Cow<'static, [u8]> {
    let trimmed = text.trim_start();
    if trimmed.starts_with("<?xml")
        && let Some(end) = trimmed.find("?>")
    {
        let rest = &trimmed[end + 2..];
        let mut out = String::with_capacity(rest.len() + 40);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        out.push_str(rest);
        return Cow::Owned(out.into_bytes());
    }
    Cow::Owned(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(body: &[u8], content_type: Option<&str>) -> String {
        String::from_utf8(to_utf8(body, content_type).0.into_owned()).unwrap()
    }

    #[test]
    fn declared_legacy_encodings_are_decoded() {
        let (sjis, _, _) = encoding_rs::SHIFT_JIS
            .encode("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><t>日本語</t>");
        assert_eq!(
            utf8(&sjis, None),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>日本語</t>"
        );
        let (eucjp, _, _) = encoding_rs::EUC_JP.encode("<t>記事</t>");
        assert_eq!(
            utf8(&eucjp, Some("application/rss+xml; charset=EUC-JP")),
            "<t>記事</t>"
        );
        assert_eq!(
            utf8(
                b"<?xml version='1.0' encoding='ISO-8859-1'?><t>Caf\xe9</t>",
                None
            ),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>Café</t>"
        );
    }

    #[test]
    fn utf8_bytes_win_over_a_wrong_prolog() {
        let body = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><t>Café</t>".as_bytes();
        assert_eq!(
            utf8(body, None),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><t>Café</t>"
        );
    }

    #[test]
    fn plain_utf8_is_not_copied() {
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><t>x</t>";
        assert!(matches!(
            to_utf8(body, Some("text/xml")).0,
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn html_meta_charset_is_honoured() {
        let page = b"<html><head><title>x</title><meta charset=\"iso-8859-1\"></head><body>Caf\xe9</body></html>";
        let (text, encoding) = html_to_utf8(page, Some("text/html"));
        assert_eq!(encoding, encoding_rs::WINDOWS_1252);
        assert!(
            String::from_utf8(text.into_owned())
                .unwrap()
                .contains("Café")
        );
    }

    #[test]
    fn utf16_and_utf32_are_read_with_or_without_a_byte_order_mark() {
        let xml = "<t>Iñtërnâtiônàlizætiøn</t>";
        let utf16le: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = xml.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let utf32le: Vec<u8> = xml
            .chars()
            .flat_map(|c| u32::from(c).to_le_bytes())
            .collect();
        let utf32be: Vec<u8> = xml
            .chars()
            .flat_map(|c| u32::from(c).to_be_bytes())
            .collect();
        for body in [&utf16le, &utf16be, &utf32le, &utf32be] {
            assert_eq!(utf8(body, None), xml);
        }
        let with_bom = [&[0xFF, 0xFE, 0, 0][..], &utf32le].concat();
        assert_eq!(utf8(&with_bom, None), xml);
    }

    #[test]
    fn byte_order_mark_is_removed() {
        assert_eq!(utf8(b"\xef\xbb\xbf<t>x</t>", None), "<t>x</t>");
    }
}
