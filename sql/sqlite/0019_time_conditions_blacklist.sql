-- Time conditions: a project's weekly opening hours (JSON: weekday to
-- "HH:MM-HH:MM" intervals) and holidays (JSON: "YYYY-MM-DD" dates), read in
-- the project's time zone, and the destinations while open and while
-- closed (a kind and its column, as in 0018). Routes and menus lead to a
-- condition with the kind `condition` and its id in `target_id`.
CREATE TABLE time_conditions (
    id                  BIGINT  PRIMARY KEY,
    project_id          BIGINT  NOT NULL REFERENCES projects(id),
    name                TEXT    NOT NULL,
    weekly              TEXT    NOT NULL,
    holidays            TEXT    NOT NULL,
    open_kind           TEXT    NOT NULL,
    open_queue_id       BIGINT  REFERENCES queues(id),
    open_target_id      BIGINT,
    open_text           TEXT,
    closed_kind         TEXT    NOT NULL,
    closed_queue_id     BIGINT  REFERENCES queues(id),
    closed_target_id    BIGINT,
    closed_text         TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);

-- The blacklist: caller numbers, or prefixes ending in `*`, a project takes
-- no calls from; `action` is `refuse` (403) or `prompt` (answered, `prompt`
-- played, hung up). Checked by the server (store::admin::blacklist).
CREATE TABLE blacklist (
    id                  BIGINT  PRIMARY KEY,
    project_id          BIGINT  NOT NULL REFERENCES projects(id),
    number              TEXT    NOT NULL,
    action              TEXT    NOT NULL,
    prompt              TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (project_id, number)
);
