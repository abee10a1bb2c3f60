-- Break time an agent used on one working day (the local date of the project
-- they worked in), so that a restart does not hand out the day's break
-- allowance again: written whenever a break ends, read back when the agent
-- logs in again the same local day. Portable SQL: the PostgreSQL copy under
-- sql/postgres/ is the same text.
CREATE TABLE agent_break_days (
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day                 TEXT    NOT NULL,
    project_id          BIGINT  NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    used_ms             BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    PRIMARY KEY (user_id, day)
);
CREATE INDEX agent_break_days_updated ON agent_break_days (updated_at);
