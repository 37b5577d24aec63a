//! Pages of GitHub, YouTube and Speaker Deck, served on loopback under their
//! real path shapes, get the titles an editor would write.

use super::desk;
use crate::fixture;
use crate::server::{Reply, TestServer};

/// Serves each fixture page at its path (query included).
fn pages() -> TestServer {
    TestServer::start(|seen| {
        let page = match seen.path.as_str() {
            "/miniflux/v2" => "real/html/github-page.html",
            "/metalbear-co/mirrord/pull/2712" => "written/pages/github-pull.html",
            "/metalbear-co/mirrord/releases/tag/v3.120.0" => "written/pages/github-release.html",
            "/watch?v=k8sDemo2026" => "written/pages/youtube-watch.html",
            "/watch?v=argoScale01" => "written/pages/youtube-watch-title-only.html",
            "/kumo_yamada/rolling-out-pod-security-admission" => {
                "written/pages/speakerdeck-deck.html"
            }
            _ => return Reply::status(404),
        };
        Reply::ok(fixture(page), "text/html; charset=utf-8")
    })
}

#[test]
fn a_repository_page_is_named_after_the_repository_with_its_description() {
    let server = pages();
    let desk = desk("");
    let added = desk.json(&["add", &server.url("/miniflux/v2"), "--by", "a", "--json"]);
    assert_eq!(added[0]["title"], "v2");
    // The page's canonical URL is GitHub's own.
    assert_eq!(added[0]["url"], "https://github.com/miniflux/v2");
    let shown = super::show(&desk, &added[0]["id"]);
    assert_eq!(shown["summary"], "Minimalist and opinionated feed reader");
}

#[test]
fn pull_requests_and_releases_read_as_an_editor_writes_them() {
    let server = pages();
    let desk = desk("");
    let pull = desk.json(&[
        "add",
        &server.url("/metalbear-co/mirrord/pull/2712"),
        "--by",
        "a",
        "--json",
    ]);
    assert_eq!(pull[0]["title"], "Add port-forward for multiple pods");
    let release = desk.json(&[
        "add",
        &server.url("/metalbear-co/mirrord/releases/tag/v3.120.0"),
        "--by",
        "a",
        "--json",
    ]);
    assert_eq!(release[0]["title"], "mirrord v3.120.0");
    assert_eq!(
        super::show(&desk, &release[0]["id"])["summary"],
        "Added: Support for multiple port-forward targets in one session (#2712). Fixed: Agent no longer leaks file descriptors on long-running sessions."
    );
}

#[test]
fn videos_and_decks_lose_the_sites_name() {
    let server = pages();
    let desk = desk("");
    let title_of = |path: &str| {
        desk.json(&["add", &server.url(path), "--by", "a", "--json"])[0]["title"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        title_of("/watch?v=k8sDemo2026"),
        "Cilium and eBPF from the ground up | KubeCon + CloudNativeCon Japan 2026"
    );
    assert_eq!(
        title_of("/watch?v=argoScale01"),
        "Argo CD at scale: 4,000 applications"
    );
    assert_eq!(
        title_of("/kumo_yamada/rolling-out-pod-security-admission"),
        "Kubernetes の Pod Security Admission を段階的に有効化する / Rolling out Pod Security Admission"
    );
}
