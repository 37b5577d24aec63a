//! Configuration parsing: no panic on any text, every problem points into the file.

use std::path::Path;

use newsdesk::config::{Config, ConfigError};
use proptest::prelude::*;

const CONFIG_PATH: &str = "/nonexistent/newsdesk/feeds.toml";

/// Problems must point into the file: line and column from 1, the line
/// within the text (one past the end for "missing" problems).
fn check_config(text: &str) -> Result<(), TestCaseError> {
    match Config::parse(Path::new(CONFIG_PATH), text) {
        Ok(_) => {}
        Err(ConfigError::Invalid { problems, .. }) => {
            prop_assert!(!problems.is_empty());
            let lines = text.split('\n').count();
            for problem in problems {
                prop_assert!(problem.line >= 1 && problem.column >= 1, "{problem}");
                prop_assert!(problem.line <= lines, "{problem} (of {lines} lines)");
            }
        }
        Err(other) => prop_assert!(false, "parse touched the filesystem: {other}"),
    }
    Ok(())
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\"\"".to_owned()),
        Just("\"30m\"".to_owned()),
        Just("\"0s\"".to_owned()),
        Just("\"1 GiB\"".to_owned()),
        Just("\"18446744073709551616 s\"".to_owned()),
        Just("\"5/1s\"".to_owned()),
        Just("\"0/0s\"".to_owned()),
        Just("\"feed\"".to_owned()),
        Just("\"github-releases\"".to_owned()),
        Just("\"ical\"".to_owned()),
        Just("\"html\"".to_owned()),
        Just("\"minor\"".to_owned()),
        Just("\"https://example.org/feed.xml\"".to_owned()),
        Just("\"http://[::1]:0/\"".to_owned()),
        Just("\"owner/name\"".to_owned()),
        Just("\"[[\"".to_owned()),
        Just("\"(?P<\"".to_owned()),
        Just("\"a@href\"".to_owned()),
        Just("\"@\"".to_owned()),
        Just("\"%Y-%m-%d\"".to_owned()),
        Just("\"%\"".to_owned()),
        Just("\"日本語\"".to_owned()),
        Just("\"👀👀\"".to_owned()),
        Just("\"127.0.0.1:99999\"".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("-9223372036854775808".to_owned()),
        Just("nan".to_owned()),
        Just("inf".to_owned()),
        Just("-0.0".to_owned()),
        Just("1e308".to_owned()),
        Just("true".to_owned()),
        Just("[]".to_owned()),
        Just("[\"a\", \"\"]".to_owned()),
        Just("{ item = \"article\", title = \"h2\", link = \"a@href\" }".to_owned()),
        Just("{ item = \"\", title = \"::\", link = \"@\", date = \"time@\" }".to_owned()),
        Just("{}".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
        "\"[ -~]{0,12}\"",
    ]
}

fn toml_key() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "title",
        "database",
        "drafts_dir",
        "template",
        "templates_dir",
        "format",
        "emoji",
        "topics",
        "issue_day",
        "first_issue",
        "slug_prefix",
        "interval",
        "timeout",
        "max_body_size",
        "user_agent",
        "max_redirects",
        "concurrency",
        "per_host",
        "min_interval",
        "max_interval",
        "backoff_start",
        "backoff_max",
        "enrich",
        "max_entries",
        "allow_private_redirects",
        "allow_private_hosts",
        "listen",
        "grace_period",
        "keywords",
        "title_similarity",
        "api_url",
        "transport",
        "rate",
        "id",
        "kind",
        "url",
        "section",
        "tags",
        "enabled",
        "priority",
        "weight",
        "repo",
        "display_name",
        "min_level",
        "prereleases",
        "tag_pattern",
        "tracks",
        "selectors",
        "include",
        "exclude",
        "include_regex",
        "exclude_regex",
        "bogus",
    ])
}

fn toml_header() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "[newsletter]",
        "[defaults]",
        "[daemon]",
        "[filters]",
        "[github]",
        "[dedup]",
        "[ranking]",
        "[ranking.keywords]",
        "[contributions]",
        "[hosts.\"example.org\"]",
        "[[sections]]",
        "[[source]]",
        "[[source]]",
        "[bogus]",
    ])
}

/// Configurations from the real vocabulary: a `[newsletter]` most of the
/// time, then random tables of random known keys with random values.
fn config_text() -> impl Strategy<Value = String> {
    let table = (
        toml_header(),
        prop::collection::vec((toml_key(), toml_value()), 0..8),
    );
    (
        any::<bool>(),
        prop::collection::vec(table, 0..6),
        prop::option::of("[ -~\n]{0,10}"),
    )
        .prop_map(|(newsletter, tables, junk)| {
            let mut text = String::new();
            if newsletter {
                text.push_str("[newsletter]\ntitle = \"Weekly\"\n");
            }
            for (header, pairs) in tables {
                text.push_str(header);
                text.push('\n');
                for (key, value) in pairs {
                    text.push_str(&format!("{key} = {value}\n"));
                }
            }
            if let Some(junk) = junk {
                text.push_str(&junk);
            }
            text
        })
}

proptest! {
    #[test]
    fn config_parse_of_any_text_reports_positions(text in any::<String>()) {
        check_config(&text)?;
    }

    #[test]
    fn config_parse_of_generated_tables_reports_positions(text in config_text()) {
        check_config(&text)?;
    }
}

#[test]
fn the_shipped_feeds_toml_still_parses() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/feeds.toml")).unwrap();
    Config::parse(Path::new(CONFIG_PATH), &text).unwrap();
}
