// The strip of links between the pages, in every page's top bar: Agent
// panel, Supervisor panel, Wallboard, Reports, Recordings and the Admin
// console, each shown only when the user's permissions (GET /api/session)
// let them open it, the page on screen marked with aria-current="page".
//
// Which permission opens which page is the server's rule, repeated here so
// that a link never leads to a refusal: the agent panel's API needs
// menu.agent_panel; /api/supervisor/ menu.supervisor_panel; the wallboard
// either menu.supervisor_panel or report.queues; /api/reports/ menu.reports;
// the recordings list other.recordings; the admin console any Menu
// permission of its screens (src/api/admin/auth.rs `menu_of`).

/** The admin console's screens, by Menu permission. */
const ADMIN_MENUS = [
  "menu.projects",
  "menu.statuses",
  "menu.queues",
  "menu.queue_groups",
  "menu.result_codes",
  "menu.tags",
  "menu.users",
  "menu.profiles",
  "menu.agent_groups",
  "menu.pickup_groups",
  "menu.dial_plan",
];

/** Every page, in the strip's order, with the permissions that open it (any one). */
export const PAGES = [
  { key: "agent", href: "/agent/", label: "Agent panel", any: ["menu.agent_panel"] },
  { key: "supervisor", href: "/supervisor/", label: "Supervisor panel", any: ["menu.supervisor_panel"] },
  { key: "wallboard", href: "/wallboard/", label: "Wallboard", any: ["menu.supervisor_panel", "report.queues"] },
  { key: "reports", href: "/reports/", label: "Reports", any: ["menu.reports"] },
  { key: "recordings", href: "/recordings/", label: "Recordings", any: ["other.recordings"] },
  { key: "admin", href: "/admin/", label: "Admin console", any: ADMIN_MENUS },
];

/** The page called `key`; an unknown key is a mistake in the page's code. */
export function page(key) {
  const p = PAGES.find((x) => x.key === key);
  if (!p) throw new Error(`no page ${key}`);
  return p;
}

/** Whether `permissions` (a list of keys) open the page called `key`. */
export function opens(key, permissions) {
  const have = new Set(permissions || []);
  return page(key).any.some((k) => have.has(k));
}

/**
 * Puts the strip in the top bar (after its title), with a link to each page
 * `permissions` open; `current` is the page on screen. Drawn again on each
 * call, so a new session's permissions replace the old ones.
 */
export function drawNav(current, permissions) {
  let nav = document.getElementById("pages-nav");
  if (!nav) {
    nav = document.createElement("nav");
    nav.id = "pages-nav";
    nav.className = "pages-nav";
    nav.dataset.testid = "pages-nav";
    nav.setAttribute("aria-label", "Pages");
    const bar = document.querySelector("header.bar");
    const title = bar && bar.querySelector("h1");
    if (title) title.after(nav);
    else if (bar) bar.prepend(nav);
    else document.body.prepend(nav);
  }
  const links = PAGES.filter((p) => opens(p.key, permissions)).map((p) => {
    const a = document.createElement("a");
    a.href = p.href;
    a.textContent = p.label;
    a.dataset.testid = `nav-${p.key}`;
    if (p.key === current) a.setAttribute("aria-current", "page");
    return a;
  });
  nav.replaceChildren(...links);
  nav.hidden = false;
}

/** Takes the strip away (no session, no links). */
export function hideNav() {
  const nav = document.getElementById("pages-nav");
  if (nav) {
    nav.replaceChildren();
    nav.hidden = true;
  }
}
