//! Identifiers and virtual time for the dispatch core.
//!
//! Every id is a newtype over a `u64` chosen by the caller (the store hands out
//! ids that are unique across nodes), so an agent id can never be passed where a
//! queue id is expected. Time is never read here: the shell passes a [`Millis`]
//! (milliseconds since an epoch of its choosing) with every input, and lengths of
//! time are plain [`std::time::Duration`]s.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::{Add, Sub};
use std::time::Duration;

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl $name {
            /// The id of a stored row (a positive SQL `BIGINT`); `None` for a
            /// key no id can be (zero or negative).
            pub fn from_key(key: i64) -> Option<$name> {
                u64::try_from(key).ok().filter(|&k| k > 0).map($name)
            }

            /// The key the store keeps this id as. Ids come from the store or
            /// are drawn below 2^53, so every id has one; an id beyond
            /// `i64::MAX` reads as a key no row has.
            pub fn key(self) -> i64 {
                i64::try_from(self.0).unwrap_or(i64::MAX)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

id!(
    /// A Project: the unit an agent works in, and the shard key.
    ProjectId, "project-"
);
id!(
    /// A Queue of one project.
    QueueId, "queue-"
);
id!(
    /// A Queue Group: queues reported together in the live metrics.
    QueueGroupId, "group-"
);
id!(
    /// An Agent (a user who takes interactions).
    AgentId, "agent-"
);
id!(
    /// An Interaction (a call or a text session) while the engine knows it.
    CallId, "call-"
);
id!(
    /// A Status an agent can choose (its category decides what it means here).
    StatusId, "status-"
);
id!(
    /// A Result Code an agent picks for a finished interaction.
    ResultCodeId, "result-"
);

/// A point on the caller's virtual clock: milliseconds since the shell's epoch.
///
/// The engine only compares and subtracts these; it never asks what time it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub u64);

impl Millis {
    /// The epoch itself.
    pub const ZERO: Millis = Millis(0);

    /// `secs` seconds after the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Millis(secs * 1000)
    }

    /// How long after `earlier` this is; zero if `earlier` is later.
    pub fn since(self, earlier: Millis) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Millis {
    type Output = Millis;
    fn add(self, d: Duration) -> Millis {
        Millis(self.0.saturating_add(d.as_millis() as u64))
    }
}

impl Sub<Millis> for Millis {
    type Output = Duration;
    fn sub(self, earlier: Millis) -> Duration {
        self.since(earlier)
    }
}

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03}s", self.0 / 1000, self.0 % 1000)
    }
}

/// A hasher for our integer ids: one multiply per word, which is all a
/// caller-chosen id needs (the maps are never keyed by untrusted strings).
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
pub(crate) type IdSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;
