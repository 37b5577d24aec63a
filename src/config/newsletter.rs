//! `[newsletter]`: what an issue is called and where it is written, checked
//! against Zenn's rules when drafts are Zenn articles.

use std::path::{Path, PathBuf};

use toml::Spanned;

use super::problems::Problems;
use super::raw::RawNewsletter;
use unicode_segmentation::UnicodeSegmentation;

use super::{DraftFormat, ItemStyle, Newsletter};

/// Zenn's limit on a front-matter title, in UTF-16 code units (Zenn checks
/// JavaScript's `title.length`, so an astral emoji counts 2); the issue
/// adds " (YYYY-MM-DD号)".
pub const ZENN_TITLE_MAX: usize = 70;
/// UTF-16 code units of " (2022-11-02号)".
const ISSUE_TITLE_SUFFIX: usize = 14;

/// A title's length as Zenn counts it.
pub fn zenn_length(text: &str) -> usize {
    text.encode_utf16().count()
}

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
        None => default_slug_prefix(&title).unwrap_or_else(|| {
            if format == DraftFormat::Zenn && !title.is_empty() {
                problems.add(
                    raw.title.span(),
                    "the title has no ASCII letters to make the Zenn slug of an issue from",
                    Some("set `slug_prefix` in [newsletter], e.g. slug_prefix = \"neco-weekly\" (Zenn slugs are unique across all of Zenn: a generic one collides)".into()),
                );
            }
            // Plain drafts are named by date alone.
            String::new()
        }),
    };
    let item_style = raw.item_style.as_ref().map_or(
        match format {
            DraftFormat::Zenn => ItemStyle::Card,
            DraftFormat::Plain => ItemStyle::Link,
        },
        |s| *s.get_ref(),
    );
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
        // A Zenn repository's articles/ sits at its root, where Zenn's
        // GitHub sync reads it.
        drafts_dir: path(
            &raw.drafts_dir,
            match format {
                DraftFormat::Zenn => ".",
                DraftFormat::Plain => "drafts",
            },
        ),
        title,
        template,
        templates_dir,
        format,
        emoji,
        topics,
        issue_day,
        first_issue,
        slug_prefix,
        item_style,
    }
}

impl Newsletter {
    /// What Zenn warns about without refusing the article.
    pub fn zenn_warnings(&self) -> Vec<String> {
        if self.format == DraftFormat::Zenn && self.topics.is_empty() {
            vec!["`topics` of [newsletter] is empty: Zenn warns about an article without topics\n  help: add up to 5, e.g. topics = [\"kubernetes\", \"cloudnative\"]".to_owned()]
        } else {
            Vec::new()
        }
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
        && zenn_length(title) + ISSUE_TITLE_SUFFIX > ZENN_TITLE_MAX
    {
        problems.add(
            raw.span(),
            format!(
                "`title` is too long for Zenn: {} with \" (YYYY-MM-DD号)\", and Zenn allows {ZENN_TITLE_MAX} (it counts UTF-16 code units: an emoji such as 🚀 counts 2)",
                zenn_length(title) + ISSUE_TITLE_SUFFIX
            ),
            Some(format!(
                "shorten it to {} or fewer, or set format = \"plain\"",
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

/// "Cloud Native Weekly" → "cloud-native-weekly"; none when the title has
/// no ASCII letter (a Japanese title, say): a made-up fallback such as
/// "newsletter" would collide on Zenn, whose slugs are unique across users.
pub(super) fn default_slug_prefix(title: &str) -> Option<String> {
    let slug = crate::slug::slug(title, SLUG_PREFIX_MAX);
    slug.chars().any(|c| c.is_ascii_lowercase()).then_some(slug)
}

/// Whether `text` is exactly one emoji as Zenn counts: one grapheme
/// cluster (flags, skin tones and ZWJ sequences are one), which is a
/// keycap (1️⃣) or holds a symbol that is not a letter, digit or space.
pub fn is_one_emoji(text: &str) -> bool {
    let mut graphemes = text.graphemes(true);
    let (Some(emoji), None) = (graphemes.next(), graphemes.next()) else {
        return false;
    };
    emoji.ends_with('\u{20E3}')
        || emoji
            .chars()
            .any(|c| !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
}

/// Zenn wants exactly one emoji.
pub(super) fn check_emoji(problems: &mut Problems, value: &Spanned<String>, key: &str) {
    let emoji = value.get_ref().trim();
    if !is_one_emoji(emoji) {
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
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base_dir.join(path)
    };
    // "." is the directory itself: /srv/news, not /srv/news/. in messages.
    let cleaned: PathBuf = joined
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}
