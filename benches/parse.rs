//! Parse throughput over the real fixtures: every file in
//! tests/fixtures/{real,written} parsed and normalised repeatedly.
//!
//! cargo bench --bench parse
//!
//! Prints MB/s of input over all fixtures and for the largest ones.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use newsdesk::source::feed;
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

fn throughput(label: &str, bodies: &[Vec<u8>], base: &Url) {
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let mut rounds = 0u32;
    let mut entries = 0usize;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) || rounds < 3 {
        for body in bodies {
            if let Ok(parsed) = feed::parse(body, None, base) {
                entries += parsed.entries.len();
            }
        }
        rounds += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{label:<40} {:>8.1} KB  {:>7.1} MB/s  {:>9.0} entries/s  ({rounds} rounds)",
        bytes as f64 / 1e3,
        bytes as f64 * f64::from(rounds) / elapsed / 1e6,
        entries as f64 / elapsed
    );
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths = Vec::new();
    files(&root.join("real"), &mut paths);
    files(&root.join("written"), &mut paths);
    paths.sort();
    let base = Url::parse("https://feeds.example.org/feed.xml").unwrap();
    let bodies: Vec<Vec<u8>> = paths.iter().map(|p| std::fs::read(p).unwrap()).collect();
    throughput(&format!("all {} fixtures", bodies.len()), &bodies, &base);
    let mut by_size: Vec<(&PathBuf, &Vec<u8>)> = paths.iter().zip(&bodies).collect();
    by_size.sort_by_key(|(_, b)| std::cmp::Reverse(b.len()));
    for (path, body) in by_size.into_iter().take(4) {
        let name = path.strip_prefix(&root).unwrap().display().to_string();
        throughput(&name, std::slice::from_ref(body), &base);
    }
}
