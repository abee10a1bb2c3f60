-- Reports: the agents' history the dispatch core reports (log-ins, queue
-- membership, presence, offers), which occupancy, "agents by status over
-- time" and the queue_log export read; each user's saved Call Detail Report
-- filter; and the indexes the reports' filters use.
-- Portable SQL: the PostgreSQL copy under sql/postgres/ differs only in types.
-- Moments are milliseconds since the Unix epoch.

CREATE TABLE agent_events (
    id                  INTEGER NOT NULL PRIMARY KEY,
    at                  BIGINT  NOT NULL,
    agent_id            BIGINT  NOT NULL,
    -- login, logout, join, leave, presence, offered, missed
    kind                TEXT    NOT NULL,
    project_id          BIGINT,
    queue_id            BIGINT,
    call_id             BIGINT,
    status_id           BIGINT,
    -- presence: offline, available, break, ringing, in_call, after_call_work;
    -- missed: timeout, rejected, failed
    detail              TEXT
);
CREATE INDEX agent_events_at ON agent_events (at);
CREATE INDEX agent_events_agent ON agent_events (agent_id, at);

CREATE TABLE report_filters (
    user_id             BIGINT  NOT NULL PRIMARY KEY,
    filter              TEXT    NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE INDEX interactions_queue_init ON interactions (queue_id, init_moment);
CREATE INDEX interactions_agent_init ON interactions (agent_id, init_moment);
