//! The private-address guard: a source on a public address must not be
//! redirected into the network newsdesk runs in (loopback, private,
//! link-local addresses, cloud metadata endpoints). Sources whose own URL
//! names such an address are the operator's choice and may redirect
//! within it. A link added by hand is not the operator's choice: it must
//! be public at every hop, except on the hosts `[contributions]
//! allow_private_hosts` lists.

use std::net::{IpAddr, SocketAddr};

use url::Url;

use super::FetchError;

/// The resolver of the hops after a public source's redirect: it refuses a
/// name with any loopback, private or link-local address ("resolves only
/// to loopback addresses"), where the connection is made, so no DNS answer
/// can differ between a check and the connection. Names pinned with
/// `NEWSDESK_RESOLVE` do not come here (reqwest answers them first);
/// check_redirect refuses those pinned to such addresses, and literal ones.
pub(super) struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let private = found.iter().filter_map(|a| private_kind(a.ip()));
            if let Some(kind) = private.clone().next() {
                return Err(Box::new(PrivateName {
                    only: private.count() == found.len(),
                    host,
                    kind,
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A name [`PublicOnly`] refused, found again in the error chain of the
/// request (so a link added by hand can be refused rather than "unreachable").
#[derive(Debug)]
pub(super) struct PrivateName {
    pub(super) host: String,
    pub(super) kind: &'static str,
    /// Resolves to such addresses only (else: also to public ones).
    only: bool,
}

impl std::fmt::Display for PrivateName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.only { "only to" } else { "also to" };
        write!(
            f,
            "{} resolves {how} {} addresses, refused after a redirect from a public address; set [defaults] allow_private_redirects = true if the feed really lives there",
            self.host, self.kind
        )
    }
}

impl std::error::Error for PrivateName {}

/// The [`PrivateName`] somewhere in an error's chain of causes.
pub(super) fn private_name_in<'e>(
    err: &'e (dyn std::error::Error + 'static),
) -> Option<&'e PrivateName> {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if let Some(found) = err.downcast_ref::<PrivateName>() {
            return Some(found);
        }
        cause = err.source();
    }
    None
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
pub(super) fn resolve_overrides() -> Vec<(String, std::net::SocketAddr)> {
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

/// What a request may be redirected to.
pub(super) struct RedirectGuard {
    /// `[defaults] allow_private_redirects`.
    pub(super) allow_private: bool,
    /// Host names pinned to addresses (`NEWSDESK_RESOLVE`).
    pub(super) pins: Vec<(String, SocketAddr)>,
}

impl RedirectGuard {
    /// The kind of address `url` names without asking DNS, when it is not
    /// public: a literal one, `localhost`, or a name pinned with
    /// `NEWSDESK_RESOLVE` to such an address.
    pub(super) fn private_without_dns(&self, url: &Url) -> Option<&'static str> {
        if let Some(kind) = literal_kind(url) {
            return Some(kind);
        }
        let Some(url::Host::Domain(name)) = url.host() else {
            return None;
        };
        // reqwest answers a pinned name on any port (the URL's port wins
        // over the pin's), so the pin applies whatever the port.
        let name = name.to_ascii_lowercase();
        self.pins
            .iter()
            .filter(|(host, _)| *host == name)
            .find_map(|(_, address)| private_kind(address.ip()))
    }

    /// Whether the redirects of a request to `source` may lead to private
    /// addresses.
    pub(super) fn may_redirect_privately(&self, source: &Url) -> bool {
        self.allow_private || literal_kind(source).is_some()
    }

    /// Refuses `next` when a source on a public address is redirected to
    /// a loopback, private or link-local address that reqwest reaches
    /// without resolving it: a literal one, or a name pinned with
    /// `NEWSDESK_RESOLVE`. Other names are refused by [`PublicOnly`], the
    /// resolver the following hop connects through. The source counts as
    /// private when its URL names such an address itself (an intranet feed
    /// may redirect within the intranet).
    pub(super) fn check(&self, source: &Url, next: &Url) -> Result<(), FetchError> {
        if self.may_redirect_privately(source) {
            return Ok(());
        }
        let refuse = |kind| FetchError::PrivateRedirect {
            target: next.host_str().unwrap_or_default().to_owned(),
            kind,
        };
        match self.private_without_dns(next) {
            Some(kind) => Err(refuse(kind)),
            None => Ok(()),
        }
    }
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

    /// A name pinned to a private address is refused on every port: reqwest
    /// connects to the pinned address with the URL's port, not the pin's.
    #[test]
    fn a_name_pinned_to_a_private_address_is_refused_on_any_port() {
        let guard = RedirectGuard {
            allow_private: false,
            pins: vec![("intra".to_owned(), "10.0.0.5:443".parse().unwrap())],
        };
        let public = Url::parse("https://feeds.example.org/rss").unwrap();
        for target in ["https://intra/", "http://intra:8080/", "http://INTRA:443/"] {
            let refused = guard.check(&public, &Url::parse(target).unwrap());
            assert!(
                matches!(refused, Err(FetchError::PrivateRedirect { .. })),
                "{target}: {refused:?}"
            );
        }
        let elsewhere = Url::parse("http://other.example.org:8080/").unwrap();
        assert!(guard.check(&public, &elsewhere).is_ok());
    }
}
