//! Which transaction a message belongs to: RFC 3261 section 17.1.3 (responses
//! to client transactions), section 17.2.3 (requests to server transactions,
//! including the RFC 2543 rules for a branch without the magic cookie) and
//! section 9.2 (the INVITE a CANCEL cancels).
//!
//! Each incoming message is reduced once to a small view holding only what
//! matching needs (top Via, CSeq, Call-ID, tags, Request-URI); the layer keeps
//! the view of each transaction's original request for the RFC 2543 rules.

use bytes::Bytes;

use crate::sip::message::{Method, Request, Response, Uri};

/// The RFC 3261 branch prefix (section 8.1.1.7).
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// True when a branch was made by an RFC 3261 element: the magic cookie and
/// something after it. A branch that is only the cookie (RFC 4475 section
/// 3.2.1) is not unique and gets RFC 2543 matching.
pub fn is_rfc3261_branch(branch: &str) -> bool {
    branch.len() > MAGIC_COOKIE.len() && branch.starts_with(MAGIC_COOKIE)
}

/// The top Via, reduced to what identifies a hop: transport, sent-by and
/// branch. Host and transport are compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ViaId {
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub branch: Option<String>,
}

/// What matching needs from a request.
#[derive(Debug, Clone)]
pub(crate) struct RequestView {
    pub method: Method,
    pub via: ViaId,
    pub call_id: Bytes,
    pub cseq: u32,
    pub cseq_method: Method,
    pub from_tag: Option<String>,
    pub to_tag: Option<String>,
    pub uri: Uri,
}

impl RequestView {
    /// None when the request lacks a Via, CSeq or Call-ID that parse: such a
    /// request cannot belong to a transaction.
    pub fn of(req: &Request) -> Option<RequestView> {
        let via = req.top_via().ok()?;
        let cseq = req.cseq().ok()?;
        let call_id = req.call_id()?;
        Some(RequestView {
            method: req.method.clone(),
            via: ViaId {
                transport: String::from_utf8_lossy(&via.transport).to_ascii_uppercase(),
                host: String::from_utf8_lossy(&via.host).to_ascii_lowercase(),
                port: via.port,
                branch: via.branch().map(|b| b.to_string()),
            },
            call_id: Bytes::copy_from_slice(call_id.as_bytes()),
            cseq: cseq.seq,
            cseq_method: cseq.method.clone(),
            from_tag: req.from().ok().and_then(|f| f.tag().map(|t| t.to_string())),
            to_tag: req.to().ok().and_then(|t| t.tag().map(|t| t.to_string())),
            uri: req.uri.clone(),
        })
    }

    /// The RFC 3261 key of the server transaction this request belongs to,
    /// or None when its branch lacks the magic cookie.
    pub fn server_key(&self) -> Option<ServerKey> {
        let method = match self.method {
            Method::Ack => Method::Invite,
            ref m => m.clone(),
        };
        self.server_key_for(method)
    }

    /// The key of the server transaction with this request's branch and
    /// sent-by but another method: how a CANCEL finds its INVITE.
    pub fn server_key_for(&self, method: Method) -> Option<ServerKey> {
        let branch = self
            .via
            .branch
            .as_deref()
            .filter(|b| is_rfc3261_branch(b))?;
        Some(ServerKey {
            branch: branch.to_string(),
            host: self.via.host.clone(),
            port: self.via.port,
            method,
        })
    }

    /// The key a 2xx ACK carries, matched against an Accepted INVITE server
    /// transaction by dialog and CSeq (the ACK has its own branch).
    /// None without a To tag: such an ACK cannot be for a 2xx we sent.
    pub fn ack_key(&self) -> Option<AckKey> {
        Some(AckKey {
            call_id: self.call_id.clone(),
            cseq: self.cseq,
            from_tag: self.from_tag.clone().unwrap_or_default(),
            to_tag: self.to_tag.clone()?,
        })
    }
}

/// Section 17.2.3: branch, sent-by and method (ACK counted as INVITE).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ServerKey {
    pub branch: String,
    pub host: String,
    pub port: Option<u16>,
    pub method: Method,
}

/// Section 17.1.3: the branch of the top Via and the CSeq method.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    pub branch: String,
    pub method: Method,
}

/// Dialog identifiers plus CSeq number: how the ACK for a 2xx finds the
/// INVITE server transaction that sent the 2xx (RFC 6026 section 7.1). An
/// RFC 2543 peer may send no From tag: it is then empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AckKey {
    pub call_id: Bytes,
    pub cseq: u32,
    pub from_tag: String,
    pub to_tag: String,
}

/// What matching needs from a response.
#[derive(Debug, Clone)]
pub(crate) struct ResponseView {
    pub status: u16,
    pub key: ClientKey,
}

impl ResponseView {
    /// None when the response lacks a top Via with a branch or a CSeq: it
    /// cannot match any client transaction.
    pub fn of(resp: &Response) -> Option<ResponseView> {
        let via = resp.top_via().ok()?;
        let cseq = resp.cseq().ok()?;
        Some(ResponseView {
            status: resp.status,
            key: ClientKey {
                branch: via.branch()?.to_string(),
                method: cseq.method.clone(),
            },
        })
    }
}

/// Which RFC 2543 rule of section 17.2.3 to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Legacy {
    /// A retransmission of the request that created the transaction.
    Retransmission,
    /// An ACK for the transaction's INVITE: the To tag is compared with the
    /// tag of the response the transaction sent.
    Ack,
    /// A CANCEL for the transaction's INVITE (section 9.2: matched as if its
    /// method were the INVITE's).
    Cancel,
}

/// RFC 2543 matching (end of section 17.2.3): Request-URI, To tag, From tag,
/// Call-ID, CSeq and top Via all equal to the original request's.
pub(crate) fn legacy_matches(
    original: &RequestView,
    sent_to_tag: Option<&str>,
    incoming: &RequestView,
    rule: Legacy,
) -> bool {
    let common = original.call_id == incoming.call_id
        && original.cseq == incoming.cseq
        && original.from_tag == incoming.from_tag
        && original.via == incoming.via
        && original.uri.equivalent(&incoming.uri);
    if !common {
        return false;
    }
    match rule {
        Legacy::Retransmission => {
            incoming.method == original.method
                && incoming.cseq_method == original.cseq_method
                && incoming.to_tag == original.to_tag
        }
        Legacy::Ack => {
            original.method == Method::Invite && incoming.to_tag.as_deref() == sent_to_tag
        }
        Legacy::Cancel => {
            original.method != Method::Cancel
                && original.method != Method::Ack
                && incoming.to_tag == original.to_tag
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_cookie_alone_is_not_an_rfc3261_branch() {
        assert!(is_rfc3261_branch("z9hG4bK776asdhds"));
        assert!(!is_rfc3261_branch("z9hG4bK"));
        assert!(!is_rfc3261_branch("776asdhds"));
        assert!(
            !is_rfc3261_branch("Z9HG4BK776asdhds"),
            "the cookie is case-sensitive"
        );
    }
}
