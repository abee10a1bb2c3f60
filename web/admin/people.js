// The users' and profiles' extras of the administration console: the panels
// under a user's form, the buttons above the users list and the editor of a
// profile's permissions. crud.js calls these hooks; see the console's
// contract for their shapes. The work is in users.js (the user panels),
// csv.js (import and export) and profiles.js (the permission editor); their
// style sheet, people.css, is added to the page once.

import { extensionsPanel, permissionsPanel, statePanel, stateBadge } from "./users.js";
import { userListActions as csvActions } from "./csv.js";
import { permissionsField as editor } from "./profiles.js";

function addStyle() {
  if (document.getElementById("people-css")) return;
  const link = document.createElement("link");
  link.id = "people-css";
  link.rel = "stylesheet";
  link.href = new URL("people.css", import.meta.url).href;
  document.head.append(link);
}
addStyle();

// Panels shown under the edit form of an existing user (state + unlock by password reset,
// extensions, effective permissions with the source of each key).
export const userPanels = [statePanel, extensionsPanel, permissionsPanel];
// Buttons above the users list (CSV import with the bad rows listed, CSV export).
export function userListActions(root, ctx) {
  csvActions(root, ctx);
}
// The editor of a profile's permissions (a field kind "permissions"): null = a plain list of keys.
export const permissionsField = editor;
// A user's state as a badge (locked users stand out), for the users list.
export { stateBadge };
