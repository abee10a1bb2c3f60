-- A queue's exit kind is validated by the server (ExitKind), not by a CHECK
-- constraint: new kinds (an IVR menu, a voicemail box) then need no table
-- rebuild. SQLite cannot drop a constraint, so the column is replaced with
-- its values kept.
ALTER TABLE queues ADD COLUMN exit_kind_open TEXT NOT NULL DEFAULT 'none';
UPDATE queues SET exit_kind_open = exit_kind;
ALTER TABLE queues DROP COLUMN exit_kind;
ALTER TABLE queues RENAME COLUMN exit_kind_open TO exit_kind;
