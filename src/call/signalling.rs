//! The SIP messages call control writes: our answer to the caller's INVITE,
//! the INVITEs of agent legs, ACKs for their 2xx and in-dialog requests
//! (RFC 3261 sections 8.1.1, 12.2.1.1, 13.2.2.4), with Via and Contact
//! carrying the address the peer can reach us at.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Mutex;

use bytes::Bytes;

use crate::sip::core::SERVER;
use crate::sip::dialog::Dialog;
use crate::sip::message::{HeaderName, Headers, Method, Request, Response, Scheme, Uri};
use crate::sip::peer::{Peer, Transport};
use crate::sip::uas::{ALLOW, SUPPORTED};

/// Where our SIP listeners are, to write Via and Contact.
#[derive(Debug, Default)]
pub struct SipLocal {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    /// The SIP over TLS listener.
    pub tls: Option<SocketAddr>,
    /// The HTTP listener, where SIP over WebSocket (WS or WSS) is reached.
    pub ws: Option<SocketAddr>,
    /// The local address the kernel picks towards each remote IP, for
    /// listeners bound to an unspecified address.
    routes: Mutex<HashMap<IpAddr, IpAddr>>,
}

impl SipLocal {
    pub fn new(udp: Option<SocketAddr>, tcp: Option<SocketAddr>) -> SipLocal {
        SipLocal {
            udp,
            tcp,
            tls: None,
            ws: None,
            routes: Mutex::new(HashMap::new()),
        }
    }

    /// Adds the HTTP listener that serves SIP over WebSocket.
    pub fn with_websocket(mut self, http: SocketAddr) -> SipLocal {
        self.ws = Some(http);
        self
    }

    /// Adds the SIP over TLS listener, if there is one.
    pub fn with_tls(mut self, tls: Option<SocketAddr>) -> SipLocal {
        self.tls = tls;
        self
    }

    /// Our address as `peer` reaches it: the listener of its transport (the
    /// HTTP listener for a WebSocket peer, RFC 7118 section 5).
    pub fn address_for(&self, peer: &Peer) -> SocketAddr {
        let listener = match peer.transport {
            Transport::Udp => self.udp.or(self.tcp),
            Transport::Ws | Transport::Wss => self.ws.or(self.tcp).or(self.udp),
            Transport::Tcp => self.tcp.or(self.udp),
            Transport::Tls => self.tls.or(self.tcp).or(self.udp),
        }
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)));
        if !listener.ip().is_unspecified() {
            return listener;
        }
        SocketAddr::new(self.local_ip_towards(peer.addr.ip()), listener.port())
    }

    /// The address of ours that the kernel would send from towards `remote`.
    pub fn local_ip_towards(&self, remote: IpAddr) -> IpAddr {
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(ip) = routes.get(&remote) {
            return *ip;
        }
        let unspecified: SocketAddr = match remote {
            IpAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
            IpAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
        };
        let ip = UdpSocket::bind(unspecified)
            .and_then(|s| {
                s.connect(SocketAddr::new(remote, 9))?;
                s.local_addr()
            })
            .map(|a| a.ip())
            .unwrap_or(remote);
        if routes.len() > 4096 {
            routes.clear();
        }
        routes.insert(remote, ip);
        ip
    }

    /// A Via without branch (the transaction layer adds one) for a request to `peer`.
    pub fn via(&self, peer: &Peer) -> String {
        let addr = self.address_for(peer);
        format!(
            "SIP/2.0/{} {};rport",
            peer.transport.as_str(),
            host_port(addr)
        )
    }

    /// Our Contact for a dialog with `peer`.
    pub fn contact(&self, peer: &Peer, user: Option<&str>) -> String {
        let addr = self.address_for(peer);
        let mut uri = Uri::sip(user, &addr.ip().to_string(), Some(addr.port())).to_string();
        if peer.transport != Transport::Udp {
            uri.push_str(";transport=");
            uri.push_str(&peer.transport.as_str().to_ascii_lowercase());
        }
        format!("<{uri}>")
    }
}

/// Our Contact as a SIPS URI when it is reached over TLS: a dialog whose
/// Request-URI is SIPS must have SIPS Contacts (RFC 3261 sections 8.1.1.8,
/// 12.1.1). `<sip:HOST:PORT;transport=tls>` becomes `<sips:HOST:PORT>`;
/// any other Contact is left as it is.
pub fn secured(contact: &str) -> String {
    match contact
        .strip_prefix("<sip:")
        .and_then(|c| c.strip_suffix(";transport=tls>"))
    {
        Some(rest) => format!("<sips:{rest}>"),
        None => contact.to_owned(),
    }
}

fn host_port(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.to_string(),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// Random alphanumerics for tags and Call-IDs.
pub fn token(n: usize) -> String {
    use rand::Rng;
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// A response to the caller's INVITE with our To tag, Contact and (for 2xx) SDP.
pub fn answer(
    invite: &Request,
    status: u16,
    local_tag: &str,
    contact: Option<&str>,
    sdp: Option<&str>,
) -> Response {
    let mut resp = Response::for_request(invite, status, Response::reason_for(status));
    resp.set_to_tag(local_tag);
    if let Some(contact) = contact {
        let contact = match invite.uri.scheme() {
            Scheme::Sips => secured(contact),
            _ => contact.to_owned(),
        };
        resp.headers.push(HeaderName::Contact, contact);
    }
    if (200..300).contains(&status) {
        resp.headers.push(HeaderName::Allow, ALLOW);
        if !SUPPORTED.is_empty() {
            resp.headers.push(HeaderName::Supported, SUPPORTED);
        }
    }
    if let Some(sdp) = sdp {
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        resp.body = Bytes::from(sdp.to_owned());
    }
    resp.headers.push(HeaderName::Server, SERVER);
    resp
}

/// What an agent leg's INVITE says.
pub struct AgentInvite<'a> {
    /// The contact being rung.
    pub target: &'a Uri,
    pub peer: &'a Peer,
    pub aor: &'a str,
    pub domain: &'a str,
    /// Shown on the agent's phone: the caller's number and the queue.
    pub caller_number: &'a str,
    pub queue_name: &'a str,
    pub call_id: &'a str,
    pub from_tag: &'a str,
    /// Our offer; `None` for a browser, which offers in its 2xx (we answer in
    /// the ACK, RFC 3261 section 13.2.1) so that the WebRTC offer is its own.
    pub sdp: Option<&'a str>,
    pub auto_answer: bool,
}

/// The INVITE that rings one contact of an agent (section 8.1.1). With auto
/// answer it carries the headers phones act on: `Call-Info: answer-after=0`
/// and `Alert-Info: info=alert-autoanswer`.
pub fn agent_invite(local: &SipLocal, i: &AgentInvite<'_>) -> Request {
    let mut headers = Headers::new();
    headers.push(HeaderName::Via, local.via(i.peer));
    headers.push(HeaderName::MaxForwards, "70");
    let from_uri = Uri::sip(Some(i.caller_number), i.domain, None);
    headers.push(
        HeaderName::From,
        format!(
            "\"{}\" <{from_uri}>;tag={}",
            display_name(i.caller_number, i.queue_name),
            i.from_tag
        ),
    );
    headers.push(
        HeaderName::To,
        format!("<{}>", Uri::sip(Some(i.aor), i.domain, None)),
    );
    headers.push(HeaderName::CallId, i.call_id.to_owned());
    headers.push(HeaderName::CSeq, "1 INVITE");
    let contact = local.contact(i.peer, None);
    let contact = match i.target.scheme() {
        Scheme::Sips => secured(&contact),
        _ => contact,
    };
    headers.push(HeaderName::Contact, contact);
    headers.push(HeaderName::Allow, ALLOW);
    headers.push(HeaderName::UserAgent, SERVER);
    if !i.queue_name.is_empty() {
        headers.push(HeaderName::other("X-Queue"), i.queue_name.to_owned());
    }
    if i.auto_answer {
        headers.push(
            HeaderName::other("Call-Info"),
            format!("<sip:{}>;answer-after=0", i.domain),
        );
        headers.push(
            HeaderName::other("Alert-Info"),
            "<http://localhost>;info=alert-autoanswer;delay=0",
        );
    }
    let body = match i.sdp {
        Some(sdp) => {
            headers.push(HeaderName::ContentType, "application/sdp");
            Bytes::from(sdp.to_owned())
        }
        None => Bytes::new(),
    };
    Request {
        method: Method::Invite,
        uri: i.target.clone(),
        headers,
        body,
    }
}

/// Quotes what a display-name may hold (section 25.1 quoted-string).
fn display_name(number: &str, queue: &str) -> String {
    let name = if queue.is_empty() {
        number.to_owned()
    } else {
        format!("{number} ({queue})")
    };
    name.chars()
        .filter(|c| *c != '"' && *c != '\\' && !c.is_control())
        .collect()
}

/// The next request in `dialog` towards `peer`, with our Via.
pub fn in_dialog(local: &SipLocal, dialog: &mut Dialog, method: Method, peer: &Peer) -> Request {
    let mut req = dialog.create_request(method);
    req.headers.push_front(HeaderName::Via, local.via(peer));
    req
}

/// The caller number of an INVITE: From's user part, else its whole URI.
pub fn caller_number(invite: &Request) -> String {
    invite
        .from()
        .ok()
        .map(|f| f.uri.user_unescaped().unwrap_or_else(|| f.uri.to_string()))
        .unwrap_or_default()
}

/// The dialled number: the Request-URI's user, else To's.
pub fn dialled_number(invite: &Request) -> Option<String> {
    invite
        .uri
        .user_unescaped()
        .or_else(|| invite.to().ok().and_then(|t| t.uri.user_unescaped()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SipLocal {
        SipLocal::new(
            Some("192.0.2.1:5060".parse().unwrap()),
            Some("192.0.2.1:5060".parse().unwrap()),
        )
        .with_websocket("192.0.2.1:8443".parse().unwrap())
    }

    fn peer(transport: Transport) -> Peer {
        Peer {
            transport,
            addr: "198.51.100.7:40000".parse().unwrap(),
            connection: None,
        }
    }

    #[test]
    fn websocket_peers_are_given_the_websocket_listener() {
        let l = local();
        assert_eq!(
            l.via(&peer(Transport::Ws)),
            "SIP/2.0/WS 192.0.2.1:8443;rport"
        );
        assert_eq!(
            l.contact(&peer(Transport::Wss), None),
            "<sip:192.0.2.1:8443;transport=wss>"
        );
        assert_eq!(
            l.via(&peer(Transport::Udp)),
            "SIP/2.0/UDP 192.0.2.1:5060;rport"
        );
        assert_eq!(
            l.contact(&peer(Transport::Tcp), Some("q")),
            "<sip:q@192.0.2.1:5060;transport=tcp>"
        );
    }

    #[test]
    fn tls_peers_are_given_the_tls_listener() {
        let l = local().with_tls(Some("192.0.2.1:5061".parse().unwrap()));
        assert_eq!(
            l.via(&peer(Transport::Tls)),
            "SIP/2.0/TLS 192.0.2.1:5061;rport"
        );
        assert_eq!(
            l.contact(&peer(Transport::Tls), Some("q")),
            "<sip:q@192.0.2.1:5061;transport=tls>"
        );
        assert_eq!(
            l.via(&peer(Transport::Tcp)),
            "SIP/2.0/TCP 192.0.2.1:5060;rport"
        );
    }

    #[test]
    fn a_sips_dialog_gets_a_sips_contact() {
        assert_eq!(
            secured("<sip:q@192.0.2.1:5061;transport=tls>"),
            "<sips:q@192.0.2.1:5061>"
        );
        assert_eq!(
            secured("<sip:192.0.2.1:5060;transport=tcp>"),
            "<sip:192.0.2.1:5060;transport=tcp>"
        );
    }
}
