//! The Call Detail Report as CSV (RFC 4180): a header line, then one line
//! per record, newest first; a field holding a comma, a quote or a line
//! break is quoted, its quotes doubled. Lengths are seconds with
//! millisecond precision, moments RFC 3339 in UTC.

use crate::store::reports::CdrRow;

/// The columns, in order.
pub const HEADER: &[&str] = &[
    "InteractionID",
    "InitMoment",
    "Direction",
    "Queue",
    "QueueName",
    "Agent",
    "AgentName",
    "RemoteNumber",
    "LocalNumber",
    "Disposition",
    "Classification",
    "TerminateSide",
    "QueueWaitLength",
    "AlertLength",
    "ConnectedLength",
    "HoldLength",
    "ACWLength",
    "CallDuration",
    "Verdict",
    "ResultCode",
    "UserTags",
    "Note",
];

/// Appends `field`, quoted when it must be.
pub fn field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// The header line.
pub fn header() -> String {
    let mut out = HEADER.join(",");
    out.push_str("\r\n");
    out
}

fn seconds(d: std::time::Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn moment(ms: u64) -> String {
    jiff::Timestamp::from_millisecond(ms as i64)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// Appends one record's line.
pub fn line(out: &mut String, row: &CdrRow) {
    let r = &row.stored.record;
    let opt = |v: Option<String>| v.unwrap_or_default();
    let cells: [String; 22] = [
        r.interaction_id.0.to_string(),
        moment(r.init_moment.0),
        r.direction.as_str().to_owned(),
        opt(r.queue.map(|q| q.0.to_string())),
        opt(row.queue_name.clone()),
        opt(r.agent.map(|a| a.0.to_string())),
        opt(row.agent_name.clone()),
        r.remote_number.clone(),
        r.local_number.clone(),
        opt(r.disposition.map(|d| d.as_str().to_owned())),
        opt(r.classification.map(|c| c.as_str().to_owned())),
        opt(r.terminate_side.map(|s| s.as_str().to_owned())),
        seconds(r.queue_wait_length),
        seconds(r.alert_length),
        seconds(r.connected_length),
        seconds(r.hold_length),
        seconds(r.acw_length),
        seconds(r.call_duration),
        opt(r.verdict.map(|v| v.0.to_string())),
        opt(row.result_code.clone()),
        r.user_tags
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" "),
        opt(r.note.clone()),
    ];
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, c);
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        let mut out = String::new();
        for f in ["plain", "a,b", "say \"hi\"", "two\nlines", "+15550100"] {
            field(&mut out, f);
            out.push('|');
        }
        assert_eq!(
            out,
            "plain|\"a,b\"|\"say \"\"hi\"\"\"|\"two\nlines\"|+15550100|"
        );
        assert_eq!(header().matches(',').count(), HEADER.len() - 1);
    }
}
