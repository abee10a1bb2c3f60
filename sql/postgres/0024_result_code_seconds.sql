-- The lengths that go with two result-code flags: Extra Time adds
-- extra_time_secs to the agent's after-call work; the follow-up of Call
-- Again (or of Remind when the agent gives no date) falls due
-- follow_up_secs after the result. 0 unless set. Portable SQL: the
-- PostgreSQL copy is the same text.
ALTER TABLE result_codes ADD COLUMN extra_time_secs BIGINT NOT NULL DEFAULT 0;
ALTER TABLE result_codes ADD COLUMN follow_up_secs BIGINT NOT NULL DEFAULT 0;
