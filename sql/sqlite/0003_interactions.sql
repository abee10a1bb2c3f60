-- Interaction records: one row per interaction, written when it arrives
-- ('open') and completed in one statement when it ends ('complete'). Rows still
-- open at start-up were left by a crash and are closed as 'interrupted'.
-- Portable SQL: the PostgreSQL copy under sql/postgres/ differs only in types.
-- Moments are milliseconds since the Unix epoch; lengths are milliseconds.

CREATE TABLE interactions (
    interaction_id          INTEGER NOT NULL PRIMARY KEY,
    state                   TEXT    NOT NULL
                            CHECK (state IN ('open', 'complete', 'interrupted')),
    interaction_type        TEXT    NOT NULL,
    agent_id                INTEGER,
    domain                  TEXT    NOT NULL,
    queue_id                INTEGER,
    project_id              INTEGER,
    direction               TEXT    NOT NULL,
    init_moment             INTEGER NOT NULL,
    connection_moment       INTEGER,
    terminate_moment        INTEGER,
    call_duration_ms        INTEGER NOT NULL DEFAULT 0,
    remote_number           TEXT    NOT NULL DEFAULT '',
    local_number            TEXT    NOT NULL DEFAULT '',
    alert_length_ms         INTEGER NOT NULL DEFAULT 0,
    ivr_wait_length_ms      INTEGER NOT NULL DEFAULT 0,
    queue_wait_length_ms    INTEGER NOT NULL DEFAULT 0,
    queue_wait_start        INTEGER,
    queue_wait_end          INTEGER,
    connected_length_ms     INTEGER NOT NULL DEFAULT 0,
    hold_length_ms          INTEGER NOT NULL DEFAULT 0,
    acw_length_ms           INTEGER NOT NULL DEFAULT 0,
    transfer_target         TEXT,
    transfer_type           TEXT,
    disposition             TEXT,
    terminate_side          TEXT,
    classification          TEXT,
    -- The queue-exit tag and the two service-level flags, 0 or 1, so reports
    -- can sum them.
    queue_exit              INTEGER NOT NULL DEFAULT 0,
    answered_within_sl      INTEGER NOT NULL DEFAULT 0,
    short_abandon           INTEGER NOT NULL DEFAULT 0,
    -- When the row was completed, or closed as interrupted at start-up.
    closed_at               INTEGER
);

CREATE INDEX interactions_init ON interactions (init_moment);
CREATE INDEX interactions_state ON interactions (state);
