-- Outbound calls: how long the dialling took, from the agent's INVITE until
-- the remote party answered or the attempt ended (DialingLength).
-- Portable SQL: the PostgreSQL copy under sql/postgres/ is the same text.

ALTER TABLE interactions ADD COLUMN dialing_length_ms BIGINT NOT NULL DEFAULT 0;
