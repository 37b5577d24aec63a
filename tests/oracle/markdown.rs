//! The structural oracle for escaped feed text: what a real CommonMark
//! parser (pulldown-cmark, with the GFM-like extensions Zenn and GitHub
//! render) makes of an escaped title or summary placed where the templates
//! place it. Shared by `tests/properties.rs` and the `draft_escape` fuzz
//! target, so both check the same thing.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Where an item's title links to in the rendered probe.
pub const DESTINATION: &str = "https://example.org/";

/// The prefix of the summary line in `partials/item.md.hbs`.
pub const SUMMARY_PREFIX: &str = " replace with your comment — the feed's summary: ";

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_MATH
        | Options::ENABLE_GFM
        | Options::ENABLE_YAML_STYLE_METADATA_BLOCKS
        | Options::ENABLE_DEFINITION_LIST
        | Options::ENABLE_WIKILINKS
}

/// The text an escaped title must render as: whitespace runs folded to
/// one space and trimmed, control and bidi-override characters dropped
/// (the escaper's documented folding; everything else is kept verbatim).
pub fn folded(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut pending_space = false;
    for c in title.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
        {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

fn events(markdown: &str) -> Vec<Event<'_>> {
    Parser::new_ext(markdown, options()).collect()
}

/// Concatenated `Text` events of `inner`; anything else is structure the
/// feed text should not have made.
fn plain_text(inner: &[Event], markdown: &str) -> Result<String, String> {
    let mut text = String::new();
    for event in inner {
        match event {
            Event::Text(t) => text.push_str(t),
            other => return Err(format!("{markdown:?} has {other:?}")),
        }
    }
    Ok(text)
}

/// `### [escaped](https://example.org/)`: one H3 heading holding one link
/// to [`DESTINATION`] whose text is exactly `folded(title)`.
pub fn check_linked_heading(escaped: &str, title: &str) -> Result<(), String> {
    let markdown = format!("### [{escaped}]({DESTINATION})\n");
    let events = events(&markdown);
    let [first, second, inner @ .., second_last, last] = events.as_slice() else {
        return Err(format!("{markdown:?} → {events:?}"));
    };
    let shape_ok = matches!(
        first,
        Event::Start(Tag::Heading {
            level: HeadingLevel::H3,
            ..
        })
    ) && matches!(second, Event::Start(Tag::Link { dest_url, .. }) if dest_url.as_ref() == DESTINATION)
        && matches!(second_last, Event::End(TagEnd::Link))
        && matches!(last, Event::End(TagEnd::Heading(HeadingLevel::H3)));
    if !shape_ok {
        return Err(format!("{markdown:?} → {events:?}"));
    }
    renders_as(inner, &markdown, title)
}

/// The text of `inner` (events of `markdown`) is exactly `folded(title)`.
fn renders_as(inner: &[Event], markdown: &str, title: &str) -> Result<(), String> {
    let text = plain_text(inner, markdown)?;
    let expected = folded(title);
    if text == expected {
        Ok(())
    } else {
        Err(format!("{markdown:?} renders {text:?}, not {expected:?}"))
    }
}

/// `### escaped` (an item without an http(s) URL): one H3 heading of
/// exactly `folded(title)`.
pub fn check_plain_heading(escaped: &str, title: &str) -> Result<(), String> {
    let markdown = format!("### {escaped}\n");
    let events = events(&markdown);
    let [first, inner @ .., last] = events.as_slice() else {
        return Err(format!("{markdown:?} → {events:?}"));
    };
    if !matches!(
        first,
        Event::Start(Tag::Heading {
            level: HeadingLevel::H3,
            ..
        })
    ) || !matches!(last, Event::End(TagEnd::Heading(HeadingLevel::H3)))
    {
        return Err(format!("{markdown:?} → {events:?}"));
    }
    renders_as(inner, &markdown, title)
}

/// The summary line of an item without a note, `escaped` possibly cut by
/// `truncate_escaped`: one block quote of one paragraph, `**TODO**` its only
/// markup, and the summary's text `folded(summary)` or, when cut, a prefix
/// of it followed by "…".
pub fn check_summary_line(escaped: &str, summary: &str) -> Result<(), String> {
    let markdown = format!("> **TODO**{SUMMARY_PREFIX}{escaped}\n");
    let events = events(&markdown);
    let [
        Event::Start(Tag::BlockQuote(None)),
        Event::Start(Tag::Paragraph),
        Event::Start(Tag::Strong),
        Event::Text(todo),
        Event::End(TagEnd::Strong),
        inner @ ..,
        Event::End(TagEnd::Paragraph),
        Event::End(TagEnd::BlockQuote(None)),
    ] = events.as_slice()
    else {
        return Err(format!("{markdown:?} → {events:?}"));
    };
    if todo.as_ref() != "TODO" {
        return Err(format!("{markdown:?} → {events:?}"));
    }
    let text = plain_text(inner, &markdown)?;
    let Some(text) = text.strip_prefix(SUMMARY_PREFIX.trim_end()) else {
        return Err(format!("{markdown:?} renders {text:?}"));
    };
    let text = text.trim_start();
    let expected = folded(summary);
    let fits = text == expected
        || text
            .strip_suffix('…')
            .is_some_and(|head| expected.starts_with(head));
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{markdown:?} renders {text:?}, not (a cut of) {expected:?}"
        ))
    }
}
