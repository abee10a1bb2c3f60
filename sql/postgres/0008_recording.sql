-- Call recording: each queue says whether its bridged calls are recorded
-- (never, always, or on demand from the agent panel); an interaction keeps the
-- file its recording went to; and every time someone plays or downloads a
-- recording it is logged (who, when, which interaction), for the admins.
-- Portable SQL: the PostgreSQL copy under sql/postgres/ is the same text.
-- A listen keeps the username as it was, and no foreign key: the log outlives
-- deleted users and purged interactions.

ALTER TABLE queues ADD COLUMN recording TEXT NOT NULL DEFAULT 'never';
ALTER TABLE interactions ADD COLUMN recording_file TEXT;

CREATE TABLE recording_listens (
    id                  BIGINT  PRIMARY KEY,
    interaction_id      BIGINT  NOT NULL,
    user_id             BIGINT,
    username            TEXT    NOT NULL,
    at                  BIGINT  NOT NULL
);
CREATE INDEX recording_listens_interaction ON recording_listens (interaction_id);
CREATE INDEX recording_listens_at ON recording_listens (at);
