//! One bounded exchange: a deadline for the whole of it, a cap on the body
//! enforced while it streams, and redirects followed by hand (each hop
//! checked by the guard) so a permanent move can be recorded and shown.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use url::Url;

use super::guard::{PublicOnly, RedirectGuard, private_name_in, resolve_overrides};
use super::{FetchError, FetchReport, Fetched, Hints, Validators, hints};
use crate::config::{Contributions, Defaults};

/// Who chose the URL, which decides which hops must be public.
#[derive(Debug, Clone, Copy)]
pub(super) enum Origin<'a> {
    /// A source of the configuration: the operator's choice; only the
    /// redirects of one on a public address are kept public.
    Source,
    /// A link added by hand: every hop public, except to the hosts the
    /// configuration allows.
    Submitted(&'a Contributions),
}

/// The shared HTTP client and the limits every request obeys.
#[derive(Clone)]
pub(super) struct Fetcher {
    client: Client,
    /// The same, resolving host names to public addresses only: the hops
    /// after a public source's redirect go through it (see [`PublicOnly`]).
    public_client: Arc<OnceLock<Client>>,
    timeout: Duration,
    max_redirects: usize,
    guard: Arc<RedirectGuard>,
    settings: Arc<ClientSettings>,
}

/// What every client of a [`Fetcher`] is made with.
struct ClientSettings {
    user_agent: String,
    connect_timeout: Duration,
    /// Host names pinned to addresses (`NEWSDESK_RESOLVE`).
    overrides: Vec<(String, std::net::SocketAddr)>,
}

impl ClientSettings {
    fn build(&self, public_only: bool) -> Result<Client, reqwest::Error> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static(
                "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8",
            ),
        );
        let mut builder = Client::builder();
        for (host, address) in &self.overrides {
            builder = builder.resolve(host, *address);
        }
        if public_only {
            builder = builder.dns_resolver(PublicOnly);
        }
        builder
            .user_agent(self.user_agent.clone())
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
    }
}

impl Fetcher {
    pub(super) fn new(defaults: &Defaults) -> Result<Fetcher, reqwest::Error> {
        // rustls needs a process-wide crypto provider; ring is pure Rust + asm,
        // no C toolchain beyond cc, no system OpenSSL. A second call is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let settings = ClientSettings {
            user_agent: defaults.user_agent.clone(),
            connect_timeout: defaults.connect_timeout.min(defaults.timeout),
            overrides: resolve_overrides(),
        };
        Ok(Fetcher {
            client: settings.build(false)?,
            public_client: Arc::new(OnceLock::new()),
            timeout: defaults.timeout,
            max_redirects: defaults.max_redirects,
            guard: Arc::new(RedirectGuard {
                allow_private: defaults.allow_private_redirects,
                pins: settings.overrides.clone(),
            }),
            settings: Arc::new(settings),
        })
    }

    /// The client for the hops after a public source's redirect, made when
    /// first needed: most sources never redirect, and a client holds its
    /// own TLS roots and connection pool.
    fn public_client(&self) -> Result<&Client, FetchError> {
        if let Some(client) = self.public_client.get() {
            return Ok(client);
        }
        let built = self
            .settings
            .build(true)
            .map_err(|e| FetchError::Transport(format!("cannot set up the HTTP client: {e}")))?;
        Ok(self.public_client.get_or_init(|| built))
    }

    /// GETs `url`, conditionally when `validators` has something, with
    /// `headers`, within the configured time and redirect limits and
    /// `body_limit` bytes.
    pub(super) async fn fetch(
        &self,
        url: &Url,
        validators: &Validators,
        headers: &HeaderMap,
        body_limit: u64,
        origin: Origin<'_>,
    ) -> FetchReport {
        let started = Instant::now();
        let mut facts = ExchangeFacts::default();
        let result = tokio::time::timeout(
            self.timeout,
            self.fetch_following(url, validators, headers, body_limit, origin, &mut facts),
        )
        .await
        .unwrap_or(Err(FetchError::Timeout(self.timeout)));
        FetchReport {
            result,
            status: facts.status,
            moved_to: facts.moved_to,
            hints: facts.hints,
            duration: started.elapsed(),
        }
    }

    async fn fetch_following(
        &self,
        url: &Url,
        validators: &Validators,
        headers: &HeaderMap,
        body_limit: u64,
        origin: Origin<'_>,
        facts: &mut ExchangeFacts,
    ) -> Result<Fetched, FetchError> {
        let mut current = url.clone();
        let mut only_permanent_so_far = true;
        for hop in 0..=self.max_redirects {
            // After a public source's redirect, and at every hop of a link
            // added by hand, names are resolved by PublicOnly, which refuses
            // private addresses where the connection is made (no DNS answer
            // can change in between).
            let public_only = match origin {
                Origin::Source => hop > 0 && !self.guard.may_redirect_privately(url),
                Origin::Submitted(allowed) => {
                    let trusted = current.host().is_some_and(|h| allowed.allows_private(&h));
                    if !trusted && let Some(kind) = self.guard.private_without_dns(&current) {
                        return Err(FetchError::PrivateLink {
                            target: current.host_str().unwrap_or_default().to_owned(),
                            kind,
                            redirected: hop > 0,
                        });
                    }
                    !trusted
                }
            };
            let client = match public_only {
                true => self.public_client()?,
                false => &self.client,
            };
            let mut request = client.get(current.clone());
            // Credentials go to the host they were meant for, never to
            // where a redirect points.
            if current.host_str() == url.host_str() {
                request = request.headers(headers.clone());
            }
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
            let response = request.send().await.map_err(|err| match origin {
                Origin::Submitted(_) => match private_name_in(&err) {
                    Some(name) => FetchError::PrivateLink {
                        target: name.host.clone(),
                        kind: name.kind,
                        redirected: hop > 0,
                    },
                    None => transport_error(err, &current, self.settings.connect_timeout),
                },
                Origin::Source => transport_error(err, &current, self.settings.connect_timeout),
            })?;
            let status = response.status();
            facts.status = Some(status.as_u16());
            facts.hints = hints::of_response(response.headers(), status);
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| {
                        FetchError::BadRedirect(format!("HTTP {status} without Location"))
                    })?;
                let next = current
                    .join(location)
                    .map_err(|e| FetchError::BadRedirect(format!("{location}: {e}")))?;
                if !matches!(next.scheme(), "http" | "https") {
                    return Err(FetchError::BadRedirect(format!("{next} is not http(s)")));
                }
                if let Origin::Source = origin {
                    self.guard.check(url, &next)?;
                }
                let permanent = matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                only_permanent_so_far &= permanent;
                if only_permanent_so_far {
                    facts.moved_to = Some(next.clone());
                }
                current = next;
                continue;
            }
            if status == StatusCode::NOT_MODIFIED {
                return Ok(Fetched::NotModified);
            }
            if matches!(
                status,
                StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
            ) && response
                .headers()
                .get("x-ratelimit-remaining")
                .is_some_and(|v| v.as_bytes() == b"0")
            {
                return Err(FetchError::RateLimited {
                    retry_in: facts.hints.retry_after,
                });
            }
            if !status.is_success() {
                return Err(FetchError::Status {
                    status: status.as_u16(),
                    reason: status.canonical_reason().map(str::to_owned),
                });
            }
            let header_text = |name: header::HeaderName| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let validators = Validators {
                etag: header_text(header::ETAG),
                last_modified: header_text(header::LAST_MODIFIED),
            };
            let content_type = header_text(header::CONTENT_TYPE);
            // A link added by hand is read for its head's metadata: the
            // start of a huge page is enough (and never more than the cap).
            let body = match origin {
                Origin::Submitted(_) => read_head(response, body_limit, &current).await?,
                Origin::Source => read_capped(response, body_limit, &current).await?,
            };
            return Ok(Fetched::Body {
                body,
                content_type,
                validators,
            });
        }
        Err(FetchError::TooManyRedirects(self.max_redirects))
    }
}

/// Reads the (decompressed) body, failing as soon as it passes the cap:
/// a huge or endless body never sits in memory.
async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    url: &Url,
) -> Result<Vec<u8>, FetchError> {
    if response.content_length().is_some_and(|len| len > limit) {
        return Err(FetchError::TooLarge { limit });
    }
    let mut body =
        Vec::with_capacity(response.content_length().unwrap_or(16 * 1024).min(limit) as usize);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(e, url, Duration::ZERO))?
    {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The first `limit` bytes of the (decompressed) body, and no more: the
/// rest is never read.
async fn read_head(
    mut response: reqwest::Response,
    limit: u64,
    url: &Url,
) -> Result<Vec<u8>, FetchError> {
    let limit = limit as usize;
    let mut body = Vec::with_capacity(
        response
            .content_length()
            .map_or(16 * 1024, |len| len as usize)
            .min(limit),
    );
    while body.len() < limit
        && let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| transport_error(e, url, Duration::ZERO))?
    {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(body)
}

/// What the exchange showed, kept even when it ends in an error.
#[derive(Default)]
struct ExchangeFacts {
    status: Option<u16>,
    moved_to: Option<Url>,
    hints: Hints,
}

/// One line naming the host and the cause. reqwest's errors nest the
/// useful part (refused, reset, DNS) a few sources deep, each layer
/// repeating the one below ("client error (Connect): dns error: error
/// resolving DNS: failed to lookup …"): the innermost says it.
fn transport_error(err: reqwest::Error, url: &Url, connect_timeout: Duration) -> FetchError {
    let host = url.host_str().unwrap_or("?");
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        causes.push(cause);
        source = cause.source();
    }
    let innermost = causes
        .last()
        .map_or_else(|| err.to_string(), |c| c.to_string());
    let io_kind = causes
        .iter()
        .find_map(|c| c.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    let dns = causes
        .iter()
        .any(|c| c.to_string().starts_with("dns error"));
    let message = if err.is_connect() && err.is_timeout() {
        format!(
            "cannot connect to {host}: no answer within {} s ([defaults] connect_timeout)",
            connect_timeout.as_secs_f32()
        )
    } else if err.is_connect() && dns {
        format!("cannot connect to {host}: the name does not resolve ({innermost})")
    } else if err.is_connect() && io_kind == Some(std::io::ErrorKind::ConnectionRefused) {
        let port = url.port_or_known_default().unwrap_or(0);
        format!("cannot connect to {host}: connection refused (nothing listens on port {port})")
    } else if err.is_connect() {
        format!("cannot connect to {host}: {innermost}")
    } else if err.is_body() || err.is_decode() {
        format!("the connection to {host} broke while reading the body: {innermost}")
    } else {
        format!("the request to {host} failed: {innermost}")
    };
    FetchError::Transport(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher() -> Fetcher {
        let config = crate::config::Config::parse(
            std::path::Path::new("feeds.toml"),
            "[newsletter]\ntitle = \"t\"\n\n[[sections]]\nid = \"a\"\ntitle = \"A\"\n",
        )
        .unwrap();
        Fetcher::new(&config.defaults).unwrap()
    }

    /// A one-response HTTP server on 127.0.0.1: its port.
    async fn serve_once() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
            }
        });
        port
    }

    /// The redirect hops of a public source connect through a resolver
    /// that answers public addresses only: a name resolving to loopback is
    /// refused where the connection is made, not only by the look-up
    /// before it (which a DNS answer changing in between would pass).
    #[tokio::test]
    async fn after_a_public_redirect_names_connect_to_public_addresses_only() {
        use reqwest::dns::Resolve;
        let refused = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost has no public address");
        assert!(
            refused
                .to_string()
                .contains("resolves only to loopback addresses"),
            "{refused}"
        );

        let fetcher = fetcher();
        let port = serve_once().await;
        let url = format!("http://localhost:{port}/");
        let plain = fetcher.client.get(&url).send().await.unwrap();
        assert_eq!(
            plain.status(),
            StatusCode::OK,
            "the ordinary client reaches it"
        );
        let err = fetcher
            .public_client()
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap_err();
        // Found again in reqwest's chain, so a link added by hand to such a
        // name is refused, not added as unreachable.
        let name = private_name_in(&err).expect("the resolver's refusal in the chain");
        assert_eq!((name.host.as_str(), name.kind), ("localhost", "loopback"));
        let FetchError::Transport(message) =
            transport_error(err, &Url::parse(&url).unwrap(), Duration::ZERO)
        else {
            panic!("a transport error");
        };
        assert!(message.contains("resolves only to loopback addresses, refused after a redirect from a public address"), "{message}");
    }

    /// A refused connection is one line naming the host and the port,
    /// not the chain of wrappers reqwest and hyper put around it.
    #[tokio::test]
    async fn a_refused_connection_names_the_host_in_one_clear_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = Url::parse(&format!("http://127.0.0.1:{port}/feed")).unwrap();
        let report = fetcher()
            .fetch(
                &url,
                &Validators::default(),
                &HeaderMap::new(),
                1024,
                Origin::Source,
            )
            .await;
        let Err(FetchError::Transport(message)) = report.result else {
            panic!("{:?}", report.result);
        };
        assert_eq!(
            message,
            format!(
                "cannot connect to 127.0.0.1: connection refused (nothing listens on port {port})"
            )
        );
    }
}
