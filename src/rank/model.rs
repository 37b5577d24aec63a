//! The learned part of a score: naive Bayes over a story's title words and
//! its link (host, a GitHub repository page), trained from what this editor
//! published in past issues and accepted (yes) against what they rejected,
//! passed over (a weak no) and the undecided stories around them (the
//! background the picks stand out from). Titles only: past issues carry no
//! summaries, and words that only one side can have would weigh for the
//! wrong reason (a past issue's item brings its comment's words too: the
//! projects and products its editor named).

use std::collections::HashMap;

use crate::candidate::{Example, Lesson};

/// Weight of one example of each kind in the counts.
fn lesson_weight(lesson: Lesson) -> (bool, f64) {
    match lesson {
        Lesson::Published | Lesson::Accepted => (true, 1.0),
        Lesson::Rejected => (false, 1.0),
        Lesson::PassedOver => (false, 0.5),
        Lesson::Background => (false, 0.2),
    }
}

/// How many examples' worth the smoothing prior weighs.
const PRIOR: f64 = 10.0;

/// Positive weight (three items or accepts) and negative weight (a
/// rejection, or five stories of background) needed before the learned
/// part counts.
const MIN_YES: f64 = 3.0;
const MIN_NO: f64 = 1.0;

/// Words of a text for the model: ASCII words of two letters or more, and
/// overlapping pairs of CJK characters (Japanese has no spaces).
pub fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_cjk = |cjk: &mut Vec<char>, out: &mut Vec<String>| {
        for pair in cjk.windows(2) {
            out.push(pair.iter().collect());
        }
        cjk.clear();
    };
    for c in lower.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            flush_cjk(&mut cjk, &mut out);
        } else {
            if word.len() >= 2 {
                out.push(std::mem::take(&mut word));
            }
            word.clear();
            if matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}') {
                cjk.push(c);
            } else {
                flush_cjk(&mut cjk, &mut out);
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// What a link says of a story: its host (`host:github.com`, without
/// `www.`) and, on GitHub, whether it is a repository's page, a release or
/// something else. `url` is a URL or a URL key (`github.com/o/r`).
pub fn link_features(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let host = host.split(':').next().unwrap_or(host);
    let mut out = vec![format!("host:{host}")];
    if host == "github.com" {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        out.push(
            match segments.as_slice() {
                [_, _] => "github:repository",
                [_, _, "releases", ..] => "github:release",
                _ => "github:other",
            }
            .to_owned(),
        );
    }
    out
}

/// The features of a story: title words and link features.
pub fn features(title: &str, url: Option<&str>) -> Vec<String> {
    let mut out = tokens(title);
    out.extend(url.map(link_features).unwrap_or_default());
    out
}

/// Naive Bayes over weighted examples. A word that only the background
/// has is no evidence against a story (most of a new story's words are
/// nowhere in past issues): the background only tells how common the
/// words of the editor's picks are.
#[derive(Debug, Default)]
pub struct Model {
    yes: HashMap<String, f64>,
    no: HashMap<String, f64>,
    /// Of `no`, what rejections and passed-over stories brought.
    turned_away: HashMap<String, f64>,
    yes_weight: f64,
    no_weight: f64,
}

impl Model {
    pub fn train(examples: &[Example]) -> Model {
        let mut model = Model::default();
        for example in examples {
            let (yes, weight) = lesson_weight(example.lesson);
            if yes {
                model.yes_weight += weight;
            } else {
                model.no_weight += weight;
            }
            let evidence = matches!(example.lesson, Lesson::Rejected | Lesson::PassedOver);
            let mut features = features(&example.title, example.url.as_deref());
            // A past issue's comment names what the item is about (a
            // project, a product) in the editor's words.
            if example.lesson == Lesson::Published
                && let Some(comment) = &example.summary
            {
                features.extend(tokens(comment));
                features.sort();
                features.dedup();
            }
            for feature in features {
                if evidence {
                    *model.turned_away.entry(feature.clone()).or_default() += weight;
                }
                let counts = if yes { &mut model.yes } else { &mut model.no };
                *counts.entry(feature).or_default() += weight;
            }
        }
        model
    }

    pub fn is_trained(&self) -> bool {
        self.yes_weight >= MIN_YES && self.no_weight >= MIN_NO
    }

    /// A known feature's log-odds of being picked.
    pub fn weight(&self, feature: &str) -> Option<f64> {
        let yes = self.yes.get(feature).copied().unwrap_or(0.0);
        let no = self.no.get(feature).copied().unwrap_or(0.0);
        if yes == 0.0 && !self.turned_away.contains_key(feature) {
            return None;
        }
        // Smoothed towards the feature's rate over both sides: the editor's
        // picks are a few dozen against hundreds of others, and adding one
        // to each count would make any word of the many others look rarer
        // there than among the picks.
        let rate = (yes + no) / (self.yes_weight + self.no_weight);
        let p_yes = (yes + PRIOR * rate) / (self.yes_weight + PRIOR);
        let p_no = (no + PRIOR * rate) / (self.no_weight + PRIOR);
        Some((p_yes / p_no).ln())
    }

    /// The learned log-odds of `features` and the three that weighed most.
    pub fn judge(&self, features: &[String]) -> (f64, Vec<(String, f64)>) {
        let mut weighed: Vec<(String, f64)> = features
            .iter()
            .filter_map(|f| self.weight(f).map(|w| (f.clone(), w)))
            .collect();
        let total: f64 = weighed.iter().map(|(_, w)| w).sum();
        weighed.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
        weighed.truncate(3);
        (total, weighed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(lesson: Lesson, title: &str) -> Example {
        Example {
            lesson,
            title: title.into(),
            summary: None,
            url: None,
            source: None,
            section: None,
            issue_date: None,
        }
    }

    #[test]
    fn tokens_of_english_and_japanese() {
        assert_eq!(
            tokens("Argo CD v2.5 & Kubernetes"),
            ["argo", "cd", "kubernetes", "v2"]
        );
        let mut pairs = ["まと", "とめ", "新機", "機能", "能ま"].map(String::from);
        pairs.sort();
        assert_eq!(tokens("新機能まとめ"), pairs);
    }

    #[test]
    fn links_tell_repositories_from_releases() {
        assert_eq!(
            link_features("https://www.github.com/kyverno/kyverno"),
            ["host:github.com", "github:repository"]
        );
        assert_eq!(
            link_features("github.com/cilium/cilium/releases/tag/v1.12.0"),
            ["host:github.com", "github:release"]
        );
        assert_eq!(
            link_features("kubernetes.io/blog/x"),
            ["host:kubernetes.io"]
        );
    }

    #[test]
    fn the_model_learns_what_the_editor_takes() {
        let model = Model::train(&[
            example(Lesson::Published, "Cilium eBPF networking deep dive"),
            example(Lesson::Published, "eBPF observability with Cilium Hubble"),
            example(Lesson::Accepted, "Kubernetes networking with eBPF"),
            example(Lesson::Rejected, "Webinar: buy our enterprise platform"),
            example(Lesson::Rejected, "Enterprise platform webinar series"),
            example(
                Lesson::PassedOver,
                "Sponsored webinar on enterprise platform",
            ),
            example(Lesson::PassedOver, "Enterprise platform pricing webinar"),
            example(Lesson::Background, "Kubernetes networking webinar"),
            example(Lesson::Background, "An enterprise webinar"),
        ]);
        assert!(model.is_trained());
        let (good, _) = model.judge(&tokens("A new eBPF feature in Cilium"));
        let (bad, why) = model.judge(&tokens("Join our enterprise webinar"));
        assert!(good > 0.0 && bad < 0.0, "{good} {bad}");
        assert!(why.iter().any(|(w, _)| w == "webinar"));
    }
}
