//! The client side of the layer: requests from the TU started as client
//! transactions (RFC 3261 section 17.1), responses matched to them by branch
//! and CSeq method (section 17.1.3), the ACK for a non-2xx (17.1.1.3) and the
//! CANCEL of a pending INVITE (section 9.1).

use std::time::Instant;

use super::client::{ClientAction, ClientMachine, InviteClient, NonInviteClient};
use super::key::{ClientKey, ResponseView};
use super::layer::ClientTx;
use super::{ClientTxId, Event, SendError, TransactionLayer, Transmit};
use crate::sip::message::{HeaderName, Method, Request, Response};
use crate::sip::peer::Peer;

impl TransactionLayer {
    pub(super) fn incoming_response(&mut self, now: Instant, resp: Response) {
        let Some(view) = ResponseView::of(&resp) else {
            self.counters.malformed += 1;
            return;
        };
        let Some(&id) = self.client_index.get(&view.key) else {
            self.counters.stray_responses += 1;
            return;
        };
        let mut out = Vec::new();
        if let Some(tx) = self.clients.get_mut(&id) {
            tx.machine.on_response(now, view.status, &mut out);
        }
        if out.is_empty() {
            // A response the machine has no use for in its state (say a 1xx
            // after the final): dropped like a stray one.
            self.counters.stray_responses += 1;
        }
        self.run_client_actions(now, id, out, Some(resp));
        // A CANCEL asked for before the first provisional goes out now.
        let send_cancel = self.clients.get(&id).is_some_and(|tx| {
            tx.cancel.is_some()
                && !tx.cancel_sent
                && matches!(&tx.machine, ClientMachine::Invite(m) if m.may_cancel())
        });
        if send_cancel {
            self.send_cancel(now, id);
        }
        self.after_client(now, id);
    }

    /// Starts a client transaction for `req` towards `to` and sends it.
    ///
    /// The request must carry a top Via with our sent-by; a missing branch is
    /// added. An ACK (for a 2xx, section 13.2.2.4) starts no transaction: it
    /// is sent once, and the returned id never appears in an event.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut req: Request,
        to: Peer,
    ) -> Result<ClientTxId, SendError> {
        if req.method == Method::Ack {
            self.ensure_branch(&mut req)?;
            let id = ClientTxId(self.next_id());
            self.transmits.push_back(Transmit {
                to,
                data: req.to_bytes(),
            });
            return Ok(id);
        }
        if self.full() {
            return Err(SendError::Full);
        }
        self.ensure_branch(&mut req)?;
        let view = ResponseKeyOfRequest::of(&req).ok_or(SendError::Malformed)?;
        if self.client_index.contains_key(&view) {
            return Err(SendError::DuplicateBranch);
        }
        let id = ClientTxId(self.next_id());
        self.start_client(now, id, req, to, view, false);
        Ok(id)
    }

    fn start_client(
        &mut self,
        now: Instant,
        id: ClientTxId,
        req: Request,
        to: Peer,
        key: ClientKey,
        internal: bool,
    ) {
        let reliable = to.transport.is_reliable();
        let timers = self.config.timers;
        let mut out = Vec::new();
        let machine = if req.method == Method::Invite {
            ClientMachine::Invite(InviteClient::start(now, timers, reliable, &mut out))
        } else {
            ClientMachine::NonInvite(NonInviteClient::start(now, timers, reliable, &mut out))
        };
        self.client_index.insert(key.clone(), id);
        let request_bytes = req.to_bytes();
        self.clients.insert(
            id,
            ClientTx {
                machine,
                request: req,
                request_bytes,
                ack: None,
                to,
                key,
                cancel: None,
                cancel_sent: false,
                internal,
                scheduled: None,
            },
        );
        self.run_client_actions(now, id, out, None);
        self.after_client(now, id);
    }

    /// Adds a branch to the top Via when it has none.
    fn ensure_branch(&mut self, req: &mut Request) -> Result<(), SendError> {
        if req.headers.get(&HeaderName::Via).is_none() {
            return Err(SendError::NoVia);
        }
        let mut via = req.top_via().map_err(|_| SendError::Malformed)?;
        if via.branch().is_some() {
            return Ok(());
        }
        let branch = self.new_branch();
        via.params.set("branch", Some(&branch));
        req.set_top_via(via);
        Ok(())
    }

    /// Cancels a pending INVITE client transaction (section 9.1) and returns
    /// the CANCEL's own client transaction. If no provisional response has
    /// arrived yet the CANCEL waits for one; if the INVITE completes first the
    /// CANCEL is never sent and its id appears in no event. Asking twice
    /// returns the same id.
    pub fn cancel(&mut self, now: Instant, invite: ClientTxId) -> Result<ClientTxId, SendError> {
        let tx = self
            .clients
            .get(&invite)
            .ok_or(SendError::UnknownTransaction)?;
        let ClientMachine::Invite(m) = &tx.machine else {
            return Err(SendError::NotCancellable);
        };
        if let Some(id) = tx.cancel {
            return Ok(id);
        }
        if !m.is_pending() {
            return Err(SendError::NotCancellable);
        }
        let may_cancel = m.may_cancel();
        let id = ClientTxId(self.next_id());
        if let Some(tx) = self.clients.get_mut(&invite) {
            tx.cancel = Some(id);
        }
        if may_cancel {
            self.send_cancel(now, invite);
            self.after_client(now, invite);
        }
        Ok(id)
    }

    fn send_cancel(&mut self, now: Instant, invite: ClientTxId) {
        let (id, req, to, internal) = {
            let Some(tx) = self.clients.get_mut(&invite) else {
                return;
            };
            let internal = tx.cancel.is_none();
            let id = match tx.cancel {
                Some(id) => id,
                None => {
                    let id = ClientTxId(self.next_id);
                    self.next_id += 1;
                    tx.cancel = Some(id);
                    id
                }
            };
            tx.cancel_sent = true;
            if let ClientMachine::Invite(m) = &mut tx.machine {
                m.on_cancel_sent(now);
            }
            (id, tx.request.cancel(), tx.to, internal)
        };
        let key = ClientKey {
            branch: self.clients[&invite].key.branch.clone(),
            method: Method::Cancel,
        };
        if self.client_index.contains_key(&key) {
            return;
        }
        self.start_client(now, id, req, to, key, internal);
    }

    pub(super) fn run_client_actions(
        &mut self,
        now: Instant,
        id: ClientTxId,
        out: Vec<ClientAction>,
        resp: Option<Response>,
    ) {
        for action in out {
            let Some(tx) = self.clients.get_mut(&id) else {
                return;
            };
            match action {
                ClientAction::SendRequest => self.transmits.push_back(Transmit {
                    to: tx.to,
                    data: tx.request_bytes.clone(),
                }),
                ClientAction::SendAck => {
                    if tx.ack.is_none() {
                        if let Some(resp) = &resp {
                            tx.ack = Some(tx.request.ack_for(resp).to_bytes());
                        }
                    }
                    if let Some(ack) = &tx.ack {
                        self.transmits.push_back(Transmit {
                            to: tx.to,
                            data: ack.clone(),
                        });
                    }
                }
                ClientAction::PassUp => {
                    if let (false, Some(resp)) = (tx.internal, &resp) {
                        self.events.push_back(Event::Response {
                            tx: id,
                            response: resp.clone(),
                        });
                    }
                }
                ClientAction::Timeout => {
                    self.counters.client_timeouts += 1;
                    if !tx.internal {
                        self.events.push_back(Event::Timeout { tx: id });
                    }
                }
                ClientAction::Cancel => {
                    if !tx.cancel_sent {
                        self.send_cancel(now, id);
                    }
                }
            }
        }
    }
}

/// The client key of a request we send: its top Via branch and its method.
struct ResponseKeyOfRequest;

impl ResponseKeyOfRequest {
    fn of(req: &Request) -> Option<ClientKey> {
        let via = req.top_via().ok()?;
        req.cseq().ok()?;
        req.call_id()?;
        Some(ClientKey {
            branch: via.branch()?.to_string(),
            method: req.method.clone(),
        })
    }
}
