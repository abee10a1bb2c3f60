-- Administration: projects, statuses, queues, queue groups, result codes, tags.
-- PostgreSQL form of sql/sqlite/0002 (the same text). Ids are
-- chosen by the server (random, below 2^53) so they stay unique across nodes.

CREATE TABLE projects (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    default_profile     TEXT,
    break_minutes       INTEGER NOT NULL DEFAULT 0,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE statuses (
    id                  BIGINT  PRIMARY KEY,
    category            TEXT    NOT NULL
                        CHECK (category IN ('available', 'offline', 'break', 'in_call')),
    name                TEXT    NOT NULL UNIQUE,
    agent_changeable    BOOLEAN NOT NULL,
    supervisor_only     BOOLEAN NOT NULL,
    show_on_dashboard   BOOLEAN NOT NULL,
    transferable        BOOLEAN NOT NULL,
    play_sound          BOOLEAN NOT NULL,
    crm_card_trigger    BOOLEAN NOT NULL,
    active              BOOLEAN NOT NULL,
    -- The system status Available: listed, never edited or deleted.
    system              BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

INSERT INTO statuses (id, category, name, agent_changeable, supervisor_only,
                      show_on_dashboard, transferable, play_sound, crm_card_trigger,
                      active, system, created_at, updated_at)
VALUES (1, 'available', 'Available', TRUE, FALSE, TRUE, TRUE, FALSE, FALSE,
        TRUE, TRUE, 0, 0);

CREATE TABLE queues (
    id                      BIGINT  PRIMARY KEY,
    project_id              BIGINT  NOT NULL REFERENCES projects(id),
    name                    TEXT    NOT NULL,
    call_mode               TEXT    NOT NULL DEFAULT '',
    number                  TEXT    NOT NULL UNIQUE,
    strategy                TEXT    NOT NULL,
    kind                    TEXT    NOT NULL CHECK (kind IN ('voice', 'text', 'video')),
    channel_weight          INTEGER NOT NULL,
    agent_timeout_secs      INTEGER NOT NULL,
    after_call_work_secs    INTEGER NOT NULL,
    position_announcement   TEXT    NOT NULL,
    announcement_frequency_secs INTEGER NOT NULL,
    exit_queue_id           BIGINT  REFERENCES queues(id),
    hold_music              TEXT    NOT NULL,
    priority                INTEGER NOT NULL,
    queue_timeout_secs      INTEGER NOT NULL,
    service_level_secs      INTEGER NOT NULL,
    auto_answer             BOOLEAN NOT NULL,
    profile                 TEXT,
    created_at              BIGINT  NOT NULL,
    updated_at              BIGINT  NOT NULL
);

CREATE INDEX queues_project ON queues (project_id);
CREATE INDEX queues_exit ON queues (exit_queue_id);

CREATE TABLE queue_groups (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE queue_group_members (
    group_id            BIGINT  NOT NULL REFERENCES queue_groups(id) ON DELETE CASCADE,
    queue_id            BIGINT  NOT NULL REFERENCES queues(id),
    position            INTEGER NOT NULL,
    PRIMARY KEY (group_id, queue_id)
);

CREATE INDEX queue_group_members_queue ON queue_group_members (queue_id);

CREATE TABLE result_codes (
    id                  BIGINT  PRIMARY KEY,
    category            TEXT    NOT NULL
                        CHECK (category IN ('success', 'fail', 'schedule', 'other')),
    kind                TEXT    NOT NULL
                        CHECK (kind IN ('call', 'written_channel', 'product')),
    display_name        TEXT    NOT NULL UNIQUE,
    -- The feature flags, as a JSON object of booleans.
    flags               TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE tags (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL,
    category            TEXT    NOT NULL DEFAULT '',
    colour              TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE tag_queues (
    tag_id              BIGINT  NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    queue_id            BIGINT  NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, queue_id)
);

CREATE INDEX tag_queues_queue ON tag_queues (queue_id);

-- The result codes a queue offers, in order.
CREATE TABLE queue_result_codes (
    queue_id            BIGINT  NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    result_code_id      BIGINT  NOT NULL REFERENCES result_codes(id),
    position            INTEGER NOT NULL,
    PRIMARY KEY (queue_id, result_code_id)
);

CREATE INDEX queue_result_codes_code ON queue_result_codes (result_code_id);
