//! Adding newly accepted items to a draft the editor has already edited.
//!
//! Every generated section and item carries a hidden marker (an HTML
//! comment on its own line: `<!-- newsdesk:section releases -->`,
//! `<!-- newsdesk:item 42 -->`), and the closing part one more
//! (`<!-- newsdesk:closing -->`). A section runs from its marker to the next
//! section or closing marker. The merge keeps every byte of the file and
//! only inserts: a new item after the last text of its section, a missing
//! section before the next configured section present (or the closing part,
//! or the end). An item whose marker is already in the file is not added
//! again, which makes a re-run after a crash harmless. When the markers do
//! not say where things go, the merge refuses instead of guessing.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::ids::CandidateId;

pub fn section_marker(id: &str) -> String {
    format!("<!-- newsdesk:section {id} -->")
}

pub fn item_marker(id: CandidateId) -> String {
    format!("<!-- newsdesk:item {id} -->")
}

pub const CLOSING_MARKER: &str = "<!-- newsdesk:closing -->";

static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^<!-- newsdesk:(section|item|closing)(?: ([A-Za-z0-9._-]+))? -->[ \t]*\r?$")
        .expect("valid regex")
});

/// `text` (an editor's note, which may come from a contributor) with any
/// line that would read as one of newsdesk's markers escaped: it renders
/// as the text it is, and the next `draft` does not take it for structure
/// (two closing markers made the merge give up).
pub fn without_markers(text: &str) -> String {
    MARKER.replace_all(text, "\\$0").into_owned()
}

/// Where the markers of a draft are (byte offsets of their lines).
#[derive(Debug, Default)]
pub struct Markers {
    sections: Vec<(String, usize)>,
    items: Vec<(CandidateId, usize)>,
    closing: Option<usize>,
}

impl Markers {
    /// The markers of `text`; an error says why the file cannot be merged.
    pub fn scan(text: &str) -> Result<Markers, String> {
        let mut markers = Markers::default();
        for found in MARKER.captures_iter(text) {
            let at = found.get(0).expect("whole match").start();
            let value = found.get(2).map(|m| m.as_str());
            match (&found[1], value) {
                ("section", Some(id)) => {
                    if markers.sections.iter().any(|(s, _)| s == id) {
                        return Err(format!("the marker of section \"{id}\" appears twice"));
                    }
                    markers.sections.push((id.to_owned(), at));
                }
                ("item", Some(id)) => {
                    if let Ok(id) = id.parse() {
                        markers.items.push((id, at));
                    }
                }
                ("closing", None) => {
                    if markers.closing.is_some() {
                        return Err("the closing marker appears twice".into());
                    }
                    markers.closing = Some(at);
                }
                _ => {}
            }
        }
        Ok(markers)
    }

    pub fn has_item(&self, id: CandidateId) -> bool {
        self.items.iter().any(|(i, _)| *i == id)
    }

    pub fn item_count(&self) -> usize {
        self.items
            .iter()
            .map(|(id, _)| id)
            .collect::<HashSet<_>>()
            .len()
    }

    fn section(&self, id: &str) -> Option<usize> {
        self.sections
            .iter()
            .find(|(s, _)| s == id)
            .map(|(_, at)| *at)
    }

    /// Where the section starting at `start` ends: the next section or
    /// closing marker, or the end of the text.
    fn section_end(&self, start: usize, text_len: usize) -> usize {
        self.sections
            .iter()
            .map(|(_, at)| *at)
            .chain(self.closing)
            .filter(|at| *at > start)
            .min()
            .unwrap_or(text_len)
    }
}

/// What to add to a draft.
pub struct Addition<'a> {
    /// Configured section ids, in order.
    pub section_order: &'a [String],
    /// New items per section id: (candidate id, rendered item).
    pub items: &'a HashMap<String, Vec<(CandidateId, String)>>,
    /// A missing section rendered with its new items.
    pub sections: &'a HashMap<String, String>,
    /// Sections of items already drafted in this issue (candidate id →
    /// section id), to tell a deleted section marker from a new section.
    pub drafted_sections: &'a HashMap<CandidateId, String>,
}

/// `text` with the new items inserted, or why that cannot be done safely.
pub fn merge(text: &str, markers: &Markers, addition: &Addition) -> Result<String, String> {
    if markers.sections.is_empty() && markers.closing.is_none() {
        return Err("it has none of newsdesk's section markers".into());
    }
    // (offset, order, text): inserts at one offset keep the configured order.
    let mut inserts: Vec<(usize, usize, String)> = Vec::new();
    for (order, section) in addition.section_order.iter().enumerate() {
        let Some(items) = addition.items.get(section).filter(|i| !i.is_empty()) else {
            continue;
        };
        match markers.section(section) {
            Some(start) => {
                let end = markers.section_end(start, text.len());
                let content_end = start + text[start..end].trim_end().len();
                let block: Vec<&str> = items.iter().map(|(_, item)| item.trim()).collect();
                inserts.push((content_end, order, format!("\n\n{}", block.join("\n\n"))));
            }
            None => {
                if let Some((id, _)) = addition
                    .drafted_sections
                    .iter()
                    .find(|(id, s)| *s == section && markers.has_item(**id))
                {
                    return Err(format!(
                        "the marker of section \"{section}\" is gone while its item #{id} is still there, so new items of that section have no place"
                    ));
                }
                let Some(block) = addition.sections.get(section) else {
                    continue;
                };
                let next = addition.section_order[order + 1..]
                    .iter()
                    .find_map(|s| markers.section(s))
                    .or(markers.closing);
                match next {
                    Some(at) => inserts.push((at, order, format!("{}\n\n", block.trim()))),
                    None => {
                        let lead = if text.ends_with('\n') { "\n" } else { "\n\n" };
                        inserts.push((text.len(), order, format!("{lead}{}\n", block.trim())));
                    }
                }
            }
        }
    }
    inserts.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let mut merged = text.to_owned();
    for (at, _, insert) in inserts {
        merged.insert_str(at, &insert);
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DRAFT: &str = "---\ntitle: \"W\"\n---\n\nIntro.\n\n<!-- newsdesk:section articles -->\n## Articles\n\n<!-- newsdesk:item 1 -->\n### [One](https://example.org/1)\n\nMy edited comment.\n\n\n<!-- newsdesk:section tools -->\n## Tools\n\n<!-- newsdesk:item 2 -->\n### Two\n\nNote.\n\n<!-- newsdesk:closing -->\n## あとがき\n\nBye.\n";

    fn order() -> Vec<String> {
        ["kubecon", "articles", "releases", "tools"]
            .map(String::from)
            .to_vec()
    }

    fn run(text: &str, items: &[(&str, i64)], drafted: &[(i64, &str)]) -> Result<String, String> {
        let mut by_section: HashMap<String, Vec<(CandidateId, String)>> = HashMap::new();
        let mut sections = HashMap::new();
        for (section, id) in items {
            let id = CandidateId(*id);
            let item = format!("{}\n### New {id}\n\ntext {id}\n", item_marker(id));
            by_section
                .entry(section.to_string())
                .or_default()
                .push((id, item.clone()));
            sections
                .entry(section.to_string())
                .or_insert_with(|| format!("{}\n## {section}\n\n", section_marker(section)))
                .push_str(&format!("{item}\n"));
        }
        let drafted: HashMap<CandidateId, String> = drafted
            .iter()
            .map(|(i, s)| (CandidateId(*i), s.to_string()))
            .collect();
        let markers = Markers::scan(text)?;
        merge(
            text,
            &markers,
            &Addition {
                section_order: &order(),
                items: &by_section,
                sections: &sections,
                drafted_sections: &drafted,
            },
        )
    }

    #[test]
    fn new_items_go_to_the_end_of_their_sections_and_new_sections_in_order() {
        let merged = run(
            DRAFT,
            &[
                ("articles", 3),
                ("releases", 4),
                ("kubecon", 5),
                ("articles", 6),
            ],
            &[(1, "articles"), (2, "tools")],
        )
        .unwrap();
        let expected = "---\ntitle: \"W\"\n---\n\nIntro.\n\n<!-- newsdesk:section kubecon -->\n## kubecon\n\n<!-- newsdesk:item 5 -->\n### New 5\n\ntext 5\n\n<!-- newsdesk:section articles -->\n## Articles\n\n<!-- newsdesk:item 1 -->\n### [One](https://example.org/1)\n\nMy edited comment.\n\n<!-- newsdesk:item 3 -->\n### New 3\n\ntext 3\n\n<!-- newsdesk:item 6 -->\n### New 6\n\ntext 6\n\n\n<!-- newsdesk:section releases -->\n## releases\n\n<!-- newsdesk:item 4 -->\n### New 4\n\ntext 4\n\n<!-- newsdesk:section tools -->\n## Tools\n\n<!-- newsdesk:item 2 -->\n### Two\n\nNote.\n\n<!-- newsdesk:closing -->\n## あとがき\n\nBye.\n";
        assert_eq!(merged, expected);
        // Everything the editor wrote is still there, in order.
        let mut rest = merged.as_str();
        for line in DRAFT.lines() {
            let at = rest.find(line).unwrap_or_else(|| panic!("lost {line:?}"));
            rest = &rest[at + line.len()..];
        }
    }

    #[test]
    fn refuses_when_markers_do_not_say_where() {
        let no_marker = DRAFT.replace("<!-- newsdesk:section articles -->\n", "");
        let err = run(&no_marker, &[("articles", 3)], &[(1, "articles")]).unwrap_err();
        assert!(err.contains("section \"articles\" is gone"), "{err}");
        // The section's items were deleted too: the section is simply new.
        let both_gone = DRAFT
            .replace("<!-- newsdesk:section articles -->\n", "")
            .replace("<!-- newsdesk:item 1 -->\n", "");
        assert!(run(&both_gone, &[("articles", 3)], &[(1, "articles")]).is_ok());
        let twice = DRAFT.replace(
            "<!-- newsdesk:closing -->",
            "<!-- newsdesk:section tools -->",
        );
        assert!(
            run(&twice, &[("tools", 3)], &[])
                .unwrap_err()
                .contains("twice")
        );
        assert!(
            run("# Hand written\n", &[("tools", 3)], &[])
                .unwrap_err()
                .contains("none of")
        );
    }

    #[test]
    fn without_a_closing_marker_new_sections_go_to_the_end() {
        let text = "<!-- newsdesk:section articles -->\n## A\n\nx";
        let merged = run(text, &[("tools", 7), ("articles", 8)], &[]).unwrap();
        assert_eq!(
            merged,
            "<!-- newsdesk:section articles -->\n## A\n\nx\n\n<!-- newsdesk:item 8 -->\n### New 8\n\ntext 8\n\n<!-- newsdesk:section tools -->\n## tools\n\n<!-- newsdesk:item 7 -->\n### New 7\n\ntext 7\n"
        );
    }
}
