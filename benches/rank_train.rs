//! How long the learned part of the ranking takes to train (issue 17's
//! target: under 1 s from 1,000 decisions and 50 past issues), and to
//! score and suggest a section for 85,000 candidates with it.
//!
//! cargo bench --bench rank_train
//!
//! The examples are made from the titles of the real sched.com schedule in
//! tests/fixtures (596 sessions, reused with a number so that the
//! vocabulary grows as a real history's does): 50 past issues of 20 items,
//! 1,000 decisions, the 3,000 undecided candidates of the background and
//! 2,000 passed over — what `RankingStore::examples` hands the ranker.

use std::path::Path;
use std::time::Instant;

use newsdesk::candidate::{Example, Lesson, RankInput};
use newsdesk::ids::SourceId;
use newsdesk::rank::sections::SectionName;
use newsdesk::rank::{Ranker, Rules};
use newsdesk::source::{Document, SourceOptions, ical::TrackFilter, parse};

/// Tracks of the real schedule, as categories of the examples.
const TRACKS: &[&str] = &[
    "MAINTAINER TRACK",
    "SOLUTIONS SHOWCASE",
    "PROJECT OPPORTUNITIES",
    "OBSERVABILITY",
    "SECURITY",
];

fn titles() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real/ics/kubecon-eu-2026-sched-all.ics");
    let body = std::fs::read(path).expect("fixture");
    let url = url::Url::parse("https://kccnceu2026.sched.com/all.ics").expect("url");
    let document = Document {
        body: &body,
        content_type: None,
        url: &url,
        from_github_api: false,
    };
    parse(&SourceOptions::Ical(TrackFilter::default()), &document)
        .expect("schedule")
        .entries
        .into_iter()
        .map(|e| e.title)
        .collect()
}

fn main() {
    let titles = titles();
    let title = |i: usize| format!("{} {}", titles[i % titles.len()], i / titles.len());
    let headings = ["Events", "Notable Articles", "Release Notes", "Tools"];
    let mut examples = Vec::new();
    let mut n = 0;
    let mut next = |lesson: Lesson, section: Option<String>| {
        n += 1;
        Example {
            lesson,
            title: title(n),
            summary: Some("A session about Kubernetes networking with eBPF and Cilium.".into()),
            comment: Some("注目のセッションです。Kubernetes と eBPF の話題。".into()),
            categories: vec![TRACKS[n % TRACKS.len()].to_owned()],
            url: Some(format!("github.com/owner{}/repo{}", n % 97, n)),
            source: Some(SourceId(format!("s{}", n % 11))),
            section,
            issue_date: Some("2026-11-04".into()),
        }
    };
    for issue in 0..50 {
        for item in 0..20 {
            examples.push(next(
                Lesson::Published,
                Some(headings[(issue + item) % headings.len()].to_owned()),
            ));
        }
    }
    for d in 0..1_000 {
        let lesson = if d % 2 == 0 {
            Lesson::Accepted
        } else {
            Lesson::Rejected
        };
        examples.push(next(lesson, Some("articles".into())));
    }
    for _ in 0..2_000 {
        examples.push(next(Lesson::PassedOver, None));
    }
    for _ in 0..3_000 {
        examples.push(next(Lesson::Background, None));
    }
    let rules = Rules {
        sections: ["events", "articles", "releases", "tools"]
            .iter()
            .zip(headings)
            .map(|(id, title)| SectionName {
                id: id.to_string(),
                title: title.to_owned(),
            })
            .collect(),
        ..Rules::default()
    };
    let now = chrono::Utc::now();
    let mut best = f64::MAX;
    let mut ranker = None;
    for _ in 0..5 {
        let started = Instant::now();
        ranker = Some(Ranker::train(rules.clone(), &examples, now));
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!(
        "train: {} examples (1,000 published items in 50 issues, 1,000 decisions, 2,000 passed over, 3,000 background): best of 5 {:.3} s",
        examples.len(),
        best
    );
    let ranker = ranker.expect("trained");
    let source = SourceId("s1".into());
    let categories = vec![TRACKS[0].to_owned()];
    let published = newsdesk::store::timestamp(now);
    let urls: Vec<String> = (0..85_000)
        .map(|i| format!("https://example.org/{i}"))
        .collect();
    let candidates: Vec<String> = (0..85_000).map(|i| title(i + 7)).collect();
    let started = Instant::now();
    let mut total = 0.0;
    for (title, url) in candidates.iter().zip(&urls) {
        let input = RankInput {
            title,
            summary: Some("A session about Kubernetes networking with eBPF and Cilium."),
            source: &source,
            seen_in: 1,
            published: &published,
            url: Some(url),
            mention: None,
            categories: &categories,
        };
        total += ranker.score(&input).total;
        total += ranker
            .suggest_section(&input)
            .map_or(0.0, |s| s.len() as f64);
    }
    println!(
        "score and suggest: 85,000 candidates on one core in {:.2} s (checksum {total:.0})",
        started.elapsed().as_secs_f64()
    );
}
