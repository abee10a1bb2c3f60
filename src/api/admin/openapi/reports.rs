//! The part of the OpenAPI document that describes the reports.

use serde_json::{json, Map, Value};

use super::{answer, problems, schema_ref, with};

/// The schemas of the reports' answers.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    let int = json!({"type": "integer", "format": "int64"});
    let ratio = json!({"type": ["number", "null"], "minimum": 0, "maximum": 1});
    let secs = json!({"type": ["number", "null"], "minimum": 0});
    out.insert(
        "CdrPage".into(),
        json!({
            "type": "object",
            "required": ["total", "limit", "offset", "from", "to", "time_zone", "items"],
            "properties": {
                "total": int, "limit": int, "offset": int,
                "from": {"type": "integer", "description": "ms since the epoch, inclusive"},
                "to": {"type": "integer", "description": "ms since the epoch, exclusive"},
                "time_zone": {"type": "string"},
                "items": {"type": "array", "items": schema_ref("CdrItem")},
            },
        }),
    );
    let moment = json!({"type": ["integer", "null"], "description": "ms since the epoch"});
    let length = json!({"type": "number", "minimum": 0, "description": "seconds"});
    let text = json!({"type": ["string", "null"]});
    let id = json!({"type": ["integer", "null"], "format": "int64"});
    out.insert(
        "CdrItem".into(),
        json!({
            "type": "object",
            "description": "An interaction record in the finish_interaction field names \
                            (see Interaction), with the names of its queue, agent and \
                            result code as they are now.",
            "required": ["InteractionID", "InitMoment", "QueueName", "AgentName",
                         "ResultCodeName"],
            "properties": {
                "InteractionID": int, "InteractionType": {"type": "string"},
                "Agent": id, "Queue": id, "Project": id,
                "Direction": {"type": "string"},
                "InitMoment": {"type": "integer"}, "ConnectionMoment": moment,
                "TerminateMoment": moment, "QueueWaitStart": moment, "QueueWaitEnd": moment,
                "CallDuration": length, "AlertLength": length, "IvrWaitLength": length,
                "QueueWaitLength": length, "ConnectedLength": length, "HoldLength": length,
                "ACWLength": length, "DialingLength": length,
                "RemoteNumber": {"type": "string"}, "LocalNumber": {"type": "string"},
                "TransferTarget": text, "TransferType": text, "Disposition": text,
                "IvrEvent": text,
                "TerminateSide": text, "Classification": text,
                "Tags": {"type": "array", "items": {"type": "string"}},
                "Verdict": id, "Note": text, "ActionDate": text,
                "UserTags": {"type": "array", "items": {"type": "integer"}},
                "QueueName": text, "AgentName": text, "ResultCodeName": text,
            },
        }),
    );
    out.insert(
        "ReportFilter".into(),
        json!({
            "type": "object",
            "description": "Saved Call Detail Report parameters (the query's names: from, \
                            to, queue, agent, disposition, classification, result_code, tag, \
                            caller, min_wait, max_wait, min_talk, max_talk), each a string, \
                            a number or a list of them.",
            "additionalProperties": {"type": ["string", "number", "array"]},
        }),
    );
    let figures = json!({
        "type": "object",
        "required": ["offered", "answered", "abandoned", "short_abandoned", "queue_exits",
                     "timeouts", "answered_within_sl", "service_level",
                     "service_level_with_short_abandons", "asa_secs", "aht_secs",
                     "longest_wait_secs"],
        "properties": {
            "offered": int, "answered": int, "abandoned": int, "short_abandoned": int,
            "queue_exits": int, "timeouts": int, "answered_within_sl": int,
            "service_level": ratio, "service_level_with_short_abandons": ratio,
            "asa_secs": secs, "aht_secs": secs, "longest_wait_secs": secs,
            "start": int, "end": int, "local": {"type": "string"},
            "agents_by_presence": {"type": "object",
                                   "additionalProperties": {"type": "number"}},
        },
    });
    out.insert("IntervalFigures".into(), figures);
    let count = json!({"type": "object", "required": ["id", "name", "category", "count"],
                       "properties": {"id": int, "name": {"type": "string"},
                                      "category": {"type": "string"},
                                      "kind": {"type": "string"}, "count": int}});
    out.insert(
        "IntervalReport".into(),
        json!({
            "type": "object",
            "required": ["from", "to", "step", "time_zone", "buckets", "total", "agents",
                         "result_codes", "tags"],
            "properties": {
                "from": int, "to": int,
                "step": {"type": "string", "enum": ["15m", "1h", "1d"]},
                "time_zone": {"type": "string"},
                "buckets": {"type": "array", "items": schema_ref("IntervalFigures")},
                "total": schema_ref("IntervalFigures"),
                "agents": {"type": "array", "items": {
                    "type": "object",
                    "description": "An agent's time over the range, in whole seconds per \
                                    presence, and their occupancy: in a call or after-call \
                                    work over the time staffed.",
                    "required": ["agent", "name", "occupancy"],
                    "properties": {"agent": int, "name": {"type": ["string", "null"]},
                                   "available_secs": int, "ringing_secs": int,
                                   "in_call_secs": int, "after_call_work_secs": int,
                                   "break_secs": int, "occupancy": ratio},
                }},
                "result_codes": {
                    "type": "object", "required": ["codes", "by_category", "by_type"],
                    "properties": {
                        "codes": {"type": "array", "items": count.clone()},
                        "by_category": {"type": "object",
                                        "additionalProperties": {"type": "integer"}},
                        "by_type": {"type": "object",
                                    "additionalProperties": {"type": "integer"}},
                    },
                },
                "tags": {"type": "array", "items": count},
            },
        }),
    );
}

fn query(name: &str, schema: Value, description: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": schema,
           "description": description})
}

fn range() -> Vec<Value> {
    let moment = json!({"type": "string"});
    vec![
        query(
            "from",
            moment.clone(),
            "a local date YYYY-MM-DD (its start), an RFC 3339 time or ms since the epoch; \
             today when absent",
        ),
        query(
            "to",
            moment,
            "the same forms (a date means its end); the end of from's day when absent",
        ),
        query(
            "project_id",
            json!({"type": "integer", "format": "int64"}),
            "the project whose time zone dates are read in (the session's by default)",
        ),
    ]
}

/// The reports' paths.
pub(super) fn paths(paths: &mut Map<String, Value>) {
    let list = json!({"type": "string", "description": "repeated, or separated by commas"});
    let secs = json!({"type": "number", "minimum": 0});
    let mut cdr = range();
    cdr.extend([
        query("queue", list.clone(), "queue ids"),
        query("agent", list.clone(), "agent (user) ids"),
        query("disposition", list.clone(), "Disposition names"),
        query("classification", list.clone(), "Classification names"),
        query("result_code", list.clone(), "result code ids (the Verdict)"),
        query("tag", list.clone(), "tag ids: records with any of them"),
        query(
            "caller",
            json!({"type": "string", "maxLength": 64}),
            "part of RemoteNumber",
        ),
        query(
            "min_wait",
            secs.clone(),
            "QueueWaitLength at least, seconds",
        ),
        query("max_wait", secs.clone(), "QueueWaitLength at most, seconds"),
        query(
            "min_talk",
            secs.clone(),
            "ConnectedLength at least, seconds",
        ),
        query("max_talk", secs, "ConnectedLength at most, seconds"),
        query(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": 500}),
            "50 by default",
        ),
        query("offset", json!({"type": "integer", "minimum": 0}), ""),
        query(
            "format",
            json!({"type": "string", "enum": ["json", "csv"]}),
            "csv: every matching record as CSV (so does Accept: text/csv)",
        ),
    ]);
    paths.insert(
        "/api/reports/interactions".into(),
        json!({"get": {
            "operationId": "report-interactions",
            "tags": ["reports"],
            "description": "The Call Detail Report: the interaction records that arrived in \
                            the range and match the filter, newest first, a page at a time \
                            with the total; or all of them as CSV, streamed. Needs \
                            menu.reports and report.queues or report.agents (the records of \
                            the caller's queues) or report.own (the caller's own).",
            "parameters": cdr,
            "responses": with(problems(&[400, 422]), "200", json!({
                "description": "A page, or the CSV",
                "content": {
                    "application/json": {"schema": schema_ref("CdrPage")},
                    "text/csv; charset=utf-8": {"schema": {"type": "string"}},
                },
            })),
        }}),
    );
    paths.insert(
        "/api/reports/filter".into(),
        json!({
            "get": {
                "operationId": "get-report-filter",
                "tags": ["reports"],
                "description": "The caller's saved Call Detail Report filter ({} when none).",
                "responses": with(problems(&[]), "200",
                                  answer("The filter", schema_ref("ReportFilter"))),
            },
            "put": {
                "operationId": "save-report-filter",
                "tags": ["reports"],
                "description": "Saves the caller's Call Detail Report filter, checked like \
                                the query.",
                "requestBody": {"required": true, "content": {"application/json":
                    {"schema": schema_ref("ReportFilter")}}},
                "responses": with(problems(&[400, 422]), "200",
                                  answer("Saved", schema_ref("ReportFilter"))),
            },
        }),
    );
    let mut intervals = range();
    intervals.extend([
        query(
            "step",
            json!({"type": "string", "enum": ["15m", "1h", "1d"]}),
            "the buckets, in the project's time zone; 1h by default",
        ),
        query(
            "queue",
            list,
            "queue ids; every queue the caller sees by default",
        ),
    ]);
    paths.insert(
        "/api/reports/intervals".into(),
        json!({"get": {
            "operationId": "report-intervals",
            "tags": ["reports"],
            "description": "The interval report: per bucket offered, answered, abandoned \
                            (short abandons apart), queue exits, timeouts, service level \
                            (with and without short abandons), ASA, AHT, longest wait and \
                            the mean agents in each presence; the range's agent time and \
                            occupancy, result codes by category and type, and tags. Needs \
                            menu.reports and report.queues; the agents' time needs \
                            report.agents (report.own: one's own).",
            "parameters": intervals,
            "responses": with(problems(&[400, 422]), "200",
                              answer("The report", schema_ref("IntervalReport"))),
        }}),
    );
    paths.insert(
        "/api/reports/queue_log".into(),
        json!({"get": {
            "operationId": "report-queue-log",
            "tags": ["reports"],
            "description": "The range as Asterisk's queue_log: \
                            epoch|callid|queuename|agent|event|data... (ENTERQUEUE, \
                            CONNECT, COMPLETEAGENT, COMPLETECALLER, ABANDON, EXITWITHKEY, \
                            EXITWITHTIMEOUT, RINGNOANSWER, ADDMEMBER, REMOVEMEMBER, PAUSE, \
                            UNPAUSE). Needs menu.reports and report.queues; the agents' \
                            lines need report.agents.",
            "parameters": range(),
            "responses": with(problems(&[400, 422]), "200", json!({
                "description": "One line per event, oldest first",
                "content": {"text/plain; charset=utf-8": {"schema": {"type": "string"}}},
            })),
        }}),
    );
}

/// How many paths [`paths`] adds.
#[cfg(test)]
pub(super) const EXTRA_PATHS: usize = 4;
