-- Recording on demand: the permission other.record lets an agent start the
-- recording of a call of a queue that records on_demand from the agent panel.
-- The default Agent and Supervisor profiles (ids 1 and 2, where they still
-- exist) get it. Portable SQL: the PostgreSQL copy under sql/postgres/ is the
-- same text.

INSERT INTO profile_permissions (profile_id, permission)
SELECT id, 'other.record' FROM profiles WHERE id IN (1, 2);
