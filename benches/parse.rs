//! Parse throughput over the real fixtures: every file in
//! tests/fixtures/{real,written} parsed and normalised repeatedly.
//!
//! cargo bench --bench parse
//!
//! Prints MB/s of input over all fixtures and for the largest ones.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use newsdesk::source::github::{ReleaseLevel, ReleaseOptions};
use newsdesk::source::{ParseError, ParsedSource, feed, github, ical};
use url::Url;

fn files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, found);
        } else if path.extension().is_some_and(|e| e != "md") {
            found.push(path);
        }
    }
}

type Adapter = fn(&[u8], &Url) -> Result<ParsedSource, ParseError>;

fn as_feed(body: &[u8], base: &Url) -> Result<ParsedSource, ParseError> {
    feed::parse(body, None, base)
}

fn as_ical(body: &[u8], base: &Url) -> Result<ParsedSource, ParseError> {
    ical::parse(body, base, &ical::TrackFilter::default())
}

fn as_releases(body: &[u8], base: &Url) -> Result<ParsedSource, ParseError> {
    let options = ReleaseOptions {
        repo: "owner/project".into(),
        display_name: "Project".into(),
        min_level: ReleaseLevel::Minor,
        prereleases: false,
        tag_pattern: None,
    };
    github::from_atom(body, None, base, &options)
}

fn throughput(label: &str, bodies: &[Vec<u8>], base: &Url) {
    throughput_with(label, bodies, base, as_feed)
}

fn throughput_with(label: &str, bodies: &[Vec<u8>], base: &Url, adapter: Adapter) {
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let mut rounds = 0u32;
    let mut entries = 0usize;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) || rounds < 3 {
        for body in bodies {
            if let Ok(parsed) = adapter(body, base) {
                entries += parsed.entries.len();
            }
        }
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{label:<48} {:>8.1} KB  {:>7.1} MB/s  {:>9.0} entries/s  {:>8.2} ms/parse  ({rounds} rounds)",
        bytes as f64 / 1e3,
        bytes as f64 * f64::from(rounds) / elapsed / 1e6,
        entries as f64 / elapsed,
        elapsed * 1e3 / f64::from(rounds) / bodies.len() as f64
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths = Vec::new();
    files(&root.join("real"), &mut paths);
    files(&root.join("written"), &mut paths);
    paths.sort();
    let base = Url::parse("https://feeds.example.org/feed.xml").unwrap();
    // Feeds only: the .ics and the API JSON belong to other adapters.
    paths.retain(|p| {
        p.extension().is_some_and(|e| e != "ics" && e != "html")
            && !p.to_string_lossy().contains("github-api-")
    });
    let bodies: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    throughput(
        &format!("all {} feed fixtures", bodies.len()),
        &bodies,
        &base,
    );
    for (label, file, adapter) in [
        (
            "ical: kubecon-eu-2026 (596 sessions)",
            "real/ics/kubecon-eu-2026-sched-all.ics",
            as_ical as Adapter,
        ),
        (
            "github: releases-shopify-timber-2015",
            "real/github/releases-shopify-timber-2015.atom",
            as_releases,
        ),
        (
            "github: releases-s3-manager",
            "real/github/releases-s3-manager.atom",
            as_releases,
        ),
    ] {
        let body = std::fs::read(root.join(file)).unwrap();
        throughput_with(label, std::slice::from_ref(&body), &base, adapter);
    }
    let mut by_size: Vec<(&PathBuf, &Vec<u8>)> = paths.iter().zip(&bodies).collect();
    by_size.sort_by_key(|(_, b)| std::cmp::Reverse(b.len()));
    for (path, body) in by_size.into_iter().take(4) {
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        throughput(&name, std::slice::from_ref(body), &base);
    }
}
