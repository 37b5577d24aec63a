//! Markdown escaping of feed text, checked against pulldown-cmark.

use crate::markdown_oracle as md;
use crate::urls::url_like;
use newsdesk::draft::escape::{link_url, markdown_text, truncate_escaped};
use proptest::prelude::*;

/// Titles from the characters Markdown, HTML and Zenn give meaning to,
/// in runs that open structure.
fn nasty_title() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[\\[\\]()<>#*_`\\\\~|!=+:$&;. -]{1,4}",
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\t".to_owned()),
        Just("---".to_owned()),
        Just("===".to_owned()),
        Just(":::".to_owned()),
        Just("```".to_owned()),
        Just("<script>".to_owned()),
        Just("</script>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("](javascript:alert(1))".to_owned()),
        Just("](https://evil.example/)".to_owned()),
        Just("![x](y)".to_owned()),
        Just("[^1]".to_owned()),
        Just("[[wiki]]".to_owned()),
        Just("&amp;".to_owned()),
        Just("&lt;b&gt;".to_owned()),
        Just("&#60;".to_owned()),
        Just("&#x3C;".to_owned()),
        Just("&copy".to_owned()),
        Just("1.".to_owned()),
        Just("2022)".to_owned()),
        Just("- [ ]".to_owned()),
        Just("> ".to_owned()),
        Just("    code".to_owned()),
        Just("https://example.com/".to_owned()),
        Just("www.example.com".to_owned()),
        Just("a@b.example".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{0}".to_owned()),
        Just("\u{A0}".to_owned()),
        Just("\u{2028}".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("\u{FEFF}".to_owned()),
        Just("記事【速報】".to_owned()),
        Just("🚀".to_owned()),
        "[a-zA-Z0-9]{1,6}",
        " {1,3}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

fn title() -> impl Strategy<Value = String> {
    prop_oneof![3 => nasty_title(), 1 => any::<String>()]
}

proptest! {
    #[test]
    fn escaped_title_is_one_link_in_one_heading(title in title()) {
        let escaped = markdown_text(&title);
        md::check_linked_heading(&escaped, &title).map_err(TestCaseError::fail)?;
        md::check_plain_heading(&escaped, &title).map_err(TestCaseError::fail)?;
    }

    #[test]
    fn escaped_summary_is_text_in_its_line_whole_or_cut(summary in title(), max in 1usize..80) {
        let escaped = markdown_text(&summary);
        prop_assume!(!escaped.is_empty());
        md::check_summary_line(&escaped, &summary).map_err(TestCaseError::fail)?;
        let cut = truncate_escaped(&escaped, max);
        md::check_summary_line(&cut, &summary).map_err(TestCaseError::fail)?;
    }

    /// Whatever the URL, a link made of it is one link and nothing more.
    #[test]
    fn link_urls_cannot_break_out_of_the_link(url in prop_oneof![url_like(), any::<String>()]) {
        let Some(link) = link_url(&url) else { return Ok(()) };
        prop_assert!(link.starts_with("http://") || link.starts_with("https://"), "{}", link);
        let markdown = format!("### [title]({link})\n");
        let events: Vec<_> = pulldown_cmark::Parser::new(&markdown).collect();
        prop_assert_eq!(events.len(), 5, "{:?} → {:?}", markdown, events);
        prop_assert!(
            matches!(&events[1], pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link { .. })),
            "{:?} → {:?}", markdown, events
        );
    }
}
