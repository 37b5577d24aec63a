//! The near-duplicate title detector on a labelled set of title pairs
//! (tests/fixtures/dedup/title-pairs.tsv: English, Japanese and mixed;
//! duplicates and near-misses such as versions and episode numbers).

use newsdesk::config::DEFAULT_TITLE_SIMILARITY;
use newsdesk::dedup::TitleKey;

use crate::fixture;

struct Scores {
    precision: f64,
    recall: f64,
    false_positives: Vec<String>,
    false_negatives: Vec<String>,
}

fn japanese(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'))
}

/// With `same_language`, pairs of a Japanese and a non-Japanese title
/// (translations, which no lexical measure can match) are left out.
fn evaluate(threshold: f64, same_language: bool) -> Scores {
    let text = String::from_utf8(fixture("dedup/title-pairs.tsv")).unwrap();
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    let mut false_positives = Vec::new();
    let mut false_negatives = Vec::new();
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (label, a, b) = (fields[0], fields[1], fields[2]);
        if same_language && japanese(a) != japanese(b) {
            continue;
        }
        let similarity = TitleKey::new(a).similarity(&TitleKey::new(b));
        let predicted = similarity >= threshold;
        match (label == "dup", predicted) {
            (true, true) => tp += 1.0,
            (false, true) => {
                fp += 1.0;
                false_positives.push(format!("{similarity:.2} {a} | {b}"));
            }
            (true, false) => {
                fn_ += 1.0;
                false_negatives.push(format!("{similarity:.2} {a} | {b}"));
            }
            (false, false) => {}
        }
    }
    Scores {
        precision: tp / (tp + fp),
        recall: tp / (tp + fn_),
        false_positives,
        false_negatives,
    }
}

#[test]
fn default_title_threshold_is_precise_and_finds_most_duplicates() {
    for threshold in [0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9] {
        let all = evaluate(threshold, false);
        let same = evaluate(threshold, true);
        eprintln!(
            "threshold {threshold:.2}: all pairs precision {:.3} recall {:.3}; same-language pairs precision {:.3} recall {:.3}",
            all.precision, all.recall, same.precision, same.recall
        );
    }
    let all = evaluate(DEFAULT_TITLE_SIMILARITY, false);
    eprintln!("false positives:\n  {}", all.false_positives.join("\n  "));
    eprintln!("false negatives:\n  {}", all.false_negatives.join("\n  "));
    assert!(all.precision >= 0.95, "precision {:.3}", all.precision);
    let same = evaluate(DEFAULT_TITLE_SIMILARITY, true);
    assert!(
        same.precision >= 0.95,
        "same-language precision {:.3}",
        same.precision
    );
    assert!(
        same.recall >= 0.9,
        "same-language recall {:.3}",
        same.recall
    );
    // Most translations between Japanese and English are beyond a lexical
    // measure; what names the story (a CVE, a version) still finds them.
    assert!(all.recall >= 0.9, "recall {:.3}", all.recall);
}
