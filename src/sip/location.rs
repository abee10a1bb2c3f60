//! The location service (RFC 3261 section 10.3): which contacts each
//! address-of-record is reachable at right now.
//!
//! Many read it (every call to an agent looks up the agent's contacts) and the
//! registrar writes it, so it is a map split into shards, each behind its own
//! short-held lock; no lock is held across an `.await`. Each binding keeps the
//! peer its REGISTER came from, so a browser registered with a `*.invalid`
//! Contact is reached over its WebSocket connection; such a binding is
//! connection-bound and goes when the connection goes.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use super::message::Uri;
use super::peer::{Peer, Transport};

/// One contact of an address-of-record.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The Contact URI as registered.
    pub contact: String,
    /// When the binding lapses, in Unix milliseconds.
    pub expires_at_ms: u64,
    pub q: Option<f32>,
    /// The Call-ID and CSeq of the REGISTER that last wrote it (section 10.3
    /// step 7 orders refreshes by them).
    pub call_id: String,
    pub cseq: u32,
    /// Where the REGISTER came from: the way back to this contact.
    pub source: Peer,
    pub user_agent: String,
}

impl Binding {
    /// Seconds left at `now_ms`, for the Contact `expires` of a 200 OK.
    pub fn remaining_secs(&self, now_ms: u64) -> u64 {
        self.expires_at_ms.saturating_sub(now_ms).div_ceil(1000)
    }

    /// Whether the binding can be reached only over the connection its
    /// REGISTER came on: a WebSocket client (we cannot open a WebSocket to
    /// it), or a Contact host under `.invalid` (RFC 7118 section 5, RFC 6761).
    /// Such a binding is useless once that connection has closed.
    pub fn is_connection_bound(&self) -> bool {
        if matches!(self.source.transport, Transport::Ws | Transport::Wss) {
            return true;
        }
        Uri::parse(bytes::Bytes::copy_from_slice(self.contact.as_bytes())).is_ok_and(|uri| {
            uri.host()
                .trim_end_matches('.')
                .to_ascii_lowercase()
                .ends_with(".invalid")
        })
    }
}

const SHARDS: usize = 32;

type Shard = Mutex<HashMap<String, Vec<Binding>>>;

/// Address-of-record to bindings, sharded by AOR.
pub struct Location {
    shards: Box<[Shard]>,
}

impl Default for Location {
    fn default() -> Self {
        Location::new()
    }
}

impl Location {
    pub fn new() -> Location {
        Location {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, aor: &str) -> &Shard {
        let mut hasher = DefaultHasher::new();
        aor.hash(&mut hasher);
        &self.shards[(hasher.finish() as usize) % SHARDS]
    }

    /// The bindings of `aor` still in force at `now_ms`, highest q first.
    pub fn lookup(&self, aor: &str, now_ms: u64) -> Vec<Binding> {
        let shard = self.shard(aor).lock().expect("location shard lock");
        let mut found: Vec<Binding> = shard
            .get(aor)
            .map(|b| {
                b.iter()
                    .filter(|b| b.expires_at_ms > now_ms)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        found.sort_by(|a, b| b.q.unwrap_or(1.0).total_cmp(&a.q.unwrap_or(1.0)));
        found
    }

    /// Runs `change` on the bindings of `aor` under the shard's lock; an AOR
    /// left with no bindings is removed.
    pub fn update<R>(&self, aor: &str, change: impl FnOnce(&mut Vec<Binding>) -> R) -> R {
        let mut shard = self.shard(aor).lock().expect("location shard lock");
        let bindings = shard.entry(aor.to_owned()).or_default();
        let result = change(bindings);
        if bindings.is_empty() {
            shard.remove(aor);
        }
        result
    }

    /// Removes bindings that lapsed by `now_ms`; returns the AORs changed, with
    /// what they still have, so the store can be told.
    pub fn expire(&self, now_ms: u64) -> Vec<(String, Vec<Binding>)> {
        let mut changed = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock().expect("location shard lock");
            shard.retain(|aor, bindings| {
                let before = bindings.len();
                bindings.retain(|b| b.expires_at_ms > now_ms);
                if bindings.len() != before {
                    changed.push((aor.clone(), bindings.clone()));
                }
                !bindings.is_empty()
            });
        }
        changed
    }

    /// Replaces everything with `bindings` (at start-up, from the store).
    pub fn load(&self, bindings: impl IntoIterator<Item = (String, Binding)>) {
        for (aor, binding) in bindings {
            self.update(&aor, |set| set.push(binding));
        }
    }

    /// How many bindings are held, over all AORs.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.lock()
                    .expect("location shard lock")
                    .values()
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(contact: &str, expires_at_ms: u64, q: Option<f32>) -> Binding {
        Binding {
            contact: contact.into(),
            expires_at_ms,
            q,
            call_id: "c".into(),
            cseq: 1,
            source: Peer::udp("127.0.0.1:5070".parse().unwrap()),
            user_agent: String::new(),
        }
    }

    #[test]
    fn lookup_skips_lapsed_bindings_and_orders_by_q() {
        let location = Location::new();
        location.update("alice", |set| {
            set.push(binding("sip:a@1", 5_000, Some(0.5)));
            set.push(binding("sip:a@2", 1_000, None));
            set.push(binding("sip:a@3", 9_000, Some(0.9)));
        });
        let found: Vec<_> = location
            .lookup("alice", 2_000)
            .into_iter()
            .map(|b| b.contact)
            .collect();
        assert_eq!(found, ["sip:a@3", "sip:a@1"]);
        assert!(location.lookup("bob", 0).is_empty());
    }

    #[test]
    fn websocket_and_invalid_host_bindings_are_connection_bound() {
        let mut b = binding("sip:a@192.0.2.1:5060", 1_000, None);
        assert!(!b.is_connection_bound());
        b.contact = "sip:k3l2@Df7jal23ls0d.INVALID;transport=ws".into();
        assert!(b.is_connection_bound());
        b.contact = "sip:a@phone.invalidated.example".into();
        assert!(!b.is_connection_bound());
        b.source.transport = Transport::Wss;
        assert!(b.is_connection_bound());
    }

    #[test]
    fn expiry_reports_what_changed_and_drops_empty_aors() {
        let location = Location::new();
        location.update("alice", |set| set.push(binding("sip:a@1", 1_000, None)));
        location.update("bob", |set| {
            set.push(binding("sip:b@1", 1_000, None));
            set.push(binding("sip:b@2", 9_000, None));
        });
        let mut changed = location.expire(2_000);
        changed.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[0].0, "alice");
        assert!(changed[0].1.is_empty());
        assert_eq!(changed[1].1.len(), 1);
        assert_eq!(location.len(), 1);
        assert!(location.expire(3_000).is_empty());
    }
}
