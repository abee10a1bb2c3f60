//! What call control reads to route a call: trunks (who may send calls, with which credentials and codecs),
//! routes (dialled number to queue), each queue's assigned agents and the
//! SIP usernames of agents' extensions. These are plain reads of the whole
//! set: call control keeps them in memory and reloads them after a change.
//!
//! Edits go through the administration modules (`admin::trunks`,
//! `admin::routes`, `admin::queue_agents`), which keep the product's rules;
//! [`Store::seed_demo_routing`] uses them to build the demo a fresh server
//! starts with.

use sqlx::Row;

use super::admin::{self, AdminError};
use super::{Store, StoreError};

/// A trunk as call control needs it, credentials included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trunk {
    pub id: i64,
    pub name: String,
    /// IP addresses and CIDR networks (`10.0.0.0/8`) calls may come from.
    pub addresses: Vec<String>,
    /// When set, INVITEs from this trunk must carry digest credentials of this
    /// username, checked against the HA1 values below.
    pub username: Option<String>,
    /// The realm the HA1 values were made for.
    pub realm: Option<String>,
    pub ha1_md5: Option<String>,
    pub ha1_sha256: Option<String>,
    /// Codec names (`PCMU`, `PCMA`), in the trunk's order of preference.
    pub codecs: Vec<String>,
    pub enabled: bool,
    /// Registration to the carrier, when the trunk registers.
    pub registration: Option<TrunkRegistration>,
    /// Where outbound calls go (`host[:port][;transport=..]`), when set.
    pub outbound_destination: Option<String>,
    /// The carrier account (register username, password) our INVITEs answer
    /// a carrier's digest challenge with, whether or not the trunk registers.
    pub carrier_credentials: Option<(String, String)>,
}

/// How a trunk registers to its carrier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkRegistration {
    /// The registrar's SIP URI.
    pub registrar: String,
    pub username: String,
    pub password: String,
    /// Seconds asked for.
    pub expires: u32,
}

/// A dialled number and where its calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub number: String,
    pub destination: admin::ivr::Destination,
}

/// The caller IDs set on projects and on queues: `(id, caller ID)` each.
pub type OutboundCallerIds = (Vec<(i64, String)>, Vec<(i64, String)>);

/// A user assigned to a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueAgent {
    pub queue_id: i64,
    pub user_id: i64,
    /// Joins the queue whenever logging in to its project.
    pub mandatory: bool,
}

/// What [`Store::seed_demo_routing`] created; empty when the database already
/// had a project and nothing was seeded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSeed {
    pub project_id: Option<i64>,
    pub queue_id: Option<i64>,
    pub route_id: Option<i64>,
    pub trunk_id: Option<i64>,
    /// The users (of extensions 1001 and 1002) made mandatory agents of the queue.
    pub agents: Vec<i64>,
}

impl DemoSeed {
    /// Whether nothing was created.
    pub fn is_empty(&self) -> bool {
        *self == DemoSeed::default()
    }
}

/// The demo's names and numbers.
pub const DEMO_PROJECT: &str = "Demo";
pub const DEMO_QUEUE: &str = "Support";
pub const DEMO_QUEUE_NUMBER: &str = "600";
pub const DEMO_ROUTE: &str = "+15550100";
pub const DEMO_TRUNK: &str = "loopback";
pub const DEMO_AGENTS: &[&str] = &["1001", "1002"];

fn seed_error(e: AdminError) -> StoreError {
    match e {
        AdminError::Store(e) => e,
        other => StoreError::Invalid(format!("demo routing: {other}")),
    }
}

impl Store {
    /// Every trunk, by name.
    pub async fn trunks(&self) -> Result<Vec<Trunk>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, addresses, username, realm, ha1_md5, ha1_sha256, codecs, \
             CAST(enabled AS INTEGER), CAST(register AS INTEGER), registrar, register_username, register_password, register_expires, \
             outbound_destination FROM trunks ORDER BY name",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Trunk {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    addresses: admin::trunks::json_list(row.try_get(2)?)?,
                    username: row.try_get(3)?,
                    realm: row.try_get(4)?,
                    ha1_md5: row.try_get(5)?,
                    ha1_sha256: row.try_get(6)?,
                    codecs: admin::trunks::json_list(row.try_get(7)?)?,
                    enabled: super::flag(row, 8)?,
                    registration: match (
                        super::flag(row, 9)?,
                        row.try_get::<Option<String>, _>(10)?,
                        row.try_get::<Option<String>, _>(11)?,
                        row.try_get::<Option<String>, _>(12)?,
                    ) {
                        (true, Some(registrar), Some(username), Some(password)) => {
                            Some(TrunkRegistration {
                                registrar,
                                username,
                                password,
                                expires: u32::try_from(row.try_get::<i64, _>(13)?).unwrap_or(3600),
                            })
                        }
                        _ => None,
                    },
                    outbound_destination: row.try_get(14)?,
                    carrier_credentials: row
                        .try_get::<Option<String>, _>(11)?
                        .zip(row.try_get::<Option<String>, _>(12)?),
                })
            })
            .collect()
    }

    /// Every project's time zone (IANA name), by project id.
    pub async fn project_time_zones(
        &self,
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, time_zone FROM projects")
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Every route, by number.
    pub async fn routes(&self) -> Result<Vec<Route>, StoreError> {
        Ok(admin::routes::list(self)
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .into_iter()
            .map(|r| Route {
                number: r.number,
                destination: r.destination,
            })
            .collect())
    }

    /// The caller IDs outbound calls present for projects and for queues
    /// (`(project id, caller ID)`, `(queue id, caller ID)`), where set.
    pub async fn outbound_caller_ids(&self) -> Result<OutboundCallerIds, StoreError> {
        let projects = sqlx::query_as(
            "SELECT id, outbound_caller_id FROM projects WHERE outbound_caller_id IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        let queues = sqlx::query_as(
            "SELECT id, outbound_caller_id FROM queues WHERE outbound_caller_id IS NOT NULL",
        )
        .fetch_all(self.pool())
        .await?;
        Ok((projects, queues))
    }

    /// Every queue's assigned agents, by queue and user.
    pub async fn queue_agents(&self) -> Result<Vec<QueueAgent>, StoreError> {
        let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
            "SELECT queue_id, user_id, CAST(mandatory AS INTEGER) FROM queue_agents \
             ORDER BY queue_id, user_id",
        )
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(queue_id, user_id, mandatory)| QueueAgent {
                queue_id,
                user_id,
                mandatory: mandatory != 0,
            })
            .collect())
    }

    /// `(user id, SIP username)` of every extension: how call control finds
    /// the phone of an agent the dispatch core offers a call to.
    pub async fn agent_extensions(&self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT user_id, sip_username FROM extensions ORDER BY user_id, sip_username",
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The digest realm the extensions' HA1 values were made for (the most
    /// common one); `None` before any extension exists.
    pub async fn digest_realm(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT realm FROM extensions GROUP BY realm ORDER BY COUNT(*) DESC, realm LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?)
    }

    /// Seeds the demo routing on a database with no project yet: project
    /// "Demo", queue "Support" (number 600, longest idle, position and
    /// queue-exit announcements every 30 s, the default hold music, 15 s agent
    /// timeout), the route +15550100 to it, the trunk "loopback" (127.0.0.1
    /// and ::1, no credentials), and the users of extensions 1001 and 1002 as
    /// its mandatory agents (those missing are skipped). Does nothing, and
    /// answers an empty [`DemoSeed`], when a project exists. `realm` is the
    /// server's digest realm; the loopback trunk needs no credentials, so it
    /// is not used yet.
    pub async fn seed_demo_routing(&self, realm: &str) -> Result<DemoSeed, StoreError> {
        let _ = realm;
        let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
            .fetch_one(self.pool())
            .await?;
        if projects > 0 {
            return Ok(DemoSeed::default());
        }
        let project = admin::projects::create(
            self,
            admin::projects::ProjectInput {
                name: DEMO_PROJECT.into(),
                default_profile: None,
                break_minutes: 0,
                caller_id: None,
                time_zone: "UTC".into(),
            },
        )
        .await
        .map_err(seed_error)?
        .item;
        let queue_input = serde_json::json!({
            "project_id": project.id,
            "name": DEMO_QUEUE,
            "number": DEMO_QUEUE_NUMBER,
            "strategy": "longest_idle",
            "position_announcement": "both",
            "announcement_frequency_secs": 30,
            "hold_music": "default",
            "agent_timeout_secs": 15,
            // Pressing 1 (offered in the announcements) leaves a callback request.
            "exit_kind": "callback",
        });
        let queue = admin::queues::create(
            self,
            &admin::queues::QueueRules::default(),
            serde_json::from_value(queue_input)
                .map_err(|e| StoreError::Invalid(format!("demo queue: {e}")))?,
        )
        .await
        .map_err(seed_error)?
        .item;
        let route = admin::routes::create(
            self,
            admin::routes::RouteInput::to_queue(DEMO_ROUTE, queue.id),
        )
        .await
        .map_err(seed_error)?
        .item;
        let trunk = admin::trunks::create(
            self,
            admin::trunks::TrunkInput {
                name: DEMO_TRUNK.into(),
                addresses: vec!["127.0.0.1".into(), "::1".into()],
                username: None,
                password: None,
                codecs: admin::trunks::CODECS
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
                enabled: true,
                register: false,
                registrar: None,
                register_username: None,
                register_password: None,
                register_expires: 3600,
                outbound_destination: None,
            },
            None,
        )
        .await
        .map_err(seed_error)?
        .item;
        let mut agents = Vec::new();
        for username in DEMO_AGENTS {
            let user: Option<i64> =
                sqlx::query_scalar("SELECT user_id FROM extensions WHERE sip_username = $1")
                    .bind(username)
                    .fetch_optional(self.pool())
                    .await?;
            agents.extend(user);
        }
        admin::queue_agents::set(
            self,
            queue.id,
            agents
                .iter()
                .map(|&user_id| admin::queue_agents::Assignment {
                    user_id,
                    mandatory: true,
                })
                .collect(),
        )
        .await
        .map_err(seed_error)?;
        Ok(DemoSeed {
            project_id: Some(project.id),
            queue_id: Some(queue.id),
            route_id: Some(route.id),
            trunk_id: Some(trunk.id),
            agents,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_support::temp_store;

    #[tokio::test]
    async fn the_demo_is_seeded_once_and_read_back() {
        let (store, _dir) = temp_store().await;
        let mut users = Vec::new();
        for ext in ["1001", "1002", "1003"] {
            users.push(store.set_extension(ext, "demo", "a", "b").await.unwrap());
        }
        let seed = store.seed_demo_routing("demo").await.unwrap();
        assert_eq!(seed.agents, users[..2]);
        let queue_id = seed.queue_id.unwrap();
        assert_eq!(
            store.routes().await.unwrap(),
            [Route {
                number: DEMO_ROUTE.into(),
                destination: admin::ivr::Destination::Queue { queue_id }
            }]
        );
        let trunks = store.trunks().await.unwrap();
        assert_eq!(trunks.len(), 1);
        assert_eq!(trunks[0].name, DEMO_TRUNK);
        assert_eq!(trunks[0].addresses, ["127.0.0.1", "::1"]);
        assert_eq!(trunks[0].codecs, ["PCMU", "PCMA"]);
        assert_eq!(
            (trunks[0].username.as_ref(), trunks[0].ha1_md5.as_ref()),
            (None, None)
        );
        assert!(trunks[0].enabled);
        let agents = store.queue_agents().await.unwrap();
        assert_eq!(agents.len(), 2);
        assert!(agents.iter().all(|a| a.mandatory && a.queue_id == queue_id));
        let queue = admin::queues::get(&store, queue_id).await.unwrap();
        assert_eq!(queue.number, DEMO_QUEUE_NUMBER);
        assert_eq!(
            queue.position_announcement,
            admin::queues::PositionAnnouncement::Both
        );
        assert_eq!(queue.agent_timeout_secs, 15);
        assert!(store.seed_demo_routing("demo").await.unwrap().is_empty());
        assert_eq!(store.routes().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn extensions_name_their_users() {
        let (store, _dir) = temp_store().await;
        assert_eq!(store.digest_realm().await.unwrap(), None);
        let u = store
            .set_extension("1001", "example", "a", "b")
            .await
            .unwrap();
        assert_eq!(
            store.agent_extensions().await.unwrap(),
            [(u, "1001".to_owned())]
        );
        assert_eq!(
            store.digest_realm().await.unwrap().as_deref(),
            Some("example")
        );
    }
}
