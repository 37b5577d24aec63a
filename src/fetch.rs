//! Polite, bounded HTTP: one shared client, conditional GET, a deadline per
//! request, a cap on the body enforced while it streams, and redirects
//! followed by hand so a permanent move can be recorded and shown.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode};
use url::Url;

use crate::config::Defaults;
use crate::schedule::{self, Hints};

/// What the server said the last time, sent back so it can answer 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A successful exchange: either new content or "not modified".
#[derive(Debug)]
pub enum Fetched {
    NotModified,
    Body {
        body: Vec<u8>,
        content_type: Option<String>,
        validators: Validators,
    },
}

/// One request's result with what is worth recording even when it failed.
#[derive(Debug)]
pub struct FetchReport {
    pub result: Result<Fetched, FetchError>,
    /// Final HTTP status, when a response arrived.
    pub status: Option<u16>,
    /// Where the source has permanently moved (301/308), if it has.
    pub moved_to: Option<Url>,
    /// What the final response said about when to come back.
    pub hints: Hints,
    pub duration: Duration,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status { status: u16, reason: Option<String> },
    #[error("no complete answer within {}s (the timeout); the server is slow or unreachable", .0.as_secs_f32())]
    Timeout(Duration),
    #[error(
        "the body is larger than the {limit}-byte limit (raise [defaults] max_body_size if the feed is really that big)"
    )]
    TooLarge { limit: u64 },
    #[error("the API rate limit is used up{}; a token raises it (NEWSDESK_GITHUB_TOKEN or the github-token credential)", retry_in.map(|d| format!(" until it resets in {} min", d.as_secs().div_ceil(60))).unwrap_or_default())]
    RateLimited { retry_in: Option<Duration> },
    #[error(
        "more than {0} redirects (a redirect loop, or a chain longer than [defaults] max_redirects allows)"
    )]
    TooManyRedirects(usize),
    #[error("redirect without a usable Location: {0}")]
    BadRedirect(String),
    #[error(
        "refused a redirect from a public address to {target} ({kind}); set [defaults] allow_private_redirects = true if the feed really lives there"
    )]
    PrivateRedirect { target: String, kind: &'static str },
    #[error("{0}")]
    Transport(String),
}

/// The shared HTTP client and the limits every request obeys.
#[derive(Clone)]
pub struct Fetcher {
    client: Client,
    /// The same, resolving host names to public addresses only: the hops
    /// after a public source's redirect go through it (see [`PublicOnly`]).
    public_client: Arc<OnceLock<Client>>,
    timeout: Duration,
    max_body_size: u64,
    max_redirects: usize,
    allow_private_redirects: bool,
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

/// The resolver of the hops after a public source's redirect: it refuses a
/// name with any loopback, private or link-local address ("resolves only
/// to loopback addresses"), where the connection is made, so no DNS answer
/// can differ between a check and the connection. Names pinned with
/// `NEWSDESK_RESOLVE` do not come here (reqwest answers them first);
/// check_redirect refuses those pinned to such addresses, and literal ones.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let private = found.iter().filter_map(|a| private_kind(a.ip()));
            if let Some(kind) = private.clone().next() {
                let how = match private.count() == found.len() {
                    true => "only to",
                    false => "also to",
                };
                return Err(format!(
                    "{host} resolves {how} {kind} addresses, refused after a redirect from a public address; set [defaults] allow_private_redirects = true if the feed really lives there"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The kind of a non-public address, or None for a public one.
fn private_kind(ip: IpAddr) -> Option<&'static str> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    match ip {
        IpAddr::V4(v4) if v4.is_loopback() => Some("loopback"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("link-local"),
        IpAddr::V4(v4) if v4.is_private() => Some("private"),
        IpAddr::V4(v4) if v4.is_unspecified() || v4.is_broadcast() => Some("unspecified"),
        // 100.64.0.0/10, carrier-grade NAT: inside someone's network too.
        IpAddr::V4(v4) if v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) => {
            Some("private")
        }
        IpAddr::V6(v6) if v6.is_loopback() => Some("loopback"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("unspecified"),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80 => Some("link-local"),
        IpAddr::V6(v6) if (v6.segments()[0] & 0xfe00) == 0xfc00 => Some("private"),
        _ => None,
    }
}

/// What a URL's host says of itself without asking DNS: an address
/// literal or `localhost`.
fn literal_kind(url: &Url) -> Option<&'static str> {
    match url.host()? {
        url::Host::Ipv4(v4) => private_kind(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => private_kind(IpAddr::V6(v6)),
        url::Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            (name == "localhost" || name.ends_with(".localhost")).then_some("loopback")
        }
    }
}

/// `NEWSDESK_RESOLVE="host:port:address[,…]"` pins host names to
/// addresses, as curl's `--resolve` does: for split-horizon setups, and
/// for tests that must stand in for a public server on 127.0.0.1.
fn resolve_overrides() -> Vec<(String, std::net::SocketAddr)> {
    let Ok(spec) = std::env::var("NEWSDESK_RESOLVE") else {
        return Vec::new();
    };
    spec.split(',')
        .filter_map(|entry| {
            let (host, rest) = entry.trim().split_once(':')?;
            let (port, address) = rest.split_once(':')?;
            let address: IpAddr = address.trim_matches(['[', ']']).parse().ok()?;
            Some((
                host.to_ascii_lowercase(),
                std::net::SocketAddr::new(address, port.parse().ok()?),
            ))
        })
        .collect()
}

impl Fetcher {
    pub fn new(defaults: &Defaults) -> Result<Fetcher, reqwest::Error> {
        // rustls needs a process-wide crypto provider; ring is pure Rust + asm,
        // no C toolchain beyond cc, no system OpenSSL. A second call is a no-op.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let settings = ClientSettings {
            user_agent: defaults.user_agent.clone(),
            connect_timeout: defaults.timeout.min(Duration::from_secs(15)),
            overrides: resolve_overrides(),
        };
        Ok(Fetcher {
            client: settings.build(false)?,
            public_client: Arc::new(OnceLock::new()),
            timeout: defaults.timeout,
            max_body_size: defaults.max_body_size,
            max_redirects: defaults.max_redirects,
            allow_private_redirects: defaults.allow_private_redirects,
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

    /// Whether the redirects of a request to `source` may lead to private
    /// addresses.
    fn may_redirect_privately(&self, source: &Url) -> bool {
        self.allow_private_redirects || literal_kind(source).is_some()
    }

    /// Refuses `next` when a source on a public address is redirected to
    /// a loopback, private or link-local address that reqwest reaches
    /// without resolving it: a literal one, or a name pinned with
    /// `NEWSDESK_RESOLVE`. Other names are refused by [`PublicOnly`], the
    /// resolver the following hop connects through. The source counts as
    /// private when its URL names such an address itself (an intranet feed
    /// may redirect within the intranet).
    fn check_redirect(&self, source: &Url, next: &Url) -> Result<(), FetchError> {
        if self.may_redirect_privately(source) {
            return Ok(());
        }
        let refuse = |kind| FetchError::PrivateRedirect {
            target: next.host_str().unwrap_or_default().to_owned(),
            kind,
        };
        if let Some(kind) = literal_kind(next) {
            return Err(refuse(kind));
        }
        let Some(url::Host::Domain(name)) = next.host() else {
            return Ok(());
        };
        // reqwest answers a pinned name on any port (the URL's port wins
        // over the pin's), so the pin applies whatever the port.
        let name = name.to_ascii_lowercase();
        match self
            .settings
            .overrides
            .iter()
            .filter(|(host, _)| *host == name)
            .find_map(|(_, address)| private_kind(address.ip()))
        {
            Some(kind) => Err(refuse(kind)),
            None => Ok(()),
        }
    }

    /// GETs `url`, conditionally when `validators` has something, within the
    /// configured time, size and redirect limits.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> FetchReport {
        self.fetch_with(url, validators, &HeaderMap::new()).await
    }

    /// The same with extra request headers (API media types, a token
    /// marked sensitive so it is never logged).
    pub async fn fetch_with(
        &self,
        url: &Url,
        validators: &Validators,
        headers: &HeaderMap,
    ) -> FetchReport {
        let started = Instant::now();
        let mut seen = Seen::default();
        let result = tokio::time::timeout(
            self.timeout,
            self.fetch_following(url, validators, headers, &mut seen),
        )
        .await
        .unwrap_or(Err(FetchError::Timeout(self.timeout)));
        FetchReport {
            result,
            status: seen.status,
            moved_to: seen.moved_to,
            hints: seen.hints,
            duration: started.elapsed(),
        }
    }

    async fn fetch_following(
        &self,
        url: &Url,
        validators: &Validators,
        headers: &HeaderMap,
        seen: &mut Seen,
    ) -> Result<Fetched, FetchError> {
        let mut current = url.clone();
        let mut only_permanent_so_far = true;
        for hop in 0..=self.max_redirects {
            // After a public source's redirect, names are resolved by
            // PublicOnly, which refuses private addresses where the
            // connection is made (no DNS answer can change in between).
            let client = match hop > 0 && !self.may_redirect_privately(url) {
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
            let response = request.send().await.map_err(transport_error)?;
            let status = response.status();
            seen.status = Some(status.as_u16());
            seen.hints = hints_of(response.headers(), status);
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
                self.check_redirect(url, &next)?;
                let permanent = matches!(
                    status,
                    StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                );
                only_permanent_so_far &= permanent;
                if only_permanent_so_far {
                    seen.moved_to = Some(next.clone());
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
                    retry_in: seen.hints.retry_after,
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
            let body = self.read_capped(response).await?;
            return Ok(Fetched::Body {
                body,
                content_type,
                validators,
            });
        }
        Err(FetchError::TooManyRedirects(self.max_redirects))
    }

    /// Reads the (decompressed) body, failing as soon as it passes the cap:
    /// a huge or endless body never sits in memory.
    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        let limit = self.max_body_size;
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(FetchError::TooLarge { limit });
        }
        let mut body =
            Vec::with_capacity(response.content_length().unwrap_or(16 * 1024).min(limit) as usize);
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge { limit });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// What the exchange showed, kept even when it ends in an error.
#[derive(Default)]
struct Seen {
    status: Option<u16>,
    moved_to: Option<Url>,
    hints: Hints,
}

fn hints_of(headers: &HeaderMap, status: StatusCode) -> Hints {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now();
    Hints {
        fresh_for: schedule::freshness_from_headers(
            text(header::CACHE_CONTROL),
            text(header::EXPIRES),
            text(header::DATE),
            now,
        ),
        retry_after: matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE | StatusCode::FORBIDDEN
        )
        .then(|| {
            schedule::retry_after(text(header::RETRY_AFTER), now).or_else(|| {
                // GitHub: x-ratelimit-reset is when the quota refills (epoch seconds).
                let remaining = text(header::HeaderName::from_static("x-ratelimit-remaining"));
                let reset: i64 = text(header::HeaderName::from_static("x-ratelimit-reset"))?
                    .parse()
                    .ok()?;
                (remaining == Some("0"))
                    .then(|| Duration::from_secs((reset - now.timestamp()).max(0) as u64))
            })
        })
        .flatten(),
    }
}

/// reqwest's errors nest the useful part (refused, reset, DNS) a few
/// sources deep; show the whole chain in one line.
fn transport_error(err: reqwest::Error) -> FetchError {
    let mut message = if err.is_connect() {
        "cannot connect".to_owned()
    } else if err.is_body() || err.is_decode() {
        "the connection broke while reading the body".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    FetchError::Transport(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_a_network_are_told_from_public_ones() {
        let kind = |text: &str| private_kind(text.parse().unwrap());
        assert_eq!(kind("127.0.0.1"), Some("loopback"));
        assert_eq!(kind("::1"), Some("loopback"));
        assert_eq!(kind("::ffff:127.0.0.1"), Some("loopback"));
        assert_eq!(kind("10.1.2.3"), Some("private"));
        assert_eq!(kind("172.16.0.1"), Some("private"));
        assert_eq!(kind("192.168.1.1"), Some("private"));
        assert_eq!(kind("100.64.0.1"), Some("private"));
        assert_eq!(kind("fd00::1"), Some("private"));
        assert_eq!(kind("169.254.169.254"), Some("link-local"));
        assert_eq!(kind("fe80::1"), Some("link-local"));
        assert_eq!(kind("0.0.0.0"), Some("unspecified"));
        assert_eq!(kind("93.184.216.34"), None);
        assert_eq!(kind("2606:2800:220:1::1"), None);
        assert_eq!(kind("172.32.0.1"), None);
        let literal = |text: &str| literal_kind(&Url::parse(text).unwrap());
        assert_eq!(literal("http://localhost:8080/"), Some("loopback"));
        assert_eq!(literal("http://feeds.localhost/"), Some("loopback"));
        assert_eq!(literal("http://[::1]/"), Some("loopback"));
        assert_eq!(literal("https://kubernetes.io/feed.xml"), None);
    }

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

    /// A name pinned to a private address is refused on every port: reqwest
    /// connects to the pinned address with the URL's port, not the pin's.
    #[test]
    fn a_name_pinned_to_a_private_address_is_refused_on_any_port() {
        let mut fetcher = fetcher();
        Arc::get_mut(&mut fetcher.settings).unwrap().overrides =
            vec![("intra".to_owned(), "10.0.0.5:443".parse().unwrap())];
        let public = Url::parse("https://feeds.example.org/rss").unwrap();
        for target in ["https://intra/", "http://intra:8080/", "http://INTRA:443/"] {
            let refused = fetcher.check_redirect(&public, &Url::parse(target).unwrap());
            assert!(
                matches!(refused, Err(FetchError::PrivateRedirect { .. })),
                "{target}: {refused:?}"
            );
        }
        let elsewhere = Url::parse("http://other.example.org:8080/").unwrap();
        assert!(fetcher.check_redirect(&public, &elsewhere).is_ok());
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
        let FetchError::Transport(message) = transport_error(err) else {
            panic!("a transport error");
        };
        assert!(message.contains("resolves only to loopback addresses, refused after a redirect from a public address"), "{message}");
    }
}
