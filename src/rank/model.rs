//! The learned part of a score: naive Bayes over a story's title words, its
//! link (host, a GitHub repository page), source, categories (a session's
//! track) and, at a third of the weight, its summary's words, trained from
//! what this editor published in past issues and accepted (yes) against
//! what they rejected, passed over (a weak no) and the undecided stories
//! around them (the background the picks stand out from). A past issue's
//! item has the source, summary and categories of the entry its link was
//! seen as, so both sides have the same kinds of features (words only one
//! side could have would weigh for the wrong reason), and its comment's
//! words too: the projects and products its editor named.

use std::collections::HashMap;

use crate::candidate::{Example, Lesson, RankInput};
use crate::ids::SourceId;

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
/// For a feature no pick has: the prior weighs at least as much as this
/// many occurrences at the feature's rate, so that its absence from the
/// picks tells against a story only as far as the picks would have had
/// it by chance (a word of one passed-over story is no evidence; one in
/// every other story is).
const ABSENT_PRIOR_OCCURRENCES: f64 = 1.0;

/// Positive weight (three items or accepts) and negative weight (a
/// rejection, or five stories of background) needed before the learned
/// part counts.
const MIN_YES: f64 = 3.0;
const MIN_NO: f64 = 1.0;

/// English words that say nothing of what a story is about: every title
/// has some, and among a few dozen picks against hundreds of others each
/// would weigh by chance.
const STOP_WORDS: &[&str] = &[
    "a", "about", "after", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be",
    "been", "before", "being", "between", "beyond", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "down", "during", "each", "few", "for", "from", "further", "get", "had",
    "has", "have", "having", "he", "her", "here", "him", "his", "how", "i", "if", "in", "into",
    "is", "it", "its", "just", "let", "me", "more", "most", "my", "new", "no", "nor", "not", "now",
    "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own", "same",
    "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very",
    "vs", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why",
    "will", "with", "without", "would", "you", "your", "yours",
];

/// No stop word is longer (a longer word is not looked up).
const LONGEST_STOP_WORD: usize = 7;

/// One form for a word and its plural ("updates" → "update", "policies"
/// → "policy"), so that a pick's word counts for a candidate's.
/// `word` is one of [`words`]: lower-cased ASCII.
pub fn stem(mut word: String) -> String {
    if word.len() > 4 && word.ends_with("ies") {
        word.truncate(word.len() - 3);
        word.push('y');
    } else if word.len() > 3
        && word.ends_with('s')
        && !["ss", "us", "is"].iter().any(|e| word.ends_with(e))
    {
        word.pop();
    }
    word
}

/// The lower-cased ASCII words of a text that say something (two letters or
/// more, not a [stop word](STOP_WORDS) nor a bare number), as written,
/// and a hyphenated compound joined too ("Multi-Cluster": "multi",
/// "cluster", "multicluster"), so that two ways of writing it meet.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for compound in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        let parts = compound.split('-').filter(|p| !p.is_empty());
        let before = out.len();
        out.extend(parts.map(str::to_ascii_lowercase));
        if out.len() - before > 1 {
            out.push(out[before..].concat());
        }
    }
    out.retain(|w| {
        w.len() >= 2
            && !w.bytes().all(|b| b.is_ascii_digit())
            && (w.len() > LONGEST_STOP_WORD || STOP_WORDS.binary_search(&w.as_str()).is_err())
    });
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}')
}

/// Words of a text for the model: the [stems](stem) of its [`words`], and
/// overlapping pairs of CJK characters (Japanese has no spaces).
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = words(text).into_iter().map(stem).collect();
    let mut previous = None;
    for c in text.chars() {
        let cjk = is_cjk(c).then_some(c);
        if let (Some(first), Some(second)) = (previous, cjk) {
            out.push(String::from_iter([first, second]));
        }
        previous = cjk;
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

/// What the learned model reads of a story, wherever it is at hand (a
/// past issue's item with the entry of its link, a decided or undecided
/// candidate).
#[derive(Debug, Clone, Copy)]
pub struct Story<'a> {
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub url: Option<&'a str>,
    pub source: Option<&'a SourceId>,
    pub categories: &'a [String],
}

impl<'a> Story<'a> {
    pub fn of_example(example: &'a Example) -> Story<'a> {
        Story {
            title: &example.title,
            summary: example.summary.as_deref(),
            url: example.url.as_deref(),
            source: example.source.as_ref(),
            categories: &example.categories,
        }
    }

    pub fn of_candidate(candidate: &'a RankInput<'a>) -> Story<'a> {
        Story {
            title: candidate.title,
            summary: candidate.summary,
            url: candidate.url,
            source: Some(candidate.source),
            categories: candidate.categories,
        }
    }
}

/// Categories prefixed so (`category:maintainer track`).
pub const CATEGORY: &str = "category:";

/// Summary words prefixed so: they are learned apart from title words and
/// weigh less (a description mentions much that a story is not about).
pub const SUMMARY_WORD: &str = "about:";
/// Of a summary word's learned weight, what a story gets.
const SUMMARY_SHARE: f64 = 0.3;
/// The start of a summary that is read (it says what the story is about;
/// the rest costs more to read than it tells).
pub const SUMMARY_CHARS: usize = 300;

/// All the learned model reads of a story: its title words and link
/// features, its source (`source:id`), its categories or track
/// (`category:maintainer track`) and the words of its summary's start
/// ([`SUMMARY_WORD`]) that its title does not have.
pub fn story_features(story: &Story) -> Vec<String> {
    let mut out = tokens(story.title);
    let title_words = out.len();
    out.extend(story.url.map(link_features).unwrap_or_default());
    out.extend(story.source.map(|s| format!("source:{s}")));
    let categories_from = out.len();
    for category in story.categories {
        let category = format!("{CATEGORY}{}", category.trim().to_lowercase());
        if category.len() > CATEGORY.len() && !out[categories_from..].contains(&category) {
            out.push(category);
        }
    }
    if let Some(summary) = story.summary.filter(|s| !s.is_empty()) {
        let start = summary
            .char_indices()
            .nth(SUMMARY_CHARS)
            .map_or(summary, |(cut, _)| &summary[..cut]);
        for word in tokens(start) {
            // Sorted: `tokens` returns them so.
            if out[..title_words].binary_search(&word).is_err() {
                out.push(format!("{SUMMARY_WORD}{word}"));
            }
        }
    }
    // Each once (a story has a feature or not): the title's words are
    // distinct, the summary's apart from them, the rest of their own kinds.
    out
}

/// A feature of [`story_features`] as `review show` names it: a title
/// word as `title` writes it ("Kubernetes" for the stem "kubernete"), a
/// summary word with "in the summary", a category, source or link.
pub fn feature_in_words(feature: &str, title: &str) -> String {
    let word = |stemmed: &str| {
        words(title)
            .into_iter()
            .find(|w| stem(w.clone()) == stemmed)
            .unwrap_or_else(|| stemmed.to_owned())
    };
    if let Some(category) = feature.strip_prefix(CATEGORY) {
        format!("category “{category}”")
    } else if let Some(source) = feature.strip_prefix("source:") {
        format!("source {source}")
    } else if let Some(host) = feature.strip_prefix("host:") {
        format!("link to {host}")
    } else if let Some(kind) = feature.strip_prefix("github:") {
        format!("GitHub {kind}")
    } else if let Some(summary_word) = feature.strip_prefix(SUMMARY_WORD) {
        format!("“{summary_word}” in the summary")
    } else {
        word(feature)
    }
}

/// Naive Bayes over weighted examples. A word that only the background
/// has is no evidence against a story (most of a new story's words are
/// nowhere in past issues): the background only tells how common the
/// words of the editor's picks are.
#[derive(Debug, Default)]
pub struct Model {
    /// Every known feature's log-odds, computed once when trained (a
    /// candidate's score is then one look-up per feature).
    weights: HashMap<String, f64>,
    yes_weight: f64,
    no_weight: f64,
}

/// What training counts: the weight of the examples with each feature on
/// either side.
#[derive(Debug, Default)]
struct Counts {
    yes: HashMap<String, f64>,
    no: HashMap<String, f64>,
    /// Of `no`, what rejections and passed-over stories brought.
    turned_away: HashMap<String, f64>,
    yes_weight: f64,
    no_weight: f64,
}

impl Model {
    pub fn train(examples: &[Example]) -> Model {
        let mut model = Counts::default();
        for example in examples {
            let (yes, weight) = lesson_weight(example.lesson);
            if yes {
                model.yes_weight += weight;
            } else {
                model.no_weight += weight;
            }
            let evidence = matches!(example.lesson, Lesson::Rejected | Lesson::PassedOver);
            let mut features = story_features(&Story::of_example(example));
            // A past issue's comment names what the item is about (a
            // project, a product) in the editor's words.
            if let Some(comment) = &example.comment {
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
        let weights = model
            .yes
            .keys()
            .chain(model.turned_away.keys())
            .filter_map(|f| Some((f.clone(), model.weight(f)?)))
            .collect();
        Model {
            weights,
            yes_weight: model.yes_weight,
            no_weight: model.no_weight,
        }
    }

    pub fn is_trained(&self) -> bool {
        self.yes_weight >= MIN_YES && self.no_weight >= MIN_NO
    }

    /// A known feature's log-odds of being picked.
    pub fn weight(&self, feature: &str) -> Option<f64> {
        self.weights.get(feature).copied()
    }

    /// The learned log-odds of `features` and the three that weighed most.
    pub fn judge(&self, features: &[String]) -> (f64, Vec<(String, f64)>) {
        let mut weighed: Vec<(&String, f64)> = features
            .iter()
            .filter_map(|f| {
                let share = if f.starts_with(SUMMARY_WORD) {
                    SUMMARY_SHARE
                } else {
                    1.0
                };
                self.weight(f).map(|w| (f, share * w))
            })
            .collect();
        let total: f64 = weighed.iter().map(|(_, w)| w).sum();
        weighed.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(b.0)));
        let most = weighed.iter().take(3).map(|(f, w)| ((*f).clone(), *w));
        (total, most.collect())
    }
}

impl Counts {
    /// A feature's log-odds of being picked, when any pick or any story
    /// turned away has it.
    fn weight(&self, feature: &str) -> Option<f64> {
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
        let prior = if yes == 0.0 {
            PRIOR.max(ABSENT_PRIOR_OCCURRENCES / rate)
        } else {
            PRIOR
        };
        let p_yes = (yes + prior * rate) / (self.yes_weight + prior);
        let p_no = (no + prior * rate) / (self.no_weight + prior);
        Some((p_yes / p_no).ln())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `words` looks stop words up by binary search, and only words no
    /// longer than the longest: the list must stay sorted and the bound true.
    #[test]
    fn stop_words_are_sorted_and_bounded() {
        assert!(STOP_WORDS.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(STOP_WORDS.iter().all(|w| w.len() <= LONGEST_STOP_WORD));
        assert!(words("The Future of Kubernetes").contains(&"future".to_owned()));
        assert!(!words("The Future of Kubernetes").contains(&"the".to_owned()));
    }

    fn example(lesson: Lesson, title: &str) -> Example {
        Example {
            lesson,
            title: title.into(),
            summary: None,
            comment: None,
            categories: Vec::new(),
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
            ["argo", "cd", "kubernete", "v2"]
        );
        assert_eq!(
            tokens("What's New With the Policies: 2 Updates"),
            ["policy", "update"]
        );
        assert_eq!(
            tokens("Multi-Cluster"),
            ["cluster", "multi", "multicluster"]
        );
        assert!(tokens("SIG-Multicluster").contains(&"multicluster".to_owned()));
        let mut pairs = ["まと", "とめ", "新機", "機能", "能ま"].map(String::from);
        pairs.sort();
        assert_eq!(tokens("新機能まとめ"), pairs);
    }

    fn session(lesson: Lesson, title: &str, track: &str) -> Example {
        Example {
            source: Some(SourceId("kubecon".into())),
            categories: vec![track.into()],
            ..example(lesson, title)
        }
    }

    fn judged(model: &Model, title: &str, track: &str) -> f64 {
        let categories = [track.to_owned()];
        let story = Story {
            title,
            summary: None,
            url: None,
            source: None,
            categories: &categories,
        };
        model.judge(&story_features(&story)).0
    }

    #[test]
    fn a_session_in_the_track_of_past_picks_outranks_one_that_is_not() {
        let mut examples = vec![
            session(Lesson::Published, "Helm 4 is here", "MAINTAINER TRACK"),
            session(
                Lesson::Published,
                "SIG Storage deep dive",
                "MAINTAINER TRACK",
            ),
            session(Lesson::Published, "Flux UIs tour", "MAINTAINER TRACK"),
        ];
        for n in 0..6 {
            examples.push(session(
                Lesson::PassedOver,
                &format!("Vendor demo {n}"),
                "SOLUTIONS SHOWCASE",
            ));
        }
        let model = Model::train(&examples);
        assert!(model.is_trained());
        let maintainer = judged(&model, "Etcd upgrades", "Maintainer Track");
        let showcase = judged(&model, "Etcd upgrades", "Solutions Showcase");
        assert!(
            maintainer > 0.0 && showcase < 0.0,
            "{maintainer} {showcase}"
        );
        assert_eq!(
            feature_in_words("category:maintainer track", "Etcd upgrades"),
            "category “maintainer track”"
        );
    }

    #[test]
    fn a_word_no_pick_has_tells_against_a_story_as_far_as_it_is_common() {
        let mut examples: Vec<Example> = (0..8)
            .map(|n| example(Lesson::Published, &format!("Cilium eBPF story {n}")))
            .collect();
        for n in 0..40 {
            let extra = match n {
                0 | 20 => "pricing",
                1 => "recap",
                _ => "",
            };
            examples.push(example(Lesson::PassedOver, &format!("Webinar {extra}")));
        }
        let model = Model::train(&examples);
        // In every passed-over story, in two of them, in one.
        let every = model.weight("webinar").expect("known");
        let two = model.weight("pricing").expect("known");
        let one = model.weight("recap").expect("known");
        assert!(every < two && two < one && one < 0.0, "{every} {two} {one}");
        assert!(
            one > every / 3.0,
            "one passed-over story is little evidence: {one}"
        );
    }

    #[test]
    fn summary_words_weigh_less_than_title_words() {
        let story = |title, summary| Story {
            title,
            summary: Some(summary),
            url: None,
            source: None,
            categories: &[],
        };
        let features = story_features(&story("Cilium release", "Cilium adds eBPF maps"));
        assert!(features.contains(&"cilium".to_owned()));
        assert!(features.contains(&format!("{SUMMARY_WORD}ebpf")));
        assert!(
            !features.contains(&format!("{SUMMARY_WORD}cilium")),
            "a title word is not counted again from the summary"
        );
        let model = Model::train(&[
            example(Lesson::Published, "eBPF one"),
            Example {
                summary: Some("about eBPF".into()),
                ..example(Lesson::Published, "two")
            },
            example(Lesson::Published, "eBPF three"),
            example(Lesson::Rejected, "Webinar"),
        ]);
        let (in_title, _) = model.judge(&story_features(&story("eBPF", "")));
        let (in_summary, _) = model.judge(&story_features(&story("Other", "eBPF")));
        assert!(
            in_summary > 0.0 && in_summary < in_title,
            "{in_summary} {in_title}"
        );
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
