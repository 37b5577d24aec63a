//! Every feed format and encoding a source may serve, stored as UTF-8.

use super::*;

#[test]
fn every_feed_format_and_encoding_is_stored_as_utf8() {
    let server = feed_server(&[
        (
            "/k8s.xml",
            "written/kubernetes-blog.xml",
            "application/rss+xml",
        ),
        (
            "/qemu.atom",
            "real/atom/qemu-jekyll-relative.atom",
            "application/atom+xml",
        ),
        (
            "/elastic.json",
            "real/jsonfeed/elastic-1.1.json",
            "application/feed+json",
        ),
        (
            "/debian.rdf",
            "real/rss1/debian-rdf.xml",
            "application/rdf+xml",
        ),
        (
            "/hatena.xml",
            "written/hatena-shift_jis.xml",
            "application/atom+xml",
        ),
        (
            "/zenn-eucjp.xml",
            "written/zenn-euc-jp.xml",
            "application/rss+xml",
        ),
        (
            "/eucjp-undeclared.xml",
            "real/encoding/euc-jp-undeclared.xml",
            "text/xml",
        ),
        (
            "/sjis-undeclared.xml",
            "real/encoding/shift_jis-undeclared.xml",
            "text/xml",
        ),
        ("/latin1.xml", "real/encoding/iso-8859-1.xml", "text/xml"),
        (
            "/blog/feed.xml",
            "written/relative-rss.xml",
            "application/rss+xml",
        ),
        (
            "/no-guid.rss",
            "real/rss2/macworld-no-guid.rss",
            "application/rss+xml",
        ),
    ]);
    let ids = [
        ("k8s", "/k8s.xml"),
        ("qemu", "/qemu.atom"),
        ("elastic", "/elastic.json"),
        ("debian", "/debian.rdf"),
        ("hatena", "/hatena.xml"),
        ("zenn-eucjp", "/zenn-eucjp.xml"),
        ("eucjp", "/eucjp-undeclared.xml"),
        ("sjis", "/sjis-undeclared.xml"),
        ("latin1", "/latin1.xml"),
        ("relative", "/blog/feed.xml"),
        ("macworld", "/no-guid.rss"),
    ];
    let config: String = ids
        .iter()
        .map(|(id, path)| source(id, &server.url(path), "articles"))
        .collect();
    let desk = Desk::new(&config);
    let out = desk.ok(&["poll"]);
    assert!(out.contains("fetched            11"), "{out}");
    assert!(out.contains("failed              0"), "{out}");

    // Every source produced entries.
    for (id, _) in ids {
        assert!(!titles_of(&desk, id).is_empty(), "{id} stored nothing");
    }
    // RSS 2.0 with entities and CDATA: plain text.
    assert_eq!(
        titles_of(&desk, "k8s")[0],
        "Kubernetes v1.35: Harbor Lights"
    );
    // Declared legacy Japanese encodings.
    assert_eq!(
        titles_of(&desk, "hatena")[0],
        "Argo CD の Sync Wave で CRD とオペレーターの適用順序を制御する"
    );
    assert_eq!(
        titles_of(&desk, "zenn-eucjp")[0],
        "Kubernetes の Pod Security Admission を段階的に有効化する"
    );
    // Undeclared ones are sniffed.
    assert_eq!(
        titles_of(&desk, "sjis")[0],
        "DrecomRSSに記事投稿が反映されない…"
    );
    assert_eq!(titles_of(&desk, "eucjp")[0], "ゲーム三昧な正月");
    // Declared ISO-8859-1 (Golem.de): German umlauts come out right.
    let latin1 = titles_of(&desk, "latin1").join(" ");
    assert!(!latin1.contains('\u{FFFD}'), "{latin1}");
    // Relative links are resolved against the feed URL, tracking bits dropped.
    let relative = urls_of(&desk, "relative");
    assert_eq!(relative[0], server.url("/blog/2026/11/argo/"));
    assert_eq!(relative[1], server.url("/blog/posts/cilium.html"));
    assert_eq!(relative[2], server.url("/events/kubecon-na-2026/"));
    let canonical: String = desk.value("SELECT canonical_url FROM entries WHERE source_id = 'relative' ORDER BY id LIMIT 1 OFFSET 3");
    assert_eq!(
        canonical,
        server.url("/blog/posts/kubernetes-1-35.html?lang=en")
    );
    // Root-relative Atom links and relative xml:base (Jekyll).
    for url in urls_of(&desk, "qemu") {
        assert!(url.starts_with(&server.base), "{url}");
    }
    // HTML is stripped from summaries.
    let summaries: i64 = desk
        .count("SELECT COUNT(*) FROM entries WHERE summary LIKE '%<p>%' OR summary LIKE '%&amp;%'");
    assert_eq!(summaries, 0);
}
