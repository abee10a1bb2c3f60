-- What the agent submits to close an interaction after the call: the result
-- code (Verdict), a note, the action date the code asked for, and the tags
-- the agent chose (several; the product's queue-exit tag stays its own column).
-- Portable SQL: the PostgreSQL copy under sql/postgres/ is the same text.
-- The action date is kept as the agent entered it, `YYYY-MM-DDTHH:MM`, in the
-- contact center's local time. Tags are not a foreign key: a record keeps the
-- ids of tags deleted since.

ALTER TABLE interactions ADD COLUMN verdict BIGINT;
ALTER TABLE interactions ADD COLUMN note TEXT;
ALTER TABLE interactions ADD COLUMN action_date TEXT;

CREATE TABLE interaction_tags (
    interaction_id      BIGINT  NOT NULL REFERENCES interactions(interaction_id) ON DELETE CASCADE,
    tag_id              BIGINT  NOT NULL,
    PRIMARY KEY (interaction_id, tag_id)
);
CREATE INDEX interaction_tags_tag ON interaction_tags (tag_id);
