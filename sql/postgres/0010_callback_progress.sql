-- Callback requests keep the caller's place: the dispatch core serves each as
-- a callback entry of its queue, and the row follows it. States: waiting (in
-- the queue, or waiting out a retry delay), offered (ringing an agent),
-- dialling (the agent is calling the customer), done (connected), failed
-- (unreachable or expired), cancelled (withdrawn). The former 'pending' is
-- 'waiting'. A request made through the API has no interaction it was made
-- in. `result` says how it ended: connected, unreachable, expired, cancelled.
-- PostgreSQL form of sql/sqlite/0007 (which rebuilds the table instead).

ALTER TABLE callback_requests DROP CONSTRAINT callback_requests_state_check;
UPDATE callback_requests SET state = 'waiting' WHERE state = 'pending';
ALTER TABLE callback_requests ALTER COLUMN state SET DEFAULT 'waiting';
ALTER TABLE callback_requests ADD CONSTRAINT callback_requests_state_check
    CHECK (state IN ('waiting', 'offered', 'dialling', 'done', 'failed', 'cancelled'));
ALTER TABLE callback_requests ALTER COLUMN interaction_id DROP NOT NULL;
ALTER TABLE callback_requests ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE callback_requests ADD COLUMN last_attempt_at BIGINT;
ALTER TABLE callback_requests ADD COLUMN result TEXT
    CHECK (result IN ('connected', 'unreachable', 'expired', 'cancelled'));
ALTER TABLE callback_requests ADD COLUMN agent_id BIGINT;
