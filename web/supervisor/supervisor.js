// The supervisor panel: the agents of the user's queues and projects, live.
//
// It opens the WebSocket /api/supervisor/socket, which sends the whole list
// first ("agents") and then the rows that changed ("update", at most a few a
// second). Setting an agent's status is PUT /api/supervisor/agents/{id}/status
// and logging them out POST /api/supervisor/agents/{id}/logout; the list shows
// the result when the socket reports it. Times run on with the page's clock,
// corrected by the server's "now" in each message. The session is the same
// cookie as the agent panel's (POST /api/login).

import { $, api, length, notice, session, show } from "/shared/page.js";

/** The monitoring modes, the permission each needs, and its button's label. */
const MONITOR = [
  ["listen", "other.listen", "Listen"],
  ["whisper", "other.whisper", "Whisper"],
  ["barge", "other.barge", "Barge"],
];

const model = {
  agents: new Map(),
  /** Server time minus page time, in ms. */
  skew: 0,
  permissions: new Set(),
  statuses: [],
  socket: null,
  retry: null,
};

function error(text) {
  $("agents-error").textContent = text || "";
  show("agents-error", Boolean(text));
}

/** Milliseconds as m:ss (or h:mm:ss). */
const elapsed = (ms) => length(Math.floor((Number(ms) || 0) / 1000));

function serverNow() {
  return Date.now() + model.skew;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "testid") node.dataset.testid = v;
    else if (k === "class") node.className = v;
    else node[k] = v;
  }
  node.append(...children);
  return node;
}

function callText(a) {
  if (!a.call) return "";
  const queue = a.call.queue ? a.call.queue.name : "";
  const talking = a.presence === "in_call" ? ` · ${elapsed(serverNow() - a.call.answered_at)}` : "";
  return [queue, a.call.caller].filter(Boolean).join(" · ") + talking;
}

/** The buttons another panel's listen/whisper/barge wires up, on a call only. */
function monitorButtons(a) {
  const span = el("span", { class: "monitor", testid: `monitor-${a.id}` });
  if (!a.call || a.presence !== "in_call") return span;
  for (const [mode, permission, label] of MONITOR) {
    if (!model.permissions.has(permission)) continue;
    const b = el("button", { type: "button", testid: `${mode}-${a.id}`, textContent: label });
    b.addEventListener("click", async () => {
      try {
        await api("POST", `/api/supervisor/calls/${a.call.id}/monitor`, { mode });
        notice(`${label}: your phone rings.`);
      } catch (err) {
        error(err.message);
      }
    });
    span.append(b);
  }
  return span;
}

function actions(a) {
  const box = el("div", { class: "actions" });
  if (model.permissions.has("status.change_others")) {
    const select = el("select", { testid: `set-status-${a.id}`, ariaLabel: `Status of ${a.name}` });
    select.append(el("option", { value: "", textContent: "Set status…" }));
    for (const s of model.statuses) {
      select.append(el("option", { value: String(s.id), textContent: s.name }));
    }
    select.addEventListener("change", async () => {
      const status = Number(select.value);
      if (!status) return;
      error("");
      try {
        await api("PUT", `/api/supervisor/agents/${a.id}/status`, { status });
      } catch (err) {
        error(err.message);
      }
      select.value = "";
    });
    const out = el("button", { type: "button", testid: `logout-${a.id}`, textContent: "Log out" });
    out.addEventListener("click", async () => {
      error("");
      try {
        await api("POST", `/api/supervisor/agents/${a.id}/logout`);
      } catch (err) {
        error(err.message);
      }
    });
    box.append(select, out);
  }
  box.append(monitorButtons(a));
  return box;
}

function row(a) {
  const status = a.status ? a.status.name : "";
  const tr = el(
    "tr",
    { testid: `agent-${a.id}` },
    el("td", {}, el("div", { testid: `name-${a.id}`, textContent: a.name || a.login }),
      el("div", { class: "login", textContent: a.login })),
    el("td", {}, el("span", { testid: `status-${a.id}`, textContent: status }),
      el("span", { class: `presence ${a.presence}`, testid: `presence-${a.id}`,
                   textContent: a.presence.replaceAll("_", " ") })),
    el("td", { testid: `time-${a.id}`, textContent: elapsed(serverNow() - a.since) }),
    el("td", { testid: `call-${a.id}`, textContent: callText(a) }),
    el("td", { testid: `calls-${a.id}`, textContent: String(a.calls_today) }),
    el("td", {}, actions(a)),
  );
  tr.dataset.presence = a.presence;
  return tr;
}

function kept(a) {
  const queue = $("filter-queue").value;
  const group = $("filter-group").value;
  return (!queue || a.queues.some((q) => String(q.id) === queue))
    && (!group || a.agent_groups.some((g) => String(g.id) === group));
}

/** Puts the rows in order, building only the ones that changed. */
function render(changed) {
  const body = $("rows");
  const existing = new Map([...body.children].map((tr) => [tr.dataset.testid, tr]));
  const list = [...model.agents.values()].filter(kept)
    .sort((x, y) => (x.name || x.login).localeCompare(y.name || y.login) || x.id - y.id);
  const rows = list.map((a) => {
    const old = existing.get(`agent-${a.id}`);
    return old && !changed.has(a.id) ? old : row(a);
  });
  body.replaceChildren(...rows);
  show("empty", rows.length === 0);
}

/** The running times, once a second, without rebuilding rows. */
function tick() {
  for (const a of model.agents.values()) {
    const time = document.querySelector(`[data-testid="time-${a.id}"]`);
    if (time) time.textContent = elapsed(serverNow() - a.since);
    const call = document.querySelector(`[data-testid="call-${a.id}"]`);
    if (call) call.textContent = callText(a);
  }
}

/** Each row with the moments its clocks started, in server time. */
function take(a, now) {
  if (a.call) a.call.answered_at = now - a.call.talking_ms;
  return a;
}

function options(select, items, all) {
  const value = select.value;
  select.replaceChildren(el("option", { value: "", textContent: all }),
    ...items.map((i) => el("option", { value: String(i.id), textContent: i.name })));
  select.value = items.some((i) => String(i.id) === value) ? value : "";
}

function onMessage(m) {
  if (typeof m.now === "number") model.skew = m.now - Date.now();
  if (m.type === "agents") {
    model.agents = new Map(m.agents.map((a) => [a.id, take(a, m.now)]));
    options($("filter-queue"), m.queues, "All queues");
    options($("filter-group"), m.agent_groups, "All groups");
    render(new Set(model.agents.keys()));
  } else if (m.type === "update") {
    const changed = new Set();
    for (const a of m.agents) {
      model.agents.set(a.id, take(a, m.now));
      changed.add(a.id);
    }
    for (const id of m.removed) model.agents.delete(id);
    render(changed);
  } else if (m.type === "error") {
    error(m.detail);
  }
}

function live(on) {
  $("live").textContent = on ? "live" : "offline";
  $("live").classList.toggle("on", on);
}

function connect() {
  clearTimeout(model.retry);
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/api/supervisor/socket`);
  model.socket = socket;
  show("live", true);
  socket.addEventListener("open", () => live(true));
  socket.addEventListener("message", (e) => onMessage(JSON.parse(e.data)));
  socket.addEventListener("close", () => {
    live(false);
    if (model.socket === socket) model.retry = setTimeout(connect, 2000);
  });
}

const loggedOut = session({
  page: "supervisor",
  view: "agents-view",
  leave: () => {
    // No live state to show on the login form or a page the user may not open.
    show("live", false);
    if (model.socket) {
      const s = model.socket;
      model.socket = null;
      s.close();
    }
  },
  enter: async (me) => {
    model.permissions = new Set(me.permissions);
    try {
      model.statuses = await api("GET", "/api/supervisor/statuses");
    } catch (err) {
      if (err.status === 401) return loggedOut("");
      model.statuses = [];
    }
    connect();
  },
});

$("filter-queue").addEventListener("change", () => render(new Set()));
$("filter-group").addEventListener("change", () => render(new Set()));
setInterval(tick, 1000);

