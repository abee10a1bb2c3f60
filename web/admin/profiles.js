// The editor of a profile's permissions: the catalogue of GET /api/permissions
// in its groups (Status, Result code, Queue, ..., Menu, Report, Other), one
// checkbox per key, named `permissions` with the key as value, and a
// select-all box per group (partly ticked when some keys are). The Queue
// group also offers `queue.<id>` for each queue and the Dial plan group
// `dial_plan.route.<id>` for each outbound route, by name. Keys the profile
// holds that the catalogue no longer lists (a deleted queue's) stay ticked
// under "Other keys", so saving never drops them silently. A filter narrows
// the boxes shown; large touch targets keep it usable on a tablet.

import { el, references } from "./crud.js";
import { GROUP_NAMES } from "./users.js";

/**
 * The groups to show: the catalogue's, with a key per queue and per outbound
 * route added, and the held keys found nowhere in a last "Other keys" group.
 * Pure, so it can be checked without a page.
 */
export function editorGroups(catalogue, queues, routes, held) {
  const groups = catalogue.map((g) => ({
    group: g.group,
    name: GROUP_NAMES[g.group] || g.group,
    keys: g.keys.map((k) => ({ key: k.key, label: k.description })),
  }));
  const add = (group, keys) => {
    const g = groups.find((x) => x.group === group);
    if (g) g.keys.push(...keys);
    else if (keys.length) groups.push({ group, name: GROUP_NAMES[group] || group, keys });
  };
  add(
    "queue",
    queues.map((q) => ({ key: `queue.${q.id}`, label: `queue ${q.name}` })),
  );
  add(
    "dial_plan",
    routes.map((r) => ({ key: `dial_plan.route.${r.id}`, label: `calls out through ${r.name}` })),
  );
  const known = new Set(groups.flatMap((g) => g.keys.map((k) => k.key)));
  const stray = held.filter((k) => !known.has(k));
  if (stray.length) {
    groups.push({ group: "unlisted", name: "Other keys", keys: stray.map((k) => ({ key: k, label: "no longer listed" })) });
  }
  return groups;
}

/** Sets a group's select-all box from its keys: ticked, empty or partly. */
function syncAll(fieldset) {
  const boxes = [...fieldset.querySelectorAll('input[name="permissions"]')];
  const ticked = boxes.filter((b) => b.checked).length;
  const all = fieldset.querySelector("input[data-select-all]");
  all.checked = boxes.length > 0 && ticked === boxes.length;
  all.indeterminate = ticked > 0 && ticked < boxes.length;
  fieldset.querySelector(".group-count").textContent = `${ticked} of ${boxes.length}`;
}

function groupBox(g, held) {
  const all = el("input", {
    type: "checkbox",
    dataset: { selectAll: g.group },
    attrs: { "aria-label": `All ${g.name} permissions` },
  });
  const fieldset = el(
    "fieldset",
    { class: "perm-group", dataset: { group: g.group } },
    el(
      "legend",
      {},
      el("label", { class: "select-all" }, all, el("span", {}, g.name)),
      el("span", { class: "group-count hint" }),
    ),
    el(
      "div",
      { class: "perm-keys" },
      g.keys.map((k) =>
        el(
          "label",
          { class: "perm", dataset: { key: k.key } },
          el("input", { type: "checkbox", name: "permissions", value: k.key, checked: held.has(k.key) }),
          el("span", { class: "perm-text" }, el("span", { class: "perm-label" }, k.label), el("code", {}, k.key)),
        ),
      ),
    ),
  );
  all.addEventListener("change", () => {
    for (const b of fieldset.querySelectorAll('input[name="permissions"]')) {
      if (!b.closest(".perm").hidden) b.checked = all.checked;
    }
    syncAll(fieldset);
  });
  fieldset.addEventListener("change", (e) => {
    if (e.target.name === "permissions") syncAll(fieldset);
  });
  syncAll(fieldset);
  return fieldset;
}

async function fill(editor, ctx) {
  let catalogue;
  try {
    catalogue = await ctx.api("GET", "/api/permissions");
  } catch (err) {
    editor.querySelector(".perm-loading").textContent = `The permission catalogue did not load: ${err.message}`;
    return;
  }
  // Without their menu permission the lists are refused: no per-item keys then.
  const [queues, routes] = await Promise.all([references("queues", ctx), references("outbound-routes", ctx)]);
  const held = new Set(editor.permissionsValue);
  const groups = editorGroups(catalogue, queues || [], routes || [], [...held]);
  const filter = el("input", {
    type: "search",
    id: "permissions-filter",
    placeholder: "Filter permissions",
    autocomplete: "off",
  });
  const filterLabel = el("label", { htmlFor: "permissions-filter", class: "sr-only" }, "Filter permissions");
  const boxes = el("div", { class: "perm-groups" }, groups.map((g) => groupBox(g, held)));
  filter.addEventListener("input", () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    for (const label of boxes.querySelectorAll(".perm")) {
      const text = label.textContent.toLowerCase();
      label.hidden = !words.every((w) => text.includes(w));
    }
    for (const fs of boxes.querySelectorAll(".perm-group")) {
      const legend = fs.querySelector("legend").textContent.toLowerCase();
      const anyShown = [...fs.querySelectorAll(".perm")].some((l) => !l.hidden);
      fs.hidden = !anyShown && !words.every((w) => legend.includes(w));
      if (fs.hidden === false && !anyShown) fs.querySelectorAll(".perm").forEach((l) => (l.hidden = false));
    }
  });
  editor.replaceChildren(filterLabel, filter, boxes);
  editor.dataset.ready = "true";
}

/** The field kind "permissions" of the profiles form. */
export const permissionsField = {
  render(value, ctx) {
    const editor = el(
      "div",
      { class: "permissions-editor" },
      el("p", { class: "perm-loading hint" }, "Loading the permissions…"),
    );
    editor.permissionsValue = [...(value || [])];
    fill(editor, ctx);
    return editor;
  },
  read(editor) {
    if (editor.dataset.ready !== "true") return [...editor.permissionsValue];
    return [...editor.querySelectorAll('input[name="permissions"]:checked')].map((b) => b.value).sort();
  },
};
