// The users' and profiles' extras of the administration console: the panels
// under a user's form, the buttons above the users list and the editor of a
// profile's permissions. crud.js calls these hooks; see the console's
// contract for their shapes.

// Panels shown under the edit form of an existing user (state + unlock by password reset,
// extensions, effective permissions with the source of each key).
export const userPanels = []; // each: async (root: HTMLElement, user: object, ctx) => void
// Buttons above the users list (CSV import with the bad rows listed, CSV export).
// eslint-disable-next-line no-unused-vars
export function userListActions(root, ctx) {}
// The editor of a profile's permissions (a field kind "permissions"): null = a plain list of keys.
export const permissionsField = null; // { render(value: string[], ctx) -> HTMLElement, read(el) -> string[] }
