//! The stored configuration as the dispatch core takes it: [`acd::Config`] at
//! start-up, and one `*Config` per item for the `Event::*Configured` inputs a
//! change will send once saved changes are fed to the running core.
//!
//! Mapping choices: a queue timeout needs an exit to mean anything to the
//! core, so a queue whose exit kind is `none` waits for ever there (the
//! kinds `queue`, `callback` and `prompt` map to [`acd::ExitTarget`]); a video queue (only
//! stored when enabled) takes the whole agent like voice; every status is
//! passed, active or not, since agents may still be in an inactive one; the
//! length of a result code's extra time is not modelled yet, so it adds none;
//! each queue carries its assigned agents (and the mandatory ones), so that a
//! reload can tell who was taken off it.

use std::time::Duration;

use crate::acd;

use super::projects::Project;
use super::queue_groups::QueueGroup;
use super::queues::{ExitKind, PositionAnnouncement, Queue, QueueKind, Strategy};
use super::result_codes::ResultCode;
use super::statuses::{Status, StatusCategory};
use super::{projects, queue_groups, queues, result_codes, statuses, AdminError};
use crate::store::Store;

/// Everything the dispatch core needs from the stored configuration.
pub async fn load(store: &Store, seed: u64) -> Result<acd::Config, AdminError> {
    Ok(acd::Config {
        projects: projects::list(store)
            .await?
            .iter()
            .map(Project::dispatch)
            .collect(),
        statuses: statuses::list(store)
            .await?
            .iter()
            .map(Status::dispatch)
            .collect(),
        queues: with_agents(
            queues::list(store)
                .await?
                .iter()
                .map(Queue::dispatch)
                .collect(),
            store,
        )
        .await?,
        queue_groups: queue_groups::list(store)
            .await?
            .iter()
            .map(QueueGroup::dispatch)
            .collect(),
        result_codes: result_codes::list(store)
            .await?
            .iter()
            .map(ResultCode::dispatch)
            .collect(),
        agent_priorities: super::users::priorities(store).await?,
        seed,
    })
}

/// Fills each queue's assigned and mandatory agents from its assignments.
async fn with_agents(
    mut queues: Vec<acd::QueueConfig>,
    store: &Store,
) -> Result<Vec<acd::QueueConfig>, AdminError> {
    let assigned = store.queue_agents().await?;
    for q in &mut queues {
        for a in assigned.iter().filter(|a| id(a.queue_id) == q.id.0) {
            let agent = acd::AgentId(id(a.user_id));
            q.assigned_agents.push(agent);
            if a.mandatory {
                q.mandatory_agents.push(agent);
            }
        }
    }
    Ok(queues)
}

fn id(raw: i64) -> u64 {
    u64::try_from(raw).unwrap_or(0)
}

fn secs(s: i64) -> Duration {
    Duration::from_secs(u64::try_from(s).unwrap_or(0))
}

impl Project {
    pub fn dispatch(&self) -> acd::ProjectConfig {
        acd::ProjectConfig {
            break_allowance: secs(self.break_minutes * 60),
            time_zone: self.time_zone.clone(),
            ..acd::ProjectConfig::new(acd::ProjectId(id(self.id)))
        }
    }
}

impl Status {
    pub fn dispatch(&self) -> acd::StatusConfig {
        acd::StatusConfig {
            id: acd::StatusId(id(self.id)),
            name: self.name.clone(),
            category: match self.category {
                StatusCategory::Available => acd::Category::Available,
                StatusCategory::Offline => acd::Category::Offline,
                StatusCategory::Break => acd::Category::Break,
                StatusCategory::InCall => acd::Category::InCall,
            },
            transferable: self.transferable,
        }
    }
}

impl Strategy {
    pub fn dispatch(self) -> acd::StrategyKind {
        match self {
            Strategy::Sequential => acd::StrategyKind::Sequential,
            Strategy::LeastRecentlyCalled => acd::StrategyKind::LeastRecentlyCalled,
            Strategy::LongestIdle => acd::StrategyKind::LongestIdle,
            Strategy::FewestCalls => acd::StrategyKind::FewestCalls,
            Strategy::Random => acd::StrategyKind::Random,
            Strategy::RingAll => acd::StrategyKind::RingAll,
        }
    }
}

impl Queue {
    pub fn dispatch(&self) -> acd::QueueConfig {
        let base = acd::QueueConfig::new(
            acd::QueueId(id(self.id)),
            acd::ProjectId(id(self.project_id)),
        );
        acd::QueueConfig {
            strategy: self.strategy.dispatch(),
            priority: u32::try_from(self.priority).unwrap_or(0),
            agent_timeout: secs(self.agent_timeout_secs),
            after_call_work: secs(self.after_call_work_secs),
            queue_timeout: self
                .exit_target()
                .map(|target| (secs(self.queue_timeout_secs), target)),
            service_level: secs(self.service_level_secs),
            announcements: match self.position_announcement {
                PositionAnnouncement::None => acd::AnnouncementMode::None,
                PositionAnnouncement::Position => acd::AnnouncementMode::Position,
                PositionAnnouncement::QueueExit => acd::AnnouncementMode::QueueExit,
                PositionAnnouncement::Both => acd::AnnouncementMode::Both,
            },
            announce_every: secs(self.announcement_frequency_secs),
            auto_answer: self.auto_answer,
            channel: match self.kind {
                QueueKind::Text => acd::Channel::Text {
                    weight: u8::try_from(self.channel_weight.clamp(1, 100)).unwrap_or(100),
                },
                QueueKind::Voice | QueueKind::Video => acd::Channel::Voice,
            },
            ..base
        }
    }
}

impl Queue {
    /// Where the queue timeout sends a caller; `None` when it sends nowhere,
    /// so the caller waits for ever.
    pub fn exit_target(&self) -> Option<acd::ExitTarget> {
        match (self.exit_kind, self.exit_queue_id) {
            (ExitKind::Queue, Some(exit)) => Some(acd::ExitTarget::Queue(acd::QueueId(id(exit)))),
            (ExitKind::Callback, _) => Some(acd::ExitTarget::Callback),
            (ExitKind::Prompt, _) => Some(acd::ExitTarget::Prompt),
            (ExitKind::Voicemail, _) => self
                .exit_voicemail_id
                .map(|b| acd::ExitTarget::Voicemail(id(b))),
            (ExitKind::Menu, _) => self.exit_menu_id.map(|m| acd::ExitTarget::Menu(id(m))),
            (ExitKind::None, _) | (ExitKind::Queue, None) => None,
        }
    }
}

impl QueueGroup {
    pub fn dispatch(&self) -> acd::QueueGroupConfig {
        acd::QueueGroupConfig {
            id: acd::QueueGroupId(id(self.id)),
            queues: self.queues.iter().map(|q| acd::QueueId(id(*q))).collect(),
        }
    }
}

impl ResultCode {
    pub fn dispatch(&self) -> acd::ResultCodeConfig {
        acd::ResultCodeConfig {
            id: acd::ResultCodeId(id(self.id)),
            extra_time: if self.flags.extra_time {
                Duration::from_secs(u64::from(self.extra_time_secs))
            } else {
                Duration::ZERO
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::admin::projects::ProjectInput;
    use crate::store::admin::queue_groups::QueueGroupInput;
    use crate::store::admin::queues::{QueueInput, QueueRules};
    use crate::store::test_support::temp_store;

    #[tokio::test]
    async fn the_stored_configuration_reaches_the_dispatch_core() {
        let (store, _dir) = temp_store().await;
        let rules = QueueRules::default();
        let project = projects::create(
            &store,
            ProjectInput {
                name: "Sales".into(),
                default_profile: None,
                break_minutes: 45,
                caller_id: None,
                time_zone: "UTC".into(),
            },
        )
        .await
        .unwrap()
        .item;
        let queue = |v: serde_json::Value| -> QueueInput { serde_json::from_value(v).unwrap() };
        let exit = queues::create(
            &store,
            &rules,
            queue(
                serde_json::json!({"project_id": project.id, "name": "Overflow",
                                     "number": "2"}),
            ),
        )
        .await
        .unwrap()
        .item;
        let chat = queues::create(
            &store,
            &rules,
            queue(
                serde_json::json!({"project_id": project.id, "name": "Chat", "number": "1",
                                     "type": "text", "channel_weight": 25,
                                     "strategy": "fewest_calls", "queue_timeout_secs": 90,
                                     "exit_queue_id": exit.id,
                                     "position_announcement": "both"}),
            ),
        )
        .await
        .unwrap()
        .item;
        queue_groups::create(
            &store,
            QueueGroupInput {
                name: "All".into(),
                queues: vec![chat.id, exit.id],
            },
        )
        .await
        .unwrap();

        let config = load(&store, 7).await.unwrap();
        assert_eq!(config.seed, 7);
        assert_eq!(config.projects.len(), 1);
        assert_eq!(
            config.projects[0].break_allowance,
            Duration::from_secs(45 * 60)
        );
        assert_eq!(config.statuses.len(), 1, "the system status Available");
        assert_eq!(config.statuses[0].category, acd::Category::Available);
        let q = config
            .queues
            .iter()
            .find(|q| q.id == acd::QueueId(chat.id as u64))
            .unwrap();
        assert_eq!(q.strategy, acd::StrategyKind::FewestCalls);
        assert_eq!(q.channel, acd::Channel::Text { weight: 25 });
        assert_eq!(q.announcements, acd::AnnouncementMode::Both);
        assert_eq!(
            q.queue_timeout,
            Some((
                Duration::from_secs(90),
                acd::ExitTarget::Queue(acd::QueueId(exit.id as u64))
            ))
        );
        let o = config
            .queues
            .iter()
            .find(|q| q.id == acd::QueueId(exit.id as u64))
            .unwrap();
        assert_eq!(o.queue_timeout, None, "no exit target: waits for ever");
        assert_eq!(o.channel, acd::Channel::Voice);
        assert_eq!(config.queue_groups[0].queues.len(), 2);
        for (kind, number, target) in [
            ("callback", "3", acd::ExitTarget::Callback),
            ("prompt", "4", acd::ExitTarget::Prompt),
        ] {
            let made = queues::create(
                &store,
                &rules,
                queue(serde_json::json!({"project_id": project.id, "name": kind,
                                         "number": number, "exit_kind": kind,
                                         "queue_timeout_secs": 120})),
            )
            .await
            .unwrap()
            .item;
            let config = load(&store, 7).await.unwrap();
            let q = config
                .queues
                .iter()
                .find(|q| q.id == acd::QueueId(made.id as u64))
                .unwrap();
            assert_eq!(q.queue_timeout, Some((Duration::from_secs(120), target)));
        }
        // The engine accepts it.
        let _ = acd::Engine::new(config);
    }
}
