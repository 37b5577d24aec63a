//! What feed-rs alone lost, read by the second reading (issue 16): a
//! document cut inside its third item keeps the two before it and says so
//! in `sources`; Atom 0.3 is read; an entry whose date cannot be read is
//! dated by first sight and `review show` says so.

use super::*;

const CUT: &str = r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Cut</title>
<item><title>One</title><link>https://example.org/1</link></item>
<item><title>Two &lt;b&gt;bold&lt;/b&gt;</title><link>https://example.org/2</link>
  <description>Intro <br/> more text</description></item>
<item><title>Three</title><link>https://exa"#;

const ATOM_03: &str = r#"<?xml version="1.0"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title>
<entry><title>Atom zero three</title><link rel="alternate" type="text/html" href="https://example.org/a03"/>
<id>tag:example.org,2004:1</id><issued>2004-07-08 23:56:58</issued></entry>
<entry><title>Undated</title><link rel="alternate" href="https://example.org/undated"/>
<id>tag:example.org,2004:2</id><modified>Someday in 2004</modified></entry>
</feed>"#;

#[test]
fn what_feed_rs_drops_is_read_or_said() {
    let server = TestServer::start(|seen| match seen.path.as_str() {
        "/cut.xml" => Reply::ok(CUT, "application/rss+xml"),
        "/atom03.xml" => Reply::ok(ATOM_03, "application/atom+xml"),
        _ => Reply::status(404),
    });
    let desk = Desk::new(
        &(source("cut", &server.url("/cut.xml"), "articles")
            + &source("old", &server.url("/atom03.xml"), "articles")),
    );
    desk.ok(&["poll"]);

    assert_eq!(titles_of(&desk, "cut"), ["One", "Two <b>bold</b>"]);
    let summary: String =
        desk.value("SELECT summary FROM entries WHERE source_id = 'cut' AND title LIKE 'Two%'");
    assert_eq!(summary, "Intro more text");
    let table = desk.ok(&["sources"]);
    assert!(
        table.contains("warning: 1 of 3 <item>/<entry> elements could not be read"),
        "{table}"
    );

    assert_eq!(titles_of(&desk, "old"), ["Atom zero three", "Undated"]);
    let (published, unread): (Option<String>, Option<String>) = desk
        .sqlite()
        .query_row(
            "SELECT published, unread_date FROM entries WHERE title = 'Atom zero three'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(published.as_deref(), Some("2004-07-08T23:56:58Z"));
    assert_eq!(unread, None);
    let undated: i64 = desk.count(
        "SELECT candidate_id FROM entries WHERE title = 'Undated' AND published IS NULL \
         AND unread_date = 'Someday in 2004'",
    );
    let shown = desk.ok(&["review", "show", &undated.to_string()]);
    assert!(
        shown.contains("(first seen: old dates it \"Someday in 2004\", which could not be read)"),
        "{shown}"
    );
}
