//! Golden files: every fixture feed, parsed and normalised, compared with
//! `tests/fixtures/expected/<fixture>.json` (feed-rs's own pattern). After an
//! intended change, regenerate with `NEWSDESK_BLESS=1 cargo test golden` and
//! review the diff.

use std::path::{Path, PathBuf};

use newsdesk::source::github::{ReleaseLevel, ReleaseOptions};
use newsdesk::source::ical::TrackFilter;
use newsdesk::source::{Document, SourceOptions};
use serde_json::{Value, json};
use url::Url;

fn fixture_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            fixture_files(&path, found);
        } else if path.extension().is_some_and(|e| e != "md" && e != "html") {
            found.push(path);
        }
    }
}

/// The options of the kind of source a fixture belongs to (its name or
/// folder says), and whether it is the GitHub API's answer.
fn kind_of(path: &Path) -> (SourceOptions, bool) {
    let name = path.file_name().unwrap().to_string_lossy();
    let releases = || {
        SourceOptions::GithubReleases(ReleaseOptions {
            repo: "owner/project".into(),
            display_name: "Project".into(),
            min_level: ReleaseLevel::Minor,
            prereleases: false,
            tag_pattern: None,
        })
    };
    if name.ends_with(".ics") {
        (SourceOptions::Ical(TrackFilter::default()), false)
    } else if name.starts_with("github-api-") {
        (releases(), true)
    } else if name.starts_with("github-") || path.parent().unwrap().ends_with("github") {
        (releases(), false)
    } else {
        (SourceOptions::Feed, false)
    }
}

fn normalised(path: &Path, body: &[u8]) -> Value {
    let base = Url::parse("https://feeds.example.org/blog/feed.xml").unwrap();
    let (options, from_github_api) = kind_of(path);
    let document = Document {
        body,
        content_type: None,
        url: &base,
        from_github_api,
    };
    let parsed = newsdesk::source::parse(&options, &document);
    match parsed {
        Ok(parsed) => json!({
            "title": parsed.title,
            "entries": parsed.entries.iter().map(|e| {
                let mut entry = json!({
                    "key": e.key,
                    "url": e.url,
                    "canonical_url": e.canonical_url,
                    "title": e.title,
                    "summary": e.summary,
                    "published": e.published.map(|d| d.to_rfc3339()),
                    "updated": e.updated.map(|d| d.to_rfc3339()),
                    "categories": e.categories,
                    "filtered": e.filtered,
                });
                // Only schedules have sessions: other fixtures' files stay as they were.
                if let Some(session) = &e.session {
                    entry["session"] = json!(session);
                }
                entry
            }).collect::<Vec<_>>(),
        }),
        Err(err) => json!({ "error": err.to_string() }),
    }
}

#[test]
fn golden_normalised_entries_of_every_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    fixture_files(&root.join("real"), &mut files);
    fixture_files(&root.join("written"), &mut files);
    files.sort();
    assert!(files.len() >= 30, "fixtures missing: {}", files.len());
    let bless = std::env::var_os("NEWSDESK_BLESS").is_some();
    let mut mismatched = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&root).unwrap();
        let expected_path = root.join("expected").join(relative).with_extension("json");
        let actual = normalised(file, &std::fs::read(file).unwrap());
        let actual_text = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        if bless {
            std::fs::create_dir_all(expected_path.parent().unwrap()).unwrap();
            std::fs::write(&expected_path, &actual_text).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual_text {
            mismatched.push(format!(
                "{}: differs from {}",
                relative.display(),
                expected_path.display()
            ));
        }
    }
    assert!(
        mismatched.is_empty(),
        "{}\n(run `NEWSDESK_BLESS=1 cargo test golden` and review the diff if the change is intended)",
        mismatched.join("\n")
    );
}
