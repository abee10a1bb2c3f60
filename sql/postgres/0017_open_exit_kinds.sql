-- A queue's exit kind is validated by the server (ExitKind), not by a CHECK
-- constraint: new kinds (an IVR menu, a voicemail box) then need no table
-- rebuild.
ALTER TABLE queues DROP CONSTRAINT IF EXISTS queues_exit_kind_check;
