//! The schemas of interaction records as the API shows them: a record,
//! a page of recorded ones, and the log of who listened to a recording.

use serde_json::{json, Map, Value};

/// Adds the interaction schemas to `out`.
pub(super) fn schemas(out: &mut Map<String, Value>) {
    out.insert(
        "Interaction".into(),
        json!({
            "type": "object",
            "description": "An interaction record, in the finish_interaction payload's field \
                            names; moments are milliseconds since the Unix epoch, lengths \
                            seconds.",
            "required": ["InteractionID", "InteractionType", "Direction", "InitMoment"],
            "properties": {
                "InteractionID": {"type": "integer", "format": "int64"},
                "InteractionType": {"type": "string"},
                "Direction": {"type": "string"},
                "InitMoment": {"type": "integer"},
                "Queue": {"type": ["integer", "null"]},
                "Agent": {"type": ["integer", "null"]},
                "RecordingFile": {"type": ["string", "null"],
                                  "description": "the call's recording (stereo WAV: the caller \
                                                  left, the agent right), when it was recorded"},
                "DialingLength": {"type": "number",
                                  "description": "an outbound call's dialling, until the remote \
                                                  party answered or the attempt ended"},
            },
        }),
    );
    out.insert(
        "RecordedInteractions".into(),
        json!({
            "type": "object",
            "required": ["total", "limit", "offset", "items"],
            "properties": {
                "total": {"type": "integer", "minimum": 0,
                          "description": "how many recorded interactions the caller may see"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"},
                "items": {"type": "array", "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["InteractionID", "Direction", "InitMoment", "Queue", "Agent",
                                 "RemoteNumber", "LocalNumber", "CallDuration",
                                 "ConnectedLength", "QueueName", "AgentName", "RecordingUrl"],
                    "properties": {
                        "InteractionID": {"type": "integer", "format": "int64"},
                        "Direction": {"type": "string"},
                        "InitMoment": {"type": "integer"},
                        "Queue": {"type": ["integer", "null"]},
                        "Agent": {"type": ["integer", "null"]},
                        "RemoteNumber": {"type": "string"},
                        "LocalNumber": {"type": "string"},
                        "CallDuration": {"type": "number", "description": "seconds"},
                        "ConnectedLength": {"type": "number", "description": "seconds"},
                        "QueueName": {"type": ["string", "null"]},
                        "AgentName": {"type": ["string", "null"]},
                        "RecordingUrl": {"type": "string",
                                         "description": "the download (each use is logged)"},
                    },
                }},
            },
        }),
    );
    out.insert(
        "RecordingListen".into(),
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["id", "interaction_id", "user_id", "username", "at"],
            "properties": {
                "id": {"type": "integer", "format": "int64"},
                "interaction_id": {"type": "integer", "format": "int64"},
                "user_id": {"type": ["integer", "null"], "format": "int64",
                            "description": "none for the admin token"},
                "username": {"type": "string"},
                "at": {"type": "integer", "format": "int64",
                       "description": "milliseconds since the Unix epoch"},
            },
        }),
    );
}
