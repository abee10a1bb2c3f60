-- A project's time zone (an IANA name): its working day, and with it "today"
-- on the wallboard, break allowances, calls-today and day buckets in reports,
-- turns at local midnight there. Portable SQL: the PostgreSQL copy is the
-- same text.
ALTER TABLE projects ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
