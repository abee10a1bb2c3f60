// The panels under an existing user's form: the state (new, active, locked,
// passive) with the failed-login count and the password reset that unlocks a
// locked user; the SIP extensions (add, set the SIP password, remove); and
// the effective permissions in a chosen project, each key with the profiles
// that granted it (the user's own, the project's default, a served queue's).
//
// Each panel is `async (root, user, ctx)`: it fills `root` and talks to the
// API through `ctx.api` (page.js's `api`), so it can be tried on its own.

/** An element: `h("td", {class: "x", "data-id": 3}, "text", child, ...)`. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "text") el.textContent = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/**
 * Shows a failed call's problem inside `root`: each failing field next to
 * the control named `data-field` (or named `name`), the rest in the root's
 * `[role=alert]` line. Clears what an earlier call showed.
 */
export function showProblem(root, err) {
  clearProblem(root);
  const alert = root.querySelector(".panel-problem");
  const loose = [];
  const errors = (err && err.body && Array.isArray(err.body.errors) && err.body.errors) || [];
  for (const e of errors) {
    const control = root.querySelector(`[data-field="${CSS.escape(e.field)}"], [name="${CSS.escape(e.field)}"]`);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.after(h("span", { class: "field-error", "data-field": e.field, role: "alert", text: e.message }));
    } else {
      loose.push(`${e.field}: ${e.message}`);
    }
  }
  if (alert) {
    const detail = (err && err.body && (err.body.detail || err.body.title)) || (err && err.message) || String(err);
    alert.textContent = [detail, ...loose].join(" — ");
    alert.hidden = false;
  }
}

export function clearProblem(root) {
  root.querySelectorAll(".field-error").forEach((e) => e.remove());
  root.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const alert = root.querySelector(".panel-problem");
  if (alert) {
    alert.textContent = "";
    alert.hidden = true;
  }
}

const problemLine = () => h("p", { class: "panel-problem error", role: "alert", hidden: true });

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
  return h("span", {
    class: `badge state-${state}`,
    "data-state": state,
    title: STATES[state] || state,
    text: state,
  });
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

/**
 * The state panel: the badge, failed logins and the password reset. The
 * reset sends the user back with a new password and no state, so the server
 * turns a locked user active; the new state is shown (and put in the form's
 * state control, which would otherwise hold the old one).
 */
export async function statePanel(root, user, ctx) {
  const badge = h("span", { id: "user-state" }, stateBadge(user.state));
  const failures = h("span", { id: "failed-logins", class: "hint" });
  const showState = (u) => {
    badge.replaceChildren(stateBadge(u.state));
    failures.textContent = u.failed_logins ? `${u.failed_logins} failed logins in a row` : "";
    root.classList.toggle("is-locked", u.state === "locked");
  };
  const password = h("input", {
    id: "reset-password",
    name: "password",
    type: "text",
    autocomplete: "new-password",
    spellcheck: "false",
    minLength: 8,
    maxLength: 256,
    "aria-describedby": "reset-help",
  });
  const done = h("p", { id: "reset-done", class: "ok", role: "status", hidden: true });
  const reset = h("button", { type: "submit", id: "reset", class: "primary", text: "Reset password" });
  const form = h(
    "form",
    { id: "reset-form", class: "inline-form", novalidate: true },
    h("label", { for: "reset-password", text: "New password" }),
    h(
      "div",
      { class: "row" },
      password,
      h("button", {
        type: "button",
        id: "generate-password",
        text: "Generate",
        onclick: () => {
          password.value = randomPassword();
          password.focus();
        },
      }),
      reset,
    ),
    h("p", {
      id: "reset-help",
      class: "hint",
      text: "A reset ends the user's sessions and unlocks a locked user. Pass the new password on to the user.",
    }),
    problemLine(),
    done,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblem(form);
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
  root.replaceChildren(
    h("h3", { text: "State and password" }),
    h("p", { class: "state-line" }, "State: ", badge, " ", failures),
    form,
  );
}

/** The extensions panel: each SIP username with a new SIP password or a removal; a form to add one. */
export async function extensionsPanel(root, user, ctx) {
  const list = h("tbody");
  const table = h(
    "table",
    { id: "extensions", class: "compact" },
    h("thead", {}, h("tr", {}, h("th", { text: "SIP username" }), h("th", { text: "SIP password" }), h("th"))),
    list,
  );
  const empty = h("p", { id: "no-extensions", class: "hint", text: "No extensions: the user has no phone." });
  const problem = h("div", { class: "problem-box" }, problemLine());
  const render = (u) => {
    Object.assign(user, u);
    list.replaceChildren(...(u.extensions || []).map(row));
    table.hidden = !(u.extensions || []).length;
    empty.hidden = !table.hidden;
  };
  const set = async (sip, pass, where) => {
    clearProblem(root);
    try {
      render(await ctx.api("PUT", `/api/users/${user.id}/extensions/${encodeURIComponent(sip)}`, { password: pass }));
      return true;
    } catch (err) {
      showProblem(where, err);
      return false;
    }
  };
  function row(sip) {
    const pass = h("input", {
      type: "text",
      name: "password",
      "data-field": "password",
      placeholder: "new SIP password",
      autocomplete: "off",
      "aria-label": `New SIP password for ${sip}`,
    });
    const tr = h(
      "tr",
      { "data-extension": sip },
      h("td", { class: "mono", text: sip }),
      h(
        "td",
        {},
        h(
          "div",
          { class: "row" },
          pass,
          h("button", {
            type: "button",
            class: "set-password",
            text: "Set",
            onclick: () => set(sip, pass.value, tr),
          }),
        ),
        problemLine(),
      ),
      h(
        "td",
        {},
        h("button", {
          type: "button",
          class: "remove danger",
          text: "Remove",
          onclick: async () => {
            if (!window.confirm(`Remove the extension ${sip}? Phones registered with it stop working.`)) return;
            clearProblem(root);
            try {
              await ctx.api("DELETE", `/api/users/${user.id}/extensions/${encodeURIComponent(sip)}`);
              render(await ctx.api("GET", `/api/users/${user.id}`));
            } catch (err) {
              showProblem(problem, err);
            }
          },
        }),
      ),
    );
    return tr;
  }
  const sip = h("input", { id: "new-extension", name: "sip_username", autocomplete: "off", spellcheck: "false" });
  const pass = h("input", { id: "new-extension-password", name: "password", type: "text", autocomplete: "off" });
  const add = h(
    "form",
    { id: "extension-form", class: "inline-form", novalidate: true },
    h(
      "div",
      { class: "grid2" },
      h("div", {}, h("label", { for: "new-extension", text: "SIP username" }), sip),
      h("div", {}, h("label", { for: "new-extension-password", text: "SIP password" }), pass),
    ),
    h("button", { type: "submit", id: "add-extension", text: "Add extension" }),
    problemLine(),
  );
  add.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await set(sip.value.trim(), pass.value, add)) {
      sip.value = "";
      pass.value = "";
    }
  });
  render(user);
  root.replaceChildren(h("h3", { text: "Extensions" }), table, empty, problem, add);
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

/** Whether a granted key matches a search: the key, its description or a source. */
export function matches(granted, words) {
  const hay = `${granted.key} ${granted.group || ""} ${granted.description || ""} ${granted.sourceTexts.join(" ")}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/**
 * The effective permissions panel: a project chooser (the user's projects;
 * none = the user's own profiles and every served queue's), a search, and
 * the keys with their description and where each came from.
 */
export async function permissionsPanel(root, user, ctx) {
  const names = new Map();
  const descriptions = new Map();
  const queues = new Map();
  await Promise.all([
    ctx.api("GET", "/api/queues").then(
      (list) => list.forEach((q) => queues.set(q.id, q.name)),
      () => {},
    ),
    ctx.api("GET", "/api/projects").then(
      (list) => list.forEach((p) => names.set(p.id, p.name)),
      () => {},
    ),
    ctx.api("GET", "/api/permissions").then(
      (groups) => groups.forEach((g) => g.keys.forEach((k) => descriptions.set(k.key, k.description))),
      () => {},
    ),
  ]);
  const project = h(
    "select",
    { id: "permissions-project", name: "project" },
    h("option", { value: "", text: "No project (own profiles and served queues)" }),
    (user.projects || []).map((id) => h("option", { value: String(id), text: names.get(id) || `project ${id}` })),
  );
  const search = h("input", {
    id: "permissions-search",
    type: "search",
    placeholder: "Search keys, descriptions, profiles",
    autocomplete: "off",
  });
  const body = h("tbody");
  const count = h("p", { id: "permissions-count", class: "hint", role: "status" });
  const problem = h("div", {}, problemLine());
  let granted = [];
  const draw = () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = granted.filter((g) => matches(g, words));
    body.replaceChildren(
      ...shown.map((g) =>
        h(
          "tr",
          { "data-key": g.key },
          h("td", { class: "mono key", text: g.key }),
          h("td", {}, h("span", { class: "group-tag", text: g.group }), h("span", { class: "hint", text: g.description || "" })),
          h("td", { class: "sources" }, h("ul", {}, g.sourceTexts.map((t) => h("li", { class: "source", text: t })))),
        ),
      ),
    );
    count.textContent = words.length ? `${shown.length} of ${granted.length} permissions` : `${granted.length} permissions`;
  };
  const load = async () => {
    clearProblem(problem);
    const q = project.value ? `?project=${project.value}` : "";
    try {
      const effective = await ctx.api("GET", `/api/users/${user.id}/permissions${q}`);
      granted = effective.permissions.map((g) => ({
        ...g,
        group: GROUP_NAMES[groupOf(g.key)] || groupOf(g.key),
        description: descriptions.get(g.key) || numberedDescription(g.key, queues),
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
    h("h3", { text: "Effective permissions" }),
    h(
      "div",
      { class: "grid2" },
      h("div", {}, h("label", { for: "permissions-project", text: "In project" }), project),
      h("div", {}, h("label", { for: "permissions-search", text: "Search" }), search),
    ),
    problem,
    count,
    h(
      "table",
      { id: "permissions" },
      h("thead", {}, h("tr", {}, h("th", { text: "Key" }), h("th", { text: "Allows" }), h("th", { text: "Granted by" }))),
      body,
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
