-- Users, their SIP credentials (extensions) and the registrar's bindings.
-- Portable SQL: the PostgreSQL copy under sql/postgres/ differs only in types.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    username        TEXT    NOT NULL UNIQUE,
    first_name      TEXT    NOT NULL DEFAULT '',
    last_name       TEXT    NOT NULL DEFAULT '',
    -- new, active, locked, passive
    state           TEXT    NOT NULL DEFAULT 'new'
                    CHECK (state IN ('new', 'active', 'locked', 'passive')),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- SIP credentials. The password itself is not kept: only the digest HA1 values
-- for the realm they were made for, one per algorithm (RFC 7616 section 3.4.2).
CREATE TABLE extensions (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sip_username    TEXT    NOT NULL UNIQUE,
    realm           TEXT    NOT NULL,
    ha1_md5         TEXT    NOT NULL,
    ha1_sha256      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Registrar bindings (RFC 3261 section 10.3), kept so they survive a restart.
CREATE TABLE registrations (
    aor             TEXT    NOT NULL,
    contact         TEXT    NOT NULL,
    expires_at_ms   INTEGER NOT NULL,
    q               REAL,
    call_id         TEXT    NOT NULL,
    cseq            INTEGER NOT NULL,
    transport       TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    user_agent      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (aor, contact)
);

CREATE INDEX registrations_expiry ON registrations (expires_at_ms);
