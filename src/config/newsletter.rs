//! `[newsletter]`: what an issue is called and where it is written, checked
//! against Zenn's rules when drafts are Zenn articles.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::problems::Problems;
use super::raw::RawNewsletter;
use super::{DraftFormat, Newsletter};

/// Zenn's limit on a front-matter title; the issue adds " (YYYY-MM-DD号)".
const ZENN_TITLE_MAX: usize = 70;
/// Characters of " (2022-11-02号)".
const ISSUE_TITLE_SUFFIX: usize = 14;

pub(super) fn newsletter(
    raw: RawNewsletter,
    base_dir: &Path,
    problems: &mut Problems,
) -> Newsletter {
    let title = raw.title.get_ref().trim().to_owned();
    let format = raw
        .format
        .as_ref()
        .map_or(DraftFormat::Zenn, |f| *f.get_ref());
    check_title(problems, &raw.title, &title, format);
    let emoji = match &raw.emoji {
        Some(e) => {
            check_emoji(problems, e, "`emoji` of [newsletter]");
            e.get_ref().trim().to_owned()
        }
        None => "📰".to_owned(),
    };
    let topics = raw
        .topics
        .as_ref()
        .map(|t| topics(problems, t))
        .unwrap_or_default();
    let issue_day = match &raw.issue_day {
        Some(day) => day.get_ref().trim().parse().unwrap_or_else(|_| {
            problems.add(
                day.span(),
                format!("`issue_day` = \"{}\" is not a weekday", day.get_ref()),
                Some("write the day in English, e.g. issue_day = \"wednesday\"".into()),
            );
            chrono::Weekday::Wed
        }),
        None => chrono::Weekday::Wed,
    };
    let first_issue = problems
        .count(&raw.first_issue, "first_issue", 1)
        .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
    let slug_prefix = match &raw.slug_prefix {
        Some(prefix) => slug_prefix(problems, prefix),
        None => default_slug_prefix(&title),
    };
    let path = |value: &Option<Spanned<String>>, default: &str| {
        resolve_path(base_dir, value.as_ref().map_or(default, |v| v.get_ref()))
    };
    let templates_dir = raw.templates_dir.as_ref().map(|t| {
        existing(
            problems,
            base_dir,
            t,
            Path::is_dir,
            "templates directory",
            "templates",
        )
    });
    let template = raw
        .template
        .as_ref()
        .map(|t| existing(problems, base_dir, t, Path::is_file, "template", "template"));
    Newsletter {
        database: path(&raw.database, "newsdesk.db"),
        drafts_dir: path(&raw.drafts_dir, "drafts"),
        title,
        template,
        templates_dir,
        format,
        emoji,
        topics,
        issue_day,
        first_issue,
        slug_prefix,
    }
}

/// Not empty, and short enough for Zenn with the issue's date added.
fn check_title(problems: &mut Problems, raw: &Spanned<String>, title: &str, format: DraftFormat) {
    if title.is_empty() {
        problems.add(
            raw.span(),
            "`title` of [newsletter] is empty",
            Some("name the newsletter, e.g. title = \"Cloud Native Weekly\"".into()),
        );
    } else if format == DraftFormat::Zenn
        && title.chars().count() + ISSUE_TITLE_SUFFIX > ZENN_TITLE_MAX
    {
        problems.add(
            raw.span(),
            format!(
                "`title` is too long for Zenn: with \" (YYYY-MM-DD号)\" it must stay within {ZENN_TITLE_MAX} characters"
            ),
            Some(format!(
                "shorten it to {} characters or fewer, or set format = \"plain\"",
                ZENN_TITLE_MAX - ISSUE_TITLE_SUFFIX
            )),
        );
    }
}

/// Zenn topics: at most five, each 1-18 letters or digits.
fn topics(problems: &mut Problems, raw: &Spanned<Vec<String>>) -> Vec<String> {
    let topics: Vec<String> = raw
        .get_ref()
        .iter()
        .map(|t| t.trim().to_lowercase())
        .collect();
    if topics.len() > 5 {
        problems.add(
            raw.span(),
            format!(
                "`topics` has {} entries; Zenn allows at most 5",
                topics.len()
            ),
            Some("keep the five that matter most".into()),
        );
    }
    for topic in &topics {
        if topic.is_empty()
            || topic.chars().count() > 18
            || !topic.chars().all(char::is_alphanumeric)
        {
            problems.add(
                raw.span(),
                format!("topic \"{topic}\" is not a Zenn topic"),
                Some(
                    "use 1-18 letters or digits, no spaces or symbols, e.g. \"kubernetes\"".into(),
                ),
            );
        }
    }
    topics
}

fn slug_prefix(problems: &mut Problems, raw: &Spanned<String>) -> String {
    let value = raw.get_ref().trim();
    if value.is_empty()
        || value.len() > SLUG_PREFIX_MAX
        || !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'))
    {
        problems.add(
            raw.span(),
            format!("`slug_prefix` = \"{value}\" cannot start a Zenn slug"),
            Some(format!(
                "use 1-{SLUG_PREFIX_MAX} of a-z, 0-9, '-' and '_', e.g. \"cloud-native-weekly\""
            )),
        );
    }
    value.to_owned()
}

/// A Zenn slug is 12-50 characters; `-YYYY-MM-DD` takes 11.
const SLUG_PREFIX_MAX: usize = 39;

/// "Cloud Native Weekly" → "cloud-native-weekly"; "newsletter" when the
/// title has no ASCII letters or digits (a Japanese title, say).
pub(super) fn default_slug_prefix(title: &str) -> String {
    let slug = crate::slug::slug(title, SLUG_PREFIX_MAX);
    if slug.is_empty() {
        "newsletter".to_owned()
    } else {
        slug
    }
}

/// Zenn wants exactly one emoji. Without a grapheme table this accepts one
/// symbol made of at most 8 code points (flags, skin tones and ZWJ
/// sequences are several) and nothing that is a letter, digit or space.
pub(super) fn check_emoji(problems: &mut Problems, value: &Spanned<String>, key: &str) {
    let emoji = value.get_ref().trim();
    let ok = !emoji.is_empty()
        && emoji.chars().count() <= 8
        && !emoji
            .chars()
            .any(|c| c.is_alphanumeric() || c.is_whitespace() || c.is_ascii());
    if !ok {
        problems.add(
            value.span(),
            format!("{key} = \"{emoji}\" is not one emoji"),
            Some("write a single emoji, e.g. emoji = \"📰\"".into()),
        );
    }
}

/// A path that must exist, such as a template: `what` names it in the
/// message, `built_in` what is used without the key.
fn existing(
    problems: &mut Problems,
    base_dir: &Path,
    value: &Spanned<String>,
    exists: fn(&Path) -> bool,
    what: &str,
    built_in: &str,
) -> PathBuf {
    let resolved = resolve_path(base_dir, value.get_ref());
    if !exists(&resolved) {
        problems.add(
            value.span(),
            format!("{what} {} does not exist", resolved.display()),
            Some(format!("fix the path (relative paths start at the directory of feeds.toml) or remove the key to use the built-in {built_in}")),
        );
    }
    resolved
}

fn resolve_path(base_dir: &Path, value: &str) -> PathBuf {
    let path = Path::new(value);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    }
}
