//! Random inputs to each of the four state machines of RFC 3261 section 17
//! (figures 5 to 8, with RFC 6026 Accepted) alone: no panic, no timer left due
//! after `on_timeout`, nothing done after Terminated, and an end within a
//! bounded time once the TU has given a final response.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use crate::sip::transaction::client::{ClientMachine, InviteClient, NonInviteClient};
use crate::sip::transaction::server::{InviteServer, NonInviteServer, ServerMachine};
use crate::sip::transaction::Timers;

const STATUSES: [u16; 9] = [100, 180, 183, 200, 202, 302, 404, 487, 603];

#[derive(Debug, Clone)]
enum Input {
    Status(usize),
    /// Client: the layer sent a CANCEL. Server: the request came again.
    Again,
    /// Server only: an ACK matched.
    Ack,
    Advance(u32),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        (0..STATUSES.len()).prop_map(Input::Status),
        Just(Input::Again),
        Just(Input::Ack),
        (0u32..70_000).prop_map(Input::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn client_machines_always_end(invite: bool, reliable: bool, inputs in proptest::collection::vec(input(), 0..40)) {
        let timers = Timers::default();
        let mut now = Instant::now();
        let mut out = Vec::new();
        let mut m = if invite {
            ClientMachine::Invite(InviteClient::start(now, timers, reliable, &mut out))
        } else {
            ClientMachine::NonInvite(NonInviteClient::start(now, timers, reliable, &mut out))
        };
        for i in &inputs {
            let was_terminated = m.is_terminated();
            out.clear();
            match *i {
                Input::Status(s) => m.on_response(now, STATUSES[s], &mut out),
                Input::Again => {
                    if let ClientMachine::Invite(inv) = &mut m {
                        inv.on_cancel_sent(now);
                    }
                }
                Input::Ack => {}
                Input::Advance(ms) => {
                    now += Duration::from_millis(ms as u64);
                    m.on_timeout(now, &mut out);
                    prop_assert!(m.deadline().is_none_or(|d| d > now), "a timer left due");
                }
            }
            if was_terminated {
                prop_assert!(out.is_empty(), "acted after Terminated: {out:?}");
            }
        }
        // Whatever happened, Timer C, the CANCEL wait and B/D/F/K/M bound
        // the life of a client transaction.
        let end = now + timers.c + timers.t1x64() * 3;
        while let Some(at) = m.deadline() {
            prop_assert!(at <= end);
            out.clear();
            m.on_timeout(at, &mut out);
        }
        prop_assert!(m.is_terminated());
    }

    #[test]
    fn server_machines_end_once_answered(invite: bool, reliable: bool, inputs in proptest::collection::vec(input(), 0..40)) {
        let timers = Timers::default();
        let mut now = Instant::now();
        let mut out = Vec::new();
        let mut m = if invite {
            ServerMachine::Invite(InviteServer::new(timers, reliable))
        } else {
            ServerMachine::NonInvite(NonInviteServer::new(timers, reliable))
        };
        for i in &inputs {
            let was_terminated = m.is_terminated();
            out.clear();
            match *i {
                Input::Status(s) => {
                    m.on_tu_response(now, STATUSES[s], &mut out);
                }
                Input::Again => m.on_request(&mut out),
                Input::Ack => {
                    if let ServerMachine::Invite(inv) = &mut m {
                        inv.on_ack(now);
                    }
                }
                Input::Advance(ms) => {
                    now += Duration::from_millis(ms as u64);
                    m.on_timeout(now, &mut out);
                    prop_assert!(m.deadline().is_none_or(|d| d > now), "a timer left due");
                }
            }
            if was_terminated {
                prop_assert!(out.is_empty(), "acted after Terminated: {out:?}");
            }
        }
        // The TU keeps its contract: a final response.
        out.clear();
        m.on_tu_response(now, 500, &mut out);
        let end = now + timers.t1x64() + timers.t4;
        while let Some(at) = m.deadline() {
            prop_assert!(at <= end);
            out.clear();
            m.on_timeout(at, &mut out);
        }
        prop_assert!(m.is_terminated());
    }
}
