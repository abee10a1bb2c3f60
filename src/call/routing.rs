//! What admission and dispatch read on every call, loaded from the store into
//! memory: trunks (by source network), inbound routes and queue numbers, the
//! queues' call settings, which extension is which agent, and the outbound
//! routes ([`OutboundPlan`]).
//!
//! A [`Routing`] is an immutable snapshot; [`RoutingHandle`] swaps in a new
//! one when the configuration changes, so a call in progress keeps the
//! snapshot it started with.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use super::ivr::{self, ConditionId, MenuId, Menus};
use super::outbound::{OutboundPlan, OutboundRoute};
use crate::acd::{self, AgentId, ExitTarget, ProjectId, QueueId};
use crate::media::g711::Law;
use crate::sip::net::Net;
use crate::store::admin::destination::{DestinationTransport, OutboundDestination, DEFAULT_PORT};
use crate::store::admin::dial_pattern::DialPattern;
use crate::store::admin::ivr::Destination as StoredDestination;
use crate::store::admin::{outbound_routes, queues};
use crate::store::{Store, StoreError};

/// A trunk as admission matches it and outbound calls leave through it.
#[derive(Debug, Clone)]
pub struct TrunkInfo {
    pub id: i64,
    pub name: String,
    nets: Vec<Net>,
    /// Set when the trunk must authenticate with digest as this user.
    pub username: Option<String>,
    /// The digest HA1 values (MD5, SHA-256) of the trunk's credentials.
    pub ha1: Option<(String, String)>,
    /// The codecs the trunk may use, in its order of preference.
    pub laws: Vec<Law>,
    /// Where outbound calls go, when the trunk says
    /// ([`TrunkInfo::outbound_target`]).
    pub destination: Option<OutboundDestination>,
    /// The carrier account (username, password) our INVITEs answer a
    /// carrier's digest challenge with.
    pub carrier_credentials: Option<(String, String)>,
}

impl TrunkInfo {
    /// Where outbound calls through the trunk are sent: its outbound
    /// destination when set, else its first address that is one host (not
    /// a network), on the SIP port 5060 over UDP. A destination's name is
    /// left to [`super::outbound_target::resolve`].
    pub fn outbound_target(&self) -> Option<OutboundDestination> {
        if let Some(d) = &self.destination {
            return Some(d.clone());
        }
        self.nets
            .iter()
            .find(|net| net.is_host())
            .map(|net| OutboundDestination {
                host: net.addr().to_string(),
                port: DEFAULT_PORT,
                transport: DestinationTransport::Udp,
            })
    }

    pub fn matches(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|net| net.contains(ip))
    }
}

/// A queue as call control uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueInfo {
    pub id: QueueId,
    pub project: ProjectId,
    pub name: String,
    pub number: String,
    pub hold_music: String,
    /// What the dispatch core knows of it.
    pub config: acd::QueueConfig,
    /// Where queue exit (DTMF 1) and the queue timeout send the caller.
    pub exit: Option<ExitTarget>,
    /// Whether its bridged calls are recorded ([`super::recording`]).
    pub recording: crate::store::admin::queues::RecordingMode,
}

impl QueueInfo {
    /// Whether SIP calls may enter it: a voice (or video) queue, never a
    /// text one.
    pub fn takes_calls(&self) -> bool {
        self.config.channel == acd::Channel::Voice
    }
}

/// A blacklist entry: callers `pattern` catches are refused (403), or hear
/// `prompt` and are hung up on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub pattern: String,
    pub prompt: Option<String>,
}

/// The snapshot.
#[derive(Debug, Default)]
pub struct Routing {
    trunks: Vec<TrunkInfo>,
    routes: HashMap<String, QueueId>,
    /// Routes to anything but a queue (an IVR menu, a hang-up, ...).
    entries: HashMap<String, ivr::Destination>,
    menus: Arc<Menus>,
    /// The project of each menu and time condition.
    owners: HashMap<ivr::Destination, ProjectId>,
    /// Each project's blacklist.
    blacklist: HashMap<ProjectId, Vec<Block>>,
    numbers: HashMap<String, QueueId>,
    queues: HashMap<QueueId, Arc<QueueInfo>>,
    agents: HashMap<String, AgentId>,
    aors: HashMap<AgentId, String>,
    extensions: HashSet<String>,
    assignments: HashMap<AgentId, Vec<QueueId>>,
    outbound: OutboundPlan,
}

impl Routing {
    /// Reads everything from the store.
    pub async fn load(store: &Store) -> Result<Routing, StoreError> {
        let mut routing = Routing::default();
        for t in store.trunks().await? {
            if !t.enabled {
                continue;
            }
            let nets = t.addresses.iter().filter_map(|a| Net::parse(a)).collect();
            let mut laws: Vec<Law> = t
                .codecs
                .iter()
                .filter_map(|c| match c.to_ascii_uppercase().as_str() {
                    "PCMU" => Some(Law::Mu),
                    "PCMA" => Some(Law::A),
                    _ => None,
                })
                .collect();
            if laws.is_empty() {
                laws = vec![Law::Mu, Law::A];
            }
            let ha1 = t.ha1_md5.zip(t.ha1_sha256);
            let destination = t.outbound_destination.as_deref().and_then(|d| {
                OutboundDestination::parse(d)
                    .map_err(|why| tracing::warn!(trunk = %t.name, %why, "outbound destination left out"))
                    .ok()
            });
            routing.trunks.push(TrunkInfo {
                id: t.id,
                name: t.name,
                nets,
                username: t.username,
                ha1,
                laws,
                destination,
                carrier_credentials: t.carrier_credentials,
            });
        }
        let list = queues::list(store)
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        for q in list {
            let config = q.dispatch();
            let info = QueueInfo {
                id: config.id,
                project: config.project,
                name: q.name.clone(),
                number: q.number.clone(),
                hold_music: q.hold_music.clone(),
                exit: config.queue_timeout.as_ref().map(|(_, t)| t.clone()),
                recording: q.recording,
                config,
            };
            routing.numbers.insert(q.number.clone(), info.id);
            routing.queues.insert(info.id, Arc::new(info));
        }
        for r in store.routes().await? {
            match destination(r.destination) {
                Some(ivr::Destination::Queue(queue)) => {
                    routing.routes.insert(r.number, queue);
                }
                Some(other) => {
                    routing.entries.insert(r.number, other);
                }
                None => {}
            }
        }
        let (menus, owners) = load_menus(store).await?;
        routing.menus = Arc::new(menus);
        routing.owners = owners;
        for b in crate::store::admin::blacklist::list(store)
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))?
        {
            if let Some(project) = stored(ProjectId::from_key(b.project_id), "blacklist's project")
            {
                routing.blacklist.entry(project).or_default().push(Block {
                    pattern: b.number,
                    prompt: b.prompt,
                });
            }
        }
        routing.outbound = load_outbound(store).await?;
        for (user, username) in store.agent_extensions().await? {
            let Some(agent) = stored(AgentId::from_key(user), "extension's user") else {
                continue;
            };
            routing.extensions.insert(username.clone());
            routing.agents.insert(username.clone(), agent);
            routing.aors.insert(agent, username);
        }
        for a in store.queue_agents().await? {
            let agent = stored(AgentId::from_key(a.user_id), "queue agent");
            let queue = stored(QueueId::from_key(a.queue_id), "queue agent's queue");
            if let (Some(agent), Some(queue)) = (agent, queue) {
                routing.assignments.entry(agent).or_default().push(queue);
            }
        }
        Ok(routing)
    }

    /// Every project's outbound routes and caller IDs.
    pub fn outbound(&self) -> &OutboundPlan {
        &self.outbound
    }

    /// The trunk a request from `ip` came through, if any.
    pub fn trunk_for(&self, ip: IpAddr) -> Option<&TrunkInfo> {
        self.trunks.iter().find(|t| t.matches(ip))
    }

    /// Every network an enabled trunk's calls may come from.
    pub fn trunk_networks(&self) -> Vec<Net> {
        self.trunks
            .iter()
            .flat_map(|t| t.nets.iter().copied())
            .collect()
    }

    /// The enabled trunk with this id.
    pub fn trunk(&self, id: i64) -> Option<&TrunkInfo> {
        self.trunks.iter().find(|t| t.id == id)
    }

    /// The queue a dialled number reaches: an inbound route, else a queue
    /// number. A leading `+` is optional on either side.
    pub fn queue_for_number(&self, dialled: &str) -> Option<Arc<QueueInfo>> {
        let bare = dialled.trim_start_matches('+');
        let id = self
            .routes
            .get(dialled)
            .or_else(|| self.routes.get(bare))
            .or_else(|| self.routes.get(&format!("+{bare}")))
            .or_else(|| self.numbers.get(dialled))?;
        self.queues.get(id).cloned()
    }

    /// Where a dialled number leads when its route is not a queue's (an
    /// IVR menu, a hang-up, ...); the same `+` rule as
    /// [`Routing::queue_for_number`].
    pub fn entry_for_number(&self, dialled: &str) -> Option<ivr::Destination> {
        let bare = dialled.trim_start_matches('+');
        self.entries
            .get(dialled)
            .or_else(|| self.entries.get(bare))
            .or_else(|| self.entries.get(&format!("+{bare}")))
            .cloned()
    }

    /// Every IVR menu and time condition.
    pub fn menus(&self) -> &Arc<Menus> {
        &self.menus
    }

    /// The project a dialled number's calls belong to: its queue's, menu's
    /// or time condition's.
    pub fn project_of_number(&self, dialled: &str) -> Option<ProjectId> {
        if let Some(q) = self.queue_for_number(dialled) {
            return Some(q.project);
        }
        self.owners.get(&self.entry_for_number(dialled)?).copied()
    }

    /// The blacklist entry of `project` that catches `caller`, if any.
    pub fn blocked(&self, project: ProjectId, caller: &str) -> Option<&Block> {
        self.blacklist
            .get(&project)?
            .iter()
            .find(|b| crate::store::admin::blacklist::catches(&b.pattern, caller))
    }

    pub fn queue(&self, id: QueueId) -> Option<Arc<QueueInfo>> {
        self.queues.get(&id).cloned()
    }

    /// Whether `username` is an extension (a user who may authenticate).
    pub fn is_extension(&self, username: &str) -> bool {
        self.extensions.contains(username)
    }

    pub fn agent_of(&self, aor: &str) -> Option<AgentId> {
        self.agents.get(aor).copied()
    }

    pub fn aor_of(&self, agent: AgentId) -> Option<&str> {
        self.aors.get(&agent).map(String::as_str)
    }

    /// The queues `agent` is assigned to, with the project they belong to
    /// (the first assignment's project: an agent works in one at a time).
    pub fn assignment(&self, agent: AgentId) -> Option<(ProjectId, Vec<QueueId>)> {
        let queues = self.assignments.get(&agent)?;
        let project = queues.iter().find_map(|q| self.queues.get(q))?.project;
        let queues = queues
            .iter()
            .filter(|q| self.queues.get(q).is_some_and(|i| i.project == project))
            .copied()
            .collect();
        Some((project, queues))
    }

    /// Every agent with an assignment.
    pub fn agents(&self) -> impl Iterator<Item = (AgentId, &str)> {
        self.aors.iter().map(|(a, aor)| (*a, aor.as_str()))
    }
}

/// The outbound routes (in the order each project tries them) and caller
/// IDs. A stored pattern that no longer parses leaves its route out, logged.
async fn load_outbound(store: &Store) -> Result<OutboundPlan, StoreError> {
    let mut plan = OutboundPlan::default();
    let routes = outbound_routes::list(store)
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    for r in routes {
        let pattern = match DialPattern::parse(&r.pattern) {
            Ok(p) => p,
            Err(why) => {
                tracing::warn!(route = %r.name, pattern = %r.pattern, %why,
                               "outbound route left out: its pattern does not parse");
                continue;
            }
        };
        let Some(project) = stored(ProjectId::from_key(r.project_id), "route's project") else {
            continue;
        };
        plan.add_route(
            project,
            OutboundRoute {
                id: r.id,
                name: r.name,
                pattern,
                strip: usize::try_from(r.strip_digits).unwrap_or(0),
                prepend: r.prepend,
                trunk: r.trunk_id,
                caller_id: r.caller_id,
            },
        );
    }
    let (projects, queues) = store.outbound_caller_ids().await?;
    for (project, caller_id) in projects {
        if let Some(project) = stored(ProjectId::from_key(project), "project") {
            plan.set_project_caller_id(project, caller_id);
        }
    }
    for (queue, caller_id) in queues {
        if let Some(queue) = stored(QueueId::from_key(queue), "queue") {
            plan.set_queue_caller_id(queue, caller_id);
        }
    }
    Ok(plan)
}

/// A stored destination as call control's; one naming an id no id can be
/// is left out, logged.
fn destination(d: StoredDestination) -> Option<ivr::Destination> {
    Some(match d {
        StoredDestination::Queue { queue_id } => {
            ivr::Destination::Queue(stored(QueueId::from_key(queue_id), "destination's queue")?)
        }
        StoredDestination::Menu { menu_id } => ivr::Destination::Menu(MenuId(stored(
            u64::try_from(menu_id).ok().filter(|&m| m > 0),
            "destination's menu",
        )?)),
        StoredDestination::Condition { condition_id } => {
            ivr::Destination::Condition(ConditionId(stored(
                u64::try_from(condition_id).ok().filter(|&c| c > 0),
                "destination's time condition",
            )?))
        }
        StoredDestination::Voicemail { voicemail_id } => ivr::Destination::Voicemail(voicemail_id),
        StoredDestination::Extension { extension } => ivr::Destination::Extension(extension),
        StoredDestination::Number { number } => ivr::Destination::Number(number),
        StoredDestination::Hangup => ivr::Destination::Hangup,
    })
}

/// Every IVR menu and time condition (in its project's time zone); a key,
/// fallback or branch that names an impossible id hangs up.
async fn load_menus(
    store: &Store,
) -> Result<(Menus, HashMap<ivr::Destination, ProjectId>), StoreError> {
    let list = crate::store::admin::ivr::list(store)
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut menus = Menus::default();
    let mut owners = HashMap::new();
    for m in list {
        let Some(id) = u64::try_from(m.id).ok().map(MenuId) else {
            continue;
        };
        if let Some(p) = ProjectId::from_key(m.project_id) {
            owners.insert(ivr::Destination::Menu(id), p);
        }
        let options = m
            .options
            .into_iter()
            .filter_map(|(key, d)| Some((key.chars().next()?, destination(d)?)))
            .collect();
        let menu = ivr::Menu {
            id,
            name: m.name,
            prompt: m.prompt,
            invalid_prompt: m.invalid_prompt,
            timeout: std::time::Duration::from_secs(u64::try_from(m.timeout_secs).unwrap_or(5)),
            repeat: u32::try_from(m.repeat_count).unwrap_or(0),
            options,
            fallback: destination(m.fallback).unwrap_or(ivr::Destination::Hangup),
        };
        menus.menus.insert(id, Arc::new(menu));
    }
    let conditions = crate::store::admin::conditions::list(store)
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    let zones = store.project_time_zones().await?;
    for c in conditions {
        let Some(id) = u64::try_from(c.id).ok().map(ConditionId) else {
            continue;
        };
        if let Some(p) = ProjectId::from_key(c.project_id) {
            owners.insert(ivr::Destination::Condition(id), p);
        }
        let zone = zones
            .get(&c.project_id)
            .and_then(|z| jiff::tz::TimeZone::get(z).ok())
            .unwrap_or(jiff::tz::TimeZone::UTC);
        let holidays = c.holidays.iter().filter_map(|d| d.parse().ok()).collect();
        let condition = ivr::Condition {
            id,
            name: c.name,
            schedule: super::schedule::Schedule {
                weekly: crate::store::admin::conditions::week(&c.weekly),
                holidays,
                zone,
            },
            open: destination(c.open).unwrap_or(ivr::Destination::Hangup),
            closed: destination(c.closed).unwrap_or(ivr::Destination::Hangup),
        };
        menus.conditions.insert(id, Arc::new(condition));
    }
    Ok((menus, owners))
}

/// A stored id as the dispatch core's; a key no id can be is left out,
/// logged (the store hands out positive ids only).
fn stored<T>(id: Option<T>, what: &str) -> Option<T> {
    if id.is_none() {
        tracing::warn!(what, "a stored id that is not positive left out");
    }
    id
}

/// The current snapshot, swapped whole on a change.
#[derive(Default)]
pub struct RoutingHandle(RwLock<Arc<Routing>>);

impl RoutingHandle {
    pub fn new(routing: Routing) -> RoutingHandle {
        RoutingHandle(RwLock::new(Arc::new(routing)))
    }

    pub fn get(&self) -> Arc<Routing> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, routing: Routing) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(routing);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trunk(addresses: &[&str]) -> TrunkInfo {
        TrunkInfo {
            id: 1,
            name: "t".into(),
            nets: addresses.iter().filter_map(|a| Net::parse(a)).collect(),
            username: None,
            ha1: None,
            laws: vec![Law::A],
            destination: None,
            carrier_credentials: None,
        }
    }

    #[test]
    fn trunks_match_hosts_and_networks() {
        let t = trunk(&["192.0.2.7", "10.0.0.0/8", "2001:db8::/32", "not an address"]);
        assert!(t.matches("192.0.2.7".parse().unwrap()));
        assert!(!t.matches("192.0.2.8".parse().unwrap()));
        assert!(t.matches("10.200.3.4".parse().unwrap()));
        assert!(!t.matches("11.0.0.1".parse().unwrap()));
        assert!(t.matches("2001:db8:1::5".parse().unwrap()));
        assert!(!t.matches("2001:db9::5".parse().unwrap()));
        assert!(
            t.matches("::ffff:10.1.2.3".parse().unwrap()),
            "an IPv4-mapped source matches its IPv4 network"
        );
        assert!(!trunk(&["10.0.0.0/33"]).matches("10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn outbound_calls_go_to_the_destination_else_the_first_single_host_on_5060() {
        let shown = |t: &TrunkInfo| t.outbound_target().map(|d| d.to_string());
        let mut t = trunk(&["10.0.0.0/8", "192.0.2.7", "192.0.2.9"]);
        assert_eq!(shown(&t).as_deref(), Some("192.0.2.7:5060"));
        assert_eq!(shown(&trunk(&["10.0.0.0/8"])), None);
        assert_eq!(
            shown(&trunk(&["2001:db8::1"])).as_deref(),
            Some("[2001:db8::1]:5060")
        );
        t.destination = OutboundDestination::parse("sbc.carrier.example:5080;transport=tcp").ok();
        assert_eq!(
            shown(&t).as_deref(),
            Some("sbc.carrier.example:5080;transport=tcp")
        );
        let mut networks_only = trunk(&["10.0.0.0/8"]);
        networks_only.destination = OutboundDestination::parse("10.1.1.1").ok();
        assert_eq!(shown(&networks_only).as_deref(), Some("10.1.1.1:5060"));
    }

    #[test]
    fn routes_then_queue_numbers_with_or_without_plus() {
        let mut r = Routing::default();
        let info = |id: u64, number: &str| {
            Arc::new(QueueInfo {
                id: QueueId(id),
                project: ProjectId(1),
                name: format!("q{id}"),
                number: number.into(),
                hold_music: String::new(),
                config: acd::QueueConfig::new(QueueId(id), ProjectId(1)),
                exit: None,
                recording: crate::store::admin::queues::RecordingMode::Never,
            })
        };
        r.queues.insert(QueueId(1), info(1, "600"));
        r.queues.insert(QueueId(2), info(2, "601"));
        r.numbers.insert("600".into(), QueueId(1));
        r.numbers.insert("601".into(), QueueId(2));
        r.routes.insert("+15550100".into(), QueueId(2));
        assert_eq!(r.queue_for_number("+15550100").unwrap().id, QueueId(2));
        assert_eq!(r.queue_for_number("15550100").unwrap().id, QueueId(2));
        assert_eq!(r.queue_for_number("600").unwrap().id, QueueId(1));
        assert!(r.queue_for_number("602").is_none());
    }
}
