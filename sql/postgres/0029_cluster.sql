-- Several nodes on one database: each node announces itself, and each
-- project is served by the one node holding its lease (see the README's
-- "Several nodes"). Moments are milliseconds since the Unix epoch on the
-- database's clock, so the nodes' clocks never need to agree.

CREATE TABLE cluster_nodes (
    name            TEXT    NOT NULL PRIMARY KEY,
    -- Where the SIP edge reaches the node, e.g. sip:10.0.0.5:5060.
    sip_uri         TEXT    NOT NULL,
    started_at      BIGINT  NOT NULL,
    heartbeat_at    BIGINT  NOT NULL
);

CREATE TABLE project_leases (
    project_id      BIGINT  NOT NULL PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    node            TEXT    NOT NULL,
    expires_at      BIGINT  NOT NULL,
    taken_at        BIGINT  NOT NULL
);

-- The node that wrote an interaction's row: a node closes only its own rows
-- left open (at start-up, or a dead node's when it takes a project over).
-- Each connection of a node sets switchboard.node; elsewhere it is NULL.
ALTER TABLE interactions ADD COLUMN node TEXT
    DEFAULT NULLIF(current_setting('switchboard.node', true), '');
CREATE INDEX interactions_open_node ON interactions (node, project_id) WHERE state = 'open';

-- What the SIP edge asks: the node serving a dialled number (a queue's or a
-- route's) or a SIP username (the first project its user works in or
-- answers a queue of), while that
-- project's lease runs.
CREATE VIEW switchboard_edge AS
WITH owners AS (
    SELECT l.project_id, n.sip_uri
    FROM project_leases l JOIN cluster_nodes n ON n.name = l.node
    WHERE l.expires_at > CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)
), keys AS (
    SELECT number AS key, project_id FROM queues WHERE number IS NOT NULL AND number <> ''
    UNION ALL
    SELECT r.number, COALESCE(q.project_id, m.project_id, c.project_id)
    FROM routes r
    LEFT JOIN queues q ON r.kind = 'queue' AND q.id = r.queue_id
    LEFT JOIN ivr_menus m ON r.kind = 'menu' AND m.id = r.target_id
    LEFT JOIN time_conditions c ON r.kind = 'condition' AND c.id = r.target_id
    UNION ALL
    SELECT e.sip_username,
           (SELECT MIN(p.project_id) FROM (
                SELECT up.project_id FROM user_projects up WHERE up.user_id = e.user_id
                UNION ALL
                SELECT q.project_id FROM queue_agents qa JOIN queues q ON q.id = qa.queue_id
                WHERE qa.user_id = e.user_id) p)
    FROM extensions e
)
SELECT k.key, o.sip_uri FROM keys k JOIN owners o ON o.project_id = k.project_id;
