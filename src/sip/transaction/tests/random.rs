//! Random event sequences through the whole layer (RFC 3261 section 17
//! matching and machines, section 9 CANCEL, RFC 2543 matching): whatever
//! arrives in whatever order, the layer never panics and never holds more than
//! its limit, events name only ids the TU was given, and once the TU has
//! answered every request and time runs on, every transaction ends and no
//! timer is left.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::*;
use crate::sip::message::Response;
use crate::sip::peer::Peer;
use crate::sip::transaction::*;

const METHODS: [&str; 6] = ["INVITE", "OPTIONS", "BYE", "CANCEL", "ACK", "INFO"];
const STATUSES: [u16; 8] = [100, 180, 183, 200, 404, 486, 487, 503];

#[derive(Debug, Clone)]
enum Op {
    /// A request from a phone: method, branch (or none: RFC 2543), CSeq,
    /// transport, and whether it carries a To tag.
    Incoming {
        method: usize,
        branch: Option<u8>,
        cseq: u8,
        tcp: bool,
        to_tag: bool,
    },
    /// An agent answers the n-th request we sent (or a branch we never used).
    AgentResponse {
        sent: usize,
        status: usize,
        method_of_cseq: usize,
    },
    /// We send a request to an agent.
    Send {
        invite: bool,
        tcp: bool,
    },
    /// The TU answers the n-th server transaction it heard of.
    Answer {
        pending: usize,
        status: usize,
    },
    /// The TU cancels the n-th request it sent.
    Cancel {
        sent: usize,
    },
    Advance {
        ms: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..METHODS.len(), proptest::option::of(0u8..4), 1u8..4, any::<bool>(), any::<bool>())
            .prop_map(|(method, branch, cseq, tcp, to_tag)| Op::Incoming { method, branch, cseq, tcp, to_tag }),
        3 => (0usize..8, 0..STATUSES.len(), 0..METHODS.len())
            .prop_map(|(sent, status, method_of_cseq)| Op::AgentResponse { sent, status, method_of_cseq }),
        2 => (any::<bool>(), any::<bool>()).prop_map(|(invite, tcp)| Op::Send { invite, tcp }),
        3 => (0usize..8, 0..STATUSES.len()).prop_map(|(pending, status)| Op::Answer { pending, status }),
        1 => (0usize..8).prop_map(|sent| Op::Cancel { sent }),
        3 => (0u32..40_000).prop_map(|ms| Op::Advance { ms }),
    ]
}

struct Sim {
    l: TransactionLayer,
    now: Instant,
    /// Requests we sent: id, branch, method, whether over TCP.
    sent: Vec<(ClientTxId, String, &'static str, bool)>,
    pending: Vec<(ServerTxId, crate::sip::message::Request)>,
    max: usize,
    /// Every id the TU was given, to check that events name only those.
    servers: HashSet<ServerTxId>,
    clients: HashSet<ClientTxId>,
}

impl Sim {
    fn drain(&mut self) {
        while self.l.poll_transmit().is_some() {}
        while let Some(e) = self.l.poll_event() {
            match e {
                Event::Request { tx, request, .. } => {
                    assert!(self.servers.insert(tx), "a server transaction id reused");
                    self.pending.push((tx, request));
                }
                Event::Cancelled { tx } | Event::ServerTimeout { tx } => {
                    assert!(self.servers.contains(&tx), "unknown {tx}")
                }
                Event::Response { tx, .. } | Event::Timeout { tx } => {
                    assert!(self.clients.contains(&tx), "unknown {tx}")
                }
                Event::TransportError { .. } | Event::Ack { .. } => {}
            }
        }
        // CANCELs we send are never refused (they end a ringing INVITE), so
        // at most one per INVITE client transaction comes on top of the limit.
        assert!(
            self.l.len() <= 2 * self.max,
            "{} > 2 * {}",
            self.l.len(),
            self.max
        );
    }

    fn apply(&mut self, op: &Op, n: usize) {
        match *op {
            Op::Incoming {
                method,
                branch,
                cseq,
                tcp,
                to_tag,
            } => {
                let method = METHODS[method];
                let transport = if tcp { "TCP" } else { "UDP" };
                let mut text = req_text(
                    method,
                    "BRANCH",
                    cseq as u32,
                    to_tag.then_some("t1"),
                    transport,
                );
                text = match branch {
                    Some(b) => text.replace("BRANCH", &format!("z9hG4bKr{b}")),
                    None => text.replace(";branch=BRANCH", ""),
                };
                let from = if tcp { alice_tcp() } else { alice() };
                self.l.handle_incoming(self.now, parse(&text), from);
            }
            Op::AgentResponse {
                sent,
                status,
                method_of_cseq,
            } => {
                let (branch, method) = match self.sent.get(sent) {
                    Some((_, b, m, _)) if method_of_cseq % 3 != 0 => (b.clone(), *m),
                    Some((_, b, _, _)) => (b.clone(), METHODS[method_of_cseq]),
                    None => ("z9hG4bKnever".to_string(), "INVITE"),
                };
                let status = STATUSES[status];
                let to_tag = (status > 100).then_some("ag");
                self.l.handle_incoming(
                    self.now,
                    agent_resp(status, &branch, method, to_tag),
                    agent(),
                );
            }
            Op::Send { invite, tcp } => {
                let method = if invite { "INVITE" } else { "OPTIONS" };
                let branch = format!("z9hG4bKs{n}");
                let transport = if tcp { "TCP" } else { "UDP" };
                let to = if tcp {
                    Peer {
                        transport: crate::sip::peer::Transport::Tcp,
                        ..agent()
                    }
                } else {
                    agent()
                };
                if let Ok(id) =
                    self.l
                        .send_request(self.now, our_req(method, &branch, transport), to)
                {
                    self.clients.insert(id);
                    self.sent.push((id, branch, method, tcp));
                }
            }
            Op::Answer { pending, status } => {
                if let Some((tx, req)) = self
                    .pending
                    .get(pending % self.pending.len().max(1))
                    .cloned()
                {
                    let status = STATUSES[status];
                    let _ = self.l.send_response(
                        self.now,
                        tx,
                        Response::for_request(&req, status, "Any"),
                    );
                }
            }
            Op::Cancel { sent } => {
                if let Some((id, ..)) = self.sent.get(sent) {
                    if let Ok(cancel) = self.l.cancel(self.now, *id) {
                        self.clients.insert(cancel);
                    }
                }
            }
            Op::Advance { ms } => {
                self.now += Duration::from_millis(ms as u64);
                self.l.handle_timeout(self.now);
            }
        }
        self.drain();
    }

    /// The TU keeps its side of the contract (a final response for every
    /// request), then the clock runs from deadline to deadline.
    fn finish(&mut self) {
        for (tx, req) in std::mem::take(&mut self.pending) {
            let _ = self
                .l
                .send_response(self.now, tx, Response::for_request(&req, 500, "Late"));
        }
        self.drain();
        let end = self.now + Duration::from_secs(3600);
        while let Some(at) = self.l.poll_timeout() {
            assert!(at <= end, "a timer is still set an hour later");
            self.now = self.now.max(at);
            self.l.handle_timeout(self.now);
            self.drain();
            // The TU answers late arrivals too (none come from timers, but a
            // pending list filled by drain must still be answered).
            for (tx, req) in std::mem::take(&mut self.pending) {
                let _ =
                    self.l
                        .send_response(self.now, tx, Response::for_request(&req, 500, "Late"));
            }
        }
        assert!(self.l.is_empty(), "{} transactions left", self.l.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn every_transaction_ends(ops in proptest::collection::vec(op(), 1..60), max in 1usize..12) {
        let mut sim = Sim {
            l: TransactionLayer::with_config(Config { max_transactions: max, seed: Some(3), ..Config::default() }),
            now: Instant::now(),
            sent: Vec::new(),
            pending: Vec::new(),
            max,
            servers: HashSet::new(),
            clients: HashSet::new(),
        };
        for (n, op) in ops.iter().enumerate() {
            sim.apply(op, n);
        }
        sim.finish();
    }
}
