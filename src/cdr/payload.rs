//! The finish_interaction payload other systems are sent when an agent
//! closes an interaction with a result code (webhooks, and the fields the
//! e-mail and SMS templates may name).
//!
//! It is the interaction record's JSON (every field in its product name,
//! moments in epoch milliseconds, lengths in seconds) with what a receiver
//! would otherwise have to look up: the moments again as RFC 3339 UTC text
//! (`StartTime`, `EndTime`, `ConnectionTime`), the names behind the ids
//! (`AgentName`, `AgentLogin`, `QueueName`, `ProjectName`, `ResultCode`,
//! `ResultCategory`, `ResultType`, `UserTagNames`), `IsOwner` (the agent who
//! handled the interaction is the one who closed it: always true today, as
//! only that agent may submit its result), `Event` and the delivery's
//! `DeliveryID`, the same as its `X-Switchboard-Delivery` header.

use serde_json::{Map, Value};

use super::InteractionRecord;
use crate::acd::Millis;

/// The names behind a record's ids, as the store knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadNames {
    pub agent_name: Option<String>,
    pub agent_login: Option<String>,
    pub queue_name: Option<String>,
    pub project_name: Option<String>,
    pub result_code: Option<String>,
    pub result_category: Option<String>,
    pub result_type: Option<String>,
    pub user_tag_names: Vec<String>,
}

/// The `Event` of a finished interaction.
pub const FINISH_INTERACTION: &str = "finish_interaction";

/// The payload of `record`, sent as delivery `delivery`.
pub fn finish_interaction(
    record: &InteractionRecord,
    names: &PayloadNames,
    delivery: i64,
) -> Value {
    let mut out = match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
    out.insert("Event".into(), FINISH_INTERACTION.into());
    out.insert("DeliveryID".into(), delivery.into());
    out.insert("StartTime".into(), rfc3339(Some(record.init_moment)));
    out.insert("ConnectionTime".into(), rfc3339(record.connection_moment));
    out.insert("EndTime".into(), rfc3339(record.terminate_moment));
    out.insert("IsOwner".into(), record.agent.is_some().into());
    out.insert("AgentName".into(), text(&names.agent_name));
    out.insert("AgentLogin".into(), text(&names.agent_login));
    out.insert("QueueName".into(), text(&names.queue_name));
    out.insert("ProjectName".into(), text(&names.project_name));
    out.insert("ResultCode".into(), text(&names.result_code));
    out.insert("ResultCategory".into(), text(&names.result_category));
    out.insert("ResultType".into(), text(&names.result_type));
    out.insert(
        "UserTagNames".into(),
        Value::Array(
            names
                .user_tag_names
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        ),
    );
    Value::Object(out)
}

/// The fields a template may name: those of every payload.
pub fn field_names() -> Vec<String> {
    let record = InteractionRecord::new(
        super::Arrival {
            id: super::InteractionId(0),
            interaction_type: super::InteractionType::Call,
            direction: super::Direction::Inbound,
            domain: String::new(),
            remote_number: String::new(),
            local_number: String::new(),
        },
        Millis(0),
    );
    match finish_interaction(&record, &PayloadNames::default(), 0) {
        Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn rfc3339(moment: Option<Millis>) -> Value {
    moment
        .and_then(|m| jiff::Timestamp::from_millisecond(i64::try_from(m.0).ok()?).ok())
        .map_or(Value::Null, |t| Value::String(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::{AgentId, ResultCodeId};
    use crate::cdr::{Arrival, Direction, InteractionId, InteractionType};

    #[test]
    fn carries_the_record_and_what_it_names() {
        let mut record = InteractionRecord::new(
            Arrival {
                id: InteractionId(77),
                interaction_type: InteractionType::Call,
                direction: Direction::Inbound,
                domain: "sb.example".into(),
                remote_number: "+15550100".into(),
                local_number: "600".into(),
            },
            Millis(1_700_000_000_000),
        );
        record.agent = Some(AgentId(5));
        record.terminate_moment = Some(Millis(1_700_000_061_500));
        record.verdict = Some(ResultCodeId(9));
        record.note = Some("ok".into());
        let names = PayloadNames {
            agent_name: Some("Ada Lovelace".into()),
            result_code: Some("Sale".into()),
            user_tag_names: vec!["VIP".into()],
            ..PayloadNames::default()
        };
        let p = finish_interaction(&record, &names, 1234);
        assert_eq!(p["InteractionID"], 77);
        assert_eq!(p["Agent"], 5);
        assert_eq!(p["Verdict"], 9);
        assert_eq!(p["Note"], "ok");
        assert_eq!(p["RemoteNumber"], "+15550100");
        assert_eq!(p["StartTime"], "2023-11-14T22:13:20Z");
        assert_eq!(p["EndTime"], "2023-11-14T22:14:21.5Z");
        assert_eq!(p["ConnectionTime"], Value::Null);
        assert_eq!(p["IsOwner"], true);
        assert_eq!(p["AgentName"], "Ada Lovelace");
        assert_eq!(p["ResultCode"], "Sale");
        assert_eq!(p["UserTagNames"], serde_json::json!(["VIP"]));
        assert_eq!(p["DeliveryID"], 1234);
        assert_eq!(p["Event"], "finish_interaction");
        assert_eq!(p["DialingLength"], 0.0);
    }

    #[test]
    fn every_field_is_nameable() {
        let names = field_names();
        for f in [
            "RemoteNumber",
            "Note",
            "AgentName",
            "StartTime",
            "QueueWaitLength",
        ] {
            assert!(names.iter().any(|n| n == f), "{f}");
        }
    }
}
