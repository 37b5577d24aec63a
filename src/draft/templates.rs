//! Handlebars templates: the built-in ones (embedded, so the binary works
//! without the `templates/` directory), overridden by name from
//! `[newsletter] templates_dir` or, for the main template, `template`.
//! Helpers are registered once here; HTML escaping is off because the
//! output is Markdown and feed text is escaped for Markdown before it gets
//! here (see [`super::escape`]).

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use handlebars::{Handlebars, handlebars_helper};
use serde_json::Value;

use crate::config::Newsletter;

/// Built-in templates: name, file (as shipped in the repository), text.
const BUILT_IN: &[(&str, &str, &str)] = &[
    (
        "zenn",
        "templates/zenn.md.hbs",
        include_str!("../../templates/zenn.md.hbs"),
    ),
    (
        "plain",
        "templates/plain.md.hbs",
        include_str!("../../templates/plain.md.hbs"),
    ),
    (
        "section",
        "templates/partials/section.md.hbs",
        include_str!("../../templates/partials/section.md.hbs"),
    ),
    (
        "item",
        "templates/partials/item.md.hbs",
        include_str!("../../templates/partials/item.md.hbs"),
    ),
    (
        "related",
        "templates/partials/related.md.hbs",
        include_str!("../../templates/partials/related.md.hbs"),
    ),
];

/// The built-in templates as files of a repository (path, text): what
/// `newsdesk init` copies for the editor to customise.
pub fn built_in_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    BUILT_IN.iter().map(|(_, file, text)| (*file, *text))
}

/// A template that does not compile, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// The compiled templates of one newsletter.
pub struct Templates {
    registry: Handlebars<'static>,
    main: String,
    /// Template name → the file it came from, for error messages.
    files: Vec<(String, String)>,
}

impl Templates {
    /// Compiles the built-in templates and the newsletter's own; every
    /// template that does not compile is reported.
    pub fn load(newsletter: &Newsletter) -> Result<Templates, Vec<TemplateProblem>> {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        register_helpers(&mut registry);
        let mut sources: Vec<(String, String, String)> = BUILT_IN
            .iter()
            .map(|(name, file, text)| {
                (
                    name.to_string(),
                    format!("{file} (built-in)"),
                    text.to_string(),
                )
            })
            .collect();
        let mut problems = Vec::new();
        if let Some(dir) = &newsletter.templates_dir {
            for (name, path) in overrides(dir) {
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        sources.retain(|(n, _, _)| *n != name);
                        sources.push((name, path.display().to_string(), text));
                    }
                    Err(err) => problems.push(TemplateProblem {
                        file: path.display().to_string(),
                        line: None,
                        column: None,
                        message: format!("cannot read it: {err}"),
                    }),
                }
            }
        }
        let main = match &newsletter.template {
            Some(path) => {
                match std::fs::read_to_string(path) {
                    Ok(text) => sources.push(("main".into(), path.display().to_string(), text)),
                    Err(err) => problems.push(TemplateProblem {
                        file: path.display().to_string(),
                        line: None,
                        column: None,
                        message: format!("cannot read it: {err}"),
                    }),
                }
                "main".to_owned()
            }
            None => newsletter.format.as_str().to_owned(),
        };
        problems.extend(super::partials::loops(&sources));
        let mut files = Vec::new();
        for (name, file, text) in sources {
            if let Err(err) = registry.register_template_string(&name, &text) {
                let (line, column) = err.pos().unzip();
                problems.push(TemplateProblem {
                    file: file.clone(),
                    line,
                    column,
                    message: err.reason().to_string(),
                });
            }
            files.push((name, file));
        }
        if problems.is_empty() {
            Ok(Templates {
                registry,
                main,
                files,
            })
        } else {
            Err(problems)
        }
    }

    /// The whole issue.
    pub fn render_issue(&self, data: &Value) -> Result<String, TemplateProblem> {
        self.render(&self.main, data)
    }

    /// One section (the `section` partial) with its items.
    pub fn render_section(&self, data: &Value) -> Result<String, TemplateProblem> {
        self.render("section", data)
    }

    /// One item (the `item` partial).
    pub fn render_item(&self, data: &Value) -> Result<String, TemplateProblem> {
        self.render("item", data)
    }

    fn render(&self, name: &str, data: &Value) -> Result<String, TemplateProblem> {
        self.registry.render(name, data).map_err(|err| {
            let template = err.template_name.clone().unwrap_or_else(|| name.to_owned());
            TemplateProblem {
                file: self
                    .files
                    .iter()
                    .find(|(n, _)| *n == template)
                    .map_or(template.clone(), |(_, f)| f.clone()),
                line: err.line_no,
                column: err.column_no,
                message: err.reason().to_string(),
            }
        })
    }
}

/// Templates in `dir` that replace or add to the built-in ones: `zenn.md.hbs`,
/// `plain.md.hbs`, and `partials/<name>.md.hbs` (or `.hbs`).
fn overrides(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    for name in ["zenn", "plain"] {
        let path = dir.join(format!("{name}.md.hbs"));
        if path.is_file() {
            found.push((name.to_owned(), path));
        }
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("partials")) {
        let mut partials: Vec<(String, PathBuf)> = entries
            .flatten()
            .filter_map(|entry| {
                let file = entry.file_name().to_string_lossy().into_owned();
                let name = file
                    .strip_suffix(".md.hbs")
                    .or_else(|| file.strip_suffix(".hbs"))?;
                Some((name.to_owned(), entry.path()))
            })
            .collect();
        partials.sort();
        found.extend(partials);
    }
    found
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn parse_date(date: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(date.get(..10).unwrap_or(date), "%Y-%m-%d").ok()
}

/// "November 2, 2022".
pub fn en_date(date: NaiveDate) -> String {
    format!(
        "{} {}, {}",
        MONTHS[date.month0() as usize],
        date.day(),
        date.year()
    )
}

/// "2022年11月2日".
pub fn ja_date(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

handlebars_helper!(en_date_helper: |date: str| parse_date(date).map(en_date).unwrap_or_else(|| date.to_owned()));
handlebars_helper!(ja_date_helper: |date: str| parse_date(date).map(ja_date).unwrap_or_else(|| date.to_owned()));
handlebars_helper!(ja_issue_date_helper: |date: str| format!("{}号", date.get(..10).unwrap_or(date)));
handlebars_helper!(issue_number_helper: |number: u64, *args| {
    match args.get(1).and_then(|style| style.as_str()).unwrap_or("en") {
        "ja" => format!("第{number}回"),
        _ => format!("#{number}"),
    }
});
handlebars_helper!(truncate_helper: |text: str, max: u64| super::escape::truncate_escaped(text, max as usize));
handlebars_helper!(quote_helper: |*args| {
    let joined: String = args.iter().map(|v| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }).collect();
    // A JSON string is a valid YAML double-quoted scalar.
    Value::String(joined).to_string()
});
handlebars_helper!(json_helper: |value: Json| value.to_string());

fn register_helpers(registry: &mut Handlebars) {
    registry.register_helper("en_date", Box::new(en_date_helper));
    registry.register_helper("ja_date", Box::new(ja_date_helper));
    registry.register_helper("ja_issue_date", Box::new(ja_issue_date_helper));
    registry.register_helper("issue_number", Box::new(issue_number_helper));
    registry.register_helper("truncate", Box::new(truncate_helper));
    registry.register_helper("quote", Box::new(quote_helper));
    registry.register_helper("json", Box::new(json_helper));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_english_and_japanese() {
        let date = NaiveDate::from_ymd_opt(2022, 11, 2).unwrap();
        assert_eq!(en_date(date), "November 2, 2022");
        assert_eq!(ja_date(date), "2022年11月2日");
    }

    #[test]
    fn helpers_render() {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        register_helpers(&mut registry);
        let data = serde_json::json!({"date": "2022-11-02", "n": 13, "t": "a \"b\" c", "topics": ["k8s", "go"]});
        let render = |template: &str| registry.render_template(template, &data).unwrap();
        assert_eq!(render("{{ja_issue_date date}}"), "2022-11-02号");
        assert_eq!(render("{{en_date date}}"), "November 2, 2022");
        assert_eq!(render("{{ja_date date}}"), "2022年11月2日");
        assert_eq!(render("{{issue_number n \"ja\"}}"), "第13回");
        assert_eq!(render("{{issue_number n}}"), "#13");
        assert_eq!(
            render("{{quote t \" (\" n \")\"}}"),
            "\"a \\\"b\\\" c (13)\""
        );
        assert_eq!(render("{{json topics}}"), "[\"k8s\",\"go\"]");
        assert_eq!(render("{{truncate t 4}}"), "a…");
    }
}
