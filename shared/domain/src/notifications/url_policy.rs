//! Where the service may send a tenant's webhooks (docs/api.md §9): `https` to a public
//! address, and `http` to loopback only where the deployment allows it (`make dev`). An
//! address is checked when the endpoint is saved (a literal IP, a loopback or metadata name)
//! and again after DNS resolution at every delivery, so a name that later resolves to a
//! private address is refused then.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Longest endpoint URL accepted.
pub const MAX_URL_LENGTH: usize = 2048;

/// Names that reach a cloud's instance metadata service without an IP literal.
const METADATA_NAMES: [&str; 2] = ["metadata.google.internal", "metadata"];

/// The deployment's rule for loopback endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlPolicy {
    /// `http` (and `https`) to a loopback address: `make dev`, and a deployment whose
    /// template parameter says so.
    pub allow_loopback: bool,
}

/// Why a URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Not an absolute `http(s)` URL of at most [`MAX_URL_LENGTH`] characters with a host.
    Malformed,
    /// A scheme, host or address the service does not send to.
    NotAllowed,
}

/// An endpoint URL that passed the checks that need no DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl(Url);

impl EndpointUrl {
    pub fn parse(text: &str, policy: UrlPolicy) -> Result<EndpointUrl, UrlRefusal> {
        if text.len() > MAX_URL_LENGTH {
            return Err(UrlRefusal::Malformed);
        }
        let url = Url::parse(text).map_err(|_| UrlRefusal::Malformed)?;
        let host = url.host().ok_or(UrlRefusal::Malformed)?;
        if !matches!(url.scheme(), "https" | "http") || !url.username().is_empty() {
            return Err(UrlRefusal::Malformed);
        }
        let loopback = match host {
            Host::Ipv4(ip) => {
                address_allowed(IpAddr::V4(ip), policy)?;
                ip.is_loopback()
            }
            Host::Ipv6(ip) => {
                address_allowed(IpAddr::V6(ip), policy)?;
                ip.is_loopback()
            }
            Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if METADATA_NAMES.contains(&name.as_str()) {
                    return Err(UrlRefusal::NotAllowed);
                }
                let loopback = name == "localhost" || name.ends_with(".localhost");
                if loopback && !policy.allow_loopback {
                    return Err(UrlRefusal::NotAllowed);
                }
                loopback
            }
        };
        if url.scheme() == "http" && !loopback {
            return Err(UrlRefusal::NotAllowed);
        }
        Ok(EndpointUrl(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Whether the service may connect to `ip`: never to a private, shared, link-local (the cloud
/// metadata address among them), unspecified, broadcast, multicast or reserved address; to
/// loopback only when `policy` allows it. Applied to every address a name resolves to.
pub fn address_allowed(ip: IpAddr, policy: UrlPolicy) -> Result<(), UrlRefusal> {
    let ip = match ip {
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    };
    let refused = match ip {
        IpAddr::V4(v4) if v4.is_loopback() => !policy.allow_loopback,
        IpAddr::V4(v4) => ipv4_refused(v4),
        IpAddr::V6(v6) if v6.is_loopback() => !policy.allow_loopback,
        IpAddr::V6(v6) => ipv6_refused(v6),
    };
    if refused {
        Err(UrlRefusal::NotAllowed)
    } else {
        Ok(())
    }
}

fn ipv4_refused(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (carrier-grade NAT), 100.64.0.0/10.
        || (a == 100 && (64..128).contains(&b))
        // Reserved for future use, 240.0.0.0/4.
        || a >= 240
        // IETF protocol assignments, 192.0.0.0/24 (AWS's IPv4 DNS and metadata aliases too).
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        // Benchmarking, 198.18.0.0/15.
        || (a == 198 && (18..20).contains(&b))
}

fn ipv6_refused(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_multicast()
        // Unique local, fc00::/7 (AWS's IPv6 metadata address fd00:ec2::254 among them).
        || (first & 0xfe00) == 0xfc00
        // Link-local, fe80::/10.
        || (first & 0xffc0) == 0xfe80
        // Documentation, 2001:db8::/32.
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
}

/// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible or NAT64
/// (`64:ff9b::/96`) address, which reaches that IPv4 host.
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = ip.segments();
    let nat64 = segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0];
    let compatible =
        segments[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified();
    (nat64 || compatible).then(|| {
        let [.., high, low] = segments;
        Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYED: UrlPolicy = UrlPolicy {
        allow_loopback: false,
    };
    const DEV: UrlPolicy = UrlPolicy {
        allow_loopback: true,
    };

    fn refused(url: &str, policy: UrlPolicy) -> Option<UrlRefusal> {
        EndpointUrl::parse(url, policy).err()
    }

    #[test]
    fn https_to_a_public_host_is_accepted() {
        for url in [
            "https://hooks.example.com/payments",
            "https://hooks.example.com:8443/p?tenant=1",
            "https://93.184.216.34/hook",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        ] {
            assert_eq!(refused(url, DEPLOYED), None, "{url}");
        }
    }

    #[test]
    fn private_link_local_metadata_and_reserved_addresses_are_refused() {
        for url in [
            "https://10.0.0.1/",
            "https://172.16.5.4/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://255.255.255.255/",
            "https://224.0.0.1/",
            "https://192.0.0.192/",
            "https://[::]/",
            "https://[fd00:ec2::254]/",
            "https://[fe80::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://[::ffff:169.254.169.254]/",
            "https://[64:ff9b::a9fe:a9fe]/",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://METADATA./",
        ] {
            assert_eq!(refused(url, DEV), Some(UrlRefusal::NotAllowed), "{url}");
        }
    }

    #[test]
    fn loopback_only_where_the_deployment_allows_it_and_http_only_there() {
        for url in [
            "http://127.0.0.1:9999/hook",
            "http://localhost:9999/hook",
            "http://[::1]:9999/hook",
            "https://127.0.0.2/hook",
            "http://api.localhost/hook",
        ] {
            assert_eq!(refused(url, DEV), None, "{url}");
            assert_eq!(
                refused(url, DEPLOYED),
                Some(UrlRefusal::NotAllowed),
                "{url}"
            );
        }
        assert_eq!(
            refused("http://hooks.example.com/", DEV),
            Some(UrlRefusal::NotAllowed),
            "http only to loopback"
        );
    }

    #[test]
    fn what_is_not_an_absolute_http_url_is_malformed() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        for url in [
            "",
            "hooks.example.com/x",
            "ftp://example.com/",
            "https://user:pass@example.com/",
            "mailto:ops@example.com",
            long.as_str(),
        ] {
            assert_eq!(refused(url, DEV), Some(UrlRefusal::Malformed), "{url}");
        }
    }

    #[test]
    fn resolved_addresses_are_checked_the_same_way() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.1.2.3".parse().unwrap();
        let loopback: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(address_allowed(public, DEPLOYED), Ok(()));
        assert_eq!(address_allowed(private, DEV), Err(UrlRefusal::NotAllowed));
        assert_eq!(address_allowed(loopback, DEV), Ok(()));
        assert_eq!(
            address_allowed(loopback, DEPLOYED),
            Err(UrlRefusal::NotAllowed)
        );
    }
}
