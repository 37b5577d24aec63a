//! Text → the draft escaper, with a real oracle: the escaped text, placed
//! where the templates place titles and summaries, must parse (with
//! pulldown-cmark) as exactly that heading / link / quote and render as
//! the original text — the same check as tests/properties.rs.

#![no_main]

#[path = "../../tests/oracle/markdown.rs"]
mod markdown_oracle;

use libfuzzer_sys::fuzz_target;
use newsdesk::draft::escape::{link_url, markdown_text, truncate_escaped};

fuzz_target!(|data: &[u8]| {
    let Ok(title) = std::str::from_utf8(data) else {
        return;
    };
    let escaped = markdown_text(title);
    markdown_oracle::check_linked_heading(&escaped, title).unwrap();
    markdown_oracle::check_plain_heading(&escaped, title).unwrap();
    if !escaped.is_empty() {
        markdown_oracle::check_summary_line(&escaped, title).unwrap();
        for max in [1, 7, 40, 200] {
            markdown_oracle::check_summary_line(&truncate_escaped(&escaped, max), title).unwrap();
        }
    }
    if let Some(link) = link_url(title) {
        let markdown = format!("### [title]({link})\n");
        let events: Vec<_> = pulldown_cmark::Parser::new(&markdown).collect();
        assert!(
            events.len() == 5
                && matches!(
                    &events[1],
                    pulldown_cmark::Event::Start(pulldown_cmark::Tag::Link { .. })
                ),
            "{markdown:?} → {events:?}"
        );
    }
});
