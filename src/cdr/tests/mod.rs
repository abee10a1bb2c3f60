//! The record builder driven through whole call flows on a virtual clock in
//! seconds (`flows`), and what the records report: the payload names and the
//! service level (`reporting`).

mod flows;
mod props;
mod reporting;

use std::time::Duration;

use super::*;
use crate::acd::{AgentId, Millis, ProjectId, QueueId};

const SALES: QueueId = QueueId(1);
const PROJECT: ProjectId = ProjectId(1);
const ALICE: AgentId = AgentId(11);
const BOB: AgentId = AgentId(12);

fn t(secs: u64) -> Millis {
    Millis::from_secs(secs)
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn arrival() -> Arrival {
    Arrival {
        id: InteractionId(42),
        interaction_type: InteractionType::Call,
        direction: Direction::Inbound,
        domain: "cc.example.com".into(),
        remote_number: "+15550100".into(),
        local_number: "+15550199".into(),
    }
}

/// A call that arrived at t=0 and entered the sales queue (20 s service level)
/// at `queued`.
fn queued_call(queued: u64) -> RecordBuilder {
    let mut call = RecordBuilder::new(t(0), arrival(), RecordConfig::default());
    if queued > 0 {
        call.handle(t(0), CallEvent::EnteredIvr).unwrap();
    }
    call.handle(t(queued), entered_queue()).unwrap();
    call
}

fn entered_queue() -> CallEvent {
    CallEvent::EnteredQueue {
        queue: SALES,
        project: PROJECT,
        service_level: secs(20),
    }
}

fn finished(call: RecordBuilder) -> InteractionRecord {
    call.completed()
        .expect("the record is not complete yet")
        .clone()
}
