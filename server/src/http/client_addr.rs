//! Whose request it is: the TCP peer's address, or, when the peer is one of the operator's
//! reverse proxies (`COFFER_TRUSTED_PROXIES`), the address those proxies recorded in
//! `X-Forwarded-For`. The header is read from the right (the hop nearest to Coffer) and trusted
//! hops are skipped: the first address that is not a trusted proxy is the client. A peer that
//! is not trusted cannot set its own address, whatever it sends; a header that cannot be read
//! leaves the peer's address. Rate limits key on the result (an IPv6 client by its /64,
//! `coffer_domain::limits::client_key`).

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The client's address for a request from `peer` with `headers`, given the trusted proxies.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            // Garbled by someone: no address past this point can be believed.
            return peer;
        };
        if !is_trusted(&ip) {
            return ip;
        }
    }
    peer
}

/// Reads `COFFER_TRUSTED_PROXIES`: addresses or CIDR ranges, separated by commas or spaces
/// (`10.0.0.0/8, 2001:db8::/32, 127.0.0.1`).
pub fn parse_trusted(text: &str) -> Result<Vec<IpNet>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is neither an address nor a CIDR range"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let trusted = parse_trusted("10.0.0.0/8").unwrap();
        let got = resolve(ip("198.51.100.9"), &headers(&["203.0.113.7"]), &trusted);
        assert_eq!(got, ip("198.51.100.9"));
        let got = resolve(ip("198.51.100.9"), &headers(&["203.0.113.7"]), &[]);
        assert_eq!(
            got,
            ip("198.51.100.9"),
            "no proxies configured: the header is ignored"
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_hops_to_its_left_are_ignored() {
        let trusted = parse_trusted("10.0.0.0/8, 192.0.2.1").unwrap();
        // The client sent its own "X-Forwarded-For: 1.2.3.4"; the proxies appended the rest.
        let h = headers(&["1.2.3.4, 203.0.113.7", "192.0.2.1"]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.7"));
        // Only trusted hops: the nearest proxy itself.
        let h = headers(&["192.0.2.1"]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("10.1.2.3"));
        // No header.
        assert_eq!(
            resolve(ip("10.1.2.3"), &HeaderMap::new(), &trusted),
            ip("10.1.2.3")
        );
        // Garbage to the right of the client: nothing past it is believed.
        let h = headers(&["203.0.113.7, not-an-ip"]);
        assert_eq!(resolve(ip("10.1.2.3"), &h, &trusted), ip("10.1.2.3"));
    }

    #[test]
    fn ipv6_and_mapped_addresses() {
        let trusted = parse_trusted("::1, 10.0.0.0/8").unwrap();
        let h = headers(&["2001:db8:1:2::99"]);
        assert_eq!(resolve(ip("::1"), &h, &trusted), ip("2001:db8:1:2::99"));
        // An IPv4 peer seen through a dual-stack socket is the IPv4 address.
        let h = headers(&["203.0.113.7"]);
        assert_eq!(
            resolve(ip("::ffff:10.0.0.5"), &h, &trusted),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn the_setting_is_parsed_or_refused_with_its_culprit() {
        assert_eq!(parse_trusted("").unwrap(), vec![]);
        assert_eq!(parse_trusted("127.0.0.1").unwrap().len(), 1);
        assert_eq!(parse_trusted("10.0.0.0/8 fd00::/8").unwrap().len(), 2);
        let err = parse_trusted("10.0.0.0/8, proxy.local").unwrap_err();
        assert!(err.contains("proxy.local"), "{err}");
    }
}
