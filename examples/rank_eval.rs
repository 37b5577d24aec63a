//! A labelled evaluation of ranking and suggested sections (issue 17),
//! replayed week by week from real data at hand.
//!
//! Candidates: the entries of the real feeds in tests/fixtures (the
//! KubeCon + CloudNativeCon Europe 2026 sched.com schedule, 596 sessions,
//! and ten real blogs and news feeds), dealt into weeks in date order
//! (entry *i* of a source, by date, goes to week *i* mod 5). The editor's
//! picks: tests/fixtures/eval/issues/, one issue per week in the model's
//! format (`### Title`, the link, a comment, under `## Section`), written
//! as the model's editors would, from that week's candidates. Week *w* is
//! ranked with the issues of weeks before it in drafts_dir, the earlier
//! weeks' other candidates as passed over, and its own as the background,
//! as [`RankingStore::examples`] hands them to the ranker: a past issue's
//! item with the source, summary and categories (a session's track) of
//! the entry its link was seen as — here the week's candidate with the
//! same URL key, as the store joins `published.url_key` to
//! `entries.url_key`. Every candidate counts as published at the replay's
//! moment, so recency is neutral and the order is the ranking's own.
//!
//! ```sh
//! cargo run --example rank_eval            # the table, learning on and off
//! cargo run --example rank_eval -- --list  # every week's candidates
//! RANK_EVAL_TOP=1 cargo run --example rank_eval   # each week's top 15 and
//!                                                 # picks on stderr (add
//!                                                 # RANK_EVAL_PARTS=1 for
//!                                                 # the score parts
//!                                                 # and each pick's
//!                                                 # learned weights)
//! ```
//!
//! [`RankingStore::examples`]: newsdesk::candidate::RankingStore::examples

use std::path::{Path, PathBuf};

use newsdesk::candidate::{Example, Lesson, RankInput};
use newsdesk::ids::SourceId;
use newsdesk::rank::sections::{SectionName, section_for_heading};
use newsdesk::rank::{Ranker, Rules, model};
use newsdesk::source::{Document, IncomingEntry, SourceOptions, ical::TrackFilter, parse};

const WEEKS: usize = 5;

/// Source id, section in feeds.toml, fixture, whether a schedule.
const SOURCES: &[(&str, &str, &str, bool)] = &[
    (
        "kubecon-eu-2026",
        "events",
        "real/ics/kubecon-eu-2026-sched-all.ics",
        true,
    ),
    (
        "google-cloud-blog",
        "articles",
        "real/rss2/google-cloud-blog.rss",
        false,
    ),
    (
        "qemu-blog",
        "articles",
        "real/atom/qemu-jekyll-relative.atom",
        false,
    ),
    (
        "macworld",
        "articles",
        "real/rss2/macworld-no-guid.rss",
        false,
    ),
    (
        "livemint",
        "articles",
        "real/rss2/livemint-numeric-guid.xml",
        false,
    ),
    (
        "yakubin",
        "articles",
        "real/large/yakubin-notes.atom",
        false,
    ),
    ("large-atom", "articles", "real/large/large-atom.xml", false),
    (
        "lukedorny",
        "articles",
        "real/jsonfeed/escaped-slashes-1.1.json",
        false,
    ),
    (
        "elastic",
        "articles",
        "real/jsonfeed/elastic-1.1.json",
        false,
    ),
    (
        "cloudflare",
        "articles",
        "real/rss2/cloudflare-blog.xml",
        false,
    ),
    ("debian", "articles", "real/rss1/debian-rdf.xml", false),
];

const SECTIONS: &[(&str, &str)] = &[
    ("events", "Events"),
    ("articles", "Notable Articles"),
    ("releases", "Release Notes"),
    ("tools", "Tools"),
];

struct Candidate {
    source: SourceId,
    entry: IncomingEntry,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every source's entries, dealt into weeks.
fn weeks() -> Vec<Vec<Candidate>> {
    let mut weeks: Vec<Vec<Candidate>> = (0..WEEKS).map(|_| Vec::new()).collect();
    for (id, _, path, schedule) in SOURCES {
        let body = std::fs::read(fixtures().join(path)).expect("fixture");
        let url = url::Url::parse(&format!("https://{id}.example/feed")).expect("url");
        let options = if *schedule {
            SourceOptions::Ical(TrackFilter::default())
        } else {
            SourceOptions::Feed
        };
        let document = Document {
            body: &body,
            content_type: None,
            url: &url,
            from_github_api: false,
        };
        let mut entries: Vec<IncomingEntry> = parse(&options, &document)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .entries
            .into_iter()
            .filter(|e| e.filtered.is_none())
            .collect();
        entries.sort_by_key(|e| e.published);
        for (i, entry) in entries.into_iter().enumerate() {
            weeks[i % WEEKS].push(Candidate {
                source: SourceId(id.to_string()),
                entry,
            });
        }
    }
    weeks
}

/// Week `w`'s issue: its file name and text.
fn issue(w: usize) -> (String, String) {
    let name = format!("week-{w}.md");
    let text = std::fs::read_to_string(fixtures().join("eval/issues").join(&name)).expect("issue");
    (name, text)
}

fn rules() -> Rules {
    Rules {
        keywords: Vec::new(),
        source_weights: Default::default(),
        source_sections: SOURCES
            .iter()
            .map(|(id, section, _, _)| (SourceId(id.to_string()), section.to_string()))
            .collect(),
        sections: SECTIONS
            .iter()
            .map(|(id, title)| SectionName {
                id: id.to_string(),
                title: title.to_string(),
            })
            .collect(),
    }
}

/// How a week went: ranks of its picks (1 = first) and sections right.
struct Outcome {
    candidates: usize,
    ranks: Vec<usize>,
    sections_right: usize,
}

/// The key a link is known by in the store (`dedup::url_key` of its
/// canonical form).
fn url_key(link: &str) -> Option<String> {
    newsdesk::normalize::canonical_url(link, None).map(|u| newsdesk::dedup::url_key(&u))
}

fn candidate_url_key(c: &Candidate) -> Option<String> {
    c.entry.canonical_url.as_deref().and_then(url_key)
}

fn replay<'a>(weeks: &'a [Vec<Candidate>], w: usize, learning: bool) -> Outcome {
    let rules = rules();
    let mut examples = Vec::new();
    let picks_of = |week: usize| newsdesk::published::items_in(&issue(week).1, &issue(week).0);
    if learning {
        for (week, candidates) in weeks.iter().enumerate().take(w) {
            for item in picks_of(week) {
                let url = item.links.first().and_then(|l| url_key(l));
                // As the store links an item to the entry of its link: the
                // week's candidate with the same URL key, when there is one.
                let linked = candidates
                    .iter()
                    .find(|c| url.is_some() && candidate_url_key(c) == url);
                let entry = linked.map(|c| &c.entry);
                examples.push(Example {
                    lesson: Lesson::Published,
                    title: item.title.clone(),
                    summary: entry.and_then(|e| e.summary.clone()),
                    comment: Some(item.comment.clone()),
                    categories: entry.map(|e| e.categories.clone()).unwrap_or_default(),
                    url,
                    source: linked.map(|c| c.source.clone()),
                    section: item.section.clone(),
                    issue_date: item.issue_date.clone(),
                });
            }
            let picked: Vec<String> = picks_of(week).into_iter().map(|i| i.title).collect();
            for c in candidates
                .iter()
                .filter(|c| !picked.contains(&c.entry.title))
            {
                examples.push(example(c, Lesson::PassedOver));
            }
        }
        examples.extend(weeks[w].iter().map(|c| example(c, Lesson::Background)));
    }
    let now = chrono::Utc::now();
    let ranker = Ranker::train(rules.clone(), &examples, now);
    let published = newsdesk::store::timestamp(now);
    let input_of = |c: &'a Candidate| RankInput {
        title: &c.entry.title,
        summary: c.entry.summary.as_deref(),
        source: &c.source,
        seen_in: 1,
        published: &published,
        url: c.entry.canonical_url.as_deref().or(c.entry.url.as_deref()),
        mention: None,
        categories: &c.entry.categories,
    };
    let input = |c: &'a Candidate| -> (f64, Option<String>) {
        let input = input_of(c);
        (ranker.score(&input).total, ranker.suggest_section(&input))
    };
    let judged: Vec<(f64, Option<String>)> = weeks[w].iter().map(input).collect();
    // Best first; equal scores in the order the store would list them
    // (the newer id first: the later entry).
    let mut order: Vec<usize> = (0..weeks[w].len()).collect();
    order.sort_by(|&a, &b| judged[b].0.total_cmp(&judged[a].0).then(b.cmp(&a)));
    if std::env::var_os("RANK_EVAL_TOP").is_some() && learning {
        for &i in order.iter().take(15) {
            let c = &weeks[w][i];
            eprintln!("w{w} {:+.2} {} {}", judged[i].0, c.source, c.entry.title);
            if std::env::var_os("RANK_EVAL_PARTS").is_some() {
                eprintln!("    {:?}", ranker.score(&input_of(c)).parts);
            }
        }
    }
    let mut outcome = Outcome {
        candidates: weeks[w].len(),
        ranks: Vec::new(),
        sections_right: 0,
    };
    for pick in picks_of(w) {
        let Some(at) = weeks[w].iter().position(|c| c.entry.title == pick.title) else {
            panic!(
                "week {w}: the pick “{}” is none of the week's candidates (see --list)",
                pick.title
            );
        };
        let rank = order.iter().position(|&i| i == at).expect("ranked") + 1;
        if std::env::var_os("RANK_EVAL_TOP").is_some() && learning {
            eprintln!("  pick w{w} #{rank} {:+.2} {}", judged[at].0, pick.title);
            if std::env::var_os("RANK_EVAL_PARTS").is_some() {
                eprintln!("    {:?}", ranker.score(&input_of(&weeks[w][at])).parts);
                print_weights(&ranker, &input_of(&weeks[w][at]));
            }
        }
        outcome.ranks.push(rank);
        let expected = pick
            .section
            .as_deref()
            .and_then(|h| section_for_heading(h, &rules.sections));
        if judged[at].1.as_deref() == expected {
            outcome.sections_right += 1;
        }
    }
    outcome
}

/// Every known feature of a pick with its learned weight (what its
/// learned part sums), summary words apart.
fn print_weights(ranker: &Ranker, input: &RankInput) {
    let mut title = Vec::new();
    let mut summary = 0.0;
    for feature in model::story_features(&model::Story::of_candidate(input)) {
        if let Some(weight) = ranker.model.weight(&feature) {
            if feature.starts_with(model::SUMMARY_WORD) {
                summary += weight;
            } else {
                title.push(format!("{feature} {weight:+.1}"));
            }
        }
    }
    eprintln!(
        "    summary words {summary:+.2} in all (before their share); the others: {}",
        title.join(", ")
    );
}

fn example(c: &Candidate, lesson: Lesson) -> Example {
    Example {
        lesson,
        title: c.entry.title.clone(),
        summary: c.entry.summary.clone(),
        comment: None,
        categories: c.entry.categories.clone(),
        url: c.entry.canonical_url.clone().or(c.entry.url.clone()),
        source: Some(c.source.clone()),
        section: None,
        issue_date: None,
    }
}

fn main() {
    let weeks = weeks();
    if std::env::args().any(|a| a == "--list") {
        for (w, week) in weeks.iter().enumerate() {
            for c in week {
                let url = c.entry.canonical_url.as_deref().or(c.entry.url.as_deref());
                println!(
                    "{w}\t{}\t{}\t{}",
                    c.source,
                    c.entry.title,
                    url.unwrap_or("-")
                );
            }
        }
        return;
    }
    println!(
        "week  past issues  candidates  picks  learning  top 10  top 30  worst rank  sections right"
    );
    let mut totals = [(0, 0, 0, 0); 2];
    for w in 0..WEEKS {
        for (n, learning) in [true, false].into_iter().enumerate() {
            let o = replay(&weeks, w, learning);
            let top = |k: usize| o.ranks.iter().filter(|&&r| r <= k).count();
            println!(
                "{w:>4}  {w:>11}  {:>10}  {:>5}  {:>8}  {:>6}  {:>6}  {:>10}  {:>7} ({:.0} %)",
                o.candidates,
                o.ranks.len(),
                if learning { "on" } else { "off" },
                top(10),
                top(30),
                o.ranks.iter().max().copied().unwrap_or(0),
                format!("{}/{}", o.sections_right, o.ranks.len()),
                100.0 * o.sections_right as f64 / o.ranks.len().max(1) as f64,
            );
            if w >= 2 {
                let t = &mut totals[n];
                *t = (
                    t.0 + o.ranks.len(),
                    t.1 + top(30),
                    t.2 + o.sections_right,
                    t.3.max(o.ranks.iter().max().copied().unwrap_or(0)),
                );
            }
        }
    }
    for (n, learning) in ["on", "off"].iter().enumerate() {
        let (picks, top30, right, worst) = totals[n];
        println!(
            "weeks with two or more past issues, learning {learning}: {top30}/{picks} picks in the top 30 (worst rank {worst}), sections right {right}/{picks} ({:.0} %)",
            100.0 * right as f64 / picks.max(1) as f64
        );
    }
}
