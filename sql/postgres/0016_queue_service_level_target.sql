-- A queue's service-level target: the share of its calls (in percent) it aims
-- to answer within service_level_secs. The wallboard colours the day's
-- service level against it. Portable SQL: the PostgreSQL copy is the same
-- text.
ALTER TABLE queues ADD COLUMN service_level_target INTEGER NOT NULL DEFAULT 80;
