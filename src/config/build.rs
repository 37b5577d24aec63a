//! From the raw file to the [`Config`], one section of `feeds.toml` at a
//! time; each step fills in its defaults and reports what is wrong.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use url::Url;

use super::newsletter::{check_emoji, newsletter};
use super::problems::Problems;
use super::raw::{RawConfig, RawDaemon, RawDedup, RawDefaults, RawGithub, RawHost, RawSection};
use super::sources::{filters, sources, valid_id};
use super::{
    Config, DEFAULT_MAX_AGE, DEFAULT_MAX_ENTRIES, DEFAULT_SECTION_EMOJI, DEFAULT_TITLE_SIMILARITY,
    DEFAULT_USER_AGENT, Daemon, Dedup, Defaults, Github, GithubTransport, HostRule, Rate, Section,
};

pub(super) fn build(
    raw: RawConfig,
    base_dir: &Path,
    path: &Path,
    problems: &mut Problems,
) -> Config {
    let newsletter = newsletter(raw.newsletter.into_inner(), base_dir, problems);
    let defaults = defaults(problems, &raw.defaults);
    let daemon = daemon(problems, &raw.daemon, base_dir);
    let filters = filters(problems, &raw.filters.lists());
    let github = github(problems, &raw.github);
    let dedup = dedup(problems, &raw.dedup);
    let hosts = raw
        .hosts
        .iter()
        .map(|(name, host)| host_rule(problems, name, host))
        .collect();
    let sections = sections(problems, &raw.sections);
    let sources = sources(problems, &raw.source, &defaults, &sections);
    let contributions =
        super::contributions::contributions(problems, &raw.contributions, &sections);
    let contributors = contributors(problems, &raw.contributors, &daemon);
    Config {
        path: path.to_path_buf(),
        newsletter,
        defaults,
        daemon,
        hosts,
        filters,
        github,
        dedup,
        ranking_keywords: raw
            .ranking
            .keywords
            .iter()
            .map(|(k, w)| (k.trim().to_lowercase(), *w))
            .collect(),
        sections,
        sources,
        contributions,
        contributors,
    }
}

/// `[[contributors]]` of feeds.toml, which are not read when they are
/// kept in a file of their own: refused rather than ignored.
fn contributors(
    problems: &mut Problems,
    raw: &[super::contributors::RawContributor],
    daemon: &Daemon,
) -> Vec<super::Contributor> {
    if let (Some(file), Some(first)) = (&daemon.contributors_file, raw.first()) {
        problems.add(
            first.name.span(),
            format!(
                "[[contributors]] are kept in {} ([daemon] contributors_file), so these here would not be read",
                file.display()
            ),
            Some("move them into that file, or remove contributors_file".into()),
        );
    }
    super::contributors::contributors(problems, raw)
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(60 * 60);
const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn defaults(problems: &mut Problems, d: &RawDefaults) -> Defaults {
    let defaults = Defaults {
        interval: problems.duration(&d.interval, "interval").unwrap_or(HOUR),
        timeout: problems
            .duration(&d.timeout, "timeout")
            .unwrap_or(30 * SECOND),
        connect_timeout: problems
            .duration(&d.connect_timeout, "connect_timeout")
            .unwrap_or(15 * SECOND),
        max_body_size: problems
            .size(&d.max_body_size, "max_body_size")
            .unwrap_or(10_000_000),
        user_agent: d
            .user_agent
            .as_ref()
            .map_or(DEFAULT_USER_AGENT.to_owned(), |v| v.get_ref().clone()),
        max_redirects: problems
            .count(&d.max_redirects, "max_redirects", 0)
            .unwrap_or(5),
        max_entries: problems
            .count(&d.max_entries, "max_entries", 1)
            .unwrap_or(DEFAULT_MAX_ENTRIES),
        max_age: problems
            .age(&d.max_age, "max_age")
            .unwrap_or(DEFAULT_MAX_AGE),
        concurrency: problems
            .count(&d.concurrency, "concurrency", 1)
            .unwrap_or(16),
        per_host: problems.count(&d.per_host, "per_host", 1).unwrap_or(2),
        min_interval: problems
            .duration(&d.min_interval, "min_interval")
            .unwrap_or(15 * MINUTE),
        max_interval: problems
            .duration(&d.max_interval, "max_interval")
            .unwrap_or(6 * HOUR),
        backoff_start: problems
            .duration(&d.backoff_start, "backoff_start")
            .unwrap_or(5 * MINUTE),
        backoff_max: problems
            .duration(&d.backoff_max, "backoff_max")
            .unwrap_or(24 * HOUR),
        enrich: d.enrich.unwrap_or(true),
        allow_private_redirects: d.allow_private_redirects.unwrap_or(false),
        quiet_after: problems
            .duration(&d.quiet_after, "quiet_after")
            .unwrap_or(30 * DAY),
    };
    if defaults.min_interval > defaults.max_interval {
        // Pointed at whichever of the two was written (min if both).
        let at = d.min_interval.as_ref().or(d.max_interval.as_ref());
        problems.add(
            at.map_or(0..0, |v| v.span()),
            format!(
                "`min_interval` ({}) is longer than `max_interval` ({})",
                humantime::format_duration(defaults.min_interval),
                humantime::format_duration(defaults.max_interval)
            ),
            Some("the schedule polls each source between the two: make min_interval the shorter (defaults 15m and 6h)".into()),
        );
    }
    defaults
}

fn daemon(problems: &mut Problems, raw: &RawDaemon, base_dir: &Path) -> Daemon {
    let listen = raw.listen.as_ref().and_then(|v| match v.get_ref().trim().parse() {
        Ok(addr) => Some(addr),
        Err(_) => {
            problems.add(
                v.span(),
                format!("`listen` = \"{}\" is not an address with a port", v.get_ref()),
                Some("write e.g. listen = \"127.0.0.1:9464\", or remove the key to serve no metrics".into()),
            );
            None
        }
    });
    Daemon {
        listen,
        grace_period: problems
            .duration(&raw.grace_period, "grace_period")
            .unwrap_or(10 * SECOND),
        writer_give_up_after: problems
            .duration(&raw.writer_give_up_after, "writer_give_up_after")
            .unwrap_or(5 * MINUTE),
        contributors_file: raw
            .contributors_file
            .as_ref()
            .map(|file| base_dir.join(file.get_ref().trim())),
        submission_rate: problems
            .rate(&raw.submission_rate, "submission_rate")
            .unwrap_or(DEFAULT_SUBMISSION_RATE),
    }
}

/// Enough for a person pasting a week's links at once, not for a script
/// flooding the queue.
const DEFAULT_SUBMISSION_RATE: Rate = Rate {
    requests: 60,
    per: MINUTE,
};

fn github(problems: &mut Problems, raw: &RawGithub) -> Github {
    let api_url = raw.api_url.as_ref().and_then(|u| {
        problems.http_url(
            u,
            &format!("`api_url` \"{}\" of [github]", u.get_ref()),
            "api_url = \"https://api.github.com\"",
        )
    });
    Github {
        api_url: api_url
            .unwrap_or_else(|| Url::parse("https://api.github.com").expect("valid URL")),
        transport: raw
            .transport
            .as_ref()
            .map_or(GithubTransport::Auto, |t| *t.get_ref()),
    }
}

fn dedup(problems: &mut Problems, raw: &RawDedup) -> Dedup {
    let title_similarity = match &raw.title_similarity {
        Some(v) if (0.0..=1.0).contains(v.get_ref()) && *v.get_ref() > 0.0 => *v.get_ref(),
        Some(v) => {
            problems.add(
                v.span(),
                format!("`title_similarity` = {} is out of range", v.get_ref()),
                Some("use a number above 0 and at most 1; 1 merges identical titles only".into()),
            );
            DEFAULT_TITLE_SIMILARITY
        }
        None => DEFAULT_TITLE_SIMILARITY,
    };
    Dedup { title_similarity }
}

fn host_rule(problems: &mut Problems, name: &str, raw: &RawHost) -> HostRule {
    HostRule {
        name: name.trim().trim_end_matches('.').to_ascii_lowercase(),
        per_host: problems.count(&raw.per_host, "per_host", 1),
        rate: problems.rate(&raw.rate, "rate"),
    }
}

fn sections(problems: &mut Problems, raw: &[RawSection]) -> Vec<Section> {
    let mut sections = Vec::new();
    // Offsets, not lines, as for sources.
    let mut first_offsets: HashMap<String, usize> = HashMap::new();
    for s in raw {
        let id = s.id.get_ref().trim().to_owned();
        if !valid_id(&id) {
            problems.add(
                s.id.span(),
                format!("section id \"{id}\" is not valid"),
                Some("use letters, digits, '-', '_' or '.', e.g. id = \"releases\"".into()),
            );
        }
        if let Some(first) = first_offsets.get(&id) {
            let first = problems.line_of(*first);
            problems.add(
                s.id.span(),
                format!("section id \"{id}\" is already used on line {first}"),
                Some("give each [[sections]] entry its own id".into()),
            );
            continue;
        }
        first_offsets.insert(id.clone(), s.id.span().start);
        let emoji = match &s.emoji {
            Some(e) => {
                check_emoji(problems, e, "emoji of a section");
                e.get_ref().trim().to_owned()
            }
            None => DEFAULT_SECTION_EMOJI.to_owned(),
        };
        sections.push(Section {
            id,
            title: s.title.get_ref().clone(),
            emoji,
        });
    }
    sections
}
