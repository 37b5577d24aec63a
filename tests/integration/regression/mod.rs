//! Regression tests of issue 18 ("fail loudly, lose nothing"), one per
//! fault, named after what the fault broke (ripgrep's tests/regression.rs).
//! Each failed on the code before its fix.

mod daemon;
mod drafts;
mod errors;
mod git;
mod unbounded;

use std::collections::BTreeSet;

use crate::server::{Reply, TestServer};
use crate::{Desk, source};

/// A title of four made-up words that shares none with the titles of other
/// `n`: near-identical titles would be merged into one story.
pub(crate) fn distinct_title(n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "ro", "mi", "te", "su", "na", "vo", "li", "pe", "zu", "ha", "go", "fi", "ya", "de",
        "wu",
    ];
    (0..4)
        .map(|k| {
            let mut x = (n * 4 + k) as u64;
            x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17);
            (0..4)
                .map(|s| SYLLABLES[((x >> (s * 4)) & 15) as usize])
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An RSS feed of `stories` stories with distinct titles and links.
pub(crate) fn feed_of(stories: usize, path_prefix: &str) -> String {
    let items: String = (0..stories)
        .map(|n| {
            format!(
                "<item><guid isPermaLink=\"false\">{path_prefix}-{n}</guid><title>{}</title><link>https://example.org/{path_prefix}/{n}</link><description>Story {n}.</description><pubDate>01 Nov 2026 09:00:00 GMT</pubDate></item>",
                distinct_title(n)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://example.org/</link>{items}</channel></rss>"
    )
}

/// A desk (plain drafts in drafts/) whose one feed brought `stories`
/// candidates; their ids, oldest first.
pub(crate) fn queue_of(stories: usize) -> (Desk, TestServer, Vec<i64>) {
    let body = feed_of(stories, "story");
    let server = TestServer::start(move |_| Reply::ok(body.clone(), "application/rss+xml"));
    let desk = Desk::new(&source("blog", &server.url("/feed.xml"), "articles"));
    let text = std::fs::read_to_string(desk.config()).unwrap().replacen(
        "title = \"Test Weekly\"\n",
        "title = \"Test Weekly\"\nformat = \"plain\"\n",
        1,
    );
    std::fs::write(desk.config(), text).unwrap();
    desk.ok(&["poll"]);
    let ids = candidate_ids(&desk, "1 = 1");
    assert_eq!(ids.len(), stories, "each story its own candidate");
    (desk, server, ids)
}

pub(crate) fn candidate_ids(desk: &Desk, condition: &str) -> Vec<i64> {
    desk.sqlite()
        .prepare(&format!(
            "SELECT id FROM candidates WHERE {condition} ORDER BY id"
        ))
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The candidate ids whose item markers a draft holds.
pub(crate) fn items_in(draft: &str) -> BTreeSet<i64> {
    draft
        .lines()
        .filter_map(|line| {
            line.strip_prefix("<!-- newsdesk:item ")?
                .strip_suffix(" -->")
        })
        .map(|id| id.parse().unwrap())
        .collect()
}
