//! Who a request comes from, for per-client limits (link guesses, sign-in failures).
//!
//! Behind a TLS-terminating proxy every connection comes from the proxy, so its address says
//! nothing about the client: one client over a limit would stop everyone. A proxy records the
//! address it received the request from in `X-Forwarded-For` (or `Forwarded: for=`), appending
//! to whatever the client sent. So the chain is read from the right, starting at the socket peer:
//! each hop in [`TrustedProxies`] vouches for the address on its left; the first address that is
//! not a trusted proxy is the client. Everything left of it is the client's own say and is never
//! believed; from a peer that is not a trusted proxy the headers are not read at all.
//!
//! `X-Forwarded-For` is read when present (what nginx, HAProxy's `forwardfor`, Envoy, Traefik,
//! Caddy and cloud load balancers set), `Forwarded` otherwise. A proxy that sets only `Forwarded`
//! must drop an incoming `X-Forwarded-For`, or a client could choose its own address.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;

use http::HeaderMap;
use serde::Deserialize;

/// The client's address as the per-client limits see it, put on each request by the server's
/// middleware (see [`client_address`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// The proxies whose forwarding headers are believed (`APP__SERVER__TRUSTED_PROXIES`:
/// comma-separated CIDRs or single addresses; empty by default, so headers are ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|cidr| cidr.contains(address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Cidr::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = String::deserialize(deserializer)?;
        list.parse()
            .map_err(|e| serde::de::Error::custom(format!("server.trusted_proxies: {e}")))
    }
}

/// One network: `10.0.0.0/8`, `2001:db8::/32`, or a single address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(addr) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(addr) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(entry: &str) -> Result<Self, String> {
        let invalid = || format!("`{entry}` is not an address or a CIDR such as 10.0.0.0/8");
        let (address, prefix) = match entry.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (entry, None),
        };
        let network = IpAddr::from_str(address)
            .map_err(|_| invalid())?
            .to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(invalid)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

/// The client behind a request that reached us from `peer`: the rightmost address of the
/// forwarding chain that is not a trusted proxy (see the module doc). A hop that cannot be read
/// ends the walk at the trusted proxy that reported it.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_chain(headers).into_iter().rev() {
        let Some(address) = hop else {
            return client;
        };
        client = address.to_canonical();
        if !trusted.contains(client) {
            return client;
        }
    }
    // Every hop is one of our proxies (a health check, say): the leftmost is the best we know.
    client
}

/// The forwarded-for addresses, left (first sender) to right (last proxy); `None` for a hop
/// that is not an address (`unknown`, an obfuscated name, garbage).
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().map(ToOwned::to_owned).unwrap_or_default())
            .collect()
    };
    let x_forwarded_for = values("x-forwarded-for");
    if !x_forwarded_for.is_empty() {
        return x_forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(|hop| parse_hop(hop.trim()))
            .collect();
    }
    values("forwarded")
        .iter()
        .flat_map(|v| v.split(','))
        .map(|element| {
            let node = element
                .split(';')
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                .map(|(_, value)| value.trim().trim_matches('"'));
            node.and_then(parse_hop)
        })
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    IpAddr::from_str(hop)
        .ok()
        .or_else(|| SocketAddr::from_str(hop).ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inner| IpAddr::from_str(inner).ok())
        })
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_its_headers_say() {
        let forged = headers(&[
            ("x-forwarded-for", "198.51.100.9"),
            ("forwarded", "for=198.51.100.10"),
        ]);
        assert_eq!(
            client_address(ip("203.0.113.7"), &forged, &TrustedProxies::default()),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_address(ip("203.0.113.7"), &forged, &proxies("10.0.0.0/8")),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let trusted = proxies("10.0.0.0/8, 192.168.1.5");
        // The client's own claim (1.1.1.1) is left of what our proxies saw.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(
            client_address(ip("192.168.1.5"), &chain, &trusted),
            ip("203.0.113.7")
        );
        // Split over two header lines, with a port.
        let split = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.7:5555"),
        ]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &split, &trusted),
            ip("203.0.113.7")
        );
        // No header: the proxy itself.
        assert_eq!(
            client_address(ip("10.0.0.1"), &HeaderMap::new(), &trusted),
            ip("10.0.0.1")
        );
        // Garbage where the proxy's hop should be: the proxy that reported it.
        let garbage = headers(&[("x-forwarded-for", "1.1.1.1, not-an-ip")]);
        assert_eq!(
            client_address(ip("10.0.0.1"), &garbage, &trusted),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn forwarded_is_read_when_there_is_no_x_forwarded_for() {
        let trusted = proxies("10.0.0.0/8");
        let forwarded = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8:cafe::17]:4711\";proto=https;by=10.0.0.2",
        )]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &forwarded, &trusted),
            ip("2001:db8:cafe::17")
        );
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(
            client_address(ip("10.0.0.2"), &unknown, &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn trusted_proxies_parse_cidrs_and_addresses_and_refuse_the_rest() {
        let trusted = proxies("127.0.0.0/8,::1, 2001:db8::/32");
        assert!(trusted.contains(ip("127.4.5.6")));
        assert!(trusted.contains(ip("::ffff:127.0.0.1")));
        assert!(trusted.contains(ip("::1")));
        assert!(trusted.contains(ip("2001:db8:ffff::1")));
        assert!(!trusted.contains(ip("128.0.0.1")));
        assert!(!trusted.contains(ip("2001:db9::1")));
        assert!(proxies("").is_empty());
        assert!(proxies("0.0.0.0/0").contains(ip("203.0.113.7")));
        for bad in ["10.0.0.0/33", "10.0.0/8", "proxy.example.com", "10.0.0.0/x"] {
            let err = bad.parse::<TrustedProxies>().unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
