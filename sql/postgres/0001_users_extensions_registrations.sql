-- PostgreSQL form of sql/sqlite/0001 (not yet used by the server).

CREATE TABLE users (
    id              BIGSERIAL PRIMARY KEY,
    username        TEXT    NOT NULL UNIQUE,
    first_name      TEXT    NOT NULL DEFAULT '',
    last_name       TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL DEFAULT 'new'
                    CHECK (state IN ('new', 'active', 'locked', 'passive')),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE extensions (
    id              BIGSERIAL PRIMARY KEY,
    user_id         BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sip_username    TEXT    NOT NULL UNIQUE,
    realm           TEXT    NOT NULL,
    ha1_md5         TEXT    NOT NULL,
    ha1_sha256      TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);

CREATE TABLE registrations (
    aor             TEXT    NOT NULL,
    contact         TEXT    NOT NULL,
    expires_at_ms   BIGINT  NOT NULL,
    q               DOUBLE PRECISION,
    call_id         TEXT    NOT NULL,
    cseq            BIGINT  NOT NULL,
    transport       TEXT    NOT NULL,
    source          TEXT    NOT NULL,
    user_agent      TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (aor, contact)
);

CREATE INDEX registrations_expiry ON registrations (expires_at_ms);
