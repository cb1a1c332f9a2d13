//! Which addresses the gateway may call back: gate URLs must not reach
//! loopback, private, link-local or other non-public addresses (a gate is
//! set by a tenant, and must not become a way into the operator's network)
//! unless the operator allows it (`--callback-allow-private`, on with the
//! sandbox). The same table in [`special`] judges a gate's URL when the gate
//! is created and before each delivery ([`check`]), and every address a
//! name resolves to when a callback connects ([`PublicOnly`]).

mod special;

use std::net::IpAddr;

use url::{Host, Url};

pub use special::{Refusal, is_public, refusal};

#[derive(Debug, Clone, thiserror::Error)]
pub enum EgressError {
    #[error(
        "{host} resolves to {address}, which is not a public address ({reason}; allow with --callback-allow-private)"
    )]
    NotPublic {
        host: String,
        address: IpAddr,
        reason: Refusal,
    },
    #[error("the URL has no host")]
    NoHost,
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
            let (public, refused): (Vec<std::net::SocketAddr>, Vec<std::net::SocketAddr>) =
                tokio::net::lookup_host((host.as_str(), 0))
                    .await?
                    .partition(|address| is_public(address.ip()));
            if public.is_empty() {
                // Says why, as the check before a delivery would: the try's
                // record shows it.
                let refusal = refused.iter().find_map(|address| {
                    refusal(address.ip()).map(|reason| EgressError::NotPublic {
                        host: host.clone(),
                        address: address.ip(),
                        reason,
                    })
                });
                return Err(match refusal {
                    Some(error) => error.into(),
                    None => format!("{host} has no address").into(),
                });
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A callback URL as gates and messages may give one: an absolute http(s)
/// URL with a host.
pub fn callback_url(text: &str) -> Option<Url> {
    Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
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
    match addresses
        .into_iter()
        .find_map(|address| refusal(address).map(|reason| (address, reason)))
    {
        Some((address, reason)) => Err(EgressError::NotPublic {
            host: url.host_str().unwrap_or_default().to_owned(),
            address,
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_to_private_addresses_are_refused_unless_allowed() {
        let url = |text: &str| Url::parse(text).expect("url");
        assert!(matches!(
            check(&url("http://127.0.0.1:9/dlr"), false).await,
            Err(EgressError::NotPublic { .. })
        ));
        assert!(check(&url("http://[::1]/dlr"), false).await.is_err());
        assert!(
            check(&url("http://[64:ff9b::7f00:1]/dlr"), false)
                .await
                .is_err_and(|error| error.to_string().contains("carries 127.0.0.1"))
        );
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
        let refused = PublicOnly
            .resolve(name)
            .await
            .err()
            .expect("localhost is loopback only");
        assert!(
            refused.to_string().starts_with("localhost resolves to ")
                && refused
                    .to_string()
                    .contains("which is not a public address"),
            "{refused}"
        );
    }
}
