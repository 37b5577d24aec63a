//! Titles an editor would write, for the sites whose own titles are mostly
//! furniture: a GitHub repository's og:title is "GitHub - owner/repo:
//! description", a pull request's "Fix it by user · Pull Request #12 ·
//! owner/repo", a video's "`<title>` - YouTube". The model newsletter names
//! them "mirrord", "Fix it", "mirrord v3.0" and the video's own title.
//!
//! A site is told by its `og:site_name` or its host, the kind of page by
//! the path: so a page served from anywhere (a mirror, a test's loopback
//! server) that says it is GitHub's repository page is read as one.

use url::Url;

use super::PageMeta;

/// The sites with rules here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Site {
    GitHub,
    YouTube,
    SpeakerDeck,
}

impl Site {
    fn of(page: &Url, meta: &PageMeta) -> Option<Site> {
        let by_name = match meta.site_name.as_deref() {
            Some("GitHub") => Some(Site::GitHub),
            Some("YouTube") => Some(Site::YouTube),
            Some("Speaker Deck") => Some(Site::SpeakerDeck),
            _ => None,
        };
        let host = page.host_str().unwrap_or_default().to_ascii_lowercase();
        let host = host.strip_prefix("www.").unwrap_or(&host);
        by_name.or(match host {
            "github.com" => Some(Site::GitHub),
            "youtube.com" | "m.youtube.com" | "youtu.be" => Some(Site::YouTube),
            "speakerdeck.com" => Some(Site::SpeakerDeck),
            _ => None,
        })
    }
}

/// `meta` with the title (and for a repository the summary) an editor
/// would write for the page at `page`; unchanged for other pages.
pub fn editorial(page: &Url, mut meta: PageMeta) -> PageMeta {
    let Some(site) = Site::of(page, &meta) else {
        return meta;
    };
    let Some(title) = meta.title.clone() else {
        return meta;
    };
    let segments: Vec<&str> = page
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    match (site, segments.as_slice()) {
        (Site::GitHub, [owner, repo]) => {
            if let Some(description) = repository_description(&title, owner, repo) {
                meta.title = Some((*repo).to_owned());
                meta.description = Some(description);
            } else if title_names_repository(&title, owner, repo) {
                // A repository without a description.
                meta.title = Some((*repo).to_owned());
                meta.description = None;
            }
        }
        (Site::GitHub, [_, _, "pull", number, ..]) => {
            if let Some(pull) = pull_request_title(&title, number) {
                meta.title = Some(pull);
            }
        }
        (Site::GitHub, [_, repo, "releases", "tag", tag]) => {
            let tag = percent_decoded(tag);
            meta.title = Some(if starts_with_ignoring_case(&tag, repo) {
                tag
            } else {
                format!("{repo} {tag}")
            });
        }
        (Site::YouTube, _) if site_is_video(page, &segments) => {
            meta.title = Some(without_suffix(&title, " - YouTube"));
        }
        (Site::SpeakerDeck, [_, _]) => {
            meta.title = Some(without_suffix(&title, " - Speaker Deck"));
        }
        _ => {}
    }
    meta
}

/// A YouTube page that shows one video: `/watch?v=`, `/shorts/ID`,
/// `/live/ID`, or `youtu.be/ID`.
fn site_is_video(page: &Url, segments: &[&str]) -> bool {
    match segments {
        ["watch"] => page.query_pairs().any(|(k, _)| k == "v"),
        ["shorts" | "live", _] => true,
        [_] => page.host_str() == Some("youtu.be"),
        _ => false,
    }
}

/// "description" of "GitHub - owner/repo: description" (GitHub's og:title
/// of a repository page with a description).
fn repository_description(title: &str, owner: &str, repo: &str) -> Option<String> {
    let rest = title.strip_prefix("GitHub - ")?;
    let (name, description) = rest.split_once(": ")?;
    let description = description.trim();
    (name.eq_ignore_ascii_case(&format!("{owner}/{repo}")) && !description.is_empty())
        .then(|| description.to_owned())
}

/// "GitHub - owner/repo" (a repository without a description).
fn title_names_repository(title: &str, owner: &str, repo: &str) -> bool {
    let name = title.strip_prefix("GitHub - ").unwrap_or(title).trim();
    name.eq_ignore_ascii_case(&format!("{owner}/{repo}"))
}

/// "Fix it" of "Fix it by user · Pull Request #12 · owner/repo" (the
/// `<title>` adds " · GitHub").
fn pull_request_title(title: &str, number: &str) -> Option<String> {
    let (head, _) = title.split_once(&format!(" · Pull Request #{number}"))?;
    let head = match head.rsplit_once(" by ") {
        // GitHub logins have no spaces: "by" before one is part of the title.
        Some((title, login)) if !login.contains(char::is_whitespace) => title,
        _ => head,
    };
    let head = head.trim();
    (!head.is_empty()).then(|| head.to_owned())
}

fn without_suffix(title: &str, suffix: &str) -> String {
    title
        .strip_suffix(suffix)
        .unwrap_or(title)
        .trim()
        .to_owned()
}

fn starts_with_ignoring_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn percent_decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titled(page: &str, title: &str, site_name: Option<&str>) -> PageMeta {
        let meta = PageMeta {
            title: Some(title.to_owned()),
            description: Some("The page's own description.".to_owned()),
            site_name: site_name.map(str::to_owned),
            ..PageMeta::default()
        };
        editorial(&Url::parse(page).unwrap(), meta)
    }

    #[test]
    fn a_repository_is_named_after_itself_with_its_description() {
        let meta = titled(
            "https://github.com/metalbear-co/mirrord",
            "GitHub - metalbear-co/mirrord: mirrord lets developers run local processes in the context of their cloud environment.",
            Some("GitHub"),
        );
        assert_eq!(meta.title.as_deref(), Some("mirrord"));
        assert_eq!(
            meta.description.as_deref(),
            Some(
                "mirrord lets developers run local processes in the context of their cloud environment."
            )
        );
        let bare = titled(
            "http://127.0.0.1:8080/owner/tool/",
            "GitHub - owner/tool",
            Some("GitHub"),
        );
        assert_eq!(bare.title.as_deref(), Some("tool"));
        // Another two-segment page of GitHub's keeps its title.
        let topic = titled(
            "https://github.com/topics/rust",
            "rust · GitHub Topics",
            Some("GitHub"),
        );
        assert_eq!(topic.title.as_deref(), Some("rust · GitHub Topics"));
    }

    #[test]
    fn a_pull_request_keeps_its_title_only() {
        let meta = titled(
            "https://github.com/godotengine/godot/pull/37179",
            "Implement Sky Shaders by clayjohn · Pull Request #37179 · godotengine/godot",
            Some("GitHub"),
        );
        assert_eq!(meta.title.as_deref(), Some("Implement Sky Shaders"));
        let tag = titled(
            "https://github.com/o/r/pull/7/files",
            "Written by hand by some-one · Pull Request #7 · o/r · GitHub",
            None,
        );
        assert_eq!(tag.title.as_deref(), Some("Written by hand"));
        let spaced = titled(
            "https://github.com/o/r/pull/8",
            "Stand by me by alice · Pull Request #8 · o/r",
            None,
        );
        assert_eq!(spaced.title.as_deref(), Some("Stand by me"));
    }

    #[test]
    fn a_release_is_the_repository_and_its_tag() {
        let meta = titled(
            "https://github.com/jpillora/chisel/releases/tag/v1.9.1",
            "Release v1.9.1 · jpillora/chisel",
            Some("GitHub"),
        );
        assert_eq!(meta.title.as_deref(), Some("chisel v1.9.1"));
        assert_eq!(
            meta.description.as_deref(),
            Some("The page's own description.")
        );
        let named = titled(
            "https://github.com/o/mirrord/releases/tag/mirrord-3.1",
            "Release mirrord-3.1 · o/mirrord",
            None,
        );
        assert_eq!(named.title.as_deref(), Some("mirrord-3.1"));
    }

    #[test]
    fn videos_and_decks_lose_the_sites_name() {
        for page in [
            "https://www.youtube.com/watch?v=abc",
            "https://youtu.be/abc",
            "https://www.youtube.com/shorts/abc",
        ] {
            let meta = titled(page, "Cilium deep dive - YouTube", None);
            assert_eq!(meta.title.as_deref(), Some("Cilium deep dive"), "{page}");
        }
        let channel = titled(
            "https://www.youtube.com/@cncf",
            "CNCF - YouTube",
            Some("YouTube"),
        );
        assert_eq!(channel.title.as_deref(), Some("CNCF - YouTube"));
        let deck = titled(
            "http://127.0.0.1:9/someone/istio-intro",
            "Istio入門 - Speaker Deck",
            Some("Speaker Deck"),
        );
        assert_eq!(deck.title.as_deref(), Some("Istio入門"));
    }

    #[test]
    fn other_sites_are_left_alone() {
        let meta = titled(
            "https://example.com/a/b",
            "GitHub - a/b: not really",
            Some("A blog"),
        );
        assert_eq!(meta.title.as_deref(), Some("GitHub - a/b: not really"));
    }
}
