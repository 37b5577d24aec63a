//! The looser key of a canonical URL: the same page behind `www.`, AMP,
//! `/index.html` or a referrer parameter, and a GitHub release behind its
//! API URL, compare equal.

use url::Url;

use crate::normalize::{QueryParam, query_param};

/// The key under which equivalent URLs of one story compare equal.
pub fn url_key(canonical: &Url) -> String {
    let host = canonical.host_str().unwrap_or("").to_ascii_lowercase();
    let mut host = host.as_str();
    for prefix in ["www.", "amp.", "m."] {
        if let Some(rest) = host.strip_prefix(prefix)
            && rest.contains('.')
        {
            host = rest;
        }
    }
    let mut path = canonical.path().to_owned();
    // GitHub's API URL of a release is the same release as its page.
    if host == "api.github.com"
        && let Some(rest) = path.strip_prefix("/repos/")
        && let Some((repo, tag)) = rest.split_once("/releases/tags/")
    {
        return format!("github.com/{repo}/releases/tag/{tag}");
    }
    loop {
        let before = path.len();
        for suffix in [
            "/index.html",
            "/index.htm",
            "/index.php",
            "/amp",
            "/amp.html",
            "/",
        ] {
            if path.len() > suffix.len() && path.ends_with(suffix) {
                path.truncate(path.len() - suffix.len());
            }
        }
        if path == "/" || path.len() == before {
            break;
        }
    }
    if path == "/" {
        path.clear();
    }
    let query: Vec<String> = canonical
        .query_pairs()
        .filter(|(name, _)| query_param(name) == QueryParam::Content)
        .map(|(n, v)| {
            if v.is_empty() {
                n.into_owned()
            } else {
                format!("{n}={v}")
            }
        })
        .collect();
    if query.is_empty() {
        format!("{host}{path}")
    } else {
        format!("{host}{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(url: &str) -> String {
        url_key(&Url::parse(url).unwrap())
    }

    #[test]
    fn equivalent_urls_share_a_key() {
        let same = [
            "https://www.example.com/blog/post/",
            "http://example.com/blog/post",
            "https://example.com/blog/post/index.html",
            "https://amp.example.com/blog/post/amp/",
            "https://example.com/blog/post?ref=hackernews",
            "https://example.com/blog/post?utm_source=x&Share=1",
        ];
        for url in same {
            assert_eq!(key(url), "example.com/blog/post", "{url}");
        }
        assert_eq!(key("https://example.com/?p=12&ref=x"), "example.com?p=12");
        assert_ne!(key("https://example.com/a"), key("https://example.com/b"));
        assert_eq!(
            key("https://api.github.com/repos/argoproj/argo-cd/releases/tags/v2.5.0"),
            key("https://github.com/argoproj/argo-cd/releases/tag/v2.5.0")
        );
    }
}
