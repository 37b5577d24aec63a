//! The checks of `feeds.toml`, each problem with its position.

use std::path::Path;
use std::time::Duration;

use super::newsletter::default_slug_prefix;
use super::*;

const MINIMAL: &str = r#"
[newsletter]
title = "Weekly"

[[sections]]
id = "articles"
title = "Notable Articles"

[[source]]
id = "k8s"
kind = "feed"
url = "https://kubernetes.io/feed.xml"
section = "articles"
"#;

fn problems(text: &str) -> Vec<ConfigProblem> {
    match Config::parse(Path::new("feeds.toml"), text) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(other) => panic!("{other}"),
    }
}

#[test]
fn minimal_config_gets_defaults() {
    let config = Config::parse(Path::new("/srv/news/feeds.toml"), MINIMAL).unwrap();
    assert_eq!(
        config.newsletter.database,
        Path::new("/srv/news/newsdesk.db")
    );
    assert_eq!(config.defaults.interval, Duration::from_secs(3600));
    assert_eq!(config.defaults.max_body_size, 10_000_000);
    assert_eq!(config.defaults.per_host, 2);
    assert_eq!(config.sources[0].interval, Duration::from_secs(3600));
    assert!(config.sources[0].enabled);
}

#[test]
fn every_problem_is_reported_with_its_position() {
    let text = format!(
        "{MINIMAL}\n[[source]]\nid = \"k8s\"\nkind = \"feed\"\nurl = \"not a url\"\nsection = \"nope\"\ninterval = \"soon\"\n"
    );
    let found = problems(&text);
    let summary: Vec<(usize, usize, &str)> = found
        .iter()
        .map(|p| (p.line, p.column, p.message.as_str()))
        .collect();
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert_eq!(summary[0].0, 16);
    assert!(summary[0].2.contains("already used on line 10"));
    assert_eq!((summary[1].0, summary[1].1), (18, 7));
    assert!(summary[1].2.contains("not a valid URL"));
    assert!(summary[2].2.contains("section \"nope\""));
    assert!(summary[3].2.contains("not a duration"));
}

#[test]
fn unknown_keys_are_refused_with_line_and_column() {
    let found = problems(&MINIMAL.replace("section = \"articles\"", "sektion = \"articles\""));
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].line, found[0].column), (13, 1));
    assert!(
        found[0].message.contains("unknown field `sektion`"),
        "{}",
        found[0].message
    );
}

#[test]
fn host_rules_and_daemon_settings() {
    let text = MINIMAL.replace(
        "[[sections]]",
        "[daemon]\nlisten = \"127.0.0.1:9464\"\n\n[hosts.\"GitHub.com\"]\nrate = \"60/h\"\nper_host = 1\n\n[hosts.\"sched.com\"]\nrate = \"2/1m\"\n\n[[sections]]",
    );
    let config = Config::parse(Path::new("feeds.toml"), &text).unwrap();
    assert_eq!(
        config.daemon.listen,
        Some("127.0.0.1:9464".parse().unwrap())
    );
    assert_eq!(config.daemon.grace_period, Duration::from_secs(10));
    let github = &config.hosts[0];
    assert_eq!(github.name, "github.com");
    assert_eq!(github.per_host, Some(1));
    assert_eq!(github.rate.unwrap().spacing(), Duration::from_secs(60));
    assert!(
        github.matches("api.github.com")
            && github.matches("GitHub.com")
            && !github.matches("notgithub.com")
    );
    assert_eq!(
        config.hosts[1].rate.unwrap().spacing(),
        Duration::from_secs(30)
    );
    let bad = problems(&text.replace("60/h", "lots"));
    assert!(bad[0].message.contains("not a rate"), "{bad:?}");
}

#[test]
fn draft_settings_have_defaults_and_are_checked() {
    let config = Config::parse(Path::new("/srv/news/feeds.toml"), MINIMAL).unwrap();
    let n = &config.newsletter;
    assert_eq!(n.format, DraftFormat::Zenn);
    assert_eq!(n.emoji, "📰");
    assert_eq!(n.issue_day, chrono::Weekday::Wed);
    assert_eq!(n.first_issue, 1);
    assert_eq!(n.slug_prefix, "weekly");
    assert_eq!(config.sections[0].emoji, DEFAULT_SECTION_EMOJI);
    assert_eq!(
        default_slug_prefix("Cloud Native Weekly!").as_deref(),
        Some("cloud-native-weekly")
    );
    assert_eq!(default_slug_prefix("週刊ニュース 2026"), None);
    assert_eq!(n.drafts_dir.display().to_string(), "/srv/news");
    assert_eq!(n.item_style, ItemStyle::Card);

    let text = MINIMAL.replace(
        "title = \"Weekly\"",
        "title = \"Weekly\"\nformat = \"plain\"\nemoji = \"abc\"\ntopics = [\"a\", \"b\", \"c\", \"d\", \"e\", \"f-g\"]\nissue_day = \"someday\"\nfirst_issue = 0\nslug_prefix = \"Not OK\"",
    );
    let found: Vec<String> = problems(&text)
        .iter()
        .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
        .collect();
    assert_eq!(found.len(), 6, "{found:#?}");
    assert!(found[0].starts_with("5:9 `emoji`"), "{found:#?}");
    assert!(found[1].contains("has 6 entries"), "{found:#?}");
    assert!(
        found[2].contains("\"f-g\" is not a Zenn topic"),
        "{found:#?}"
    );
    assert!(found[3].contains("not a weekday"), "{found:#?}");
    assert!(found[4].contains("first_issue"), "{found:#?}");
    assert!(found[5].contains("slug_prefix"), "{found:#?}");

    let long = MINIMAL.replace(
        "title = \"Weekly\"",
        &format!("title = \"{}\"", "W".repeat(57)),
    );
    assert!(problems(&long)[0].message.contains("too long for Zenn"));
    assert!(problems(&long.replace("[newsletter]", "[newsletter]\nformat = \"plain\"")).is_empty());
}

/// Zenn counts a title as JavaScript does (`title.length`, UTF-16 code
/// units), wants one emoji as one grapheme, and has slugs unique across
/// all of Zenn.
#[test]
fn zenn_rules_as_zenn_counts_them() {
    let with_title =
        |title: &str| MINIMAL.replace("title = \"Weekly\"", &format!("title = \"{title}\""));
    // 🚀 plus 55 letters is 56 characters but 57 code units: with the
    // date's 14, 71 > 70.
    let rocket = format!("🚀{}", "W".repeat(55));
    let found = problems(&with_title(&rocket));
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("71 with"), "{found:#?}");
    assert!(problems(&with_title(&format!("🚀{}", "W".repeat(54)))).is_empty());

    let with_emoji = |emoji: &str| {
        MINIMAL.replace(
            "title = \"Weekly\"",
            &format!("title = \"Weekly\"\nemoji = \"{emoji}\""),
        )
    };
    for one in ["🚀", "☸️", "1️⃣", "#️⃣", "🇯🇵", "👩‍💻", "👍🏽"] {
        assert!(problems(&with_emoji(one)).is_empty(), "{one}");
    }
    for not_one in ["🚀🚀", "a", "1", "", "x🚀", "☸️☸️"] {
        assert_eq!(problems(&with_emoji(not_one)).len(), 1, "{not_one:?}");
    }

    let japanese = with_title("週刊クラウドネイティブ");
    let found = problems(&japanese);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].message.contains("no ASCII letters"), "{found:#?}");
    assert!(found[0].help.as_deref().unwrap().contains("slug_prefix"));
    let config = Config::parse(
        Path::new("feeds.toml"),
        &japanese.replace(
            "[[sections]]",
            "slug_prefix = \"neco-weekly\"\n\n[[sections]]",
        ),
    )
    .unwrap();
    assert_eq!(config.newsletter.slug_prefix, "neco-weekly");
    // Plain drafts have no slug.
    assert!(
        problems(&japanese.replace("[newsletter]", "[newsletter]\nformat = \"plain\"")).is_empty()
    );

    let config = Config::parse(Path::new("feeds.toml"), MINIMAL).unwrap();
    assert!(config.newsletter.zenn_warnings()[0].contains("`topics`"));
    let config = Config::parse(
        Path::new("feeds.toml"),
        &MINIMAL.replace(
            "title = \"Weekly\"",
            "title = \"Weekly\"\ntopics = [\"go\"]\nformat = \"plain\"\nitem_style = \"card\"",
        ),
    )
    .unwrap();
    assert!(config.newsletter.zenn_warnings().is_empty());
    assert_eq!(config.newsletter.item_style, ItemStyle::Card);
    assert_eq!(config.newsletter.drafts_dir, Path::new("drafts"));
}

#[test]
fn sizes_and_durations_are_human_strings() {
    let text = MINIMAL.replace(
        "[[sections]]",
        "[defaults]\ninterval = \"45m\"\ntimeout = \"10s\"\nmax_body_size = \"2MiB\"\n\n[[sections]]",
    );
    let config = Config::parse(Path::new("feeds.toml"), &text).unwrap();
    assert_eq!(config.defaults.interval, Duration::from_secs(45 * 60));
    assert_eq!(
        config.sources[0].schedule.interval,
        Duration::from_secs(45 * 60)
    );
    assert_eq!(config.defaults.max_body_size, 2 * 1024 * 1024);
    let bad = problems(&text.replace("2MiB", "huge"));
    assert!(bad[0].message.contains("not a size"));
}

#[test]
fn contributions_name_a_known_section_and_hosts_only() {
    let text = format!(
        "{MINIMAL}\n[contributions]\nsection = \"articles\"\nallow_private_hosts = [\"wiki.internal\", \"127.0.0.1\", \"[::1]\"]\n"
    );
    let config = Config::parse(Path::new("feeds.toml"), &text).unwrap();
    assert_eq!(config.contributions.section.as_deref(), Some("articles"));
    let allowed = |host: &str| {
        config.contributions.allows_private(
            &url::Url::parse(&format!("http://{host}/"))
                .unwrap()
                .host()
                .unwrap(),
        )
    };
    assert!(allowed("WIKI.internal"));
    assert!(allowed("127.0.0.1"));
    assert!(allowed("[::1]"));
    assert!(!allowed("169.254.169.254"));
    assert_eq!(
        Config::parse(Path::new("feeds.toml"), MINIMAL)
            .unwrap()
            .contributions,
        Contributions::default()
    );

    let text = format!(
        "{MINIMAL}\n[contributions]\nsection = \"links\"\nallow_private_hosts = [\"http://wiki/\"]\n"
    );
    let found = problems(&text);
    let messages: Vec<&str> = found.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "[contributions] section \"links\" is not defined (known sections: articles)",
            "`allow_private_hosts` has \"http://wiki/\", which is not a host name or address",
        ]
    );
    assert_eq!(found[0].line, 16);
}

#[test]
fn the_built_in_source_id_is_reserved() {
    let text = MINIMAL.replace("id = \"k8s\"", "id = \"submissions\"");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .message
            .starts_with("source id \"submissions\" is reserved"),
        "{}",
        found[0].message
    );
    assert_eq!(found[0].line, 10);
}

#[test]
fn a_refused_key_hides_no_other_problem() {
    let messages = |text: &str| -> Vec<String> {
        problems(text)
            .into_iter()
            .map(|p| format!("{}: {}", p.line, p.message))
            .collect()
    };
    // No kind at all, and a bad interval in the same source.
    let found = messages(&format!(
        "{MINIMAL}\n[[source]]\nid = \"blog\"\nurl = \"https://example.org/feed\"\ninterval = \"soon\"\n"
    ));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].contains("source \"blog\" has no `kind`"),
        "{found:?}"
    );
    assert!(found[1].contains("\"soon\" is not a duration"), "{found:?}");
    // Two refused keys in one table, a missing required key, an unknown
    // kind: each once, and the file read on past them (the URL of a
    // source of unknown kind is left unchecked: what it may be depends on
    // the kind).
    let found = messages(&format!(
        "{MINIMAL}\n[defaults]\ntimeout = 30\nmax_entries = \"many\"\n\n[[sections]]\nid = \"x\"\n\n[[source]]\nid = \"gh\"\nkind = \"github\"\nurl = \"ftp://example.org\"\n"
    ));
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(
        found[0].starts_with("16: invalid type: integer `30`"),
        "{found:?}"
    );
    assert!(
        found[1].starts_with("17: invalid type: string \"many\""),
        "{found:?}"
    );
    assert!(
        found[2].starts_with("19: missing field `title`"),
        "{found:?}"
    );
    assert!(
        found[3].starts_with("24: unknown variant `github`"),
        "{found:?}"
    );
}
