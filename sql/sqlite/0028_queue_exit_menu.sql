-- A queue's timeout (or its exit key) may send the caller to an IVR menu of
-- its project: exit_kind 'menu' and the menu's id here.
ALTER TABLE queues ADD COLUMN exit_menu_id BIGINT REFERENCES ivr_menus(id);
