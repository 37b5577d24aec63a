//! `import-opml` and `export-opml` against real files: OPML written by
//! newsboat, by the bench feed server, and by newsdesk itself.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Desk, skip, source};

const READER_OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- as a feed reader exports it: folders, entities, a feed twice -->
<opml version="1.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Cloud Native" title="Cloud Native">
      <outline text="GitOps">
        <outline type="rss" text="Argo CD releases" xmlUrl="https://github.com/argoproj/argo-cd/releases.atom" htmlUrl="https://github.com/argoproj/argo-cd"/>
        <outline type="rss" text="Flux &amp; friends" xmlUrl="https://fluxcd.io/blog/index.xml"/>
      </outline>
      <outline type="rss" text="Kubernetes Blog" xmlUrl="http://kubernetes.io/feed.xml?utm_source=reader"/>
      <outline type="rss" text="クラウドネイティブ" xmlUrl="https://zenn.dev/topics/cloudnative/feed"/>
    </outline>
    <outline type="rss" text="Flux again" xmlUrl="https://fluxcd.io/blog/index.xml"/>
    <outline type="rss" text="The New Stack" xmlUrl="https://thenewstack.io/feed/"/>
    <outline type="rss" text="Not a web feed" xmlUrl="file:///etc/passwd"/>
  </body>
</opml>
"#;

/// A desk with comments and one source whose URL the OPML repeats.
fn desk_with_comments() -> Desk {
    Desk::new(&format!(
        "# --- Blogs (hand-written comment) ---\n{}# trailing comment: keep me\n",
        source(
            "kubernetes-blog",
            "https://kubernetes.io/feed.xml",
            "articles"
        )
    ))
}

fn run(desk: &Desk, args: &[&str]) -> std::process::Output {
    desk.cmd().args(args).output().unwrap()
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn import_opml_appends_sources_keeps_comments_and_skips_present_feeds() {
    let desk = desk_with_comments();
    let before = std::fs::read_to_string(desk.config()).unwrap();
    let opml = write_file(desk.dir.path(), "reader.opml", READER_OPML);
    let opml = opml.to_str().unwrap();

    let dry = desk.ok(&["import-opml", opml, "--dry-run"]);
    assert!(
        dry.contains("would add 4, skipped 3 (already present: kubernetes-blog; listed twice: flux-friends; not http(s): 1); dry run:"),
        "{dry}"
    );
    assert_eq!(std::fs::read_to_string(desk.config()).unwrap(), before);

    let out = desk.ok(&["import-opml", opml, "--section", "articles"]);
    assert!(
        out.contains(
            "skipped http://kubernetes.io/feed.xml?utm_source=reader: already present (source \"kubernetes-blog\")"
        ),
        "{out}"
    );
    assert!(out.contains("added 4, skipped 3"), "{out}");
    let after = std::fs::read_to_string(desk.config()).unwrap();
    // Everything that was there stays, byte for byte, comments included.
    assert!(after.starts_with(before.trim_end()), "{after}");
    assert!(after.contains("# trailing comment: keep me\n"), "{after}");
    assert!(
        after.contains("reader.opml by `newsdesk import-opml` on "),
        "{after}"
    );
    let imported = &after[before.trim_end().len()..];
    assert!(
        imported.contains(
            "[[source]]\nid = \"argo-cd-releases\"\nkind = \"github-releases\"\nrepo = \"argoproj/argo-cd\"\ndisplay_name = \"Argo CD releases\"\nsection = \"articles\"\ntags = [\"Cloud Native\", \"GitOps\"]\n"
        ),
        "{imported}"
    );
    assert!(
        imported.contains(
            "id = \"flux-friends\"\nkind = \"feed\"\nurl = \"https://fluxcd.io/blog/index.xml\"\nsection = \"articles\"\ntags = [\"Cloud Native\", \"GitOps\"]\n"
        ),
        "{imported}"
    );
    // No Latin letters in the title: the id comes from the URL.
    assert!(
        imported.contains("id = \"zenn-dev-topics-cloudnative-feed\""),
        "{imported}"
    );
    assert!(
        imported.contains("id = \"the-new-stack\"\nkind = \"feed\"\nurl = \"https://thenewstack.io/feed/\"\nsection = \"articles\"\n\n")
            || imported.ends_with("id = \"the-new-stack\"\nkind = \"feed\"\nurl = \"https://thenewstack.io/feed/\"\nsection = \"articles\"\n"),
        "{imported}"
    );
    assert!(desk.ok(&["check"]).contains("ok (5 sources"));

    // The same file again: nothing new, the file untouched.
    let again = desk.ok(&["import-opml", opml]);
    assert!(again.contains("added 0, skipped 7 (already present: argo-cd-releases, flux-friends, kubernetes-blog, zenn-dev-topics-cloudnative-feed, flux-friends, the-new-stack; not http(s): 1)"), "{again}");
    assert_eq!(std::fs::read_to_string(desk.config()).unwrap(), after);
}

#[test]
fn imported_ids_are_unique_and_stable() {
    let opml = r#"<opml version="2.0"><body>
        <outline text="Kubernetes Blog" xmlUrl="https://a.example/feed"/>
        <outline text="Kubernetes   blog!" xmlUrl="https://b.example/feed"/>
        <outline text="A very long title that goes on and on about cloud native things" xmlUrl="https://c.example/feed"/>
    </body></opml>"#;
    let ids = |desk: &Desk| -> Vec<String> {
        std::fs::read_to_string(desk.config())
            .unwrap()
            .lines()
            .filter_map(|l| {
                l.strip_prefix("id = \"")
                    .map(|r| r.trim_end_matches('"').to_owned())
            })
            .filter(|id| id != "articles" && id != "releases")
            .collect()
    };
    let mut runs = Vec::new();
    for _ in 0..2 {
        let desk = Desk::new(&source(
            "kubernetes-blog",
            "https://kubernetes.io/feed.xml",
            "articles",
        ));
        let path = write_file(desk.dir.path(), "list.opml", opml);
        desk.ok(&["import-opml", path.to_str().unwrap()]);
        runs.push(ids(&desk));
    }
    assert_eq!(
        runs[0],
        [
            "kubernetes-blog",
            "kubernetes-blog-2",
            "kubernetes-blog-3",
            "a-very-long-title-that-goes-on-and-on-ab"
        ]
    );
    assert_eq!(runs[0], runs[1]);
}

#[test]
fn import_opml_refuses_bad_input_and_unknown_sections_with_exit_1() {
    let desk = desk_with_comments();
    let before = std::fs::read_to_string(desk.config()).unwrap();
    let opml = write_file(desk.dir.path(), "reader.opml", READER_OPML);

    let output = run(
        &desk,
        &["import-opml", opml.to_str().unwrap(), "--section", "gossip"],
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--section \"gossip\" is not a section of")
            && stderr.contains("(known sections: articles, releases)"),
        "{stderr}"
    );

    let rss = write_file(
        desk.dir.path(),
        "feed.xml",
        "<rss version=\"2.0\"><channel/></rss>",
    );
    let output = run(&desk, &["import-opml", rss.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("feed.xml: not an OPML document (the root element is <rss>, not <opml>)"),
        "{stderr}"
    );

    let broken = write_file(
        desk.dir.path(),
        "broken.opml",
        "<opml>\n<body>\n<outline text=\"a\">\n</body></opml>",
    );
    let output = run(&desk, &["import-opml", broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.opml: line 4: not well-formed XML"),
        "{stderr}"
    );

    let output = run(&desk, &["import-opml", "/nonexistent.opml"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(desk.config()).unwrap(), before);
}

#[test]
fn import_opml_reads_standard_input() {
    let desk = Desk::new("");
    let output = desk
        .cmd()
        .args(["import-opml", "-"])
        .write_stdin(READER_OPML)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(desk.config()).unwrap();
    assert!(
        text.contains("# Imported from standard input by `newsdesk import-opml`"),
        "{text}"
    );
    assert!(desk.ok(&["check"]).contains("ok (5 sources"));
}

/// The second import of one file adds nothing: a feed URL with a query
/// (kept as the file gives it) matches the source the first one wrote.
#[test]
fn importing_the_same_file_twice_adds_nothing_the_second_time() {
    let desk = Desk::new("");
    let opml = write_file(
        desk.dir.path(),
        "go.opml",
        r#"<opml version="2.0"><body>
  <outline type="rss" text="Go Blog" xmlUrl="https://go.dev/blog/feed.atom?utm_source=x"/>
  <outline type="rss" text="Search" xmlUrl="https://example.org/feed?tag=go&amp;page=1"/>
</body></opml>"#,
    );
    let opml = opml.to_str().unwrap();
    desk.ok(&["import-opml", opml]);
    let first = std::fs::read_to_string(desk.config()).unwrap();
    assert_eq!(first.matches("[[source]]").count(), 2, "{first}");
    let again = desk.ok(&["import-opml", opml]);
    assert!(again.contains("already present"), "{again}");
    let second = std::fs::read_to_string(desk.config()).unwrap();
    assert_eq!(second, first, "nothing added: no go-blog-2");
}

/// The OPML without its dateCreated line, which changes every second.
fn without_date(opml: &str) -> String {
    opml.lines()
        .filter(|l| !l.contains("<dateCreated>"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn shipped_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("feeds.toml")
}

fn export_shipped() -> String {
    let output = assert_cmd::Command::cargo_bin("newsdesk")
        .unwrap()
        .arg("--config")
        .arg(shipped_config())
        .arg("export-opml")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("left out 1 source that is not a feed: kubecon-na-2026 (ical)"),
        "{stderr}"
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn export_opml_lists_feeds_and_github_releases_in_tag_folders() {
    let opml = export_shipped();
    assert!(
        opml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\""),
        "{opml}"
    );
    assert!(
        opml.contains("<title>Cloud Native Weekly</title>"),
        "{opml}"
    );
    assert!(opml.contains("<dateCreated>"), "{opml}");
    assert!(opml.contains("<outline text=\"release\" title=\"release\">\n      <outline type=\"rss\" text=\"Kubernetes\" title=\"Kubernetes\" xmlUrl=\"https://github.com/kubernetes/kubernetes/releases.atom\" newsdesk:id=\"kubernetes-releases\"/>\n      <outline text=\"gitops\" title=\"gitops\">\n        <outline type=\"rss\" text=\"Argo CD\""), "{opml}");
    assert!(!opml.contains("sched.com"), "{opml}");
    assert_eq!(opml.matches("xmlUrl=").count(), 9);
}

#[test]
fn export_then_import_into_an_empty_config_round_trips() {
    let first = export_shipped();
    let desk = Desk::new("");
    let file = write_file(desk.dir.path(), "export.opml", &first);
    let out = desk.ok(&["import-opml", file.to_str().unwrap()]);
    assert!(out.contains("added 9, skipped 0"), "{out}");
    let config = std::fs::read_to_string(desk.config()).unwrap();
    for id in [
        "kubernetes-blog",
        "cncf-blog",
        "zenn-kubernetes",
        "qiita-kubernetes",
        "kubernetes-releases",
        "argo-cd-releases",
        "cilium-releases",
        "helm-releases",
        "flux-releases",
    ] {
        assert!(
            config.contains(&format!("id = \"{id}\"\n")),
            "{id}: {config}"
        );
    }
    assert!(config.contains("id = \"argo-cd-releases\"\nkind = \"github-releases\"\nrepo = \"argoproj/argo-cd\"\ndisplay_name = \"Argo CD\"\ntags = [\"release\", \"gitops\"]\n"), "{config}");
    let second = desk.ok(&["export-opml"]);
    // Same outlines; the head differs only in the newsletter's title.
    let body = |opml: &str| opml[opml.find("<body>").unwrap()..].to_owned();
    assert_eq!(body(&second), body(&first));
    // And once more: import of the second export adds nothing.
    let file = write_file(desk.dir.path(), "second.opml", &second);
    let out = desk.ok(&["import-opml", file.to_str().unwrap()]);
    assert!(out.contains("added 0, skipped 9"), "{out}");
}

#[test]
fn export_opml_output_file_escapes_xml() {
    let desk = Desk::new(
        "[[source]]\nid = \"amp\"\nkind = \"feed\"\nurl = \"https://example.org/feed?a=1&b=<2>\"\ntags = [\"R&D \\\"quoted\\\"\"]\n",
    );
    let out = desk.dir.path().join("out.opml");
    desk.ok(&["export-opml", "--output", out.to_str().unwrap()]);
    let opml = std::fs::read_to_string(&out).unwrap();
    assert!(
        opml.contains("<outline text=\"R&amp;D &quot;quoted&quot;\""),
        "{opml}"
    );
    assert!(
        opml.contains("xmlUrl=\"https://example.org/feed?a=1&amp;b=%3C2%3E\""),
        "{opml}"
    );
    // Read back by import and written again: the same document.
    let other = Desk::new("");
    other.ok(&["import-opml", out.to_str().unwrap()]);
    assert!(other.ok(&["check"]).contains("ok (1 sources"));
    let again = other.ok(&["export-opml"]);
    assert_eq!(without_date(&again), without_date(&opml));
}

/// newsboat, when installed; else the reason the test is skipped, printed.
fn newsboat() -> Option<&'static str> {
    let found = Command::new("newsboat")
        .arg("-v")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        skip("newsboat not installed (apt-get install newsboat)");
    }
    found.then_some("newsboat")
}

/// newsboat with its home, urls file and cache in `dir`.
fn newsboat_in(dir: &Path) -> Command {
    let mut cmd = Command::new("newsboat");
    cmd.env("HOME", dir)
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME")
        .arg("-u")
        .arg(dir.join("urls"))
        .arg("-c")
        .arg(dir.join("cache.db"))
        .stdin(Stdio::null());
    cmd
}

#[test]
fn opml_exported_by_newsboat_imports() {
    let Some(_) = newsboat() else { return };
    let desk = desk_with_comments();
    let dir = desk.dir.path();
    std::fs::write(
        dir.join("urls"),
        "https://kubernetes.io/feed.xml \"~Kubernetes\" k8s\n\
         https://www.cncf.io/feed/ \"~CNCF Blog\" cncf\n\
         https://github.com/cilium/cilium/releases.atom release\n\
         https://thenewstack.io/feed/\n",
    )
    .unwrap();
    let output = newsboat_in(dir).arg("-e").output().unwrap();
    assert!(output.status.success(), "newsboat -e: {output:?}");
    let exported = String::from_utf8(output.stdout).unwrap();
    assert!(exported.contains("<opml"), "{exported}");
    let file = write_file(dir, "newsboat.opml", &exported);

    let out = desk.ok(&["import-opml", file.to_str().unwrap()]);
    assert!(
        out.contains("added 3, skipped 1 (already present: kubernetes-blog)"),
        "{out}"
    );
    let config = std::fs::read_to_string(desk.config()).unwrap();
    assert!(
        config
            .contains("id = \"cncf-blog\"\nkind = \"feed\"\nurl = \"https://www.cncf.io/feed/\"\n"),
        "{config}"
    );
    // newsboat writes title="" for feeds without a "~title": ids from the
    // repository or the URL.
    assert!(
        config.contains(
            "id = \"cilium-releases\"\nkind = \"github-releases\"\nrepo = \"cilium/cilium\"\n"
        ),
        "{config}"
    );
    assert!(config.contains("id = \"thenewstack-io-feed\""), "{config}");
    assert!(desk.ok(&["check"]).contains("ok (4 sources"));
}

#[test]
fn newsboat_imports_our_export() {
    let Some(_) = newsboat() else { return };
    let opml = export_shipped();
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(dir.path(), "export.opml", &opml);
    std::fs::write(dir.path().join("urls"), "").unwrap();
    let output = newsboat_in(dir.path())
        .arg("-i")
        .arg(&file)
        .output()
        .unwrap();
    assert!(output.status.success(), "newsboat -i: {output:?}");
    let urls = std::fs::read_to_string(dir.path().join("urls")).unwrap();
    let listed: Vec<&str> = urls
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(listed.len(), 9, "{urls}");
    for url in [
        "https://kubernetes.io/feed.xml",
        "https://www.cncf.io/feed/",
        "https://zenn.dev/topics/kubernetes/feed",
        "https://qiita.com/tags/kubernetes/feed",
        "https://github.com/kubernetes/kubernetes/releases.atom",
        "https://github.com/argoproj/argo-cd/releases.atom",
        "https://github.com/cilium/cilium/releases.atom",
        "https://github.com/helm/helm/releases.atom",
        "https://github.com/fluxcd/flux2/releases.atom",
    ] {
        assert!(listed.contains(&url), "{url} not in {urls}");
    }
    // Its folders became newsboat tags.
    assert!(
        urls.lines().any(
            |l| l.starts_with("https://github.com/argoproj/argo-cd/releases.atom")
                && l.contains("gitops")
        ),
        "{urls}"
    );
}

/// The bench's feed server (a copy in tests/fixtures/bench), stopped on drop.
struct FeedServer {
    child: Child,
    base: String,
}

impl Drop for FeedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_feedserver(feeds: usize) -> Option<FeedServer> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bench/feedserver.py");
    let dir = tempfile::tempdir().unwrap();
    let ready = dir.path().join("ready");
    let child = Command::new("python3")
        .arg(&script)
        .args([
            "--n",
            &feeds.to_string(),
            "--port",
            "0",
            "--max-seconds",
            "120",
        ])
        .arg("--ready-file")
        .arg(&ready)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn();
    let child = match child {
        Ok(child) => child,
        Err(err) => {
            skip(&format!(
                "cannot run python3 ({err}); apt-get install python3"
            ));
            return None;
        }
    };
    let mut server = FeedServer {
        child,
        base: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(base) = std::fs::read_to_string(&ready) {
            server.base = base.trim().to_owned();
            return Some(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("feedserver.py exited before it was ready: {status}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("feedserver.py not ready after 30 s");
}

/// GET over plain HTTP/1.1 from the loopback server; the body.
fn http_get(base: &str, path: &str) -> Vec<u8> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header");
    let head = String::from_utf8_lossy(&response[..split]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    response[split + 4..].to_vec()
}

#[test]
fn the_bench_servers_opml_imports() {
    let Some(server) = start_feedserver(50) else {
        return;
    };
    let opml = http_get(&server.base, "/feeds.opml");
    let desk = Desk::new("");
    let file = desk.dir.path().join("bench.opml");
    std::fs::write(&file, &opml).unwrap();
    let out = desk.ok(&["import-opml", file.to_str().unwrap()]);
    assert!(out.contains("added 50, skipped 0"), "{out}");
    let config = std::fs::read_to_string(desk.config()).unwrap();
    assert!(config.contains("id = \"feed-0\"\n"), "{config}");
    assert!(config.contains("id = \"feed-49\"\n"), "{config}");
    assert!(
        config.contains(&format!("url = \"{}/feeds/", server.base)),
        "{config}"
    );
    assert!(desk.ok(&["check"]).contains("ok (50 sources"));
}
