//! The Asterisk-compatible queue_log: the interaction records and the
//! agents' history of a range as the lines Asterisk's app_queue writes,
//! `epoch|callid|queuename|agent|event|data1|data2|...`, so that tools built
//! for Asterisk's queue_log can read Switchboard.
//!
//! The events and their fields follow Asterisk's "Queue Logs" documentation
//! (docs.asterisk.org, Operation/Logging/Queue-Logs):
//!
//! | event | data |
//! |---|---|
//! | ENTERQUEUE | url (empty), caller id |
//! | RINGNOANSWER | ring time (milliseconds) |
//! | CONNECT | hold time, the member channel's unique id, ring time (seconds) |
//! | COMPLETEAGENT / COMPLETECALLER | hold time, call time, original position |
//! | ABANDON | position, original position, wait time |
//! | EXITWITHKEY | key, position, original position, wait time |
//! | EXITWITHTIMEOUT | position, original position, wait time |
//! | ADDMEMBER / REMOVEMEMBER | (none) |
//! | PAUSE / UNPAUSE | reason (the status id) |
//!
//! The callid is the InteractionID, the queue name the queue's name, the
//! agent the user's username; times are whole seconds. Switchboard does not
//! record queue positions, so positions are written as 1. An agent's PAUSE
//! and UNPAUSE are written for each queue they are known (from the range's
//! ADDMEMBER lines) to serve, or once with the queue `NONE`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::super::{Store, StoreError, StoredInteraction};
use super::agent_events::StoredAgentEvent;
use super::Visibility;
use crate::cdr::{Disposition, TerminateSide};

/// The queue-exit key (see `call::flow`).
const EXIT_KEY: &str = "1";

/// The names lines use.
#[derive(Debug, Default)]
pub struct Names {
    pub queues: HashMap<i64, String>,
    pub agents: BTreeMap<i64, String>,
}

impl Names {
    fn queue(&self, id: Option<i64>) -> String {
        id.and_then(|q| self.queues.get(&q))
            .map(|n| clean(n))
            .unwrap_or_else(|| "NONE".to_owned())
    }

    fn agent(&self, id: Option<i64>) -> String {
        match id {
            Some(a) => self
                .agents
                .get(&a)
                .map(|n| clean(n))
                .unwrap_or_else(|| format!("Agent/{a}")),
            None => "NONE".to_owned(),
        }
    }
}

/// A name without the field separator or line breaks.
fn clean(text: &str) -> String {
    text.replace(['|', '\n', '\r'], "_")
}

fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// One line, with what orders it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Line {
    ms: i64,
    rank: u8,
    seq: usize,
    text: String,
}

/// The queue_log lines of `records` and `events`, in the order they happened.
pub fn lines(
    records: &[StoredInteraction],
    events: &[StoredAgentEvent],
    names: &Names,
) -> Vec<String> {
    let mut out: Vec<Line> = Vec::new();
    let mut push =
        |ms: i64, rank: u8, call: &str, queue: &str, agent: &str, event: &str, data: &[String]| {
            let mut text = format!("{}|{call}|{queue}|{agent}|{event}", secs(ms));
            for d in data {
                text.push('|');
                text.push_str(&clean(d));
            }
            let seq = out.len();
            out.push(Line {
                ms,
                rank,
                seq,
                text,
            });
        };
    // When each offer started, for the ring times.
    let mut offered: HashMap<(i64, i64), i64> = HashMap::new();
    let queue_of: HashMap<i64, Option<i64>> = records
        .iter()
        .map(|r| {
            (
                r.record.interaction_id.0 as i64,
                r.record.queue.map(|q| q.0 as i64),
            )
        })
        .collect();
    let mut members: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    let mut on_break: BTreeSet<i64> = BTreeSet::new();
    for e in events {
        let agent = names.agent(Some(e.agent));
        let call = e
            .call
            .map(|c| c.to_string())
            .unwrap_or_else(|| "NONE".into());
        match e.kind.as_str() {
            "offered" => {
                if let Some(c) = e.call {
                    offered.insert((c, e.agent), e.at);
                }
            }
            "missed" => {
                let ring = e
                    .call
                    .and_then(|c| offered.get(&(c, e.agent)))
                    .map(|start| e.at - start)
                    .unwrap_or(0);
                let queue = e.call.and_then(|c| queue_of.get(&c).copied().flatten());
                push(
                    e.at,
                    1,
                    &call,
                    &names.queue(queue),
                    &agent,
                    "RINGNOANSWER",
                    &[ring.to_string()],
                );
            }
            "join" | "leave" => {
                let set = members.entry(e.agent).or_default();
                let event = if e.kind == "join" {
                    set.extend(e.queue);
                    "ADDMEMBER"
                } else {
                    if let Some(q) = e.queue {
                        set.remove(&q);
                    }
                    "REMOVEMEMBER"
                };
                push(
                    e.at,
                    0,
                    "NONE",
                    &names.queue(e.queue),
                    &agent,
                    event,
                    &[String::new()],
                );
            }
            "presence" => {
                let now_break = e.detail.as_deref() == Some("break");
                let was_break = on_break.contains(&e.agent);
                let event = match (was_break, now_break) {
                    (false, true) => "PAUSE",
                    (true, false) => "UNPAUSE",
                    _ => continue,
                };
                if now_break {
                    on_break.insert(e.agent);
                } else {
                    on_break.remove(&e.agent);
                }
                let reason = e.status.map(|s| s.to_string()).unwrap_or_default();
                let queues: Vec<Option<i64>> = match members.get(&e.agent) {
                    Some(set) if !set.is_empty() => set.iter().map(|q| Some(*q)).collect(),
                    _ => vec![None],
                };
                for q in queues {
                    push(
                        e.at,
                        0,
                        "NONE",
                        &names.queue(q),
                        &agent,
                        event,
                        std::slice::from_ref(&reason),
                    );
                }
            }
            _ => {}
        }
    }
    for stored in records {
        let r = &stored.record;
        let (Some(queue), Some(start)) = (r.queue, r.queue_wait_start) else {
            continue;
        };
        let call = r.interaction_id.0.to_string();
        let queue = names.queue(Some(queue.0 as i64));
        let start = start.0 as i64;
        let wait_ms = r.queue_wait_length.as_millis() as i64;
        let left = r
            .queue_wait_end
            .map(|m| m.0 as i64)
            .unwrap_or(start + wait_ms);
        let wait = secs(wait_ms).to_string();
        push(
            start,
            0,
            &call,
            &queue,
            "NONE",
            "ENTERQUEUE",
            &[String::new(), r.remote_number.clone()],
        );
        let one = || "1".to_owned();
        match r.disposition {
            Some(Disposition::Answered) => {
                let agent_id = r.agent.map(|a| a.0 as i64);
                let agent = names.agent(agent_id);
                let connected = r.connection_moment.map(|m| m.0 as i64).unwrap_or(left);
                let ring = agent_id
                    .and_then(|a| offered.get(&(r.interaction_id.0 as i64, a)))
                    .map(|t| secs(connected - t))
                    .unwrap_or(0);
                let member = format!("{call}-{}", agent_id.unwrap_or(0));
                push(
                    connected,
                    2,
                    &call,
                    &queue,
                    &agent,
                    "CONNECT",
                    &[wait.clone(), member, ring.to_string()],
                );
                let talked = r.connected_length.as_millis() as i64;
                let event = if r.terminate_side == Some(TerminateSide::Caller) {
                    "COMPLETECALLER"
                } else {
                    "COMPLETEAGENT"
                };
                push(
                    connected + talked,
                    3,
                    &call,
                    &queue,
                    &agent,
                    event,
                    &[wait, secs(talked).to_string(), one()],
                );
            }
            Some(Disposition::Abandoned) => {
                push(
                    left,
                    3,
                    &call,
                    &queue,
                    "NONE",
                    "ABANDON",
                    &[one(), one(), wait],
                );
            }
            Some(Disposition::AbandonedByQueueExit) => {
                push(
                    left,
                    3,
                    &call,
                    &queue,
                    "NONE",
                    "EXITWITHKEY",
                    &[EXIT_KEY.into(), one(), one(), wait],
                );
            }
            Some(Disposition::RedirectedByQueueTimeout) => {
                push(
                    left,
                    3,
                    &call,
                    &queue,
                    "NONE",
                    "EXITWITHTIMEOUT",
                    &[one(), one(), wait],
                );
            }
            _ => {}
        }
    }
    out.sort();
    out.into_iter().map(|l| l.text).collect()
}

impl Store {
    /// The queue_log lines of the records that arrived from `from` until
    /// before `to` that `visible` shows, with the agents' lines of the range
    /// when `agents` (only those of visible queues unless every record is).
    pub async fn queue_log(
        &self,
        from: i64,
        to: i64,
        visible: &Visibility,
        agents: bool,
    ) -> Result<Vec<String>, StoreError> {
        use crate::acd::Millis;
        let mut records = self
            .interactions_between(Millis(from.max(0) as u64), Millis(to.max(0) as u64))
            .await?;
        let sees = |q: Option<i64>| match visible {
            Visibility::All => true,
            Visibility::Queues(ids) => q.is_some_and(|q| ids.contains(&q)),
            Visibility::Own(_) => false,
        };
        records.retain(|r| sees(r.record.queue.map(|q| q.0 as i64)));
        let mut events = if agents {
            self.agent_events_between(from, to, None).await?
        } else {
            Vec::new()
        };
        if !matches!(visible, Visibility::All) {
            let calls: BTreeSet<i64> = records
                .iter()
                .map(|r| r.record.interaction_id.0 as i64)
                .collect();
            events.retain(|e| match e.kind.as_str() {
                "offered" | "missed" => e.call.is_some_and(|c| calls.contains(&c)),
                "join" | "leave" => sees(e.queue),
                _ => false,
            });
        }
        let queues: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM queues")
            .fetch_all(self.pool())
            .await?;
        let ids = records
            .iter()
            .filter_map(|r| r.record.agent.map(|a| a.0 as i64))
            .chain(events.iter().map(|e| e.agent));
        let names = Names {
            queues: queues.into_iter().collect(),
            agents: self
                .agent_names(ids.collect::<BTreeSet<_>>().into_iter())
                .await?,
        };
        Ok(lines(&records, &events, &names))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::acd::{AgentId, Millis, QueueId};
    use crate::cdr::{Arrival, Direction, InteractionId, InteractionRecord, InteractionType};
    use crate::store::RowState;

    fn record(id: u64, at: u64, wait_ms: u64, disposition: Disposition) -> StoredInteraction {
        let mut r = InteractionRecord::new(
            Arrival {
                id: InteractionId(id),
                interaction_type: InteractionType::Call,
                direction: Direction::Inbound,
                domain: "d".into(),
                remote_number: "+15550001".into(),
                local_number: "600".into(),
            },
            Millis(at),
        );
        r.queue = Some(QueueId(3));
        r.queue_wait_start = Some(Millis(at));
        r.queue_wait_length = Duration::from_millis(wait_ms);
        r.queue_wait_end = Some(Millis(at + wait_ms));
        r.disposition = Some(disposition);
        if disposition == Disposition::Answered {
            r.agent = Some(AgentId(7));
            r.connection_moment = Some(Millis(at + wait_ms));
            r.connected_length = Duration::from_secs(60);
            r.terminate_side = Some(TerminateSide::Agent);
        }
        StoredInteraction {
            state: RowState::Complete,
            closed_at: None,
            record: r,
        }
    }

    fn event(
        at: i64,
        kind: &str,
        queue: Option<i64>,
        call: Option<i64>,
        detail: Option<&str>,
    ) -> StoredAgentEvent {
        StoredAgentEvent {
            at,
            agent: 7,
            kind: kind.into(),
            project: None,
            queue,
            call,
            status: Some(4),
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn records_and_agent_events_become_asterisk_lines_in_order() {
        let names = Names {
            queues: [(3, "Sales|EU".to_owned())].into_iter().collect(),
            agents: [(7, "ann".to_owned())].into_iter().collect(),
        };
        let records = [
            record(10, 100_000, 12_000, Disposition::Answered),
            record(11, 101_000, 30_000, Disposition::RedirectedByQueueTimeout),
            record(12, 102_000, 4_000, Disposition::AbandonedByQueueExit),
            record(13, 103_000, 2_000, Disposition::Abandoned),
        ];
        let events = [
            event(90_000, "join", Some(3), None, None),
            event(100_500, "offered", None, Some(10), None),
            event(104_500, "missed", None, Some(10), Some("timeout")),
            event(106_000, "offered", None, Some(10), None),
            event(300_000, "presence", None, None, Some("break")),
            event(400_000, "presence", None, None, Some("available")),
        ];
        assert_eq!(
            lines(&records, &events, &names),
            [
                "90|NONE|Sales_EU|ann|ADDMEMBER|",
                "100|10|Sales_EU|NONE|ENTERQUEUE||+15550001",
                "101|11|Sales_EU|NONE|ENTERQUEUE||+15550001",
                "102|12|Sales_EU|NONE|ENTERQUEUE||+15550001",
                "103|13|Sales_EU|NONE|ENTERQUEUE||+15550001",
                "104|10|Sales_EU|ann|RINGNOANSWER|4000",
                "105|13|Sales_EU|NONE|ABANDON|1|1|2",
                "106|12|Sales_EU|NONE|EXITWITHKEY|1|1|1|4",
                "112|10|Sales_EU|ann|CONNECT|12|10-7|6",
                "131|11|Sales_EU|NONE|EXITWITHTIMEOUT|1|1|30",
                "172|10|Sales_EU|ann|COMPLETEAGENT|12|60|1",
                "300|NONE|Sales_EU|ann|PAUSE|4",
                "400|NONE|Sales_EU|ann|UNPAUSE|4",
            ]
        );
    }
}
