-- IVR menus and route destinations. A destination is a kind and, by kind,
-- the queue (`queue_id`), the menu or other configured target (`target_id`)
-- or the number (`text`: an extension or an external number) it names.
-- Kinds are validated by the server (store::admin::ivr), so new ones (time
-- conditions, voicemail) need no table rebuild.

-- A menu: its prompt, the keys the caller may press (ivr_menu_options),
-- how long it waits for a key, how often it is played again after a
-- timeout or a wrong key, and where the caller goes after the last try.
-- Prompts name a file of the media library (`prompts/en/goodbye`).
CREATE TABLE ivr_menus (
    id                  BIGINT  PRIMARY KEY,
    project_id          BIGINT  NOT NULL REFERENCES projects(id),
    name                TEXT    NOT NULL,
    prompt              TEXT    NOT NULL,
    invalid_prompt      TEXT,
    timeout_secs        BIGINT  NOT NULL,
    repeat_count        BIGINT  NOT NULL,
    fallback_kind       TEXT    NOT NULL,
    fallback_queue_id   BIGINT  REFERENCES queues(id),
    fallback_target_id  BIGINT,
    fallback_text       TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL,
    UNIQUE (project_id, name)
);

-- A key of a menu (0-9, * or #) and where it sends the caller.
CREATE TABLE ivr_menu_options (
    menu_id             BIGINT  NOT NULL REFERENCES ivr_menus(id) ON DELETE CASCADE,
    digit               TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    queue_id            BIGINT  REFERENCES queues(id),
    target_id           BIGINT,
    text                TEXT,
    PRIMARY KEY (menu_id, digit)
);

CREATE INDEX ivr_menu_options_queue ON ivr_menu_options (queue_id);
CREATE INDEX ivr_menu_options_target ON ivr_menu_options (target_id);

-- A route leads to a destination: `queue_id` for a queue (as before), or
-- another kind.
ALTER TABLE routes ADD COLUMN kind TEXT NOT NULL DEFAULT 'queue';
ALTER TABLE routes ALTER COLUMN queue_id DROP NOT NULL;
ALTER TABLE routes ADD COLUMN target_id BIGINT;
ALTER TABLE routes ADD COLUMN text TEXT;
CREATE INDEX routes_target ON routes (target_id);

-- The path a caller took through the menus (IvrEvent of the record).
ALTER TABLE interactions ADD COLUMN ivr_event TEXT;
