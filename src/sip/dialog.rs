//! Dialogs: RFC 3261 section 12. A dialog is the peer-to-peer relationship an
//! INVITE sets up; it fixes the tags, the CSeq spaces, the route set and the
//! remote target that every later request of the call must use.
//!
//! - [`Dialog::from_uas`] builds our side when we answer an INVITE (section
//!   12.1.1): a queue call arriving from a trunk or a phone.
//! - [`Dialog::from_uac`] builds our side when our INVITE is answered (section
//!   12.1.2): the agent leg the server places as a B2BUA.
//! - [`DialogTable::route_in_dialog`] checks a request that arrived inside a
//!   dialog (section 12.2.2): 481 when no dialog matches, 500 when its CSeq
//!   is lower than the last one seen, and a target refresh for re-INVITE and
//!   UPDATE.
//! - [`Dialog::create_request`] writes the next request we send in the dialog,
//!   the BYE above all (section 12.2.1.1), with loose and strict routing.
//!
//! Dialogs know nothing of transactions: the call code feeds them the requests
//! and responses the transaction layer hands up.

use std::collections::HashMap;

use bytes::Bytes;

use crate::sip::message::{
    Contacts, HeaderName, Headers, Method, NameAddr, Request, Response, Scheme, Uri,
};

/// Call-ID, local tag and remote tag (section 12). An RFC 2543 peer may send
/// no From tag; the remote tag is then empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    pub call_id: Bytes,
    pub local_tag: String,
    pub remote_tag: String,
}

/// Early (created by a 1xx with a To tag) or confirmed (by a 2xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    Early,
    Confirmed,
}

/// Why a dialog could not be made, or an in-dialog request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    #[error("the response has no To tag")]
    NoToTag,
    #[error("the message has no Contact to use as remote target")]
    NoContact,
    #[error("the message lacks a Call-ID, From, To or CSeq")]
    Malformed,
    #[error("the response cannot create a dialog (status {0})")]
    NotDialogCreating(u16),
    /// Section 12.2.2: no dialog matches (answer 481).
    #[error("no such dialog")]
    UnknownDialog,
    /// Section 12.2.2: CSeq lower than the remote sequence number (answer 500).
    #[error("CSeq {got} is lower than {last}")]
    CSeqOutOfOrder { got: u32, last: u32 },
}

impl DialogError {
    /// The status to answer an in-dialog request with, where one applies.
    pub fn status(&self) -> u16 {
        match self {
            DialogError::UnknownDialog => 481,
            DialogError::CSeqOutOfOrder { .. } => 500,
            _ => 400,
        }
    }

    pub fn reason(&self) -> &'static str {
        match self {
            DialogError::UnknownDialog => "Call/Transaction Does Not Exist",
            DialogError::CSeqOutOfOrder { .. } => "Server Internal Error",
            _ => "Bad Request",
        }
    }
}

/// One dialog, from our side.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub id: DialogId,
    pub state: DialogState,
    /// The CSeq of the last request we sent in the dialog; None until we send
    /// one as UAS (section 12.1.1).
    pub local_seq: Option<u32>,
    /// The CSeq of the last request the peer sent; None for a UAC until the
    /// peer sends one (section 12.1.2).
    pub remote_seq: Option<u32>,
    pub local_uri: Uri,
    pub remote_uri: Uri,
    /// Where requests in the dialog go: the peer's Contact, updated by target
    /// refreshes.
    pub remote_target: Uri,
    /// Record-Route, as our requests must list it in Route.
    pub route_set: Vec<Uri>,
    /// The INVITE's Request-URI was SIPS.
    pub secure: bool,
}

fn tag_of<E>(addr: Result<NameAddr, E>) -> Option<String> {
    addr.ok().and_then(|a| a.tag().map(|t| t.to_string()))
}

fn first_contact<E>(contacts: Result<Contacts, E>) -> Option<Uri> {
    match contacts {
        Ok(Contacts::List(list)) => list.into_iter().next().map(|c| c.uri),
        _ => None,
    }
}

fn route_uris<E>(routes: Result<Vec<NameAddr>, E>) -> Vec<Uri> {
    routes
        .map(|list| list.into_iter().map(|r| r.uri).collect())
        .unwrap_or_default()
}

fn is_sips(uri: &Uri) -> bool {
    matches!(uri.scheme(), Scheme::Sips)
}

impl Dialog {
    /// Our dialog as UAS, from the INVITE we received and the 2xx (confirmed)
    /// or 101-199 with a To tag (early) we answer it with (section 12.1.1).
    pub fn from_uas(invite: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let state = dialog_state(response.status)?;
        let local_tag = tag_of(response.to()).ok_or(DialogError::NoToTag)?;
        let remote_tag = tag_of(invite.from()).unwrap_or_default();
        let call_id = invite.call_id().ok_or(DialogError::Malformed)?;
        let cseq = invite.cseq().map_err(|_| DialogError::Malformed)?;
        let from = invite.from().map_err(|_| DialogError::Malformed)?;
        let to = invite.to().map_err(|_| DialogError::Malformed)?;
        let remote_target = first_contact(invite.contacts()).ok_or(DialogError::NoContact)?;
        Ok(Dialog {
            id: DialogId {
                call_id: Bytes::copy_from_slice(call_id.as_bytes()),
                local_tag,
                remote_tag,
            },
            state,
            local_seq: None,
            remote_seq: Some(cseq.seq),
            local_uri: to.uri,
            remote_uri: from.uri,
            remote_target,
            route_set: route_uris(invite.record_routes()),
            secure: is_sips(&invite.uri),
        })
    }

    /// Our dialog as UAC, from the INVITE we sent and a 2xx or 101-199 with a
    /// To tag that answered it (section 12.1.2): the route set is the
    /// response's Record-Route reversed.
    pub fn from_uac(invite: &Request, response: &Response) -> Result<Dialog, DialogError> {
        let state = dialog_state(response.status)?;
        let remote_tag = tag_of(response.to()).ok_or(DialogError::NoToTag)?;
        let local_tag = tag_of(invite.from()).unwrap_or_default();
        let call_id = invite.call_id().ok_or(DialogError::Malformed)?;
        let cseq = invite.cseq().map_err(|_| DialogError::Malformed)?;
        let from = invite.from().map_err(|_| DialogError::Malformed)?;
        let to = invite.to().map_err(|_| DialogError::Malformed)?;
        let remote_target = first_contact(response.contacts()).ok_or(DialogError::NoContact)?;
        let mut route_set = route_uris(response.record_routes());
        route_set.reverse();
        Ok(Dialog {
            id: DialogId {
                call_id: Bytes::copy_from_slice(call_id.as_bytes()),
                local_tag,
                remote_tag,
            },
            state,
            local_seq: Some(cseq.seq),
            remote_seq: None,
            local_uri: from.uri,
            remote_uri: to.uri,
            remote_target,
            route_set,
            secure: is_sips(&invite.uri),
        })
    }

    /// A response to a request we sent in this dialog (section 12.2.1.2): a
    /// 2xx to a target refresh (re-INVITE, UPDATE) moves the remote target
    /// to its Contact.
    pub fn on_response(&mut self, response: &Response) {
        if !(200..300).contains(&response.status) {
            return;
        }
        let refresh = response
            .cseq()
            .is_ok_and(|c| matches!(c.method, Method::Invite | Method::Update));
        if refresh {
            if let Some(target) = first_contact(response.contacts()) {
                self.remote_target = target;
            }
        }
    }

    /// A 2xx arrived (UAC) or was sent (UAS) for an early dialog.
    pub fn confirm(&mut self) {
        self.state = DialogState::Confirmed;
    }

    /// The next request we send in this dialog (section 12.2.1.1): To, From,
    /// Call-ID and tags from the dialog, CSeq one above the last we sent (an
    /// ACK keeps the INVITE's), Request-URI and Route from the remote target
    /// and route set, loose or strict routing as the first route asks.
    ///
    /// The caller adds the Via (our sent-by; the transaction layer adds the
    /// branch), a Contact where the method needs one, and any body.
    pub fn create_request(&mut self, method: Method) -> Request {
        let seq = match (&method, self.local_seq) {
            (Method::Ack, Some(seq)) => seq,
            (_, Some(seq)) => seq.wrapping_add(1),
            (_, None) => 1,
        };
        self.local_seq = Some(seq);
        let (uri, routes) = self.request_target();
        let mut headers = Headers::new();
        headers.push(HeaderName::MaxForwards, Bytes::from_static(b"70"));
        headers.push(
            HeaderName::From,
            Bytes::from(with_tag(&self.local_uri, &self.id.local_tag)),
        );
        headers.push(
            HeaderName::To,
            Bytes::from(with_tag(&self.remote_uri, &self.id.remote_tag)),
        );
        headers.push(HeaderName::CallId, self.id.call_id.clone());
        headers.push(HeaderName::CSeq, Bytes::from(format!("{seq} {method}")));
        for route in routes {
            headers.push(HeaderName::Route, Bytes::from(format!("<{route}>")));
        }
        Request {
            method,
            uri,
            headers,
            body: Bytes::new(),
        }
    }

    /// Request-URI and Route list: with no route set, the remote target and
    /// no Route; with a loose-routing first hop (`;lr`), the remote target and
    /// the whole route set; with a strict router, that router as
    /// Request-URI and the rest of the set followed by the remote target.
    fn request_target(&self) -> (Uri, Vec<Uri>) {
        match self.route_set.first() {
            None => (self.remote_target.clone(), Vec::new()),
            Some(first) if first.param("lr").is_some() => {
                (self.remote_target.clone(), self.route_set.clone())
            }
            Some(first) => {
                let mut routes: Vec<Uri> = self.route_set[1..].to_vec();
                routes.push(self.remote_target.clone());
                (first.clone(), routes)
            }
        }
    }

    /// Section 12.2.2 for a request already matched to this dialog: CSeq order
    /// and target refresh.
    fn accept_request(&mut self, req: &Request) -> Result<(), DialogError> {
        let cseq = req.cseq().map_err(|_| DialogError::Malformed)?;
        if req.method != Method::Ack && req.method != Method::Cancel {
            if let Some(last) = self.remote_seq {
                if cseq.seq < last {
                    return Err(DialogError::CSeqOutOfOrder {
                        got: cseq.seq,
                        last,
                    });
                }
            }
            self.remote_seq = Some(cseq.seq);
        }
        if matches!(req.method, Method::Invite | Method::Update) {
            if let Some(target) = first_contact(req.contacts()) {
                self.remote_target = target;
            }
        }
        Ok(())
    }
}

fn with_tag(uri: &Uri, tag: &str) -> String {
    if tag.is_empty() {
        format!("<{uri}>")
    } else {
        format!("<{uri}>;tag={tag}")
    }
}

fn dialog_state(status: u16) -> Result<DialogState, DialogError> {
    match status {
        101..=199 => Ok(DialogState::Early),
        200..=299 => Ok(DialogState::Confirmed),
        other => Err(DialogError::NotDialogCreating(other)),
    }
}

/// The identifiers of the dialog a request received claims to belong to: its
/// Call-ID, To tag (ours) and From tag (theirs). None when it has no To tag,
/// that is when it is not sent within a dialog.
pub fn dialog_id_of(req: &Request) -> Option<DialogId> {
    let call_id = req.call_id()?;
    let local_tag = tag_of(req.to())?;
    Some(DialogId {
        call_id: Bytes::copy_from_slice(call_id.as_bytes()),
        local_tag,
        remote_tag: tag_of(req.from()).unwrap_or_default(),
    })
}

/// The dialogs of one owner (a call task or the whole server), by id.
#[derive(Debug, Default)]
pub struct DialogTable {
    dialogs: HashMap<DialogId, Dialog>,
}

impl DialogTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a dialog, replacing one with the same id; returns its id.
    pub fn insert(&mut self, dialog: Dialog) -> DialogId {
        let id = dialog.id.clone();
        self.dialogs.insert(id.clone(), dialog);
        id
    }

    pub fn get(&self, id: &DialogId) -> Option<&Dialog> {
        self.dialogs.get(id)
    }

    pub fn get_mut(&mut self, id: &DialogId) -> Option<&mut Dialog> {
        self.dialogs.get_mut(id)
    }

    /// Ends a dialog (after a BYE, or when the call gives up).
    pub fn remove(&mut self, id: &DialogId) -> Option<Dialog> {
        self.dialogs.remove(id)
    }

    pub fn len(&self) -> usize {
        self.dialogs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dialogs.is_empty()
    }

    /// Section 12.2.2: finds the dialog of an in-dialog request (BYE,
    /// re-INVITE, INFO, OPTIONS, UPDATE, ACK ...), checks its CSeq and applies
    /// a target refresh. `Err(e)` carries the status to answer with
    /// ([`DialogError::status`]): 481 for an unknown dialog, 500 for a CSeq
    /// lower than the last. The caller removes the dialog after answering a
    /// BYE.
    pub fn route_in_dialog(&mut self, req: &Request) -> Result<DialogId, DialogError> {
        let id = dialog_id_of(req).ok_or(DialogError::UnknownDialog)?;
        let dialog = self
            .dialogs
            .get_mut(&id)
            .ok_or(DialogError::UnknownDialog)?;
        dialog.accept_request(req)?;
        Ok(id)
    }
}

#[cfg(test)]
#[path = "dialog_tests.rs"]
mod tests;
