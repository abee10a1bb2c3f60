// What the recordings, reports, supervisor and wallboard pages share: calls
// to the API that turn a problem+json answer into an error, showing and
// hiding parts of the page, lengths as m:ss, and the session: the login
// form, the logout button and the page's own view, shown while signed in.
// The session is the same cookie as the agent panel's (POST /api/login).

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

/**
 * Runs the page's session: shows the login form until a session exists,
 * then `view` (an element id) and calls `enter(me)` with GET /api/session's
 * answer; `leave()` runs when the session ends. Answers the function that
 * signs out with a message (for a 401 or a missing permission).
 */
export function session({ view, enter, leave }) {
  const out = (message) => {
    if (leave) leave();
    notice(message);
    show(view, false);
    show("who", false);
    show("login-view", true);
  };
  const boot = async () => {
    let me;
    try {
      me = await api("GET", "/api/session");
    } catch {
      return out("");
    }
    $("user-name").textContent = me.username || "admin";
    show("login-view", false);
    show("who", true);
    show(view, true);
    await enter(me);
  };
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = $("login-user").value.trim();
    const password = $("login-password").value;
    show("login-error", false);
    $("login-submit").disabled = true;
    try {
      await api("POST", "/api/login", { username, password });
      $("login-password").value = "";
      notice("");
      await boot();
    } catch (err) {
      $("login-error").textContent = err.status === 401 ? "Wrong user name or password." : err.message;
      show("login-error", true);
    } finally {
      $("login-submit").disabled = false;
    }
  });
  $("logout").addEventListener("click", async () => {
    try {
      await api("POST", "/api/logout");
    } catch {
      /* the session is gone already */
    }
    out("");
  });
  // After this function has answered, so the page holds `out` first.
  setTimeout(boot, 0);
  return out;
}
