//! The UAS core's admission rules (RFC 3261 section 8.2): which handler a
//! well-formed request goes to, or the error response it gets instead.
//!
//! In the order of section 8.2: method inspection (405 with Allow for methods
//! we know but do not take outside a dialog, 501 for methods we do not know),
//! Max-Forwards 0 on a new INVITE (483: every call the server takes goes on as
//! another leg, to an agent or a trunk, and a B2BUA keeps the hop count so
//! that loops through it end, RFC 7332 section 3 with RFC 3261 section
//! 16.3), extensions (420 with Unsupported, section 8.2.2.3), content (415
//! with Accept, 406 when the Accept header excludes everything we could send).
//! Pure functions, no I/O.

use super::message::{HeaderName, Method, Request, Response};

/// The methods Switchboard takes, for Allow headers.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, REGISTER, INFO, REFER";
/// The option tags Switchboard supports, for Supported headers.
pub const SUPPORTED: &str = "";
/// The body types Switchboard accepts.
pub const ACCEPT: &str = "application/sdp";

/// Where an admitted request goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Register,
    Options,
    /// A new call (call control joins it later).
    Invite,
    /// BYE, INFO, re-INVITE and other requests inside a dialog.
    InDialog,
}

/// Decides what happens to a request that parsed and passed the message
/// layer's validation.
// The refusal is an ordinary outcome here, answered at once; boxing it would
// only add an allocation.
#[allow(clippy::result_large_err)]
pub fn admit(req: &Request) -> Result<Handler, Response> {
    let in_dialog = req.to().ok().and_then(|to| to.tag().map(|_| ())).is_some();
    let handler = match (&req.method, in_dialog) {
        (Method::Register, _) => Handler::Register,
        // An ACK is never answered; one that matched no transaction ends here.
        (Method::Ack, _) => Handler::InDialog,
        (Method::Options, false) => Handler::Options,
        (Method::Invite, false) => Handler::Invite,
        (Method::Invite | Method::Bye | Method::Info | Method::Options | Method::Refer, true) => {
            Handler::InDialog
        }
        // Outside a dialog these belong to no call of ours (section 12.2.2);
        // a transfer is only asked for inside the call (RFC 3515 section 2.4.7).
        (Method::Bye | Method::Info | Method::Refer, false) => {
            return Err(Response::for_request(
                req,
                481,
                "Call/Transaction Does Not Exist",
            ))
        }
        (Method::Other(_), _) => {
            return Err(with(req, 501, "Not Implemented", HeaderName::Allow, ALLOW))
        }
        _ => {
            return Err(with(
                req,
                405,
                "Method Not Allowed",
                HeaderName::Allow,
                ALLOW,
            ))
        }
    };

    // OPTIONS is answered by the server itself, so Max-Forwards 0 is fine
    // there (section 11.1).
    if matches!(req.max_forwards(), Ok(Some(0))) && handler == Handler::Invite {
        return Err(Response::for_request(req, 483, "Too Many Hops"));
    }

    // Section 8.2.2.3: every Require tag we do not know is listed back.
    let unsupported: Vec<&str> = req
        .tokens(&HeaderName::Require)
        .into_iter()
        .filter(|tag| {
            !SUPPORTED
                .split(", ")
                .any(|s| !s.is_empty() && s.eq_ignore_ascii_case(tag))
        })
        .collect();
    if !unsupported.is_empty() && !matches!(req.method, Method::Ack | Method::Cancel) {
        return Err(with(
            req,
            420,
            "Bad Extension",
            HeaderName::Unsupported,
            &unsupported.join(", "),
        ));
    }

    if !req.body.is_empty() {
        let acceptable = match req.content_type() {
            Some(ct) => ACCEPT.split(", ").any(|a| a.eq_ignore_ascii_case(ct)),
            None => false,
        };
        if !acceptable {
            return Err(with(
                req,
                415,
                "Unsupported Media Type",
                HeaderName::Accept,
                ACCEPT,
            ));
        }
    }

    // Section 8.2.3 and 21.4.7: a session answer must be something the caller
    // accepts. An absent Accept means application/sdp.
    if handler == Handler::Invite {
        let accept = req.accept();
        let ok = accept.is_empty()
            || accept
                .iter()
                .any(|a| a == "application/sdp" || a == "application/*" || a == "*/*");
        if !ok {
            return Err(Response::for_request(req, 406, "Not Acceptable"));
        }
    }
    Ok(handler)
}

/// The 200 OK to an OPTIONS for the server itself (section 11.2).
pub fn options_response(req: &Request) -> Response {
    let mut resp = Response::for_request(req, 200, "OK");
    resp.headers.push(HeaderName::Allow, ALLOW);
    resp.headers.push(HeaderName::Accept, ACCEPT);
    resp.headers.push(HeaderName::AcceptEncoding, "identity");
    resp.headers.push(HeaderName::AcceptLanguage, "en");
    resp.headers.push(HeaderName::Supported, SUPPORTED);
    resp
}

fn with(req: &Request, status: u16, reason: &str, name: HeaderName, value: &str) -> Response {
    let mut resp = Response::for_request(req, status, reason);
    resp.headers.push(name, value.to_owned());
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::message::{parse, Message};
    use bytes::Bytes;

    fn request(method: &str, uri: &str, extra: &str, body: &str) -> Request {
        let text = format!(
            "{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKt\r\n\
             Max-Forwards: 70\r\nTo: <sip:q@switchboard.local>\r\nFrom: <sip:c@example.net>;tag=1\r\n\
             Call-ID: t\r\nCSeq: 1 {method}\r\n{extra}Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        match parse(Bytes::from(text)).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!(),
        }
    }

    fn refused(req: &Request) -> u16 {
        admit(req).unwrap_err().status
    }

    #[test]
    fn methods_are_routed_or_refused() {
        assert_eq!(
            admit(&request("REGISTER", "sip:switchboard.local", "", "")),
            Ok(Handler::Register)
        );
        assert_eq!(
            admit(&request("OPTIONS", "sip:switchboard.local", "", "")),
            Ok(Handler::Options)
        );
        assert_eq!(
            admit(&request("INVITE", "sip:100@switchboard.local", "", "")),
            Ok(Handler::Invite)
        );
        assert_eq!(
            refused(&request("SUBSCRIBE", "sip:switchboard.local", "", "")),
            405
        );
        assert_eq!(
            refused(&request("FOO", "sip:switchboard.local", "", "")),
            501
        );
        assert_eq!(
            refused(&request("BYE", "sip:switchboard.local", "", "")),
            481
        );
    }

    #[test]
    fn session_bodies_are_matched_case_insensitively() {
        let sdp = "v=0\r\n";
        let ok = request(
            "INVITE",
            "sip:100@switchboard.local",
            "Content-Type: Application/SDP\r\n",
            sdp,
        );
        assert_eq!(admit(&ok), Ok(Handler::Invite));
        let other = request(
            "INVITE",
            "sip:100@switchboard.local",
            "Content-Type: text/plain\r\n",
            sdp,
        );
        assert_eq!(refused(&other), 415);
        let accept = request(
            "INVITE",
            "sip:100@switchboard.local",
            "Accept: text/html\r\n",
            "",
        );
        assert_eq!(refused(&accept), 406);
        let any = request("INVITE", "sip:100@switchboard.local", "Accept: */*\r\n", "");
        assert_eq!(admit(&any), Ok(Handler::Invite));
    }

    #[test]
    fn hops_and_extensions() {
        // `request` writes Max-Forwards 70, so the zero case is written out.
        let text = "INVITE sip:bob@elsewhere.example SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKh\r\n\
                    Max-Forwards: 0\r\nTo: <sip:bob@elsewhere.example>\r\nFrom: <sip:c@example.net>;tag=1\r\n\
                    Call-ID: h\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        let Message::Request(hop) = parse(Bytes::from(text)).unwrap() else {
            unreachable!()
        };
        assert_eq!(refused(&hop), 483);
        let ours = text.replace("bob@elsewhere.example SIP", "100@switchboard.local SIP");
        let Message::Request(ours) = parse(Bytes::from(ours)).unwrap() else {
            unreachable!()
        };
        // A call to one of our numbers would go on to an agent's phone.
        assert_eq!(refused(&ours), 483);
        let options = text
            .replace(
                "INVITE sip:bob@elsewhere.example",
                "OPTIONS sip:switchboard.local",
            )
            .replace("1 INVITE", "1 OPTIONS");
        let Message::Request(options) = parse(Bytes::from(options)).unwrap() else {
            unreachable!()
        };
        assert_eq!(admit(&options), Ok(Handler::Options));
        let ext = request("OPTIONS", "sip:switchboard.local", "Require: timer\r\n", "");
        let resp = admit(&ext).unwrap_err();
        assert_eq!(resp.status, 420);
        assert_eq!(
            resp.headers.get_str(&HeaderName::Unsupported),
            Some("timer")
        );
    }
}
