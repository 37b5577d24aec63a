//! `[contributions]`: how links brought by hand (`newsdesk add`, the
//! submission endpoint) are taken in.

use serde::Deserialize;
use toml::Spanned;

use super::problems::Problems;
use super::{Section, known_sections};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContributions {
    pub(super) section: Option<Spanned<String>>,
    pub(super) allow_private_hosts: Option<Spanned<Vec<String>>>,
}

/// `[contributions]`, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contributions {
    /// The section a link accepted on arrival goes to when none is given.
    pub section: Option<String>,
    /// Hosts on loopback, private or link-local addresses whose links may
    /// be added (a team's own wiki). A link is not the operator's choice
    /// the way a source is, so others are refused: a contributor cannot
    /// make newsdesk read the network it runs in.
    pub allow_private_hosts: Vec<url::Host>,
}

impl Contributions {
    /// Whether links to `host` may be added though it is not public.
    pub fn allows_private(&self, host: &url::Host<&str>) -> bool {
        self.allow_private_hosts
            .iter()
            .any(|allowed| match (allowed, host) {
                (url::Host::Domain(a), url::Host::Domain(b)) => a.eq_ignore_ascii_case(b),
                (url::Host::Ipv4(a), url::Host::Ipv4(b)) => a == b,
                (url::Host::Ipv6(a), url::Host::Ipv6(b)) => a == b,
                _ => false,
            })
    }
}

pub(super) fn contributions(
    problems: &mut Problems,
    raw: &RawContributions,
    sections: &[Section],
) -> Contributions {
    let section = raw.section.as_ref().and_then(|s| {
        let name = s.get_ref().trim();
        if sections.iter().any(|known| known.id == name) {
            return Some(name.to_owned());
        }
        problems.add(
            s.span(),
            format!(
                "[contributions] section \"{name}\" is not defined ({})",
                known_sections(sections)
            ),
            Some(format!(
                "name one of the [[sections]] ids, or add a [[sections]] entry with id = \"{name}\""
            )),
        );
        None
    });
    let mut allow_private_hosts = Vec::new();
    if let Some(hosts) = &raw.allow_private_hosts {
        for host in hosts.get_ref() {
            let written = host.trim().trim_matches(['[', ']']);
            let parsed = match written.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(v4)) => Ok(url::Host::Ipv4(v4)),
                Ok(std::net::IpAddr::V6(v6)) => Ok(url::Host::Ipv6(v6)),
                Err(_) => url::Host::parse(written).map(|h| h.to_owned()),
            };
            match parsed {
                Ok(host) if !written.contains(['/', ':']) || matches!(host, url::Host::Ipv6(_)) => {
                    allow_private_hosts.push(host)
                }
                _ => problems.add(
                    hosts.span(),
                    format!("`allow_private_hosts` has \"{host}\", which is not a host name or address"),
                    Some("write hosts only, without scheme or port, e.g. allow_private_hosts = [\"wiki.internal\", \"10.0.0.5\"]".into()),
                ),
            }
        }
    }
    Contributions {
        section,
        allow_private_hosts,
    }
}
