//! The source guard: which addresses may still talk to the SIP server, in
//! the manner of Kamailio's pike module and of fail2ban or APIBAN. A plain
//! state machine driven by the caller's clock (milliseconds); the shell that
//! shares it between the transports and the core is [`shell`].
//!
//! - A request whose User-Agent names a known scanner (friendly-scanner,
//!   sipvicious, sipcli, ... a configurable list, matched without case as a
//!   part of the header) blocks its source at once, and goes unanswered.
//! - INVITE and REGISTER are metered per source by token buckets (a rate per
//!   second and a burst). Past the bucket a request is refused (503 with
//!   Retry-After); a second bucket of the same size meters those refusals,
//!   and a source that empties it too (sending more than twice the rate for
//!   long) is blocked. A rate of 0 leaves the method unmetered.
//! - Answers that tell a prober it guessed wrong (403, 404, a digest response
//!   that did not verify) are counted per source over a window; the source
//!   reaching the limit is blocked.
//! - A block lasts `block_ms`, doubled for each earlier block of the same
//!   source (while it is still remembered), up to `max_block_ms`. While it
//!   lasts every datagram, request and connection from the source is dropped
//!   without answer: nothing is cheaper, and a scanner learns nothing.
//! - Allowed networks (the operator's list, and the trunks' addresses set
//!   with [`SourceGuard::set_trusted`]) are never metered, counted or blocked.
//! - At most `max_sources` addresses are tracked; past it the least recently
//!   seen eighth is forgotten, so a flood from spoofed addresses costs bounded
//!   memory. Sources that are neither blocked nor recent are swept away.

pub mod shell;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use super::net::{canonical, Net};

/// A rate per second and the burst it allows; a rate of 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_sec: u32,
    pub burst: u32,
}

/// What the guard enforces; see the module documentation.
#[derive(Debug, Clone)]
pub struct Settings {
    pub invite: Rate,
    pub register: Rate,
    /// Probing answers (403, 404, failed digest) within `probe_window_ms`
    /// that block a source; 0 never blocks for probing.
    pub probe_limit: u32,
    pub probe_window_ms: u64,
    pub block_ms: u64,
    pub max_block_ms: u64,
    /// Parts of User-Agent values that mark a scanner, in any case.
    pub scanner_agents: Vec<String>,
    /// Networks never blocked.
    pub allow: Vec<Net>,
    pub max_sources: usize,
}

/// The requests the guard meters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metered {
    Invite,
    Register,
    /// Any other request: only its User-Agent is looked at.
    Other,
}

/// Why a source was blocked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    Scanner,
    Probes,
    Flood,
}

impl Reason {
    pub const ALL: [Reason; 3] = [Reason::Scanner, Reason::Probes, Reason::Flood];

    /// The label of the reason in metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Scanner => "scanner",
            Reason::Probes => "probes",
            Reason::Flood => "flood",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What to do with one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Answer 503 with this Retry-After (whole seconds, at least 1).
    Refuse {
        retry_after_secs: u64,
    },
    /// Send nothing: the source is blocked.
    Drop,
}

/// A block that began: the shell logs it, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub source: IpAddr,
    pub reason: Reason,
    pub for_ms: u64,
    /// How many times this source has been blocked, this one included.
    pub offences: u32,
}

/// What the guard has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Blocks begun, by [`Reason`] (in the order of [`Reason::ALL`]).
    pub blocks: [u64; 3],
    /// Datagrams and requests from blocked sources dropped.
    pub dropped_blocked: u64,
    /// Connections from blocked sources refused.
    pub connections_refused: u64,
    /// Requests refused with 503 for their rate.
    pub refused_invite: u64,
    pub refused_register: u64,
    /// Sources forgotten to keep the table within its bound.
    pub evicted: u64,
}

/// Thousandths of a token: a request costs one token.
const TOKEN: u64 = 1000;

/// One method's buckets: `tokens` admits, `excess` meters refusals.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: u64,
    excess: u64,
    at_ms: u64,
}

impl Bucket {
    fn full(rate: Rate, now_ms: u64) -> Bucket {
        Bucket {
            tokens: u64::from(rate.burst) * TOKEN,
            excess: u64::from(rate.burst) * TOKEN,
            at_ms: now_ms,
        }
    }

    /// `Ok(())` to pass, `Err(Some(ms))` to refuse for about `ms`,
    /// `Err(None)` when the refusals ran out too.
    fn take(&mut self, rate: Rate, now_ms: u64) -> Result<(), Option<u64>> {
        let capacity = u64::from(rate.burst.max(1)) * TOKEN;
        // Tokens per second are thousandths of a token per millisecond.
        let refill = now_ms
            .saturating_sub(self.at_ms)
            .saturating_mul(u64::from(rate.per_sec));
        self.at_ms = self.at_ms.max(now_ms);
        self.tokens = self.tokens.saturating_add(refill).min(capacity);
        self.excess = self.excess.saturating_add(refill).min(capacity);
        if self.tokens >= TOKEN {
            self.tokens -= TOKEN;
            Ok(())
        } else if self.excess >= TOKEN {
            self.excess -= TOKEN;
            Err(Some(
                (TOKEN - self.tokens).div_ceil(u64::from(rate.per_sec)),
            ))
        } else {
            Err(None)
        }
    }
}

/// Probing answers within a window opened by the first.
#[derive(Debug, Clone, Copy, Default)]
struct Window {
    start_ms: u64,
    count: u32,
}

#[derive(Debug, Clone)]
struct Source {
    last_seen_ms: u64,
    invite: Option<Bucket>,
    register: Option<Bucket>,
    probes: Window,
    blocked_until_ms: u64,
    offences: u32,
}

impl Source {
    fn new(now_ms: u64) -> Source {
        Source {
            last_seen_ms: now_ms,
            invite: None,
            register: None,
            probes: Window::default(),
            blocked_until_ms: 0,
            offences: 0,
        }
    }

    fn blocked(&self, now_ms: u64) -> bool {
        self.blocked_until_ms > now_ms
    }
}

/// How long a source that was never blocked is remembered after it was last
/// seen (its buckets are full again by then at any sensible rate).
const IDLE_MS: u64 = 10 * 60 * 1000;

pub struct SourceGuard {
    settings: Settings,
    /// The scanner list, lower case.
    agents: Vec<Vec<u8>>,
    trusted: Vec<Net>,
    sources: HashMap<IpAddr, Source>,
    blocks: VecDeque<Block>,
    counters: Counters,
}

impl SourceGuard {
    pub fn new(settings: Settings) -> SourceGuard {
        let agents = settings
            .scanner_agents
            .iter()
            .filter(|a| !a.trim().is_empty())
            .map(|a| a.trim().to_ascii_lowercase().into_bytes())
            .collect();
        SourceGuard {
            settings,
            agents,
            trusted: Vec::new(),
            sources: HashMap::new(),
            blocks: VecDeque::new(),
            counters: Counters::default(),
        }
    }

    /// Replaces the trusted networks (the trunks'): never blocked. A source
    /// blocked already and now trusted is released.
    pub fn set_trusted(&mut self, nets: Vec<Net>) {
        self.trusted = nets;
        let (allow, trusted) = (&self.settings.allow, &self.trusted);
        self.sources
            .retain(|ip, _| !allow.iter().chain(trusted).any(|n| n.contains(*ip)));
    }

    /// Whether `ip` is allowed or trusted, and so never blocked.
    pub fn is_exempt(&self, ip: IpAddr) -> bool {
        self.settings
            .allow
            .iter()
            .chain(&self.trusted)
            .any(|n| n.contains(ip))
    }

    /// Whether a datagram from `ip` must be dropped before it is even parsed;
    /// counts it when so.
    pub fn drop_datagram(&mut self, ip: IpAddr, now_ms: u64) -> bool {
        let dropped = self.check_blocked(ip, now_ms);
        if dropped {
            self.counters.dropped_blocked += 1;
        }
        dropped
    }

    /// Whether a connection from `ip` must be refused; counts it when so.
    pub fn refuse_connection(&mut self, ip: IpAddr, now_ms: u64) -> bool {
        let refused = self.check_blocked(ip, now_ms);
        if refused {
            self.counters.connections_refused += 1;
        }
        refused
    }

    fn check_blocked(&mut self, ip: IpAddr, now_ms: u64) -> bool {
        // The table holds no exempt source, so no list is read here.
        match self.sources.get_mut(&canonical(ip)) {
            Some(s) if s.blocked(now_ms) => {
                s.last_seen_ms = now_ms;
                true
            }
            _ => false,
        }
    }

    /// Judges one request of kind `method` from `ip` carrying `user_agent`.
    pub fn request(
        &mut self,
        ip: IpAddr,
        now_ms: u64,
        method: Metered,
        user_agent: Option<&[u8]>,
    ) -> Verdict {
        let ip = canonical(ip);
        if self.is_exempt(ip) {
            return Verdict::Pass;
        }
        if let Some(s) = self.sources.get_mut(&ip) {
            if s.blocked(now_ms) {
                s.last_seen_ms = now_ms;
                self.counters.dropped_blocked += 1;
                return Verdict::Drop;
            }
        }
        if user_agent.is_some_and(|ua| self.is_scanner(ua)) {
            self.block(ip, now_ms, Reason::Scanner);
            self.counters.dropped_blocked += 1;
            return Verdict::Drop;
        }
        let rate = match method {
            Metered::Invite => self.settings.invite,
            Metered::Register => self.settings.register,
            Metered::Other => return Verdict::Pass,
        };
        if rate.per_sec == 0 {
            return Verdict::Pass;
        }
        let source = self.track(ip, now_ms);
        let bucket = match method {
            Metered::Invite => &mut source.invite,
            _ => &mut source.register,
        };
        let taken = bucket
            .get_or_insert_with(|| Bucket::full(rate, now_ms))
            .take(rate, now_ms);
        match taken {
            Ok(()) => Verdict::Pass,
            Err(Some(wait_ms)) => {
                match method {
                    Metered::Invite => self.counters.refused_invite += 1,
                    _ => self.counters.refused_register += 1,
                }
                Verdict::Refuse {
                    retry_after_secs: wait_ms.div_ceil(1000).max(1),
                }
            }
            Err(None) => {
                self.block(ip, now_ms, Reason::Flood);
                self.counters.dropped_blocked += 1;
                Verdict::Drop
            }
        }
    }

    /// Notes a probing answer sent to `ip`: a 403, a 404, or a challenge
    /// after a digest response that did not verify.
    pub fn probed(&mut self, ip: IpAddr, now_ms: u64) {
        let limit = self.settings.probe_limit;
        let ip = canonical(ip);
        if limit == 0 || self.is_exempt(ip) {
            return;
        }
        let window_ms = self.settings.probe_window_ms;
        let source = self.track(ip, now_ms);
        if source.blocked(now_ms) {
            return;
        }
        let w = &mut source.probes;
        if w.count == 0 || now_ms.saturating_sub(w.start_ms) >= window_ms {
            *w = Window {
                start_ms: now_ms,
                count: 0,
            };
        }
        w.count += 1;
        if w.count >= limit {
            self.block(ip, now_ms, Reason::Probes);
        }
    }

    /// The next block that began, for the log.
    pub fn poll_block(&mut self) -> Option<Block> {
        self.blocks.pop_front()
    }

    /// Forgets sources that are neither blocked nor recently seen; call it
    /// now and then (every few seconds).
    pub fn sweep(&mut self, now_ms: u64) {
        let max_block = self.settings.max_block_ms;
        self.sources.retain(|_, s| now_ms < forget_at(s, max_block));
    }

    /// Addresses tracked right now.
    pub fn tracked(&self) -> usize {
        self.sources.len()
    }

    /// Addresses blocked right now.
    pub fn blocked_count(&self, now_ms: u64) -> usize {
        self.sources.values().filter(|s| s.blocked(now_ms)).count()
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    fn is_scanner(&self, user_agent: &[u8]) -> bool {
        self.agents.iter().any(|needle| {
            user_agent
                .windows(needle.len())
                .any(|w| w.eq_ignore_ascii_case(needle))
        })
    }

    fn track(&mut self, ip: IpAddr, now_ms: u64) -> &mut Source {
        if !self.sources.contains_key(&ip) && self.sources.len() >= self.settings.max_sources {
            self.make_room(now_ms);
        }
        let source = self
            .sources
            .entry(ip)
            .or_insert_with(|| Source::new(now_ms));
        source.last_seen_ms = now_ms;
        source
    }

    /// Forgets the sweepable sources, and if that is not enough the least
    /// recently seen eighth of the table (at least one).
    fn make_room(&mut self, now_ms: u64) {
        self.sweep(now_ms);
        let max = self.settings.max_sources;
        if self.sources.len() < max {
            return;
        }
        let before = self.sources.len();
        let mut seen: Vec<u64> = self.sources.values().map(|s| s.last_seen_ms).collect();
        let cut = (seen.len() / 8).max(1);
        let (_, &mut threshold, _) = seen.select_nth_unstable(cut - 1);
        let mut to_drop = cut;
        self.sources.retain(|_, s| {
            if to_drop > 0 && s.last_seen_ms <= threshold {
                to_drop -= 1;
                false
            } else {
                true
            }
        });
        self.counters.evicted += (before - self.sources.len()) as u64;
    }

    fn block(&mut self, ip: IpAddr, now_ms: u64, reason: Reason) {
        let s = &self.settings;
        let (block_ms, max_block_ms) = (s.block_ms, s.max_block_ms);
        let source = self.track(ip, now_ms);
        let doublings = source.offences.min(30);
        source.offences = source.offences.saturating_add(1);
        let for_ms = block_ms
            .saturating_mul(1u64 << doublings)
            .min(max_block_ms.max(block_ms));
        source.blocked_until_ms = now_ms + for_ms;
        source.probes = Window::default();
        source.invite = None;
        source.register = None;
        let offences = source.offences;
        self.counters.blocks[reason.index()] += 1;
        self.blocks.push_back(Block {
            source: ip,
            reason,
            for_ms,
            offences,
        });
        // Nobody polls in a unit test of another module; keep it bounded.
        if self.blocks.len() > 1024 {
            self.blocks.pop_front();
        }
    }
}

/// When a source may be forgotten: a blocked one stays while blocked and for
/// the longest block after (at least the idle time), so a repeat offence
/// doubles; the others while they are recent.
fn forget_at(s: &Source, max_block_ms: u64) -> u64 {
    if s.offences > 0 {
        s.blocked_until_ms
            .saturating_add(max_block_ms.max(IDLE_MS))
            .max(s.last_seen_ms.saturating_add(IDLE_MS))
    } else {
        s.last_seen_ms.saturating_add(IDLE_MS)
    }
}
