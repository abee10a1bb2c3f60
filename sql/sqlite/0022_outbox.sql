-- The outbox: what Switchboard must tell other systems (webhooks, e-mail,
-- SMS), kept in the database so that nothing asked for is lost across a
-- restart, and every attempt at it, visible through the admin API; and each
-- result code's integrations (what to send when an agent closes an
-- interaction with that code).
-- Portable SQL: the PostgreSQL copy under sql/postgres/ is the same text.
-- Moments are milliseconds since the Unix epoch.

CREATE TABLE deliveries (
    id                  BIGINT  PRIMARY KEY,
    -- webhook, email, sms
    kind                TEXT    NOT NULL,
    -- pending, delivered, failed
    state               TEXT    NOT NULL,
    -- The interaction and result code it was sent for, when it was.
    interaction_id      BIGINT,
    result_code_id      BIGINT,
    -- Where it goes (JSON: URL, method, headers, secret; or recipients).
    target              TEXT    NOT NULL,
    -- What it says (JSON).
    payload             TEXT    NOT NULL,
    -- Attempts made in all, and how many of them came before the last
    -- manual retry (the retry limit counts from there).
    attempts            INTEGER NOT NULL DEFAULT 0,
    round_start         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT  NOT NULL,
    -- A worker is delivering it until then.
    claimed_until       BIGINT,
    last_status         INTEGER,
    last_error          TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    delivered_at        BIGINT
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);
CREATE INDEX deliveries_interaction ON deliveries (interaction_id);

CREATE TABLE delivery_attempts (
    delivery_id         BIGINT  NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
    attempt             INTEGER NOT NULL,
    started_at          BIGINT  NOT NULL,
    duration_ms         BIGINT  NOT NULL,
    -- The HTTP status (or SMTP reply code) received, if any.
    status              INTEGER,
    error               TEXT,
    PRIMARY KEY (delivery_id, attempt)
);

-- Each part is JSON, or NULL when the code has none; the code's flags
-- (http, send_email, send_sms) say whether it is used.
CREATE TABLE result_code_integrations (
    result_code_id      BIGINT  PRIMARY KEY REFERENCES result_codes(id) ON DELETE CASCADE,
    http                TEXT,
    email               TEXT,
    sms                 TEXT,
    updated_at          BIGINT  NOT NULL
);
