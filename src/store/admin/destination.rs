//! A trunk's outbound destination: where the INVITEs of calls leaving
//! through the trunk go, written `host[:port][;transport=udp|tcp]` (the
//! host a name, an IPv4 address or a bracketed IPv6 address). Without one,
//! calls go to the trunk's first single-host address on port 5060 over UDP.
//! A name is looked up when a call is placed, so a carrier that moves is
//! followed without a change here.

use std::fmt;

/// The transports an outbound destination may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationTransport {
    Udp,
    Tcp,
}

/// A parsed outbound destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundDestination {
    /// A name or an address (an IPv6 address without its brackets).
    pub host: String,
    /// 5060 when left out.
    pub port: u16,
    pub transport: DestinationTransport,
}

/// The SIP port used when a destination names none.
pub const DEFAULT_PORT: u16 = 5060;

impl OutboundDestination {
    /// Parses `host[:port][;transport=udp|tcp]`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<OutboundDestination, &'static str> {
        let (hostport, params) = match text.split_once(';') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        };
        let transport = match params.map(|p| p.split_once('=')) {
            None => DestinationTransport::Udp,
            Some(Some((name, value))) if name.eq_ignore_ascii_case("transport") => {
                match value.to_ascii_lowercase().as_str() {
                    "udp" => DestinationTransport::Udp,
                    "tcp" => DestinationTransport::Tcp,
                    _ => return Err("the transport must be udp or tcp"),
                }
            }
            Some(_) => return Err("the only parameter is ;transport=udp or ;transport=tcp"),
        };
        let (host, port) = split_host_port(hostport)?;
        Ok(OutboundDestination {
            host: host.to_owned(),
            port: port.unwrap_or(DEFAULT_PORT),
            transport,
        })
    }

    /// The host as a URI writes it (an IPv6 address in brackets).
    pub fn uri_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Display for OutboundDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.uri_host(), self.port)?;
        if self.transport == DestinationTransport::Tcp {
            f.write_str(";transport=tcp")?;
        }
        Ok(())
    }
}

fn split_host_port(text: &str) -> Result<(&str, Option<u16>), &'static str> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (addr, after) = rest.split_once(']').ok_or("an IPv6 address needs its ]")?;
        if addr.parse::<std::net::Ipv6Addr>().is_err() {
            return Err("not an IPv6 address between [ and ]");
        }
        match after {
            "" => (addr, None),
            _ => (
                addr,
                Some(after.strip_prefix(':').ok_or("a port follows a :")?),
            ),
        }
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if !text.starts_with('[') && !is_host_name(host) {
        return Err("the host must be a name or an address");
    }
    let port = match port {
        None => None,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Some(n),
            _ => return Err("the port must be a number from 1 to 65535"),
        },
    };
    Ok((host, port))
}

/// A DNS name or an IPv4 address: dot-separated labels of letters, digits
/// and inner hyphens.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use DestinationTransport::{Tcp, Udp};

    #[test]
    fn destinations_parse_or_say_why_not() {
        type Parsed = Option<(&'static str, u16, DestinationTransport)>;
        let table: &[(&str, Parsed)] = &[
            ("127.0.0.2", Some(("127.0.0.2", 5060, Udp))),
            ("127.0.0.2:5070", Some(("127.0.0.2", 5070, Udp))),
            (
                "sip.carrier.example",
                Some(("sip.carrier.example", 5060, Udp)),
            ),
            (
                "sip.carrier.example:5080;transport=tcp",
                Some(("sip.carrier.example", 5080, Tcp)),
            ),
            ("10.0.0.1;transport=UDP", Some(("10.0.0.1", 5060, Udp))),
            ("[2001:db8::1]:5062", Some(("2001:db8::1", 5062, Udp))),
            ("[::1];transport=tcp", Some(("::1", 5060, Tcp))),
            ("", None),
            ("carrier:0", None),
            ("carrier:65536", None),
            ("carrier:+50", None),
            ("carrier:", None),
            ("carrier;transport=tls", None),
            ("carrier;lr", None),
            ("sip:carrier", None),
            ("user@carrier", None),
            ("-bad-.example", None),
            ("2001:db8::1", None),
            ("[2001:db8::1", None),
            ("[carrier]:5060", None),
            ("car rier", None),
        ];
        for (text, expected) in table {
            let got = OutboundDestination::parse(text)
                .ok()
                .map(|d| (d.host.clone(), d.port, d.transport));
            let expected = expected.map(|(h, p, t)| (h.to_owned(), p, t));
            assert_eq!(got, expected, "{text:?}");
        }
    }

    #[test]
    fn a_destination_prints_as_it_is_used() {
        let shown = |t: &str| OutboundDestination::parse(t).unwrap().to_string();
        assert_eq!(shown("carrier"), "carrier:5060");
        assert_eq!(
            shown("[::1]:5070;transport=TCP"),
            "[::1]:5070;transport=tcp"
        );
    }
}
