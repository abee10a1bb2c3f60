-- PostgreSQL form of sql/sqlite/0003 (not yet used by the server).
-- Moments are milliseconds since the Unix epoch; lengths are milliseconds.

CREATE TABLE interactions (
    interaction_id          BIGINT  NOT NULL PRIMARY KEY,
    state                   TEXT    NOT NULL
                            CHECK (state IN ('open', 'complete', 'interrupted')),
    interaction_type        TEXT    NOT NULL,
    agent_id                BIGINT,
    domain                  TEXT    NOT NULL,
    queue_id                BIGINT,
    project_id              BIGINT,
    direction               TEXT    NOT NULL,
    init_moment             BIGINT  NOT NULL,
    connection_moment       BIGINT,
    terminate_moment        BIGINT,
    call_duration_ms        BIGINT  NOT NULL DEFAULT 0,
    remote_number           TEXT    NOT NULL DEFAULT '',
    local_number            TEXT    NOT NULL DEFAULT '',
    alert_length_ms         BIGINT  NOT NULL DEFAULT 0,
    ivr_wait_length_ms      BIGINT  NOT NULL DEFAULT 0,
    queue_wait_length_ms    BIGINT  NOT NULL DEFAULT 0,
    queue_wait_start        BIGINT,
    queue_wait_end          BIGINT,
    connected_length_ms     BIGINT  NOT NULL DEFAULT 0,
    hold_length_ms          BIGINT  NOT NULL DEFAULT 0,
    acw_length_ms           BIGINT  NOT NULL DEFAULT 0,
    transfer_target         TEXT,
    transfer_type           TEXT,
    disposition             TEXT,
    terminate_side          TEXT,
    classification          TEXT,
    -- The queue-exit tag and the two service-level flags, 0 or 1, so reports
    -- can sum them.
    queue_exit              SMALLINT NOT NULL DEFAULT 0,
    answered_within_sl      SMALLINT NOT NULL DEFAULT 0,
    short_abandon           SMALLINT NOT NULL DEFAULT 0,
    -- When the row was completed, or closed as interrupted at start-up.
    closed_at               BIGINT
);

CREATE INDEX interactions_init ON interactions (init_moment);
CREATE INDEX interactions_state ON interactions (state);
