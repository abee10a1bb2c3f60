// The panels under an existing user's form: the state (new, active, locked,
// passive) with the failed-login count and the password reset that unlocks a
// locked user; the SIP extensions (add, set the SIP password, remove); and
// the effective permissions in a chosen project, each key with the profiles
// that granted it (the user's own, the project's default, a served queue's).
//
// Each panel is `async (root, user, ctx)`: it fills `root` and talks to the
// API through `ctx.api` (page.js's `api`). A refusal is shown as the forms
// of crud.js show theirs: each failing field next to its control, the rest
// in the panel's problem line.

import { clearProblems, el, references, showProblem } from "./crud.js";

/** The permission groups' names as the product shows them (a key's group is its prefix). */
export const GROUP_NAMES = {
  status: "Status",
  result_code: "Result code",
  queue: "Queue",
  ivr: "IVR",
  directory: "Directory",
  dial_plan: "Dial plan",
  menu: "Menu",
  crm: "CRM",
  report: "Report",
  other: "Other",
};

export const groupOf = (key) => key.slice(0, Math.max(0, key.indexOf(".")));

/** What each state means to an administrator. */
export const STATES = {
  new: "New: has not logged in yet",
  active: "Active",
  locked: "Locked: cannot log in until an administrator resets the password",
  passive: "Passive: kept for history, cannot log in",
};

/** The state as a badge; locked users stand out. */
export function stateBadge(state) {
  return el("span", { class: `badge state-${state}`, dataset: { state }, title: STATES[state] || state }, state);
}

/** What a replace of `user` takes, from the stored user (read-only fields left out). */
export function userInput(user) {
  return {
    username: user.username,
    first_name: user.first_name,
    last_name: user.last_name,
    priority: user.priority,
    projects: user.projects,
    profiles: user.profiles,
    queues: user.queues,
  };
}

/** A random password of 16 letters and digits, for the administrator to pass on. */
export function randomPassword(n = 16) {
  const chars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  return Array.from(bytes, (b) => chars[b % chars.length]).join("");
}

/** The slot crud.js's showProblem fills with the error of `field`. */
const errorSlot = (field) => el("p", { class: "field-error", dataset: { field }, role: "alert", hidden: true });
/** The slot for a problem naming no field of the panel. */
const problemSlot = () => el("p", { class: "problem", role: "alert", hidden: true });

/**
 * The state panel: the badge, failed logins and the password reset. The
 * reset sends the user back with a new password and no state, so the server
 * turns a locked user active; the new state is shown (and put in the form's
 * state control, which would otherwise hold the old one).
 */
export async function statePanel(root, user, ctx) {
  const badge = el("span", { id: "user-state" });
  const failures = el("span", { id: "failed-logins", class: "hint" });
  const showState = (u) => {
    badge.replaceChildren(stateBadge(u.state));
    failures.textContent = u.failed_logins ? `${u.failed_logins} failed logins in a row` : "";
    root.classList.toggle("is-locked", u.state === "locked");
  };
  const password = el("input", {
    id: "reset-password",
    name: "password",
    type: "text",
    autocomplete: "new-password",
    spellcheck: false,
    minLength: 8,
    maxLength: 256,
    attrs: { "aria-describedby": "reset-help" },
  });
  const done = el("p", { id: "reset-done", class: "ok", role: "status", hidden: true });
  const reset = el("button", { type: "submit", id: "reset", class: "primary" }, "Reset password");
  const generate = el("button", { type: "button", id: "generate-password" }, "Generate");
  generate.addEventListener("click", () => {
    password.value = randomPassword();
    password.focus();
  });
  const form = el(
    "form",
    { id: "reset-form", class: "inline-form", noValidate: true },
    el("label", { htmlFor: "reset-password" }, "New password"),
    el("div", { class: "row" }, password, generate, reset),
    errorSlot("password"),
    el(
      "p",
      { id: "reset-help", class: "help" },
      "A reset ends the user's sessions and unlocks a locked user. Pass the new password on to the user.",
    ),
    problemSlot(),
    done,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblems(form);
    done.hidden = true;
    reset.disabled = true;
    try {
      const saved = await ctx.api("PUT", `/api/users/${user.id}`, { ...userInput(user), password: password.value });
      Object.assign(user, saved);
      showState(saved);
      password.value = "";
      done.textContent = `Password reset. The user is now ${saved.state}.`;
      done.hidden = false;
      const control = document.querySelector('form#entity [name="state"]');
      if (control) control.value = saved.state;
    } catch (err) {
      showProblem(form, err);
    } finally {
      reset.disabled = false;
    }
  });
  showState(user);
  root.replaceChildren(el("h3", {}, "State and password"), el("p", { class: "state-line" }, "State: ", badge, " ", failures), form);
}

/** The extensions panel: each SIP username with a new SIP password or a removal; a form to add one. */
export async function extensionsPanel(root, user, ctx) {
  const list = el("tbody");
  const table = el(
    "table",
    { id: "extensions", class: "compact" },
    el("thead", {}, el("tr", {}, el("th", {}, "SIP username"), el("th", {}, "SIP password"), el("th"))),
    list,
  );
  const empty = el("p", { id: "no-extensions", class: "hint" }, "No extensions: the user has no phone.");
  const removal = el("div", {}, problemSlot());
  const path = (sip) => `/api/users/${user.id}/extensions/${encodeURIComponent(sip)}`;
  const render = (u) => {
    Object.assign(user, u);
    const sips = u.extensions || [];
    list.replaceChildren(...sips.map(row));
    table.hidden = !sips.length;
    empty.hidden = Boolean(sips.length);
  };
  // Sets the SIP password of `sip` (adding the extension); a refusal shows in `where`.
  const set = async (sip, pass, where) => {
    clearProblems(root);
    try {
      render(await ctx.api("PUT", path(sip), { password: pass }));
      return true;
    } catch (err) {
      showProblem(where, err);
      return false;
    }
  };
  function row(sip) {
    const pass = el("input", {
      type: "text",
      name: "password",
      placeholder: "new SIP password",
      autocomplete: "off",
      attrs: { "aria-label": `New SIP password for ${sip}` },
    });
    const cell = el("td", {});
    const setButton = el("button", { type: "button", class: "set-password" }, "Set");
    setButton.addEventListener("click", () => set(sip, pass.value, cell));
    const remove = el("button", { type: "button", class: "remove danger" }, "Remove");
    remove.addEventListener("click", async () => {
      if (!window.confirm(`Remove the extension ${sip}? Phones registered with it stop working.`)) return;
      clearProblems(root);
      try {
        await ctx.api("DELETE", path(sip));
        render(await ctx.api("GET", `/api/users/${user.id}`));
      } catch (err) {
        showProblem(removal, err);
      }
    });
    cell.append(el("div", { class: "row" }, pass, setButton), errorSlot("password"), problemSlot());
    return el("tr", { dataset: { extension: sip } }, el("td", { class: "mono" }, sip), cell, el("td", {}, remove));
  }
  const sip = el("input", { id: "new-extension", name: "sip_username", autocomplete: "off", spellcheck: false });
  const pass = el("input", { id: "new-extension-password", name: "password", type: "text", autocomplete: "off" });
  const add = el(
    "form",
    { id: "extension-form", class: "inline-form", noValidate: true },
    el(
      "div",
      { class: "grid2" },
      el("div", {}, el("label", { htmlFor: "new-extension" }, "SIP username"), sip, errorSlot("sip_username")),
      el("div", {}, el("label", { htmlFor: "new-extension-password" }, "SIP password"), pass, errorSlot("password")),
    ),
    el("button", { type: "submit", id: "add-extension" }, "Add extension"),
    problemSlot(),
  );
  add.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await set(sip.value.trim(), pass.value, add)) {
      sip.value = "";
      pass.value = "";
    }
  });
  render(user);
  root.replaceChildren(el("h3", {}, "Extensions"), table, empty, removal, add);
}

/** How a source of a permission reads. */
export function sourceText(source, projectNames = new Map()) {
  switch (source.kind) {
    case "user_profile":
      return `profile ${source.profile} (given to the user)`;
    case "project_default":
      return `profile ${source.profile} (default of project ${projectNames.get(source.project_id) || source.project_id})`;
    case "queue_profile":
      return `profile ${source.profile} (queue ${source.queue})`;
    default:
      return source.profile ? `profile ${source.profile}` : JSON.stringify(source);
  }
}

/** Whether a granted key matches a search: the key, its group, description or a source. */
export function matches(granted, words) {
  const hay = `${granted.key} ${granted.group || ""} ${granted.description || ""} ${granted.sourceTexts.join(" ")}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

const byId = (items) => new Map((items || []).map((x) => [x.id, x.name]));

/**
 * The effective permissions panel: a project chooser (the user's projects;
 * none = the user's own profiles and every served queue's), a search, and
 * the keys with their group, description and where each came from.
 */
export async function permissionsPanel(root, user, ctx) {
  const [projects, queues, catalogue] = await Promise.all([
    references("projects", ctx),
    references("queues", ctx),
    ctx.api("GET", "/api/permissions").catch(() => []),
  ]);
  const names = byId(projects);
  const queueNames = byId(queues);
  const descriptions = new Map(catalogue.flatMap((g) => g.keys.map((k) => [k.key, k.description])));
  const project = el(
    "select",
    { id: "permissions-project", name: "project" },
    el("option", { value: "" }, "No project (own profiles and served queues)"),
    (user.projects || []).map((id) => el("option", { value: String(id) }, names.get(id) || `project ${id}`)),
  );
  const search = el("input", {
    id: "permissions-search",
    type: "search",
    placeholder: "Search keys, descriptions, profiles",
    autocomplete: "off",
  });
  const body = el("tbody");
  const count = el("p", { id: "permissions-count", class: "hint", role: "status" });
  const problem = el("div", {}, errorSlot("project"), problemSlot());
  let granted = [];
  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = granted.filter((g) => matches(g, words));
    body.replaceChildren(
      ...shown.map((g) =>
        el(
          "tr",
          { dataset: { key: g.key } },
          el("td", { class: "mono key" }, g.key),
          el("td", {}, el("span", { class: "group-tag" }, g.group), el("span", { class: "hint" }, g.description || "")),
          el("td", { class: "sources" }, el("ul", {}, g.sourceTexts.map((t) => el("li", { class: "source" }, t)))),
        ),
      ),
    );
    count.textContent = words.length ? `${shown.length} of ${granted.length} permissions` : `${granted.length} permissions`;
  };
  const load = async () => {
    clearProblems(problem);
    const q = project.value ? `?project=${project.value}` : "";
    try {
      const effective = await ctx.api("GET", `/api/users/${user.id}/permissions${q}`);
      granted = effective.permissions.map((g) => ({
        ...g,
        group: GROUP_NAMES[groupOf(g.key)] || groupOf(g.key),
        description: descriptions.get(g.key) || numberedDescription(g.key, queueNames),
        sourceTexts: g.sources.map((s) => sourceText(s, names)),
      }));
    } catch (err) {
      granted = [];
      showProblem(problem, err);
    }
    draw();
  };
  project.addEventListener("change", load);
  search.addEventListener("input", draw);
  root.replaceChildren(
    el("h3", {}, "Effective permissions"),
    el(
      "div",
      { class: "grid2" },
      el("div", {}, el("label", { htmlFor: "permissions-project" }, "In project"), project),
      el("div", {}, el("label", { htmlFor: "permissions-search" }, "Search"), search),
    ),
    problem,
    count,
    el(
      "div",
      { class: "scroll" },
      el(
        "table",
        { id: "permissions" },
        el("thead", {}, el("tr", {}, el("th", {}, "Key"), el("th", {}, "Allows"), el("th", {}, "Granted by"))),
        body,
      ),
    ),
  );
  await load();
}

function numberedDescription(key, queues) {
  const queue = /^queue\.(\d+)$/.exec(key);
  if (queue) return `the data of queue ${queues.get(Number(queue[1])) || queue[1]}`;
  if (/^dial_plan\.route\.\d+$/.test(key)) return "calls out through this outbound route";
  return "";
}
