//! Which addresses the gateway may call back: gate URLs must not reach
//! loopback, private, link-local or other non-public addresses (a gate is
//! set by a tenant, and must not become a way into the operator's network)
//! unless the operator allows it (`--callback-allow-private`, on with the
//! sandbox).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressError {
    #[error(
        "{host} resolves to {address}, which is not a public address (allow with --callback-allow-private)"
    )]
    NotPublic { host: String, address: IpAddr },
    #[error("the URL has no host")]
    NoHost,
}

/// Whether an address is on the public internet.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, ..] = address.octets();
    !(address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_unspecified()
        || address.is_broadcast()
        || address.is_multicast()
        || address.is_documentation()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let first = address.segments()[0];
    !(address.is_loopback()
        || address.is_unspecified()
        || address.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

/// The resolver of the callback client when private addresses are not
/// allowed: it hands the connection only public addresses, so what is
/// checked is what is connected to (a name cannot resolve to a public
/// address for the check and a private one for the connection).
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks where `url` leads. A host that does not resolve now passes (the
/// check runs again before each delivery); one that resolves to any
/// non-public address does not, unless `allow_private`.
pub async fn check(url: &Url, allow_private: bool) -> Result<(), EgressError> {
    if allow_private {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses: Vec<IpAddr> = match url.host().ok_or(EgressError::NoHost)? {
        Host::Ipv4(v4) => vec![IpAddr::V4(v4)],
        Host::Ipv6(v6) => vec![IpAddr::V6(v6)],
        Host::Domain(domain) => match tokio::net::lookup_host((domain, port)).await {
            Ok(found) => found.map(|socket| socket.ip()).collect(),
            Err(error) => {
                tracing::debug!(%domain, %error, "a gate host does not resolve now");
                Vec::new()
            }
        },
    };
    match addresses.into_iter().find(|address| !is_public(*address)) {
        Some(address) => Err(EgressError::NotPublic {
            host: url.host_str().unwrap_or_default().to_owned(),
            address,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_ranges_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            let address: IpAddr = address.parse().expect("address");
            assert!(!is_public(address), "{address}");
        }
        for address in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            let address: IpAddr = address.parse().expect("address");
            assert!(is_public(address), "{address}");
        }
    }

    #[tokio::test]
    async fn urls_to_private_addresses_are_refused_unless_allowed() {
        let url = |text: &str| Url::parse(text).expect("url");
        assert!(matches!(
            check(&url("http://127.0.0.1:9/dlr"), false).await,
            Err(EgressError::NotPublic { .. })
        ));
        assert!(check(&url("http://[::1]/dlr"), false).await.is_err());
        assert!(
            check(&url("http://localhost:8080/dlr"), false)
                .await
                .is_err()
        );
        assert!(check(&url("http://127.0.0.1:9/dlr"), true).await.is_ok());
        assert!(
            check(&url("https://93.184.216.34/dlr"), false)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_public_only_resolver_gives_no_private_address() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().expect("name");
        assert!(
            PublicOnly.resolve(name).await.is_err(),
            "localhost is loopback only"
        );
    }
}
