-- Outbound completion. A project's and a queue's caller ID are the
-- `outbound_caller_id` columns 0007 added (the API calls them `caller_id`);
-- this adds where a trunk's outbound calls go: `host[:port][;transport=udp|tcp]`
-- (see src/store/admin/destination.rs). When NULL, calls go to the trunk's
-- first single-host address on port 5060 over UDP. Portable SQL: the
-- PostgreSQL copy is the same text.
ALTER TABLE trunks ADD COLUMN outbound_destination TEXT;
