//! The transaction table: RFC 3261 section 17 glue between transports, the
//! four state machines and the TU. This file holds the table, the polls and
//! the timers; `uas` the server side (section 17.2, 9.2) and `uac` the client
//! side (section 17.1, 9.1).
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

use super::client::ClientMachine;
use super::key::{AckKey, ClientKey, RequestView, ServerKey, MAGIC_COOKIE};
use super::server::ServerMachine;
use super::{
    ClientState, ClientTxId, Config, Counters, Event, ServerState, ServerTxId, Timers, Transmit,
    TxId,
};
use crate::sip::message::{Message, Request};
use crate::sip::peer::Peer;

pub(super) struct ClientTx {
    pub(super) machine: ClientMachine,
    pub(super) request: Request,
    pub(super) request_bytes: Bytes,
    /// The ACK for a non-2xx final, built once and resent for retransmissions.
    pub(super) ack: Option<Bytes>,
    pub(super) to: Peer,
    pub(super) key: ClientKey,
    /// Our CANCEL for this INVITE, once asked for. Before a provisional
    /// arrives it is only reserved (section 9.1).
    pub(super) cancel: Option<ClientTxId>,
    pub(super) cancel_sent: bool,
    /// A CANCEL the layer sent itself (Timer C): its responses stay here.
    pub(super) internal: bool,
    pub(super) scheduled: Option<Instant>,
}

pub(super) struct ServerTx {
    pub(super) machine: ServerMachine,
    /// The INVITE itself, for the 100 and a 487 the layer writes; other
    /// requests are not kept (a UDP transaction lingers 32 s after its
    /// answer, and thousands of them at once must stay small).
    pub(super) request: Option<Request>,
    pub(super) view: RequestView,
    pub(super) reply_to: Peer,
    pub(super) last_response: Option<Bytes>,
    /// The To tag of our responses, so 487 and later responses agree with
    /// earlier ones.
    pub(super) to_tag: Option<String>,
    pub(super) key: Option<ServerKey>,
    pub(super) ack_key: Option<AckKey>,
    pub(super) scheduled: Option<Instant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum TxRef {
    Client(ClientTxId),
    Server(ServerTxId),
}

/// What [`TransactionLayer::sizes`] reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    /// Live server transactions.
    pub servers: usize,
    /// Live client transactions.
    pub clients: usize,
    /// Entries of the lookup indexes (by branch, by ACK, by Call-ID and CSeq).
    pub index_entries: usize,
    /// Timers scheduled, including those of ended transactions not yet popped.
    pub timers: usize,
}

/// The transaction layer. See the module documentation of
/// [`crate::sip::transaction`] for the contract with the TU.
pub struct TransactionLayer {
    pub(super) config: Config,
    pub(super) rng: SmallRng,
    pub(super) next_id: u64,
    pub(super) clients: HashMap<ClientTxId, ClientTx>,
    pub(super) servers: HashMap<ServerTxId, ServerTx>,
    pub(super) client_index: HashMap<ClientKey, ClientTxId>,
    pub(super) server_index: HashMap<ServerKey, ServerTxId>,
    /// Server transactions whose request had no RFC 3261 branch, by Call-ID
    /// and CSeq number.
    pub(super) legacy_index: HashMap<(Bytes, u32), Vec<ServerTxId>>,
    pub(super) ack_index: HashMap<AckKey, ServerTxId>,
    pub(super) heap: BinaryHeap<Reverse<(Instant, TxRef)>>,
    pub(super) transmits: VecDeque<Transmit>,
    pub(super) events: VecDeque<Event>,
    pub(super) counters: Counters,
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

    /// How much the layer holds now, for the live gauges: every table should
    /// return to its idle size once the traffic stops.
    pub fn sizes(&self) -> Sizes {
        Sizes {
            servers: self.servers.len(),
            clients: self.clients.len(),
            index_entries: self.client_index.len()
                + self.server_index.len()
                + self.legacy_index.values().map(Vec::len).sum::<usize>()
                + self.ack_index.len(),
            timers: self.heap.len(),
        }
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

    pub(super) fn next_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub(super) fn full(&self) -> bool {
        self.len() >= self.config.max_transactions
    }

    /// A message from a transport.
    pub fn handle_incoming(&mut self, now: Instant, msg: Message, from: Peer) {
        match msg {
            Message::Request(req) => self.incoming_request(now, req, from),
            Message::Response(resp) => self.incoming_response(now, resp),
        }
    }

    /// A transport could not deliver to `peer` (a refused or closed stream,
    /// an ICMP error): every transaction sending to it ends with
    /// [`Event::TransportError`] (sections 17.1.4 and 17.2.4). On streams the
    /// connection identifies the peer; this scans the table, which is fine
    /// for an event this rare.
    pub fn handle_transport_error(&mut self, now: Instant, peer: Peer) {
        let same = |p: &Peer| match (p.connection, peer.connection) {
            (Some(a), Some(b)) => a == b,
            _ => p.transport == peer.transport && p.addr == peer.addr,
        };
        let mut clients: Vec<ClientTxId> = self
            .clients
            .iter()
            .filter(|(_, tx)| same(&tx.to))
            .map(|(id, _)| *id)
            .collect();
        clients.sort();
        for id in clients {
            if let Some(tx) = self.clients.get_mut(&id) {
                tx.machine.abort();
                self.counters.transport_errors += 1;
                if !tx.internal {
                    self.events.push_back(Event::TransportError {
                        tx: TxId::Client(id),
                    });
                }
            }
            self.after_client(now, id);
        }
        let mut servers: Vec<ServerTxId> = self
            .servers
            .iter()
            .filter(|(_, tx)| same(&tx.reply_to))
            .map(|(id, _)| *id)
            .collect();
        servers.sort();
        for id in servers {
            if let Some(tx) = self.servers.get_mut(&id) {
                tx.machine.abort();
                self.counters.transport_errors += 1;
                self.events.push_back(Event::TransportError {
                    tx: TxId::Server(id),
                });
            }
            self.after_server(now, id);
        }
    }

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

    /// Stopped timers stay in the heap until their time comes; when they
    /// outnumber the live ones four to one the heap is rebuilt from the live
    /// transactions, so a burst of short transactions cannot grow it.
    fn compact_heap(&mut self) {
        if self.heap.len() <= 1024 || self.heap.len() <= 4 * self.len() {
            return;
        }
        let clients = self
            .clients
            .iter()
            .filter_map(|(id, tx)| tx.scheduled.map(|at| Reverse((at, TxRef::Client(*id)))));
        let servers = self
            .servers
            .iter()
            .filter_map(|(id, tx)| tx.scheduled.map(|at| Reverse((at, TxRef::Server(*id)))));
        self.heap = clients.chain(servers).collect();
    }

    /// Removes a terminated client transaction, or (re)schedules its timer.
    pub(super) fn after_client(&mut self, _now: Instant, id: ClientTxId) {
        let Some(tx) = self.clients.get_mut(&id) else {
            return;
        };
        if tx.machine.is_terminated() {
            let tx = self.clients.remove(&id).expect("present");
            if self.client_index.get(&tx.key) == Some(&id) {
                self.client_index.remove(&tx.key);
            }
            self.compact_heap();
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

    pub(super) fn after_server(&mut self, _now: Instant, id: ServerTxId) {
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
            self.compact_heap();
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
