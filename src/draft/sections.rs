//! The sections of an issue: the configured ones, and the one-off sections
//! the editor made for it, each after the section it names.

use crate::config::Section;
use crate::store::OneOffSection;

/// A section of the issue: configured, or made for it ([`OneOffSection`]).
pub struct IssueSection {
    pub section: Section,
    pub one_off: bool,
}

/// The sections an issue can have, in order: the configured ones, each
/// one-off after the section it names (after the configured ones when that
/// is unknown), one-offs after the same section in the order made.
pub fn issue_sections(configured: &[Section], one_offs: &[OneOffSection]) -> Vec<IssueSection> {
    let mut sections: Vec<IssueSection> = configured
        .iter()
        .map(|section| IssueSection {
            section: section.clone(),
            one_off: false,
        })
        .collect();
    for one_off in one_offs {
        let anchor = one_off
            .after
            .as_deref()
            .and_then(|after| sections.iter().position(|s| s.section.id == after));
        let at = match anchor {
            Some(anchor) => {
                let mut at = anchor + 1;
                while sections.get(at).is_some_and(|s| s.one_off) {
                    at += 1;
                }
                at
            }
            None => sections.len(),
        };
        sections.insert(
            at,
            IssueSection {
                section: Section {
                    id: one_off.id.clone(),
                    title: one_off.title.clone(),
                    emoji: one_off.emoji.clone(),
                },
                one_off: true,
            },
        );
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(id: &str) -> Section {
        Section {
            id: id.into(),
            title: id.into(),
            emoji: "👀".into(),
        }
    }

    fn one_off(id: &str, after: Option<&str>) -> OneOffSection {
        OneOffSection {
            id: id.into(),
            title: id.into(),
            emoji: "✨".into(),
            after: after.map(Into::into),
        }
    }

    #[test]
    fn one_offs_follow_the_section_they_name_in_the_order_made() {
        let configured = [section("events"), section("articles"), section("tools")];
        let one_offs = [
            one_off("k125", Some("articles")),
            one_off("notes", None),
            one_off("k126", Some("articles")),
            one_off("top", Some("gone")),
        ];
        let ids: Vec<(String, bool)> = issue_sections(&configured, &one_offs)
            .into_iter()
            .map(|s| (s.section.id, s.one_off))
            .collect();
        let expected = [
            ("events", false),
            ("articles", false),
            ("k125", true),
            ("k126", true),
            ("tools", false),
            ("notes", true),
            ("top", true),
        ];
        assert_eq!(ids, expected.map(|(id, o)| (id.to_owned(), o)).to_vec());
    }
}
