//! Other readers' test data (tests/fixtures/peers/, origins in
//! tests/fixtures/README.md), polled: entry counts, titles, links, dates.

use super::*;

#[test]
fn peers_test_feeds_are_read_whole() {
    let server = feed_server(&[
        (
            "/rss090.xml",
            "peers/rust-syndication-rss090.xml",
            "application/rdf+xml",
        ),
        (
            "/rss2sample.xml",
            "peers/rust-syndication-rss2sample.xml",
            "application/rss+xml",
        ),
        (
            "/atom-dates.xml",
            "peers/rust-syndication-atom-non-standard-dates.xml",
            "application/atom+xml",
        ),
    ]);
    let desk = Desk::new(
        &(source("rss090", &server.url("/rss090.xml"), "articles")
            + &source("rss2sample", &server.url("/rss2sample.xml"), "articles")
            + &source("atom-dates", &server.url("/atom-dates.xml"), "articles")),
    );
    let out = desk.ok(&["poll"]);
    assert!(out.contains("failed              0"), "{out}");

    // RSS 0.90 under its channel.netscape.com namespace: all five items.
    assert_eq!(
        titles_of(&desk, "rss090"),
        [
            "New Status Updates",
            "Bugzilla Reorganized",
            "Mozilla Party, 2.0!",
            "Unix Platform Parity",
            "NPL 1.0M published"
        ]
    );
    assert_eq!(
        urls_of(&desk, "rss090")[4],
        "http://www.mozilla.org/NPL/NPL-1.0M.html"
    );

    // The RSS 2.0 specification's sample: the untitled item takes its
    // title from its text and its link from its permalink guid.
    let titles = titles_of(&desk, "rss2sample");
    assert_eq!(titles.len(), 4);
    assert_eq!(titles[0], "Star City");
    assert!(
        titles[1].starts_with("Sky watchers in Europe"),
        "{titles:?}"
    );
    assert_eq!(
        urls_of(&desk, "rss2sample")[1],
        "http://liftoff.msfc.nasa.gov/2003/05/30.html#item572"
    );
    let published: String = desk.value(
        "SELECT published FROM entries WHERE source_id = 'rss2sample' AND title = 'Star City'",
    );
    assert_eq!(published, "2003-06-03T09:39:21Z");

    // Atom with RFC 822 dates padded with whitespace.
    let (title, url, published, updated): (String, String, String, String) = desk
        .sqlite()
        .query_row(
            "SELECT title, url, published, updated FROM entries WHERE source_id = 'atom-dates'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .unwrap();
    assert_eq!(title, "Entry Title");
    assert_eq!(url, "http://example.com/article/");
    assert_eq!(published, "2017-06-01T20:15:44Z");
    assert_eq!(updated, "2017-06-03T20:15:44Z");
}
