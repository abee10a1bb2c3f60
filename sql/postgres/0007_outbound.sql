-- Outbound calls: each project's ordered outbound routes (dial pattern,
-- number rewriting, trunk, caller ID), the caller ID a project or a queue
-- presents instead of its route's, and trunks that register to their
-- carrier. Portable SQL: the PostgreSQL copy under sql/postgres/ is the same
-- text. Ids are chosen by the server (random, below 2^53).

-- An outbound route: numbers matching `pattern` (see
-- src/store/admin/dial_pattern.rs) lose `strip_digits` leading characters,
-- gain `prepend` and leave through `trunk_id`. A project's routes are tried
-- in `position` order (then by name); the first that matches is used.
CREATE TABLE outbound_routes (
    id                  BIGINT  PRIMARY KEY,
    project_id          BIGINT  NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    position            BIGINT  NOT NULL DEFAULT 0,
    pattern             TEXT    NOT NULL,
    strip_digits        BIGINT  NOT NULL DEFAULT 0,
    prepend             TEXT    NOT NULL DEFAULT '',
    trunk_id            BIGINT  NOT NULL REFERENCES trunks(id),
    caller_id           TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);

CREATE INDEX outbound_routes_trunk ON outbound_routes (trunk_id);

-- The caller ID presented on outbound calls made for a project or a queue,
-- in place of the route's (a queue's wins over its project's).
ALTER TABLE projects ADD COLUMN outbound_caller_id TEXT;
ALTER TABLE queues ADD COLUMN outbound_caller_id TEXT;

-- A trunk that registers to its carrier: REGISTER goes to `registrar` (a SIP
-- URI) as `register_username`, asking for `register_expires` seconds. The
-- carrier's realm is only known from its challenge, so the password is kept
-- as given (it is never shown by the API).
ALTER TABLE trunks ADD COLUMN register BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE trunks ADD COLUMN registrar TEXT;
ALTER TABLE trunks ADD COLUMN register_username TEXT;
ALTER TABLE trunks ADD COLUMN register_password TEXT;
ALTER TABLE trunks ADD COLUMN register_expires BIGINT NOT NULL DEFAULT 3600;
