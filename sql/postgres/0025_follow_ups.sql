-- Follow-ups that result codes schedule (Ask Date, Call Again, Remind),
-- shown to their owner in the agent panel when due. The owner is the agent
-- who gave the result when the code says `self` (agent_id), else the
-- interaction's queue (queue_id: any agent serving it). `number` is whom to
-- call again. States: pending (not due yet), due (shown), done, dismissed.
-- A later result for the same interaction dismisses the open follow-ups of
-- the earlier one. Moments are Unix milliseconds. Portable SQL: the
-- PostgreSQL copy is the same text.
CREATE TABLE follow_ups (
    id                  BIGINT  PRIMARY KEY,
    kind                TEXT    NOT NULL
                        CHECK (kind IN ('ask_date', 'call_again', 'remind')),
    interaction_id      BIGINT  NOT NULL,
    result_code_id      BIGINT  NOT NULL,
    project_id          BIGINT,
    queue_id            BIGINT,
    agent_id            BIGINT,
    created_by          BIGINT  NOT NULL,
    number              TEXT    NOT NULL DEFAULT '',
    note                TEXT,
    due_at              BIGINT  NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'due', 'done', 'dismissed')),
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);
CREATE INDEX follow_ups_open ON follow_ups (state, due_at);
CREATE INDEX follow_ups_interaction ON follow_ups (interaction_id);

-- An agent's recent interactions, for the results they may still give.
CREATE INDEX interactions_agent ON interactions (agent_id, init_moment);
