-- Users as the administration API keeps them (login password, priority,
-- projects, profiles, queues served), profiles (named sets of permission keys),
-- agent groups, pickup groups and login sessions.
-- Portable SQL: the PostgreSQL copy under sql/postgres/ is the same text.
-- Projects' default_profile and queues' profile stay names: the store checks
-- they name a profile, and renames a profile's references with it.

CREATE TABLE profiles (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    description         TEXT    NOT NULL DEFAULT '',
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE profile_permissions (
    profile_id          BIGINT  NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    permission          TEXT    NOT NULL,
    PRIMARY KEY (profile_id, permission)
);

-- An argon2 PHC string; NULL until a password is set (no login until then).
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

CREATE TABLE user_projects (
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id          BIGINT  NOT NULL REFERENCES projects(id),
    PRIMARY KEY (user_id, project_id)
);
CREATE INDEX user_projects_project ON user_projects (project_id);

CREATE TABLE user_profiles (
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id          BIGINT  NOT NULL REFERENCES profiles(id),
    PRIMARY KEY (user_id, profile_id)
);
CREATE INDEX user_profiles_profile ON user_profiles (profile_id);


CREATE TABLE agent_groups (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE agent_group_members (
    group_id            BIGINT  NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

CREATE TABLE pickup_groups (
    id                  BIGINT  PRIMARY KEY,
    name                TEXT    NOT NULL UNIQUE,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE pickup_group_members (
    group_id            BIGINT  NOT NULL REFERENCES pickup_groups(id) ON DELETE CASCADE,
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

-- Login sessions. Only the SHA-256 of the token is kept. The project is the
-- one the user is logged into; a login into another project moves every
-- session of the user to it (one project at a time).
CREATE TABLE sessions (
    token_sha256        TEXT    PRIMARY KEY,
    user_id             BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    project_id          BIGINT  REFERENCES projects(id) ON DELETE SET NULL,
    created_at          BIGINT  NOT NULL,
    expires_at          BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- The default profiles, with the menus a contact center expects of each.
INSERT INTO profiles (id, name, description, created_at, updated_at) VALUES
    (1, 'Agent', 'Answers interactions in the agent panel', 0, 0),
    (2, 'Supervisor', 'Watches queues and agents, reports, listens in', 0, 0),
    (3, 'Admin', 'Configures the contact center', 0, 0);

INSERT INTO profile_permissions (profile_id, permission) VALUES
    (1, 'menu.agent_panel'),
    (1, 'status.change'),
    (1, 'result_code.set'),
    (1, 'queue.login_logout'),
    (1, 'directory.view'),
    (1, 'crm.view_contacts'),
    (1, 'report.own'),
    (1, 'other.outbound_calls'),
    (1, 'other.transfer'),
    (2, 'menu.agent_panel'),
    (2, 'menu.supervisor_panel'),
    (2, 'menu.queues'),
    (2, 'menu.agent_groups'),
    (2, 'menu.reports'),
    (2, 'status.change'),
    (2, 'status.change_others'),
    (2, 'status.supervisor_only'),
    (2, 'result_code.set'),
    (2, 'result_code.edit_after'),
    (2, 'queue.login_logout'),
    (2, 'directory.view'),
    (2, 'crm.view_contacts'),
    (2, 'crm.edit_contacts'),
    (2, 'report.own'),
    (2, 'report.queues'),
    (2, 'report.agents'),
    (2, 'other.outbound_calls'),
    (2, 'other.transfer'),
    (2, 'other.listen'),
    (2, 'other.whisper'),
    (2, 'other.barge'),
    (2, 'other.recordings'),
    (3, 'menu.projects'),
    (3, 'menu.queues'),
    (3, 'menu.queue_groups'),
    (3, 'menu.users'),
    (3, 'menu.profiles'),
    (3, 'menu.dial_plan'),
    (3, 'menu.agent_groups'),
    (3, 'menu.pickup_groups'),
    (3, 'menu.statuses'),
    (3, 'menu.result_codes'),
    (3, 'menu.tags'),
    (3, 'menu.reports'),
    (3, 'menu.supervisor_panel'),
    (3, 'queue.all'),
    (3, 'ivr.view'),
    (3, 'ivr.edit'),
    (3, 'directory.view'),
    (3, 'directory.edit'),
    (3, 'dial_plan.view'),
    (3, 'dial_plan.edit'),
    (3, 'report.own'),
    (3, 'report.queues'),
    (3, 'report.agents'),
    (3, 'other.recordings');

-- The result codes a profile offers, in order: what its agents see for a
-- call of a queue that names none of its own.
CREATE TABLE profile_result_codes (
    profile_id          BIGINT  NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
    result_code_id      BIGINT  NOT NULL REFERENCES result_codes(id),
    position            INTEGER NOT NULL,
    PRIMARY KEY (profile_id, result_code_id)
);
CREATE INDEX profile_result_codes_code ON profile_result_codes (result_code_id);
