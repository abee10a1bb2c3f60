//! IP networks written the way operators write them: `10.0.0.0/8`, `::1/128`,
//! or a bare address (a full-length prefix). Trunks name the networks their
//! calls come from this way, and the source guard's allow-list too.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket
//! reports for an IPv4 peer) compare as the IPv4 address they carry.

use std::fmt;
use std::net::IpAddr;

/// A network: an address and the length of its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Net {
    addr: IpAddr,
    len: u8,
}

impl Net {
    /// Reads `10.0.0.0/8`, `::1` or `192.0.2.7`; `None` when it is neither an
    /// address nor an address with a prefix length that fits it.
    pub fn parse(text: &str) -> Option<Net> {
        let text = text.trim();
        let (addr, len) = match text.split_once('/') {
            Some((ip, len)) => {
                if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (ip.parse::<IpAddr>().ok()?, len.parse::<u8>().ok()?)
            }
            None => {
                let ip = text.parse::<IpAddr>().ok()?;
                (ip, full_length(ip))
            }
        };
        if len > full_length(addr) {
            return None;
        }
        let addr = canonical(addr);
        // A mapped address's prefix counts the 96 bits of its IPv6 form.
        let len = match (addr, text.contains(':')) {
            (IpAddr::V4(_), true) if len >= 96 => len - 96,
            (IpAddr::V4(_), true) => return None,
            _ => len,
        };
        Some(Net { addr, len })
    }

    /// One host.
    pub fn host(ip: IpAddr) -> Net {
        let addr = canonical(ip);
        Net {
            addr,
            len: full_length(addr),
        }
    }

    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    pub fn prefix_len(&self) -> u8 {
        self.len
    }

    /// Whether this is one host rather than a wider network.
    pub fn is_host(&self) -> bool {
        self.len == full_length(self.addr)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (canonical(ip), self.addr) {
            (IpAddr::V4(a), IpAddr::V4(n)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                u32::from(a) & mask == u32::from(n) & mask
            }
            (IpAddr::V6(a), IpAddr::V6(n)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                u128::from(a) & mask == u128::from(n) & mask
            }
            _ => false,
        }
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// IPv4-mapped IPv6 addresses become the IPv4 address they carry.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn full_length(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks_and_hosts_are_read() {
        let net = Net::parse("10.0.0.0/8").unwrap();
        assert!(net.contains(ip("10.200.1.1")));
        assert!(!net.contains(ip("11.0.0.1")));
        assert!(!net.is_host());
        let host = Net::parse(" 192.0.2.7 ").unwrap();
        assert!(host.is_host());
        assert!(host.contains(ip("192.0.2.7")));
        assert!(!host.contains(ip("192.0.2.8")));
        assert!(Net::parse("::1").unwrap().contains(ip("::1")));
        assert!(Net::parse("2001:db8::/32")
            .unwrap()
            .contains(ip("2001:db8:1::5")));
        assert!(Net::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        assert!(Net::parse("::/0").unwrap().contains(ip("2001:db8::1")));
    }

    #[test]
    fn what_is_not_a_network_is_refused() {
        for bad in [
            "",
            "example.com",
            "10.0.0.0/33",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/0008",
            "10.0.0.0/8/8",
        ] {
            assert_eq!(Net::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn mapped_addresses_compare_as_ipv4() {
        let net = Net::parse("192.0.2.0/24").unwrap();
        assert!(net.contains(ip("::ffff:192.0.2.10")));
        let mapped = Net::parse("::ffff:192.0.2.0/120").unwrap();
        assert_eq!(mapped, net);
        assert_eq!(
            Net::host(ip("::ffff:192.0.2.1")),
            Net::parse("192.0.2.1").unwrap()
        );
        // An IPv4 network never holds an IPv6 address, nor the other way.
        assert!(!net.contains(ip("2001:db8::1")));
        assert!(!Net::parse("::/0").unwrap().contains(ip("192.0.2.1")));
    }
}
