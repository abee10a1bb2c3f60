-- Callback requests keep the caller's place: the dispatch core serves each as
-- a callback entry of its queue, and the row follows it. States: waiting (in
-- the queue, or waiting out a retry delay), offered (ringing an agent),
-- dialling (the agent is calling the customer), done (connected), failed
-- (unreachable or expired), cancelled (withdrawn). The former 'pending' is
-- 'waiting'. A request made through the API has no interaction it was made
-- in. `result` says how it ended: connected, unreachable, expired, cancelled.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt; the
-- PostgreSQL form under sql/postgres/ alters it in place.

CREATE TABLE callback_requests_new (
    id                  BIGINT  PRIMARY KEY,
    queue_id            BIGINT  NOT NULL REFERENCES queues(id),
    caller              TEXT    NOT NULL,
    interaction_id      BIGINT,
    requested_at        BIGINT  NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'waiting'
                        CHECK (state IN ('waiting', 'offered', 'dialling', 'done', 'failed',
                                         'cancelled')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    last_attempt_at     BIGINT,
    result              TEXT
                        CHECK (result IN ('connected', 'unreachable', 'expired', 'cancelled')),
    agent_id            BIGINT
);

INSERT INTO callback_requests_new (id, queue_id, caller, interaction_id, requested_at, state)
SELECT id, queue_id, caller, interaction_id, requested_at,
       CASE state WHEN 'pending' THEN 'waiting' ELSE state END
FROM callback_requests;

DROP TABLE callback_requests;
ALTER TABLE callback_requests_new RENAME TO callback_requests;
CREATE INDEX callback_requests_queue ON callback_requests (queue_id, state);
