-- Voicemail: a box belongs to a queue or to a user (exactly one), has a
-- greeting (NULL: the built-in "please leave a message after the tone"), a
-- longest message and an optional e-mail address the messages are sent to.
-- A message names its box, the caller, the interaction it was left in, when
-- it started, how long it is, the WAV file under the data folder, and whether
-- someone has heard it. A queue's timeout may exit to a box
-- (exit_kind 'voicemail', exit_voicemail_id).
-- Portable SQL: the PostgreSQL copy under sql/postgres/ is the same text.

CREATE TABLE voicemail_boxes (
    id                  BIGINT  PRIMARY KEY,
    project_id          BIGINT  NOT NULL REFERENCES projects(id),
    name                TEXT    NOT NULL,
    queue_id            BIGINT  UNIQUE REFERENCES queues(id) ON DELETE CASCADE,
    user_id             BIGINT  UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    greeting            TEXT,
    max_message_secs    BIGINT  NOT NULL DEFAULT 120,
    email               TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    CHECK ((queue_id IS NULL) <> (user_id IS NULL))
);

CREATE TABLE voicemail_messages (
    id                  BIGINT  PRIMARY KEY,
    box_id              BIGINT  NOT NULL REFERENCES voicemail_boxes(id) ON DELETE CASCADE,
    caller_number       TEXT    NOT NULL,
    interaction_id      BIGINT,
    started_at          BIGINT  NOT NULL,
    duration_ms         BIGINT  NOT NULL,
    file                TEXT    NOT NULL,
    heard               BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX voicemail_messages_box ON voicemail_messages (box_id, started_at);

ALTER TABLE queues ADD COLUMN exit_voicemail_id BIGINT REFERENCES voicemail_boxes(id);
