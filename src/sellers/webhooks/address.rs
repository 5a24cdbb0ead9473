//! Where a webhook may be sent: https URLs whose host resolves only to public addresses.
//!
//! A seller names the URL, so without this check Tollgate would post (and report the answers
//! of) requests to its own loopback, the cloud's metadata service or the private network.
//! The check runs when an endpoint is made, and again at each delivery through a resolver
//! that drops non-public addresses, so a name that later resolves elsewhere (DNS rebinding)
//! reaches nothing private either. `WEBHOOK_ALLOW_LOCAL` turns it off for development.
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use url::{Host, Url};

/// Why a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NotAUrl,
    NotHttps,
    Credentials,
    NoHost,
    /// The host is, or resolves to, a loopback, private, link-local… address.
    NotPublic(IpAddr),
    DoesNotResolve,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NotAUrl => f.write_str("not a valid URL"),
            Refused::NotHttps => f.write_str("must be an https:// URL"),
            Refused::Credentials => f.write_str("must not carry a user name or password"),
            Refused::NoHost => f.write_str("has no host"),
            Refused::NotPublic(ip) => write!(
                f,
                "resolves to {ip}, which is not a public address (loopback, private, \
                 link-local and reserved ranges are refused)"
            ),
            Refused::DoesNotResolve => f.write_str("the host name does not resolve"),
        }
    }
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network", unspecified
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Forms that carry an IPv4 address are judged by it.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        return false;
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        // NAT64 64:ff9b::/96
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return is_public_v4(v4);
    }
    if s[0] == 0x2002 {
        // 6to4: the IPv4 address in bits 16..48
        let v4 = Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8);
        return is_public_v4(v4);
    }
    !((s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only 100::/64
}

/// Parses and checks a webhook URL's shape: https (http too with `allow_local`), a host, no
/// credentials. The address check is [`check`].
pub fn parse(raw: &str, allow_local: bool) -> Result<Url, Refused> {
    let url = Url::parse(raw.trim()).map_err(|_| Refused::NotAUrl)?;
    match url.scheme() {
        "https" => {}
        "http" if allow_local => {}
        _ => return Err(Refused::NotHttps),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    if url.host().is_none() {
        return Err(Refused::NoHost);
    }
    Ok(url)
}

/// The literal address of `url`'s host, if it is one.
fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Parses `raw` and checks that its host is, or resolves only to, public addresses (every
/// address a name resolves to must be public). With `allow_local` only the shape is checked.
pub async fn check(raw: &str, allow_local: bool) -> Result<Url, Refused> {
    let url = parse(raw, allow_local)?;
    if allow_local {
        return Ok(url);
    }
    if let Some(ip) = literal(&url) {
        return if is_public(ip) {
            Ok(url)
        } else {
            Err(Refused::NotPublic(ip))
        };
    }
    let host = url.host_str().ok_or(Refused::NoHost)?.to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|_| Refused::DoesNotResolve)?
        .collect();
    if addrs.is_empty() {
        return Err(Refused::DoesNotResolve);
    }
    match addrs.iter().find(|a| !is_public(a.ip())) {
        Some(bad) => Err(Refused::NotPublic(bad.ip())),
        None => Ok(url),
    }
}

/// At delivery: the URL as stored passes its shape check and, when the host is a literal
/// address, that address is public (names are checked by [`PublicResolver`] as the client
/// connects).
pub fn check_at_delivery(raw: &str, allow_local: bool) -> Result<Url, Refused> {
    let url = parse(raw, allow_local)?;
    if !allow_local && let Some(ip) = literal(&url).filter(|ip| !is_public(*ip)) {
        return Err(Refused::NotPublic(ip));
    }
    Ok(url)
}

/// A DNS resolver for the delivery client that keeps only public addresses, so a name that
/// resolves to a private address at delivery time is never connected to.
#[derive(Debug, Default, Clone, Copy)]
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The delivery client: no redirects (a redirect could point anywhere), no proxy from the
/// environment, and with `allow_local` off, only public addresses.
pub fn client(timeout: std::time::Duration, allow_local: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent("Tollgate-Webhooks/1");
    if !allow_local {
        builder = builder.dns_resolver(Arc::new(PublicResolver));
    }
    builder.build().expect("the webhook client builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_reserved_addresses_are_not_public() {
        for s in [
            "0.0.0.0",
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:0a00:0001::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
        ] {
            assert!(!is_public(ip(s)), "{s} counted as public");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for s in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.169.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2606:4700:4700::1111",
        ] {
            assert!(is_public(ip(s)), "{s} counted as not public");
        }
    }

    #[tokio::test]
    async fn urls_must_be_https_and_public_unless_local_is_allowed() {
        assert_eq!(
            check("http://8.8.8.8/hook", false).await,
            Err(Refused::NotHttps)
        );
        assert!(check("https://8.8.8.8/hook", false).await.is_ok());
        assert_eq!(
            check("https://127.0.0.1/hook", false).await,
            Err(Refused::NotPublic(ip("127.0.0.1")))
        );
        assert_eq!(
            check("https://[::ffff:7f00:1]/hook", false).await,
            Err(Refused::NotPublic(ip("::ffff:127.0.0.1")))
        );
        assert!(matches!(
            check("https://localhost:8443/hook", false).await,
            Err(Refused::NotPublic(_))
        ));
        assert_eq!(
            check("https://user:pw@8.8.8.8/", false).await,
            Err(Refused::Credentials)
        );
        assert_eq!(check("hook", false).await, Err(Refused::NotAUrl));
        assert!(check("http://127.0.0.1:9000/hook", true).await.is_ok());
        assert_eq!(
            check("ftp://127.0.0.1/hook", true).await,
            Err(Refused::NotHttps)
        );
        assert_eq!(
            check_at_delivery("https://10.0.0.1/hook", false),
            Err(Refused::NotPublic(ip("10.0.0.1")))
        );
    }
}
