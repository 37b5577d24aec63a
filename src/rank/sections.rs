//! Where a candidate would go: the section the editor put similar items in
//! (naive Bayes over title words, link features and source, trained from
//! past issues' items and accepted candidates), else its source's section.

use std::collections::HashMap;

use super::model::features;
use crate::candidate::{Example, Lesson};

/// A configured section as past issues' headings are matched against it.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionName {
    pub id: String,
    pub title: String,
}

/// The configured section a past issue's heading (emoji left off) stands
/// for: the same title or id, a title that begins the heading ("Tools" for
/// "Tools, Frameworks, Libraries"), or one whose first word begins like the
/// heading's ("Release Notes" for "Releases").
pub fn section_for_heading<'a>(heading: &str, sections: &'a [SectionName]) -> Option<&'a str> {
    let heading = heading.trim().to_lowercase();
    let first = |text: &str| {
        text.split(|c: char| !c.is_alphanumeric())
            .find(|w| !w.is_empty())
            .unwrap_or("")
            .to_lowercase()
    };
    let stem = |word: String| word.chars().take(6).collect::<String>();
    let tests: [&dyn Fn(&SectionName) -> bool; 3] = [
        &|s| s.title.to_lowercase() == heading || s.id.to_lowercase() == heading,
        &|s| {
            let title = s.title.to_lowercase();
            heading.starts_with(&title)
                && !heading[title.len()..].starts_with(|c: char| c.is_alphanumeric())
        },
        &|s| {
            let ours = stem(first(&heading));
            ours.chars().count() >= 4
                && (ours == stem(first(&s.title)) || ours == stem(first(&s.id)))
        },
    ];
    tests
        .iter()
        .find_map(|test| sections.iter().find(|s| test(s)))
        .map(|s| s.id.as_str())
}

/// Examples per section at least, before the model suggests one.
const MIN_EXAMPLES: f64 = 2.0;

#[derive(Debug, Default)]
pub struct SectionModel {
    sections: Vec<String>,
    examples: Vec<f64>,
    counts: Vec<HashMap<String, f64>>,
    totals: Vec<f64>,
    vocabulary: std::collections::HashSet<String>,
}

impl SectionModel {
    /// Trained from the positive examples whose section is known (a
    /// heading of a past issue resolved to a configured section).
    pub fn train(examples: &[Example], sections: &[SectionName]) -> SectionModel {
        let mut model = SectionModel::default();
        for example in examples {
            let section = match (example.lesson, example.section.as_deref()) {
                (Lesson::Published, Some(heading)) => section_for_heading(heading, sections),
                (Lesson::Accepted, Some(id)) => {
                    sections.iter().find(|s| s.id == id).map(|s| s.id.as_str())
                }
                _ => None,
            };
            let Some(section) = section else { continue };
            let at = match model.sections.iter().position(|s| s == section) {
                Some(at) => at,
                None => {
                    model.sections.push(section.to_owned());
                    model.examples.push(0.0);
                    model.counts.push(HashMap::new());
                    model.totals.push(0.0);
                    model.sections.len() - 1
                }
            };
            model.examples[at] += 1.0;
            let mut features = features(&example.title, example.url.as_deref());
            features.extend(example.source.as_ref().map(|s| format!("source:{s}")));
            for feature in features {
                *model.counts[at].entry(feature.clone()).or_default() += 1.0;
                model.totals[at] += 1.0;
                model.vocabulary.insert(feature);
            }
        }
        model
    }

    /// The likeliest section for a story with `features`, when the model
    /// knows at least two sections and some of the features: a story like
    /// nothing the editor placed before has no suggestion of its own.
    pub fn suggest(&self, features: &[String]) -> Option<&str> {
        let known: Vec<usize> = (0..self.sections.len())
            .filter(|&i| self.examples[i] >= MIN_EXAMPLES)
            .collect();
        let features: Vec<&String> = features
            .iter()
            .filter(|f| self.vocabulary.contains(f.as_str()))
            .collect();
        if known.len() < 2 || features.is_empty() {
            return None;
        }
        let all: f64 = known.iter().map(|&i| self.examples[i]).sum();
        let vocabulary = self.vocabulary.len() as f64 + 1.0;
        known
            .into_iter()
            .map(|i| {
                let prior = (self.examples[i] / all).ln();
                let likelihood: f64 = features
                    .iter()
                    .map(|f| {
                        let count = self.counts[i].get(f.as_str()).copied().unwrap_or(0.0);
                        ((count + 0.5) / (self.totals[i] + 0.5 * vocabulary)).ln()
                    })
                    .sum();
                (i, prior + likelihood)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(i, _)| self.sections[i].as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rank::model::features;

    fn names() -> Vec<SectionName> {
        [
            ("articles", "Notable Articles"),
            ("releases", "Releases"),
            ("tools", "Tools"),
        ]
        .map(|(id, title)| SectionName {
            id: id.into(),
            title: title.into(),
        })
        .to_vec()
    }

    #[test]
    fn headings_of_past_issues_find_their_sections() {
        let sections = names();
        assert_eq!(
            section_for_heading("Notable Articles", &sections),
            Some("articles")
        );
        assert_eq!(
            section_for_heading("Tools, Frameworks, Libraries", &sections),
            Some("tools")
        );
        assert_eq!(
            section_for_heading("Release Notes", &sections),
            Some("releases")
        );
        assert_eq!(section_for_heading("あとがき", &sections), None);
        assert_eq!(section_for_heading("Toolsmith", &sections), None);
    }

    #[test]
    fn repository_pages_go_where_the_editor_put_them() {
        let item = |title: &str, url: &str, heading: &str| Example {
            lesson: Lesson::Published,
            title: title.into(),
            summary: None,
            comment: None,
            categories: Vec::new(),
            url: Some(url.into()),
            source: None,
            section: Some(heading.into()),
            issue_date: None,
        };
        let model = SectionModel::train(
            &[
                item(
                    "kyverno",
                    "github.com/kyverno/kyverno",
                    "Tools, Frameworks, Libraries",
                ),
                item(
                    "kube-vip",
                    "github.com/kube-vip/kube-vip",
                    "Tools, Frameworks, Libraries",
                ),
                item(
                    "Cilium 1.12",
                    "github.com/cilium/cilium/releases/tag/v1.12.0",
                    "Release Notes",
                ),
                item(
                    "Argo CD v2.4",
                    "github.com/argoproj/argo-cd/releases/tag/v2.4.0",
                    "Release Notes",
                ),
                item(
                    "Debugging pods",
                    "kubernetes.io/blog/debugging",
                    "Notable Articles",
                ),
                item(
                    "Scheduling deep dive",
                    "zenn.dev/x/articles/y",
                    "Notable Articles",
                ),
            ],
            &names(),
        );
        let suggest = |title: &str, url: &str| {
            model
                .suggest(&features(title, Some(url)))
                .map(str::to_owned)
        };
        assert_eq!(
            suggest("karpenter", "https://github.com/aws/karpenter").as_deref(),
            Some("tools")
        );
        assert_eq!(
            suggest(
                "Flux v0.31",
                "https://github.com/fluxcd/flux2/releases/tag/v0.31.0"
            )
            .as_deref(),
            Some("releases")
        );
        assert_eq!(
            suggest(
                "A deep dive into scheduling",
                "https://kubernetes.io/blog/z"
            )
            .as_deref(),
            Some("articles")
        );
    }
}
