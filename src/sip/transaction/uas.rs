//! The server side of the layer: requests from the transports matched to
//! server transactions (RFC 3261 section 17.2.3, with the RFC 2543 rules for a
//! branch without the magic cookie), CANCEL matched to its INVITE and answered
//! (section 9.2), the ACK for a 2xx matched to its Accepted INVITE by dialog
//! and CSeq (RFC 6026 section 7.1), and responses from the TU.

use std::time::Instant;

use bytes::Bytes;

use super::compose;
use super::key::{legacy_matches, AckKey, Legacy, RequestView};
use super::layer::ServerTx;
use super::server::{InviteServer, NonInviteServer, ServerAction, ServerMachine};
use super::{Event, ResponseError, ServerTxId, TransactionLayer, Transmit};
use crate::sip::message::{HeaderName, Method, Request, Response};
use crate::sip::peer::Peer;

/// At most this many RFC 2543 transactions share one Call-ID and CSeq number.
const MAX_LEGACY_PER_KEY: usize = 16;

impl TransactionLayer {
    pub(super) fn incoming_request(&mut self, now: Instant, req: Request, from: Peer) {
        let Some(view) = RequestView::of(&req) else {
            self.counters.malformed += 1;
            return;
        };
        match view.method {
            Method::Ack => self.incoming_ack(now, req, view, from),
            Method::Cancel => self.incoming_cancel(now, req, view, from),
            _ => {
                if let Some(id) = self.find_server(&view, Legacy::Retransmission) {
                    self.counters.retransmitted_requests += 1;
                    let mut out = Vec::new();
                    if let Some(tx) = self.servers.get_mut(&id) {
                        tx.machine.on_request(&mut out);
                    }
                    self.run_server_actions(now, id, out);
                    return;
                }
                if self.full() || self.legacy_bucket_full(&view) {
                    self.refuse_full(&req, from);
                    return;
                }
                let id = self.create_server(now, req.clone(), view, from);
                self.events.push_back(Event::Request {
                    tx: id,
                    request: req,
                    from,
                });
            }
        }
    }

    fn incoming_ack(&mut self, now: Instant, req: Request, view: RequestView, from: Peer) {
        let matched = self
            .find_server(&view, Legacy::Ack)
            .or_else(|| view.ack_key().and_then(|k| self.ack_index.get(&k).copied()));
        if let Some(id) = matched {
            let for_2xx = match self.servers.get_mut(&id).map(|tx| &mut tx.machine) {
                Some(ServerMachine::Invite(m)) => {
                    if m.is_pending() {
                        // An ACK before any final response is meaningless.
                        self.counters.absorbed_acks += 1;
                        return;
                    }
                    m.on_ack(now)
                }
                _ => true,
            };
            self.after_server(now, id);
            if !for_2xx {
                self.counters.absorbed_acks += 1;
                return;
            }
        }
        self.events.push_back(Event::Ack { request: req, from });
    }

    fn incoming_cancel(&mut self, now: Instant, req: Request, view: RequestView, from: Peer) {
        if let Some(id) = self.find_server(&view, Legacy::Retransmission) {
            self.counters.retransmitted_requests += 1;
            let mut out = Vec::new();
            if let Some(tx) = self.servers.get_mut(&id) {
                tx.machine.on_request(&mut out);
            }
            self.run_server_actions(now, id, out);
            return;
        }
        if self.full() || self.legacy_bucket_full(&view) {
            self.refuse_full(&req, from);
            return;
        }
        let target = match view.server_key_for(Method::Invite) {
            Some(key) => self.server_index.get(&key).copied(),
            None => self.find_legacy(&view, Legacy::Cancel),
        };
        let cancel_tx = self.create_server(now, req.clone(), view, from);
        let Some(invite_tx) = target else {
            self.counters.unmatched_cancels += 1;
            let tag = self.new_tag();
            let resp = compose::response(&req, 481, "Call/Transaction Does Not Exist", &tag);
            let _ = self.send_response(now, cancel_tx, resp);
            return;
        };
        // Section 9.2: the 200 to the CANCEL carries the INVITE's To tag.
        let Some((tag, pending, invite)) = self.servers.get(&invite_tx).map(|tx| {
            let pending = matches!(&tx.machine, ServerMachine::Invite(m) if m.is_pending());
            (tx.to_tag.clone(), pending, tx.request.clone())
        }) else {
            return;
        };
        let tag = match tag {
            Some(t) => t,
            None => self.new_tag(),
        };
        let ok = compose::response(&req, 200, "OK", &tag);
        let _ = self.send_response(now, cancel_tx, ok);
        // Only an INVITE can be pending, and INVITE transactions keep their request.
        if let (true, Some(invite)) = (pending, invite) {
            let terminated = compose::response(&invite, 487, "Request Terminated", &tag);
            let _ = self.send_response(now, invite_tx, terminated);
            self.events.push_back(Event::Cancelled { tx: invite_tx });
        }
    }

    fn refuse_full(&mut self, req: &Request, from: Peer) {
        self.counters.refused_full += 1;
        let tag = self.new_tag();
        let mut resp = compose::response(req, 503, "Service Unavailable", &tag);
        resp.headers.push(
            HeaderName::RetryAfter,
            Bytes::from(self.config.retry_after_secs.to_string()),
        );
        self.transmits.push_back(Transmit {
            to: compose::reply_peer(req, from),
            data: resp.to_bytes(),
        });
    }

    /// The server transaction this request belongs to, by the RFC 3261 key
    /// when its branch has the cookie, else by the RFC 2543 rules.
    fn find_server(&self, view: &RequestView, rule: Legacy) -> Option<ServerTxId> {
        match view.server_key() {
            Some(key) => self.server_index.get(&key).copied(),
            None => self.find_legacy(view, rule),
        }
    }

    /// RFC 2543 matching scans the transactions sharing a Call-ID and CSeq;
    /// more than a handful of those is abuse, refused like a full table.
    fn legacy_bucket_full(&self, view: &RequestView) -> bool {
        view.server_key().is_none()
            && self
                .legacy_index
                .get(&(view.call_id.clone(), view.cseq))
                .is_some_and(|list| list.len() >= MAX_LEGACY_PER_KEY)
    }

    fn find_legacy(&self, view: &RequestView, rule: Legacy) -> Option<ServerTxId> {
        let candidates = self.legacy_index.get(&(view.call_id.clone(), view.cseq))?;
        candidates.iter().copied().find(|id| {
            self.servers
                .get(id)
                .is_some_and(|tx| legacy_matches(&tx.view, tx.to_tag.as_deref(), view, rule))
        })
    }

    fn create_server(
        &mut self,
        now: Instant,
        req: Request,
        view: RequestView,
        from: Peer,
    ) -> ServerTxId {
        let id = ServerTxId(self.next_id());
        let reliable = from.transport.is_reliable();
        let timers = self.config.timers;
        let invite = view.method == Method::Invite;
        let machine = if invite {
            ServerMachine::Invite(InviteServer::new(timers, reliable))
        } else {
            ServerMachine::NonInvite(NonInviteServer::new(timers, reliable))
        };
        let key = view.server_key();
        match &key {
            Some(k) => {
                self.server_index.insert(k.clone(), id);
            }
            None => self
                .legacy_index
                .entry((view.call_id.clone(), view.cseq))
                .or_default()
                .push(id),
        }
        let reply_to = compose::reply_peer(&req, from);
        self.servers.insert(
            id,
            ServerTx {
                machine,
                request: invite.then(|| req.clone()),
                view,
                reply_to,
                last_response: None,
                to_tag: None,
                key,
                ack_key: None,
                scheduled: None,
            },
        );
        if invite {
            // Section 17.2.1: 100 Trying at once, so the client stops Timer A.
            let trying = Response::for_request(&req, 100, "Trying");
            let _ = self.send_response(now, id, trying);
        }
        id
    }

    /// The TU answers server transaction `tx`. A response other than 100
    /// without a To tag gets the transaction's tag (made up on first use), so
    /// all responses of one transaction agree. A 2xx to an INVITE is then
    /// retransmitted by the layer until its ACK.
    pub fn send_response(
        &mut self,
        now: Instant,
        tx: ServerTxId,
        mut resp: Response,
    ) -> Result<(), ResponseError> {
        let status = resp.status;
        if !self.servers.contains_key(&tx) {
            return Err(ResponseError::UnknownTransaction);
        }
        if status != 100 {
            match compose::to_tag_of(&resp) {
                Some(tag) => {
                    let entry = self.servers.get_mut(&tx).expect("checked above");
                    entry.to_tag.get_or_insert(tag);
                }
                None => {
                    let tag = match self.servers[&tx].to_tag.clone() {
                        Some(t) => t,
                        None => self.new_tag(),
                    };
                    resp.set_to_tag(&tag);
                    self.servers.get_mut(&tx).expect("checked above").to_tag = Some(tag);
                }
            }
        }
        let entry = self.servers.get_mut(&tx).expect("checked above");
        let mut out = Vec::new();
        if !entry.machine.on_tu_response(now, status, &mut out) {
            return Err(ResponseError::AlreadyFinal);
        }
        entry.last_response = Some(resp.to_bytes());
        if (200..300).contains(&status) && entry.view.method == Method::Invite {
            let key = AckKey {
                call_id: entry.view.call_id.clone(),
                cseq: entry.view.cseq,
                from_tag: entry.view.from_tag.clone().unwrap_or_default(),
                to_tag: compose::to_tag_of(&resp).unwrap_or_default(),
            };
            // A second 2xx with another tag replaces the first in the index.
            if let Some(old) = entry.ack_key.replace(key.clone()) {
                self.ack_index.remove(&old);
            }
            self.ack_index.insert(key, tx);
        }
        self.run_server_actions(now, tx, out);
        Ok(())
    }

    pub(super) fn run_server_actions(
        &mut self,
        now: Instant,
        id: ServerTxId,
        out: Vec<ServerAction>,
    ) {
        for action in out {
            let Some(tx) = self.servers.get(&id) else {
                return;
            };
            match action {
                ServerAction::SendResponse => {
                    if let Some(data) = &tx.last_response {
                        self.transmits.push_back(Transmit {
                            to: tx.reply_to,
                            data: data.clone(),
                        });
                    }
                }
                ServerAction::Timeout => {
                    self.counters.server_timeouts += 1;
                    self.events.push_back(Event::ServerTimeout { tx: id });
                }
            }
        }
        self.after_server(now, id);
    }
}
