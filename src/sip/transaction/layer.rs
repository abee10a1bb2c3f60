//! The transaction table: RFC 3261 section 17 glue between transports, the
//! four state machines and the TU. Requests are matched to server
//! transactions by section 17.2.3 (RFC 3261 keys in a hash map, RFC 2543 rules
//! by scanning the few transactions with the same Call-ID and CSeq), responses
//! to client transactions by section 17.1.3, CANCEL to its INVITE by section
//! 9.2, and a 2xx ACK to its Accepted INVITE by dialog and CSeq (RFC 6026).
//!
//! Timers are kept in one heap with exactly one live entry per transaction
//! that has a deadline, so `handle_timeout` costs the number of transactions
//! due, not the table size.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::client::{ClientAction, ClientMachine, InviteClient, NonInviteClient};
use super::compose;
use super::key::{
    legacy_matches, AckKey, ClientKey, Legacy, RequestView, ResponseView, ServerKey, MAGIC_COOKIE,
};
use super::server::{InviteServer, NonInviteServer, ServerAction, ServerMachine};
use super::{
    ClientState, ClientTxId, Config, Counters, Event, ResponseError, SendError, ServerState,
    ServerTxId, Timers, Transmit,
};
use crate::sip::message::{HeaderName, Message, Method, Request, Response};
use crate::sip::peer::Peer;

struct ClientTx {
    machine: ClientMachine,
    request: Request,
    request_bytes: Bytes,
    /// The ACK for a non-2xx final, built once and resent for retransmissions.
    ack: Option<Bytes>,
    to: Peer,
    key: ClientKey,
    /// Our CANCEL for this INVITE, once asked for. Before a provisional
    /// arrives it is only reserved (section 9.1).
    cancel: Option<ClientTxId>,
    cancel_sent: bool,
    /// A CANCEL the layer sent itself (Timer C): its responses stay here.
    internal: bool,
    scheduled: Option<Instant>,
}

struct ServerTx {
    machine: ServerMachine,
    request: Request,
    view: RequestView,
    reply_to: Peer,
    last_response: Option<Bytes>,
    /// The To tag of our responses, so 487 and later responses agree with
    /// earlier ones.
    to_tag: Option<String>,
    key: Option<ServerKey>,
    ack_key: Option<AckKey>,
    scheduled: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TxRef {
    Client(ClientTxId),
    Server(ServerTxId),
}

/// The transaction layer. See the module documentation of
/// [`crate::sip::transaction`] for the contract with the TU.
pub struct TransactionLayer {
    config: Config,
    rng: SmallRng,
    next_id: u64,
    clients: HashMap<ClientTxId, ClientTx>,
    servers: HashMap<ServerTxId, ServerTx>,
    client_index: HashMap<ClientKey, ClientTxId>,
    server_index: HashMap<ServerKey, ServerTxId>,
    /// Server transactions whose request had no RFC 3261 branch, by Call-ID
    /// and CSeq number.
    legacy_index: HashMap<(Bytes, u32), Vec<ServerTxId>>,
    ack_index: HashMap<AckKey, ServerTxId>,
    heap: BinaryHeap<Reverse<(Instant, TxRef)>>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    counters: Counters,
}

impl TransactionLayer {
    /// A layer with these timers and the default limits.
    pub fn new(timers: Timers) -> Self {
        Self::with_config(Config {
            timers,
            ..Config::default()
        })
    }

    pub fn with_config(config: Config) -> Self {
        let rng = match config.seed {
            Some(seed) => SmallRng::seed_from_u64(seed),
            None => SmallRng::from_entropy(),
        };
        TransactionLayer {
            config,
            rng,
            next_id: 1,
            clients: HashMap::new(),
            servers: HashMap::new(),
            client_index: HashMap::new(),
            server_index: HashMap::new(),
            legacy_index: HashMap::new(),
            ack_index: HashMap::new(),
            heap: BinaryHeap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            counters: Counters::default(),
        }
    }

    /// Live transactions, client and server.
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state of a live client transaction; None once it has ended.
    pub fn client_state(&self, tx: ClientTxId) -> Option<ClientState> {
        self.clients.get(&tx).map(|t| t.machine.state())
    }

    /// The state of a live server transaction; None once it has ended.
    pub fn server_state(&self, tx: ServerTxId) -> Option<ServerState> {
        self.servers.get(&tx).map(|t| t.machine.state())
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When to call [`TransactionLayer::handle_timeout`] next. It may be
    /// earlier than needed (a timer that was since stopped); never later.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// A fresh branch: the magic cookie and 16 random alphanumerics.
    pub fn new_branch(&mut self) -> String {
        format!("{MAGIC_COOKIE}{}", self.random_token(16))
    }

    /// A fresh tag for From or To (section 19.3): 10 random alphanumerics.
    pub fn new_tag(&mut self) -> String {
        self.random_token(10)
    }

    fn random_token(&mut self, n: usize) -> String {
        (&mut self.rng)
            .sample_iter(rand::distributions::Alphanumeric)
            .take(n)
            .map(char::from)
            .collect()
    }

    fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn full(&self) -> bool {
        self.len() >= self.config.max_transactions
    }

    // ----- input from the transports -----

    /// A message from a transport.
    pub fn handle_incoming(&mut self, now: Instant, msg: Message, from: Peer) {
        match msg {
            Message::Request(req) => self.incoming_request(now, req, from),
            Message::Response(resp) => self.incoming_response(now, resp),
        }
    }

    fn incoming_request(&mut self, now: Instant, req: Request, from: Peer) {
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
                if self.full() {
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
        if self.full() {
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
        let (tag, pending, invite) = {
            let tx = &self.servers[&invite_tx];
            let pending = matches!(&tx.machine, ServerMachine::Invite(m) if m.is_pending());
            (tx.to_tag.clone(), pending, tx.request.clone())
        };
        let tag = match tag {
            Some(t) => t,
            None => self.new_tag(),
        };
        let ok = compose::response(&req, 200, "OK", &tag);
        let _ = self.send_response(now, cancel_tx, ok);
        if pending {
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
                request: req,
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
            let trying = Response::for_request(&self.servers[&id].request, 100, "Trying");
            let _ = self.send_response(now, id, trying);
        }
        id
    }

    fn incoming_response(&mut self, now: Instant, resp: Response) {
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

    // ----- input from the TU -----

    /// Starts a client transaction for `req` towards `to` and sends it.
    ///
    /// The request must carry a top Via with our sent-by; a missing branch is
    /// added. An ACK starts no transaction: it is sent once and the returned
    /// id never appears in an event.
    pub fn send_request(
        &mut self,
        now: Instant,
        mut req: Request,
        to: Peer,
    ) -> Result<ClientTxId, SendError> {
        if req.method == Method::Ack {
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
            (id, compose::cancel_for(&tx.request), tx.to, internal)
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
            if let Some(from_tag) = entry.view.from_tag.clone() {
                let key = AckKey {
                    call_id: entry.view.call_id.clone(),
                    cseq: entry.view.cseq,
                    from_tag,
                    to_tag: compose::to_tag_of(&resp).unwrap_or_default(),
                };
                entry.ack_key = Some(key.clone());
                self.ack_index.insert(key, tx);
            }
        }
        self.run_server_actions(now, tx, out);
        Ok(())
    }

    // ----- time -----

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((at, which))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            match which {
                TxRef::Client(id) => {
                    let Some(tx) = self.clients.get_mut(&id) else {
                        continue;
                    };
                    if tx.scheduled != Some(at) {
                        continue;
                    }
                    tx.scheduled = None;
                    let mut out = Vec::new();
                    tx.machine.on_timeout(now, &mut out);
                    self.run_client_actions(now, id, out, None);
                    self.after_client(now, id);
                }
                TxRef::Server(id) => {
                    let Some(tx) = self.servers.get_mut(&id) else {
                        continue;
                    };
                    if tx.scheduled != Some(at) {
                        continue;
                    }
                    tx.scheduled = None;
                    let mut out = Vec::new();
                    tx.machine.on_timeout(now, &mut out);
                    self.run_server_actions(now, id, out);
                }
            }
        }
    }

    // ----- doing what the machines ask -----

    fn run_client_actions(
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
                            tx.ack = Some(compose::ack_for(&tx.request, resp).to_bytes());
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

    fn run_server_actions(&mut self, now: Instant, id: ServerTxId, out: Vec<ServerAction>) {
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

    /// Removes a terminated client transaction, or (re)schedules its timer.
    fn after_client(&mut self, _now: Instant, id: ClientTxId) {
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        if tx.machine.is_terminated() {
            let tx = self.clients.remove(&id).expect("present");
            if self.client_index.get(&tx.key) == Some(&id) {
                self.client_index.remove(&tx.key);
            }
            return;
        }
        match tx.machine.deadline() {
            Some(at) if tx.scheduled != Some(at) => {
                tx.scheduled = Some(at);
                self.heap.push(Reverse((at, TxRef::Client(id))));
            }
            Some(_) => {}
            None => tx.scheduled = None,
        }
    }

    fn after_server(&mut self, _now: Instant, id: ServerTxId) {
        let Some(tx) = self.servers.get_mut(&id) else {
            return;
        };
        if tx.machine.is_terminated() {
            let tx = self.servers.remove(&id).expect("present");
            match &tx.key {
                Some(key) => {
                    if self.server_index.get(key) == Some(&id) {
                        self.server_index.remove(key);
                    }
                }
                None => {
                    let k = (tx.view.call_id.clone(), tx.view.cseq);
                    if let Some(list) = self.legacy_index.get_mut(&k) {
                        list.retain(|x| *x != id);
                        if list.is_empty() {
                            self.legacy_index.remove(&k);
                        }
                    }
                }
            }
            if let Some(k) = &tx.ack_key {
                if self.ack_index.get(k) == Some(&id) {
                    self.ack_index.remove(k);
                }
            }
            return;
        }
        match tx.machine.deadline() {
            Some(at) if tx.scheduled != Some(at) => {
                tx.scheduled = Some(at);
                self.heap.push(Reverse((at, TxRef::Server(id))));
            }
            Some(_) => {}
            None => tx.scheduled = None,
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
