// What every page shares: calls to the API that turn a problem+json answer
// into an error, showing and hiding parts of the page, lengths as m:ss, and
// the session: the one login form, the logout button, the strip of links
// between the pages (nav.js) and the page's own view, shown while signed in.
// The session is one cookie for every page (POST /api/login), so a user who
// logged in on one page opens the others without logging in again.
//
// The login form is written once, here, and drawn into whichever page was
// opened, rather than living on a separate /login/ page that sends the user
// back: every page keeps its own address (a bookmark, a reload or a link from
// the strip opens that page, not a detour), no return address travels in the
// URL (nothing to check against open redirects), and a session that ends
// while a page is open shows the form in place, the page's state still there
// behind it. A page the user's permissions do not open says so, with the
// strip still there to go elsewhere.

import { drawNav, hideNav, opens, page as pageOf } from "./nav.js";

export const $ = (id) => document.getElementById(id);

/** An answer other than 2xx: the problem's detail, then each failing field. */
export class Problem extends Error {
  constructor(status, body) {
    const fields = body && Array.isArray(body.errors) ? body.errors.map((e) => `${e.field}: ${e.message}`) : [];
    super([(body && (body.detail || body.title)) || `HTTP ${status}`, ...fields].join(" — "));
    this.status = status;
    this.body = body;
  }
}

/** Calls the API with a JSON body (if any); the JSON answer, or a Problem. */
export async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Problem(res.status, json);
  return json;
}

export function show(id, on) {
  $(id).hidden = !on;
}

/** Shows `text` in the page's notice line; nothing hides it. */
export function notice(text) {
  $("notice").textContent = text || "";
  show("notice", Boolean(text));
}

/** Seconds as m:ss (or h:mm:ss); `none` for a missing value. */
export function length(seconds, none = "0:00") {
  if (seconds === null || seconds === undefined) return none;
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** An element with attributes (`testid` is data-testid) and children. */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "testid") node.dataset.testid = v;
    else if (v === true) node.setAttribute(k, "");
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

/** The login form and the "not for you" note, drawn once after the notice line. */
function drawSessionViews() {
  if ($("login-view")) return;
  const field = (id, label, attrs) => [
    el("label", { for: id }, label),
    el("input", { id, testid: id, required: true, ...attrs }),
  ];
  const login = el(
    "section",
    { id: "login-view", testid: "login-view", class: "card", "aria-labelledby": "login-title", hidden: true },
    el("h2", { id: "login-title" }, "Log in"),
    el(
      "form",
      { id: "login-form", testid: "login-form", novalidate: true },
      ...field("login-user", "User name", { name: "username", autocomplete: "username" }),
      ...field("login-password", "Password", {
        name: "password",
        type: "password",
        autocomplete: "current-password",
      }),
      el("button", { type: "submit", id: "login-submit", testid: "login-submit" }, "Log in"),
      el("p", { id: "login-error", testid: "login-error", class: "error", role: "alert", hidden: true }),
    ),
  );
  const denied = el(
    "section",
    { id: "denied-view", testid: "denied-view", class: "card", "aria-labelledby": "denied-title", hidden: true },
    el("h2", { id: "denied-title" }, "Not open to you"),
    el("p", { id: "denied-reason", testid: "denied-reason" }),
  );
  const anchor = $("notice");
  if (anchor) anchor.after(login, denied);
  else document.querySelector("main").prepend(login, denied);
}

/** Other pages of this browser hear of a login or logout at once. */
const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("switchboard-session") : null;

/**
 * Runs the page's session: shows the login form until a session exists,
 * then the strip of links (nav.js) and, when the user's permissions open
 * `page` (a key of nav.js PAGES), `view` (an element id, if the page has one
 * view) and calls `enter(me)` with GET /api/session's answer; otherwise a
 * note that the page is not open to them. `leave()` runs when the session
 * ends, and first thing on logout, so it may be called twice. Logging out
 * (from any page) ends the work in the agent panel when the user may use it,
 * then the session, for every page of the browser. Answers the function that
 * signs out with a message (for a 401 or a missing permission).
 */
export function session({ page, view, enter, leave }) {
  const { label, any } = pageOf(page);
  drawSessionViews();
  let me = null;
  const out = (message) => {
    me = null;
    if (leave) leave();
    notice(message);
    if (view) show(view, false);
    show("denied-view", false);
    show("who", false);
    hideNav();
    show("login-view", true);
    $("login-user").focus();
  };
  const denied = (permissions) => {
    const some = permissions.length ? "The links above open the pages you may use." : "Ask an administrator.";
    $("denied-reason").textContent =
      `Your permissions do not open the ${label.toLowerCase()}: it needs ${any.join(" or ")}. ${some}`;
    show("denied-view", true);
  };
  let asking = false;
  const boot = async () => {
    let who;
    asking = true;
    try {
      who = await api("GET", "/api/session");
    } catch (err) {
      if (err.status === 401) return out("");
      return out(`The server could not be reached (${err.message}). Reload to try again.`);
    } finally {
      asking = false;
    }
    me = who;
    notice("");
    $("user-name").textContent = who.username || "admin";
    show("login-view", false);
    show("who", true);
    drawNav(page, who.permissions);
    if (!opens(page, who.permissions)) return denied(who.permissions);
    show("denied-view", false);
    if (view) show(view, true);
    await enter(who);
  };
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = $("login-user").value.trim();
    const password = $("login-password").value;
    show("login-error", false);
    if (!username || !password) {
      $("login-error").textContent = "Enter your user name and password.";
      show("login-error", true);
      return;
    }
    $("login-submit").disabled = true;
    try {
      await api("POST", "/api/login", { username, password });
      $("login-password").value = "";
      notice("");
      if (channel) channel.postMessage("login");
      await boot();
    } catch (err) {
      $("login-error").textContent = err.status === 401 ? "Wrong user name or password." : err.message;
      show("login-error", true);
    } finally {
      $("login-submit").disabled = false;
    }
  });
  $("logout").addEventListener("click", async () => {
    const was = me;
    if (leave) leave();
    if (was && opens("agent", was.permissions)) {
      try {
        await api("POST", "/api/agent/logout");
      } catch {
        /* not working in the agent panel */
      }
    }
    try {
      await api("POST", "/api/logout");
    } catch {
      /* the session is gone already */
    }
    if (channel) channel.postMessage("logout");
    out("");
  });
  if (channel) {
    channel.addEventListener("message", (e) => {
      if (e.data === "logout" && me) out("You logged out on another page.");
      else if (e.data === "login" && !me && !asking) boot();
    });
  }
  // After this function has answered, so the page holds `out` first.
  setTimeout(boot, 0);
  return out;
}
