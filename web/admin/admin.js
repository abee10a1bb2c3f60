// The administration console at /admin/: the session (the shared login
// form, the same cookie as the other pages), the side menu of the screens
// the user's Menu permission allows, and the router over the hash:
// #/<screen> is the list, #/<screen>/new a new item, #/<screen>/<id> the
// edit form. The screens themselves are entities.js's descriptions drawn by
// crud.js's generic list and form.

import { api, session, $, notice } from "/shared/page.js";
import { el, formScreen, listScreen } from "./crud.js";
import { ENTITIES } from "./entities.js";
import { permissionsField } from "./people.js";

let me = null;
/** Counts renders, so a slow answer for a screen left meanwhile is dropped. */
let shown = 0;

/** Whether the session may open `entity`'s screen. */
function allowed(entity) {
  return Boolean(me && (me.superuser || me.permissions.includes(entity.menu)));
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

const ctx = {
  get me() {
    return me;
  },
  api,
  go,
  reload: () => render(),
  permissionsField,
  cache: null,
};

function drawMenu() {
  const entries = ENTITIES.filter(allowed);
  const groups = [];
  for (const e of entries) {
    let g = groups.find((x) => x.title === e.section);
    if (!g) groups.push((g = { title: e.section, items: [] }));
    g.items.push(e);
  }
  $("menu").replaceChildren(
    ...groups.map((g) =>
      el(
        "div",
        { class: "menu-group" },
        g.title ? el("h3", {}, g.title) : null,
        el(
          "ul",
          {},
          g.items.map((e) => el("li", {}, el("a", { href: `#/${e.id}`, dataset: { screen: e.id, testid: `menu-${e.id}` } }, e.title))),
        ),
      ),
    ),
  );
  if (!entries.length) $("menu").append(el("p", { class: "hint" }, "No screen is open to you."));
}

/** Draws the screen the hash names. */
async function render() {
  if (!me) return;
  const n = ++shown;
  const root = $("screen");
  delete root.dataset.shown;
  const [, screen, id] = (location.hash.match(/^#\/([a-z-]+)(?:\/([^/]+))?/) || []);
  const first = ENTITIES.find(allowed);
  if (!screen) {
    if (first) {
      location.replace(`#/${first.id}`);
    } else {
      root.replaceChildren(el("p", { class: "hint" }, "Your profiles open no administration screen."));
    }
    return;
  }
  for (const a of document.querySelectorAll("#menu a")) {
    if (a.dataset.screen === screen) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const entity = ENTITIES.find((e) => e.id === screen);
  if (!entity || !allowed(entity)) {
    root.dataset.shown = location.hash;
    root.replaceChildren(
      el("p", { id: "refused", class: "problem", role: "alert", dataset: { testid: "refused" } }, entity ? "You may not open this screen." : "There is no such screen."),
    );
    document.title = "Switchboard administration";
    return;
  }
  document.title = `${entity.title} · Switchboard administration`;
  ctx.cache = new Map();
  const target = el("div", { class: "loading", attrs: { "aria-busy": "true" } });
  try {
    if (id === undefined) await listScreen(target, entity, ctx);
    else await formScreen(target, entity, id === "new" ? null : id, ctx);
  } catch (err) {
    if (err.status === 401) return out("Your session has ended; log in again.");
    target.replaceChildren(
      el("p", { class: "problem", role: "alert", dataset: { testid: "screen-problem" } }, err.status === 404 ? `No such ${entity.one}: it may have been deleted.` : err.message),
      el("a", { href: `#/${entity.id}` }, `All ${entity.title.toLowerCase()}`),
    );
  }
  if (n !== shown) return;
  target.className = "";
  target.removeAttribute("aria-busy");
  root.replaceChildren(target);
  // Which hash the screen shows (the tests wait on it).
  root.dataset.shown = location.hash;
  const focus = target.querySelector("[data-autofocus]");
  if (focus) focus.focus();
}

const out = session({
  view: "admin-view",
  enter: async (who) => {
    me = who;
    $("login-main").classList.add("slim");
    notice("");
    drawMenu();
    await render();
  },
  leave: () => {
    me = null;
    $("login-main").classList.remove("slim");
    $("menu").replaceChildren();
    $("screen").replaceChildren();
  },
});

window.addEventListener("hashchange", render);
