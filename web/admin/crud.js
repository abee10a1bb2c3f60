// The console's generic engine: the list screen (search, filters, a table
// of the items) and the form screen (create, edit, delete) of any entity
// described in entities.js, on the admin API's five operations
// (GET/POST /api/<screen>, GET/PUT/DELETE /api/<screen>/<id>).
//
// A refusal of the API (problem+json) is shown where it belongs: each of
// its `errors` next to the control of the field it names, the rest (a 409
// on delete, say) in #form-problem. Entities with live checks (queues,
// tags) ask POST /api/<screen>/check as the user types and show the
// warnings next to their fields; a server without the endpoint (404) is
// simply not asked again.
//
// Exported API (kept stable; people.js and the entity panels use it):
//   el(tag, props, ...children)      a DOM element
//   listScreen(root, entity, ctx)    renders the list of `entity`
//   formScreen(root, entity, id, ctx) renders its form (id null: a new item)
//   showProblem(form, err, entity?) puts a Problem's errors next to the
//                                    fields (.field-error[data-field]), the
//                                    rest in the form's p.problem
//   clearProblems(form)
//   references(ref, ctx)             the items of /api/<ref>, or null if refused
//   labelOf(item)                    the name a reference is shown by
//   markSaved(warnings)              the next form shown says it was saved

/** A DOM element: `props` are properties (dataset and attrs as objects). */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "attrs") for (const [a, x] of Object.entries(v)) node.setAttribute(a, x);
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** The name an item of any entity is shown by in selects and tables. */
export function labelOf(item) {
  if (!item) return "";
  if (item.display_name) return item.display_name;
  if (item.username) {
    const full = [item.first_name, item.last_name].filter(Boolean).join(" ");
    return full ? `${full} (${item.username})` : item.username;
  }
  if (item.name) return item.name;
  if (item.number) return item.number;
  return `#${item.id}`;
}

// ------------------------------------------------------------- references

/** Compares names as people read them (one collator: localeCompare makes one a call). */
const byName = new Intl.Collator().compare;
const byNameNumeric = new Intl.Collator(undefined, { numeric: true }).compare;

/** The items of /api/<ref>, fetched once per screen; null when refused. */
export async function references(ref, ctx) {
  const cache = ctx.cache || (ctx.cache = new Map());
  if (!cache.has(ref)) {
    cache.set(
      ref,
      ctx.api("GET", `/api/${ref}`).then(
        (items) => {
          const labels = new Map(items.map((i) => [i, labelOf(i)]));
          return items.slice().sort((a, b) => byName(labels.get(a), labels.get(b)));
        },
        () => null,
      ),
    );
  }
  return cache.get(ref);
}

/** `items` by their field `by`, built once per list of references. */
const indexes = new WeakMap();
function indexOf(items, by) {
  let all = indexes.get(items);
  if (!all) indexes.set(items, (all = new Map()));
  if (!all.has(by)) all.set(by, new Map(items.map((r) => [r[by], r])));
  return all.get(by);
}

/** The Input schemas of the OpenAPI document: what a create/replace takes. */
let schemas;
function inputKeys(entity, ctx) {
  if (!schemas) {
    schemas = ctx.api("GET", "/api/openapi.json").then(
      (doc) => (doc && doc.components && doc.components.schemas) || {},
      () => ({}),
    );
  }
  return schemas.then((all) => {
    const s = all[`${entity.schema}Input`];
    return s && s.properties ? new Set(Object.keys(s.properties)) : null;
  });
}

// ------------------------------------------------------------------ lists

/** What the user typed in each list's search and filters, by screen. */
const listState = new Map();

function optionLabel(field, value) {
  const o = (field.options || []).find(([v]) => v === value);
  return o ? o[1] : value;
}

/** The text a cell shows for `value` of column `col`. */
function cellText(col, item, refs) {
  const value = item[col.field];
  if (col.format) return col.format(value, item, refs);
  if (col.ref) {
    const items = refs.get(col.ref);
    const index = items && indexOf(items, col.refBy || "id");
    const one = (v) => {
      const hit = index && index.get(v);
      return hit ? labelOf(hit) : v === null || v === undefined ? "" : `#${v}`;
    };
    return Array.isArray(value) ? value.map(one).join(", ") : one(value);
  }
  if (col.options) return optionLabel(col, value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.join(", ");
  return value === null || value === undefined ? "" : String(value);
}

export async function listScreen(root, entity, ctx) {
  const state = listState.get(entity.id) || { search: "", filters: {} };
  listState.set(entity.id, state);
  const refNames = new Set(
    [...entity.columns, ...(entity.filters || [])].filter((c) => c.ref).map((c) => c.ref),
  );
  const [items, ...loaded] = await Promise.all([
    ctx.api("GET", `/api/${entity.id}`),
    ...[...refNames].map((r) => references(r, ctx)),
  ]);
  const refs = new Map([...refNames].map((r, i) => [r, loaded[i]]));

  const search = el("input", {
    id: "search",
    type: "search",
    value: state.search,
    placeholder: `Search ${entity.title.toLowerCase()}`,
    dataset: { testid: "search" },
    autocomplete: "off",
  });
  const filters = (entity.filters || []).map((f) => {
    const choices = f.ref
      ? (refs.get(f.ref) || []).map((r) => [String(r[f.refBy || "id"]), labelOf(r)])
      : f.options.map(([v, l]) => [String(v), l]);
    const select = el(
      "select",
      { id: `filter-${f.field}`, dataset: { filter: f.field, testid: `filter-${f.field}` } },
      el("option", { value: "" }, f.any || "any"),
      choices.map(([v, l]) => el("option", { value: v, selected: state.filters[f.field] === v }, l)),
    );
    return el("div", { class: "filter" }, el("label", { htmlFor: select.id }, f.label), select);
  });
  const count = el("span", { class: "hint", id: "count", dataset: { testid: "count" }, role: "status" });
  const body = el("tbody");
  const table = el(
    "table",
    { id: "list", class: "list", dataset: { testid: "list" } },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        entity.columns.map((c, i) =>
          el("th", { scope: "col", class: c.num ? "num" : "" }, el("button", { type: "button", class: "sort", dataset: { column: String(i) } }, c.label)),
        ),
      ),
    ),
    body,
  );
  const actions = el("div", { class: "list-actions" });
  root.replaceChildren(
    el(
      "div",
      { class: "screen-head" },
      el("h2", { id: "screen-title" }, entity.title),
      actions,
      el("a", { id: "new", class: "button primary", href: `#/${entity.id}/new`, dataset: { testid: "new" } }, `New ${entity.one}`),
    ),
    el("p", { class: "hint intro", hidden: !entity.intro }, entity.intro || ""),
    el(
      "div",
      { class: "toolbar", role: "search" },
      el("div", { class: "filter grow" }, el("label", { htmlFor: "search" }, "Search"), search),
      filters,
      count,
    ),
    el("div", { class: "scroll" }, table),
  );
  if (entity.listActions) entity.listActions(actions, ctx);

  // What a search looks in and each row, made once per item: a keystroke
  // only filters and puts back the rows it keeps.
  const searched = (entity.search || entity.columns.map((c) => c.field)).map((f) => entity.columns.find((c) => c.field === f) || { field: f });
  const texts = new Map();
  const textOf = (item) => {
    if (!texts.has(item)) texts.set(item, searched.map((c) => cellText(c, item, refs)).join(" ").toLowerCase());
    return texts.get(item);
  };
  const rows = new Map();
  const rowOf = (item) => {
    if (!rows.has(item)) rows.set(item, row(item));
    return rows.get(item);
  };
  const row = (item) =>
    el(
      "tr",
      {
        dataset: { id: String(item.id), testid: `row-${item.id}` },
        onclick: (e) => {
          if (e.target.tagName !== "A") ctx.go(`#/${entity.id}/${item.id}`);
        },
      },
      entity.columns.map((c, i) => {
        const text = cellText(c, item, refs);
        const td = el("td", { class: c.num ? "num" : "" });
        if (i === 0) td.append(el("a", { href: `#/${entity.id}/${item.id}` }, text || `#${item.id}`));
        else if (c.swatch) {
          const swatch = el("span", { class: "swatch", dataset: { colour: text } });
          swatch.style.background = text;
          td.append(swatch, text);
        } else if (c.render) td.append(c.render(item[c.field], item));
        else td.textContent = text;
        return td;
      }),
    );
  // The rows in the table now: a keystroke that keeps the same ones leaves it as it is.
  let drawn = null;
  const draw = () => {
    const words = state.search.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = items.filter((item) => {
      if (words.length) {
        const text = textOf(item);
        if (!words.every((w) => text.includes(w))) return false;
      }
      return (entity.filters || []).every((f) => {
        const want = state.filters[f.field];
        if (!want) return true;
        if (f.match) return f.match(item, want, refs);
        const v = item[f.field];
        return Array.isArray(v) ? v.some((x) => String(x) === want) : String(v) === want;
      });
    });
    if (state.sort) {
      const c = entity.columns[state.sort.column];
      const keys = new Map(shown.map((item) => [item, c.num ? Number(item[c.field]) || 0 : cellText(c, item, refs).toLowerCase()]));
      shown.sort((a, b) => {
        const x = keys.get(a);
        const y = keys.get(b);
        const order = c.num ? x - y : byNameNumeric(x, y);
        return state.sort.down ? -order : order;
      });
    }
    for (const th of table.querySelectorAll("th")) th.removeAttribute("aria-sort");
    if (state.sort) {
      table.querySelectorAll("th")[state.sort.column].setAttribute("aria-sort", state.sort.down ? "descending" : "ascending");
    }
    if (!(drawn && drawn.length === shown.length && drawn.every((item, i) => item === shown[i]))) {
      body.replaceChildren(...shown.map(rowOf));
      if (!shown.length) {
        body.append(el("tr", { class: "empty" }, el("td", { colSpan: entity.columns.length }, items.length ? `No ${entity.title.toLowerCase()} match.` : `No ${entity.title.toLowerCase()} yet.`)));
      }
    }
    drawn = shown;
    count.textContent = `${shown.length} of ${items.length}`;
  };
  // A column's header sorts by it; again, the other way.
  for (const b of table.querySelectorAll("button.sort")) {
    b.addEventListener("click", () => {
      const column = Number(b.dataset.column);
      state.sort = { column, down: Boolean(state.sort && state.sort.column === column && !state.sort.down) };
      draw();
    });
  }
  search.addEventListener("input", () => {
    state.search = search.value;
    draw();
  });
  for (const select of root.querySelectorAll("select[data-filter]")) {
    select.addEventListener("change", () => {
      state.filters[select.dataset.filter] = select.value;
      draw();
    });
  }
  draw();
  search.dataset.autofocus = "";
}

// ------------------------------------------------------------------ forms

/** What a form screen shows after a save that navigated to it. */
let flash = null;

const controlId = (f) => `f-${f.name}`;

/** The control(s) of field `f` holding `value`; `choices` for references. */
function control(f, value, choices, ctx) {
  const id = controlId(f);
  const common = { id, name: f.name, dataset: { testid: id } };
  switch (f.kind) {
    case "bool":
      return el("input", { ...common, type: "checkbox", checked: Boolean(value) });
    case "number":
      return el("input", {
        ...common,
        type: "number",
        value: value === null || value === undefined ? "" : String(value),
        min: f.min,
        max: f.max,
        step: f.step || 1,
        required: f.required,
      });
    case "select":
    case "ref": {
      const opts = f.kind === "ref" ? choices : f.options.map(([v, l]) => ({ value: v, label: l }));
      if (!opts) {
        // The list is not ours to read: the id as a number.
        return el("input", { ...common, inputmode: "numeric", value: value === null || value === undefined ? "" : String(value) });
      }
      return el(
        "select",
        { ...common, required: f.required },
        f.nullable || (f.kind === "ref" && !f.required) || value === undefined || value === null
          ? el("option", { value: "" }, f.none || (f.nullable ? "(none)" : "choose…"))
          : null,
        opts.map((o) => el("option", { value: String(o.value), selected: String(o.value) === String(value) }, o.label)),
      );
    }
    case "multi": {
      const opts = f.ref ? choices : f.options.map(([v, l]) => ({ value: v, label: l }));
      const have = (value || []).map(String);
      if (!opts) {
        return el("input", { ...common, value: have.join(", "), placeholder: "ids, comma separated" });
      }
      const box = el("div", { id, class: "checks", role: "group", attrs: { "aria-labelledby": `${id}-label` }, dataset: { testid: id } });
      if (f.ordered) {
        // The order the items were ticked in (the stored order first).
        box.order = [...have];
        box.addEventListener("change", (e) => {
          box.order = box.order.filter((v) => v !== e.target.value);
          if (e.target.checked) box.order.push(e.target.value);
        });
      }
      if (!opts.length) box.append(el("span", { class: "hint" }, "none to choose from"));
      for (const o of opts) {
        const cid = `${id}-${o.value}`;
        box.append(
          el(
            "label",
            { class: "check", htmlFor: cid },
            el("input", { type: "checkbox", id: cid, name: f.name, value: String(o.value), checked: have.includes(String(o.value)) }),
            o.label,
          ),
        );
      }
      return box;
    }
    case "flags": {
      const box = el("div", { id, class: "checks", role: "group", attrs: { "aria-labelledby": `${id}-label` }, dataset: { testid: id } });
      for (const [k, l] of f.options) {
        const cid = `${id}-${k}`;
        box.append(
          el("label", { class: "check", htmlFor: cid }, el("input", { type: "checkbox", id: cid, name: f.name, value: k, checked: Boolean(value && value[k]) }), l),
        );
      }
      return box;
    }
    case "lines":
      return el("textarea", { ...common, rows: 3, value: (value || []).join("\n"), placeholder: f.placeholder });
    case "textarea":
      return el("textarea", { ...common, rows: 3, value: value || "" });
    case "colour":
      return el("input", { ...common, type: "color", value: value || "#2457c5" });
    case "password":
      return el("input", { ...common, type: "password", autocomplete: "new-password", value: "", placeholder: f.placeholder });
    case "permissions":
      if (ctx.permissionsField) {
        const node = ctx.permissionsField.render(value || [], ctx);
        node.id = node.id || id;
        node.dataset.field = f.name;
        return node;
      }
      return el("textarea", { ...common, rows: 6, value: (value || []).join("\n"), placeholder: "one key a line" });
    default: {
      const input = el("input", {
        ...common,
        value: value === null || value === undefined ? "" : String(value),
        required: f.required,
        placeholder: f.placeholder,
        maxLength: f.maxLength,
        autocomplete: "off",
      });
      if (f.suggest) input.setAttribute("list", `${id}-list`);
      return input;
    }
  }
}

/** The value field `f` holds in `form` (undefined: leave it out). */
function read(form, f, ctx) {
  const one = form.querySelector(`#${controlId(f)}`);
  const num = (s) => (s === "" ? null : Number(s));
  switch (f.kind) {
    case "bool":
      return one.checked;
    case "number": {
      const v = one.value.trim();
      if (v === "") return f.nullable ? null : undefined;
      return Number(v);
    }
    case "select":
    case "ref": {
      const v = one.value.trim();
      if (v === "") return f.nullable || f.kind === "ref" ? null : undefined;
      return f.kind === "ref" && (f.refBy || "id") === "id" ? num(v) : v;
    }
    case "multi":
      if (one.tagName === "INPUT") {
        return one.value.split(/[\s,]+/).filter(Boolean).map((s) => (f.ref ? Number(s) : s));
      }
      {
        const on = [...form.querySelectorAll(`input[name="${f.name}"]:checked`)].map((b) => b.value);
        const sorted = one.order ? [...one.order.filter((v) => on.includes(v)), ...on.filter((v) => !one.order.includes(v))] : on;
        return sorted.map((v) => (f.ref ? Number(v) : v));
      }
    case "flags":
      return Object.fromEntries([...form.querySelectorAll(`input[name="${f.name}"]`)].map((b) => [b.value, b.checked]));
    case "lines":
      return one.value.split(/[\n,]+/).map((s) => s.trim()).filter(Boolean);
    case "permissions":
      if (ctx.permissionsField) return ctx.permissionsField.read(one);
      return one.value.split(/[\s,]+/).filter(Boolean);
    case "password":
      return one.value === "" ? undefined : one.value;
    default: {
      const v = one.value.trim();
      if (v === "" && f.nullable) return null;
      return v;
    }
  }
}

/** The form's values by field name (hidden and left-out fields not included). */
function values(form, entity, ctx) {
  const out = {};
  for (const f of entity.fields) {
    const v = read(form, f, ctx);
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/** The field of `entity` an error's `field` names (`flags.x`, `addresses[2]`...). */
function fieldOf(entity, name) {
  if (!name) return null;
  return entity.fields.find((f) => name === f.name || name.startsWith(`${f.name}.`) || name.startsWith(`${f.name}[`)) || null;
}

export function clearProblems(form, which = ["field-error"]) {
  for (const cls of which) {
    for (const slot of form.querySelectorAll(`.${cls}`)) {
      slot.textContent = "";
      slot.hidden = true;
    }
  }
  const p = form.querySelector("p.problem");
  if (p && which.includes("field-error")) {
    p.textContent = "";
    p.hidden = true;
  }
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
}

/** Adds `message` to the slot of class `cls` beside field `name`; false if none. */
function place(form, cls, name, message) {
  const slot = form.querySelector(`.${cls}[data-field="${name}"]`);
  if (!slot) return false;
  slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
  slot.hidden = false;
  if (cls === "field-error") {
    const c = form.querySelector(`[name="${name}"]`) || form.querySelector(`#f-${name}`);
    if (c) c.setAttribute("aria-invalid", "true");
  }
  return true;
}

/**
 * Shows a Problem (or any error) on `form`: each of its `errors` next to
 * the field it names, the detail (and errors naming no field) in
 * #form-problem. Focuses the first failing control. Answers whether a field
 * was named.
 */
export function showProblem(form, err, entity) {
  const body = (err && err.body) || {};
  const general = [];
  let first = null;
  for (const e of Array.isArray(body.errors) ? body.errors : []) {
    const f = entity ? fieldOf(entity, e.field) : { name: e.field };
    const message = f && e.field !== f.name ? `${e.field.slice(f.name.length).replace(/^\./, "")}: ${e.message}` : e.message;
    if (f && place(form, "field-error", f.name, message)) {
      first = first || f.name;
    } else {
      general.push(`${e.field}: ${e.message}`);
    }
  }
  const p = form.querySelector("p.problem");
  if (p) {
    const detail = body.detail || body.title || (err && err.message) || "The request failed.";
    p.textContent = first && !general.length ? detail : [detail, ...general].join(" — ");
    p.hidden = false;
  }
  const target = first ? form.querySelector(`#f-${first} , [name="${first}"]`) : p;
  if (target) {
    if (target === p) p.tabIndex = -1;
    target.focus();
  }
  return Boolean(first);
}

/** Warnings ({field, message} or saved items' strings) next to their fields. */
function showWarnings(form, entity, warnings) {
  clearProblems(form, ["field-warning"]);
  const general = form.querySelector("#form-warnings");
  const rest = [];
  for (const w of warnings || []) {
    const text = typeof w === "string" ? w : w.message;
    const name = typeof w === "string" ? (w.match(/^([a-z_]+)\b/) || [])[1] : w.field;
    const f = fieldOf(entity, name);
    if (!(f && place(form, "field-warning", f.name, text))) rest.push(text);
  }
  general.textContent = rest.join(" ");
  general.hidden = !rest.length;
}

/** Which checks endpoints answered 404: not asked again this session. */
const noCheck = new Set();

export async function formScreen(root, entity, id, ctx) {
  const fresh = id === null;
  const done = flash;
  flash = null;
  const refNames = [...new Set(entity.fields.filter((f) => f.ref).map((f) => f.ref))];
  const [item, keys, ...loaded] = await Promise.all([
    fresh ? Promise.resolve({ ...(entity.defaults || {}) }) : ctx.api("GET", `/api/${entity.id}/${id}`),
    inputKeys(entity, ctx),
    ...refNames.map((r) => references(r, ctx)),
  ]);
  const refs = new Map(refNames.map((r, i) => [r, loaded[i]]));
  const choicesOf = (f) => {
    const items = refs.get(f.ref);
    if (!items) return null;
    return items
      .filter((r) => !(f.ref === entity.id && r.id === item.id))
      .filter((r) => !f.refFilter || f.refFilter(r))
      .map((r) => ({ value: r[f.refBy || "id"], label: labelOf(r) }));
  };

  const form = el("form", { id: "entity", class: "entity", noValidate: true, dataset: { testid: "entity" } });
  const groups = new Map();
  for (const f of entity.fields) {
    const g = f.group || "";
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g).push(f);
  }
  let firstControl = null;
  for (const [title, fields] of groups) {
    const set = el("fieldset", { class: "group" }, title ? el("legend", {}, title) : null);
    for (const f of fields) {
      const c = control(f, item[f.name], f.ref ? choicesOf(f) : null, ctx);
      const boxes = c.classList.contains("checks");
      const help = f.help ? el("p", { class: "help", id: `${controlId(f)}-help` }, f.help) : null;
      if (help && !boxes) c.setAttribute("aria-describedby", help.id);
      const label = boxes
        ? el("span", { class: "label", id: `${controlId(f)}-label` }, f.label)
        : el("label", { htmlFor: controlId(f), id: `${controlId(f)}-label` }, f.label);
      const wrap = el(
        "div",
        { class: `field kind-${f.kind || "text"}${f.wide ? " wide" : ""}`, dataset: { field: f.name } },
        f.kind === "bool" ? el("div", { class: "bool" }, c, label) : [label, c],
        f.suggest ? el("datalist", { id: `${controlId(f)}-list` }, f.suggest().map((s) => el("option", { value: s }))) : null,
        help,
        el("p", { class: "field-error", dataset: { field: f.name, testid: `error-${f.name}` }, role: "alert", hidden: true }),
        el("p", { class: "field-warning", dataset: { field: f.name, testid: `warning-${f.name}` }, attrs: { "aria-live": "polite" }, hidden: true }),
      );
      set.append(wrap);
      firstControl = firstControl || c;
    }
    form.append(set);
  }
  const del = fresh ? null : el("button", { type: "button", id: "delete", class: "danger", dataset: { testid: "delete" } }, "Delete");
  const confirm = el(
    "div",
    { id: "confirm", class: "confirm", hidden: true, role: "alertdialog", attrs: { "aria-labelledby": "confirm-text" } },
    el("span", { id: "confirm-text" }, `Delete this ${entity.one}?`),
    el("button", { type: "button", id: "confirm-delete", class: "danger", dataset: { testid: "confirm-delete" } }, "Delete"),
    el("button", { type: "button", id: "keep", dataset: { testid: "keep" } }, "Keep"),
  );
  form.append(
    el("p", { id: "form-problem", class: "problem", role: "alert", dataset: { testid: "form-problem" }, hidden: true }),
    el("p", { id: "form-warnings", class: "warning", attrs: { "aria-live": "polite" }, dataset: { testid: "form-warnings" }, hidden: true }),
    el(
      "div",
      { class: "form-actions" },
      el("button", { type: "submit", id: "save", class: "primary", dataset: { testid: "save" } }, fresh ? `Create ${entity.one}` : "Save"),
      el("button", { type: "button", id: "cancel", dataset: { testid: "cancel" } }, "Cancel"),
      del,
      el("span", { id: "saved", class: "saved", role: "status", dataset: { testid: "saved" }, hidden: !done }, done ? "Saved." : ""),
    ),
    confirm,
  );
  const panels = el("div", { class: "panels" });
  root.replaceChildren(
    el(
      "div",
      { class: "screen-head" },
      el("h2", { id: "screen-title" }, fresh ? `New ${entity.one}` : `${entity.one[0].toUpperCase()}${entity.one.slice(1)}: ${labelOf(item)}`),
      el("a", { href: `#/${entity.id}`, class: "back" }, `All ${entity.title.toLowerCase()}`),
    ),
    form,
    panels,
  );

  // Fields shown only when others hold some value (a text queue's weight).
  const conditional = entity.fields.filter((f) => f.when);
  const refresh = () => {
    if (!conditional.length) return;
    const v = values(form, entity, ctx);
    for (const f of conditional) form.querySelector(`.field[data-field="${f.name}"]`).hidden = !f.when(v);
  };
  refresh();

  const body = () => {
    const v = values(form, entity, ctx);
    const out = {};
    if (!fresh) {
      for (const [k, x] of Object.entries(item)) if (keys ? keys.has(k) : false) out[k] = x;
    }
    Object.assign(out, v);
    for (const f of conditional) {
      if (!f.when(v)) {
        if (f.nullable) out[f.name] = null;
        else delete out[f.name];
      }
    }
    if (keys) for (const k of Object.keys(out)) if (!keys.has(k)) delete out[k];
    return out;
  };

  // Live checks, debounced.
  let timer = null;
  let asked = 0;
  const check = () => {
    if (!entity.check || noCheck.has(entity.id)) return;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const n = ++asked;
      try {
        const answer = await ctx.api("POST", `/api/${entity.id}/check${fresh ? "" : `?id=${item.id}`}`, body());
        if (n !== asked) return;
        clearProblems(form);
        showWarnings(form, entity, answer && answer.warnings);
      } catch (err) {
        if (n !== asked) return;
        if (err.status === 404 || err.status === 405) {
          noCheck.add(entity.id);
          return;
        }
        if (err.status === 422 || err.status === 400) {
          // Only the fields the user has been at: the others may be not yet typed.
          clearProblems(form);
          clearProblems(form, ["field-warning"]);
          for (const e of (err.body && err.body.errors) || []) {
            const f = fieldOf(entity, e.field);
            if (f && touched.has(f.name)) place(form, "field-error", f.name, e.message);
          }
        }
      }
    }, 300);
  };
  const touched = new Set();
  const touch = (e) => {
    const field = e.target.closest && e.target.closest(".field");
    if (field) touched.add(field.dataset.field);
  };
  form.addEventListener("input", (e) => {
    touch(e);
    refresh();
    form.querySelector("#saved").hidden = true;
    check();
  });
  form.addEventListener("change", (e) => {
    touch(e);
    refresh();
    check();
  });
  form.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      e.preventDefault();
      ctx.go(`#/${entity.id}`);
    } else if (e.key === "Enter" && !e.isComposing) {
      const t = e.target;
      const textarea = t.tagName === "TEXTAREA";
      if (t.tagName === "BUTTON" || (textarea && !(e.ctrlKey || e.metaKey))) return;
      if (t.tagName === "INPUT" && t.type !== "checkbox" && t.type !== "radio" && !textarea) return; // the form submits
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.querySelector("#cancel").addEventListener("click", () => ctx.go(`#/${entity.id}`));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    asked++;
    clearProblems(form);
    clearProblems(form, ["field-warning"]);
    form.querySelector("#form-warnings").hidden = true;
    form.querySelector("#saved").hidden = true;
    const save = form.querySelector("#save");
    save.disabled = true;
    try {
      const saved = fresh
        ? await ctx.api("POST", `/api/${entity.id}`, body())
        : await ctx.api("PUT", `/api/${entity.id}/${item.id}`, body());
      flash = { warnings: saved.warnings || [] };
      if (fresh) ctx.go(`#/${entity.id}/${saved.id}`);
      else ctx.reload();
    } catch (err) {
      showProblem(form, err, entity);
    } finally {
      save.disabled = false;
    }
  });
  if (del) {
    del.addEventListener("click", () => {
      confirm.hidden = false;
      confirm.querySelector("#keep").focus();
    });
    confirm.querySelector("#keep").addEventListener("click", () => {
      confirm.hidden = true;
      del.focus();
    });
    confirm.querySelector("#confirm-delete").addEventListener("click", async () => {
      confirm.hidden = true;
      clearProblems(form);
      try {
        await ctx.api("DELETE", `/api/${entity.id}/${item.id}`);
        ctx.go(`#/${entity.id}`);
      } catch (err) {
        showProblem(form, err, entity);
      }
    });
  }
  if (done) showWarnings(form, entity, done.warnings);
  if (!fresh) {
    for (const panel of entity.panels || []) {
      const box = el("section", { class: "panel" });
      panels.append(box);
      try {
        await panel(box, item, ctx);
      } catch (err) {
        box.append(el("p", { class: "error", role: "alert" }, err.message));
      }
    }
  }
  const focus = firstControl.matches("input,select,textarea") ? firstControl : firstControl.querySelector("input,select,textarea");
  (focus || firstControl).dataset.autofocus = "";
}

/** Marks that the next form shown follows a save (for panels that save). */
export function markSaved(warnings = []) {
  flash = { warnings };
}
