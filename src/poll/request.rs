//! Where a source's document comes from: its URL, or for GitHub releases
//! with API access, the REST API with its media type and the token.

use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderValue};
use url::Url;

use crate::config::{Config, GithubTransport, Source};
use crate::source::{SourceOptions, github};

/// One source's request.
pub(super) struct DocumentRequest {
    pub(super) url: Url,
    pub(super) headers: HeaderMap,
    /// The GitHub REST API answers, not the source's own URL.
    pub(super) from_api: bool,
}

/// How GitHub releases are fetched: the API (with headers, the token among
/// them) or the public atom feed.
pub(super) struct GithubAccess {
    api: Option<(Url, HeaderMap)>,
}

impl GithubAccess {
    pub(super) fn new(config: &Config) -> GithubAccess {
        let token = match crate::secret::github_token() {
            Ok(token) => token,
            Err(err) => {
                tracing::warn!("{}", crate::errors::with_causes(&err));
                None
            }
        };
        let use_api = match config.github.transport {
            GithubTransport::Api => true,
            GithubTransport::Atom => false,
            GithubTransport::Auto => token.is_some(),
        };
        if !use_api {
            return GithubAccess { api: None };
        }
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("application/vnd.github+json"),
        );
        headers.insert(
            "x-github-api-version",
            HeaderValue::from_static("2022-11-28"),
        );
        if let Some(token) = token
            && let Ok(mut value) =
                HeaderValue::from_str(&format!("Bearer {}", token.secret.expose()))
        {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        GithubAccess {
            api: Some((config.github.api_url.clone(), headers)),
        }
    }

    /// The request that fetches `source`'s document.
    pub(super) fn request_for(&self, source: &Source) -> DocumentRequest {
        match (&source.options, &self.api) {
            (SourceOptions::GithubReleases(options), Some((base, headers))) => DocumentRequest {
                url: github::api_url(base, &options.repo),
                headers: headers.clone(),
                from_api: true,
            },
            _ => DocumentRequest {
                url: source.url.clone(),
                headers: HeaderMap::new(),
                from_api: false,
            },
        }
    }
}
