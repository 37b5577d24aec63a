//! Text from feeds, made safe for the editor's Markdown.
//!
//! A feed's title or summary is someone else's text: it must read as text
//! and never become structure. Everything is one line (so nothing can start
//! a heading, a list, a `---` front-matter fence or a Zenn `:::` block), and
//! every character that opens inline structure — links, images, HTML, code
//! spans, emphasis, math (Zenn's `$`), tables — is backslash-escaped, which
//! CommonMark defines for any ASCII punctuation; so is a `&` that would
//! start a character reference (a title that says `&amp;` must not render
//! as `&`). Links only point at
//! http(s) URLs, percent-encoded so a `)` cannot end one early.
//!
//! Zenn's renderer (markdown-it with linkify, fuzzy links and e-mails
//! off) also turns text into links: `https://…`, `mailto:…` and `//host`.
//! The `:` after a scheme and each `/` of a `//` are escaped, which splits
//! the text markdown-it's linkify sees, so a title that is a URL reads as
//! one and links nowhere.

use url::Url;

/// Characters escaped wherever they are.
const ALWAYS: &[char] = &['\\', '`', '*', '_', '[', ']', '<', '>', '#', '|', '~', '$'];

/// Characters that start block structure at the start of a line.
const LINE_START: &[char] = &['-', '+', '=', ':'];

/// `text` as one line of Markdown that renders as exactly this text.
pub fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control() || is_invisible_separator(c) {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        if ALWAYS.contains(&c) || (out.is_empty() && LINE_START.contains(&c)) {
            out.push('\\');
        }
        out.push(c);
    }
    break_autolinks(escape_ordered_list_start(escape_character_references(out)))
}

/// `scheme:rest` → `scheme\:rest` and `//` → `\/\/`: nothing left for
/// linkify to match. A `:` before a space ("v1.35: Harbor Lights") stays.
fn break_autolinks(text: String) -> String {
    if !text.contains(':') && !text.contains("//") {
        return text;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        let before = i.checked_sub(1).map(|p| chars[p]);
        let after = chars.get(i + 1).copied();
        let scheme_colon = c == ':'
            && before.is_some_and(|b| b.is_ascii_alphabetic())
            && after.is_some_and(|a| !a.is_whitespace());
        let double_slash = c == '/' && (after == Some('/') || before == Some('/'));
        if scheme_colon || double_slash {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `&amp;` in feed text is text, but CommonMark would decode it. Any `&`
/// before a name and a `;` is escaped (a superset of the real entity
/// names, which costs only a backslash); numeric references are already
/// broken by the escaped `#`; a lone `&` as in "Q&A" is left alone.
fn escape_character_references(text: String) -> String {
    if !text.contains('&') {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 4);
    for (i, c) in text.char_indices() {
        if c == '&' {
            let rest = &text[i + 1..];
            let name = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            if name > 0 && rest[name..].starts_with(';') {
                out.push('\\');
            }
        }
        out.push(c);
    }
    out
}

/// Bidirectional overrides and similar format characters: they can make
/// the source read differently from what renders.
fn is_invisible_separator(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// "2022. A year" at the start of a line is an ordered list.
fn escape_ordered_list_start(text: String) -> String {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 || digits > 9 {
        return text;
    }
    match text[digits..].chars().next() {
        Some(c @ ('.' | ')')) => format!("{}\\{c}{}", &text[..digits], &text[digits + 1..]),
        _ => text,
    }
}

/// The URL to link to, if it is an http(s) URL; characters that could end
/// a Markdown link destination or an autolink are percent-encoded.
pub fn link_url(url: &str) -> Option<String> {
    let parsed = Url::parse(url.trim()).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return None;
    }
    let mut out = String::with_capacity(parsed.as_str().len());
    for c in parsed.as_str().chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            ' ' => out.push_str("%20"),
            '`' => out.push_str("%60"),
            '"' => out.push_str("%22"),
            '\'' => out.push_str("%27"),
            '\\' => out.push_str("%5C"),
            c => out.push(c),
        }
    }
    Some(out)
}

/// Text already escaped by [`markdown_text`] cut to at most `max`
/// characters (an escape counts as one) at a word boundary when there is
/// one in the second half, with "…" when anything was cut. An escape is
/// never split, so the cut cannot leave a dangling backslash.
pub fn truncate_escaped(text: &str, max: usize) -> String {
    let mut units: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '\\' {
            1 + rest[1..].chars().next().map_or(0, char::len_utf8)
        } else {
            c.len_utf8()
        };
        units.push(&rest[..len]);
        rest = &rest[len..];
    }
    if units.len() <= max {
        return text.to_owned();
    }
    let mut cut = max.saturating_sub(1);
    if let Some(space) = units[..cut].iter().rposition(|u| *u == " ")
        && space >= cut / 2
    {
        cut = space;
    }
    let mut out: String = units[..cut].concat();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a CommonMark renderer would see as structure: any unescaped
    /// special character, or a line break.
    fn unescaped_specials(escaped: &str) -> Vec<char> {
        let mut found = Vec::new();
        let mut chars = escaped.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                chars.next();
            } else if ALWAYS.contains(&c) || c == '\n' || c == '\r' {
                found.push(c);
            }
        }
        found
    }

    const NASTY: &[&str] = &[
        "[x](javascript:alert(1))",
        "<script>alert(1)</script>",
        "# Heading",
        "---\ntitle: pwned\n---",
        "`code` and ``more``",
        "a](https://evil.example.org)",
        "![img](https://evil.example.org/x.png)",
        "<!-- newsdesk:item 1 -->",
        ":::message alert\nboom\n:::",
        "$\\int x$",
        "| a | b |\n|---|---|",
        "1. first",
        "2022) year",
        "- item",
        "+ item",
        "= setext",
        "> quote",
        "trailing backslash \\",
        "\\[already escaped\\]",
        "*emph* _emph_ ~~strike~~",
        "line\r\nbreak\u{2028}sep\u{85}nel",
        "\u{202E}reversed",
        "{% raw %}{{ handlebars }}",
        "Kubernetes v1.35 の新機能【まとめ】",
        "&lt;b&gt;entities&lt;/b&gt;",
        "   ",
        "",
    ];

    #[test]
    fn nasty_strings_become_one_line_of_plain_text() {
        for input in NASTY {
            let escaped = markdown_text(input);
            assert!(!escaped.contains('\n'), "{input:?} → {escaped:?}");
            assert!(
                unescaped_specials(&escaped).is_empty(),
                "{input:?} → {escaped:?}"
            );
            for start in LINE_START {
                assert!(!escaped.starts_with(*start), "{input:?} → {escaped:?}");
            }
            // A marker must start a line; an escaped one cannot.
            assert!(!escaped.starts_with("<!--"), "{input:?} → {escaped:?}");
        }
    }

    #[test]
    fn every_combination_of_two_nasty_strings_stays_safe() {
        // A property-like sweep: pairs and their truncations.
        for a in NASTY {
            for b in NASTY {
                let input = format!("{a}{b}");
                let escaped = markdown_text(&input);
                assert!(unescaped_specials(&escaped).is_empty(), "{input:?}");
                for max in [1, 2, 5, 13, 40] {
                    let cut = truncate_escaped(&escaped, max);
                    assert!(unescaped_specials(&cut).is_empty(), "{input:?} at {max}");
                    assert!(!cut.ends_with('\\') || cut.ends_with("\\\\"), "{cut:?}");
                    assert!(cut.chars().count() <= max + 1 + cut.matches('\\').count());
                }
            }
        }
    }

    #[test]
    fn every_ascii_character_at_every_position() {
        for c in (0u8..128).map(char::from) {
            for input in [
                format!("{c}"),
                format!("{c}x"),
                format!("x{c}"),
                format!("{c}{c}{c}"),
            ] {
                let escaped = markdown_text(&input);
                assert!(unescaped_specials(&escaped).is_empty(), "{input:?}");
                assert!(!escaped.contains('\n'));
            }
        }
    }

    #[test]
    fn ordinary_text_stays_readable() {
        assert_eq!(
            markdown_text("Kubernetes v1.35: Harbor Lights"),
            "Kubernetes v1.35: Harbor Lights"
        );
        assert_eq!(markdown_text("  Argo CD\n  3.0 "), "Argo CD 3.0");
        assert_eq!(markdown_text("# not a heading"), "\\# not a heading");
        assert_eq!(markdown_text("---"), "\\---");
        assert_eq!(markdown_text("2022. A year"), "2022\\. A year");
        assert_eq!(
            markdown_text("[x](javascript:alert(1))"),
            "\\[x\\](javascript\\:alert(1))"
        );
    }

    /// Zenn's linkify links `https://…`, `mailto:…` and `//host` in text.
    #[test]
    fn urls_and_mail_addresses_in_text_are_not_links() {
        assert_eq!(
            markdown_text("https://evil.example/x"),
            "https\\:\\/\\/evil.example/x"
        );
        assert_eq!(
            markdown_text("mailto:a@example.org"),
            "mailto\\:a@example.org"
        );
        assert_eq!(
            markdown_text("see //evil.example"),
            "see \\/\\/evil.example"
        );
        assert_eq!(markdown_text("a///b"), "a\\/\\/\\/b");
        assert_eq!(
            markdown_text("Kubernetes v1.35: Harbor Lights at 10:30"),
            "Kubernetes v1.35: Harbor Lights at 10:30"
        );
        assert_eq!(markdown_text("Note: x"), "Note: x");
        // An escaped backslash before the `:`: the slashes still break it.
        assert_eq!(
            markdown_text("https\\://x.example"),
            "https\\\\:\\/\\/x.example"
        );
    }

    /// Found by the property test `escaped_title_is_one_link_in_one_heading`:
    /// a title reading "&amp;" rendered as "&".
    #[test]
    fn character_references_in_titles_stay_text() {
        assert_eq!(markdown_text("&amp;"), "\\&amp;");
        assert_eq!(
            markdown_text("&lt;b&gt; &#60; &#x3C; &copy"),
            "\\&lt;b\\&gt; &\\#60; &\\#x3C; &copy"
        );
        assert_eq!(markdown_text("Q&A, AT&T & co"), "Q&A, AT&T & co");
        // A control character between `&` and the name is dropped first.
        assert_eq!(markdown_text("&\u{1}lt;"), "\\&lt;");
    }

    #[test]
    fn only_http_urls_become_links_and_cannot_end_early() {
        assert_eq!(link_url("javascript:alert(1)"), None);
        assert_eq!(link_url("data:text/html,<b>x</b>"), None);
        assert_eq!(link_url("mailto:a@example.org"), None);
        assert_eq!(link_url("/relative/path"), None);
        assert_eq!(
            link_url("https://example.org/a_(b)?q=<x>").as_deref(),
            Some("https://example.org/a_%28b%29?q=%3Cx%3E")
        );
        assert_eq!(
            link_url(" HTTP://Example.org/x ").as_deref(),
            Some("http://example.org/x")
        );
    }

    #[test]
    fn truncation_counts_escapes_as_one_and_prefers_word_ends() {
        assert_eq!(truncate_escaped("short", 10), "short");
        assert_eq!(truncate_escaped("one two three four", 12), "one two…");
        assert_eq!(truncate_escaped("\\[\\[\\[\\[", 3), "\\[\\[…");
        assert_eq!(truncate_escaped("日本語のテキストです", 5), "日本語の…");
    }
}
