-- The tables of several nodes on one database, kept in step with
-- sql/postgres/0029. Several nodes need PostgreSQL: an embedded SQLite file
-- is one node's, and these stay empty.

CREATE TABLE cluster_nodes (
    name            TEXT    NOT NULL PRIMARY KEY,
    sip_uri         TEXT    NOT NULL,
    started_at      INTEGER NOT NULL,
    heartbeat_at    INTEGER NOT NULL
);

CREATE TABLE project_leases (
    project_id      INTEGER NOT NULL PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    node            TEXT    NOT NULL,
    expires_at      INTEGER NOT NULL,
    taken_at        INTEGER NOT NULL
);

ALTER TABLE interactions ADD COLUMN node TEXT;
CREATE INDEX interactions_open_node ON interactions (node, project_id) WHERE state = 'open';

CREATE VIEW switchboard_edge AS
WITH owners AS (
    SELECT l.project_id, n.sip_uri
    FROM project_leases l JOIN cluster_nodes n ON n.name = l.node
    WHERE l.expires_at > CAST(unixepoch('subsec') * 1000 AS INTEGER)
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
