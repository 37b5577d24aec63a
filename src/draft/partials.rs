//! Partials that call each other in a loop (`a` → `b` → `a`): Handlebars
//! would render them until the stack overflows, so they are refused when
//! the templates are loaded (by `check` and `draft` alike). Only partials
//! called by name are followed; one named at render time
//! (`{{> (lookup …)}}`) cannot be.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::TemplateProblem;

/// `{{> name}}`, `{{#> name}}`, `{{~> "name"}}`: the partial called.
static CALL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\{\{~?\s*#?>\s*"?([A-Za-z0-9_./-]+)"?"#).expect("valid regex"));

/// One problem for each loop among `templates` (name, file, text).
pub(super) fn loops(templates: &[(String, String, String)]) -> Vec<TemplateProblem> {
    let calls: BTreeMap<&str, BTreeSet<&str>> = templates
        .iter()
        .map(|(name, _, text)| {
            let called = CALL
                .captures_iter(text)
                .filter_map(|c| c.get(1).map(|m| m.as_str()))
                .collect();
            (name.as_str(), called)
        })
        .collect();
    let mut reported: BTreeSet<BTreeSet<&str>> = BTreeSet::new();
    let mut problems = Vec::new();
    for start in calls.keys() {
        let Some(path) = loop_from(start, &calls) else {
            continue;
        };
        let members: BTreeSet<&str> = path.iter().copied().collect();
        if !reported.insert(members) {
            continue;
        }
        let file = templates
            .iter()
            .find(|(name, _, _)| name == start)
            .map_or(start.to_string(), |(_, file, _)| file.clone());
        problems.push(TemplateProblem {
            file,
            line: None,
            column: None,
            message: format!(
                "partials call each other in a loop ({}); rendering would never end",
                path.join(" → ")
            ),
        });
    }
    problems
}

/// The calls from `start` back to itself, if there are any:
/// `["a", "b", "a"]`.
fn loop_from<'a>(
    start: &'a str,
    calls: &BTreeMap<&'a str, BTreeSet<&'a str>>,
) -> Option<Vec<&'a str>> {
    // Depth-first, each template visited once: the path to it is kept.
    let mut stack: Vec<(&str, Vec<&str>)> = vec![(start, vec![start])];
    let mut seen = BTreeSet::new();
    while let Some((name, path)) = stack.pop() {
        for &called in calls.get(name).into_iter().flatten() {
            if called == start {
                let mut found = path.clone();
                found.push(start);
                return Some(found);
            }
            if seen.insert(called) {
                let mut next = path.clone();
                next.push(called);
                stack.push((called, next));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(name: &str, text: &str) -> (String, String, String) {
        (name.into(), format!("partials/{name}.md.hbs"), text.into())
    }

    #[test]
    fn a_loop_of_partials_is_found_once_and_plain_calls_are_not() {
        let found = loops(&[
            template("zenn", "{{#each sections}}{{> section}}{{/each}}"),
            template("section", "{{#each items}}{{~> item}}{{/each}}"),
            template("item", "{{title}} {{#> note}}none{{/note}}"),
            template("note", "{{> \"item\"}}"),
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("item → note → item"), "{found:?}");
        assert!(loops(&[template("zenn", "{{> section}}"), template("section", "x")]).is_empty());
        let own = loops(&[template("item", "{{> item}}")]);
        assert!(own[0].message.contains("item → item"), "{own:?}");
    }
}
