-- Routing: the trunks calls arrive on, the numbers (DIDs) that lead to queues,
-- each queue's assigned agents, callback requests, and what a queue does when
-- its timeout passes. PostgreSQL form of sql/sqlite/0004 (the same text). Ids
-- are chosen by the server (random, below 2^53).

-- A trunk: where calls may come from. `addresses` is a JSON array of IP
-- addresses or CIDR networks; `codecs` a JSON array of codec names. With a
-- username, INVITEs from the trunk must carry digest credentials: only the
-- HA1 values for the realm are kept, never the password.
CREATE TABLE trunks (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    addresses           TEXT    NOT NULL,
    username            TEXT,
    realm               TEXT,
    ha1_md5             TEXT,
    ha1_sha256          TEXT,
    codecs              TEXT    NOT NULL DEFAULT '["PCMU","PCMA"]',
    enabled             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

-- A dialled number (DID) and the queue its calls enter.
CREATE TABLE routes (
    id                  BIGINT  PRIMARY KEY,
    number              TEXT    NOT NULL UNIQUE,
    queue_id            BIGINT  NOT NULL REFERENCES queues(id),
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE INDEX routes_queue ON routes (queue_id);

-- A queue's assigned agents; mandatory agents join the queue whenever they
-- log in to its project.
CREATE TABLE queue_agents (
    queue_id            BIGINT  NOT NULL REFERENCES queues(id),
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    mandatory           BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (queue_id, user_id)
);

CREATE INDEX queue_agents_user ON queue_agents (user_id);

-- A caller who left a queue asking to be called back.
CREATE TABLE callback_requests (
    id                  BIGINT  PRIMARY KEY,
    queue_id            BIGINT  NOT NULL REFERENCES queues(id),
    caller              TEXT    NOT NULL,
    interaction_id      BIGINT  NOT NULL,
    requested_at        BIGINT  NOT NULL,
    state               TEXT    NOT NULL DEFAULT 'pending'
                        CHECK (state IN ('pending', 'done', 'cancelled'))
);

CREATE INDEX callback_requests_queue ON callback_requests (queue_id, state);

-- What a queue does when its timeout passes: nothing (wait for ever), another
-- queue (exit_queue_id), a callback request, or a goodbye prompt. Queues that
-- already name an exit queue keep exiting there.
ALTER TABLE queues ADD COLUMN exit_kind TEXT NOT NULL DEFAULT 'none'
    CHECK (exit_kind IN ('none', 'queue', 'callback', 'prompt'));

UPDATE queues SET exit_kind = 'queue' WHERE exit_queue_id IS NOT NULL;
