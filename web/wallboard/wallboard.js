// The wallboard: a large tile per queue and queue group, updated live.
//
// It reads GET /api/wallboard once (which also tells whether the user may
// see the wallboard), then listens on the WebSocket /api/wallboard/socket:
// a "snapshot" message with every tile, then "update" messages with the
// tiles that changed (and "removed" keys). The longest wait is counted up
// here from each tile's longest_wait_since, against the server's clock. The
// session is the same cookie as the agent panel's (POST /api/login).

import { $, api, length as lengthOr, session, show } from "/shared/page.js";

const model = { tiles: new Map(), socket: null, skew: 0, wanted: false };

/** Seconds as m:ss (or h:mm:ss); "–" for none. */
const length = (seconds) => lengthOr(seconds, "–");

function percent(share) {
  return share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A figure: its value (testid `<what>-<tile key>`) over its label. */
function figure(key, what, label, value, extra) {
  const f = el("div", "figure");
  const v = el("span", `value ${extra || ""}`.trim(), String(value));
  v.dataset.testid = `${what}-${key}`;
  f.append(v, el("span", "label", label));
  return f;
}

/** Green at or above the target, amber within 10 points under it, red below. */
function slClass(share, target) {
  if (share === null || share === undefined) return "sl";
  if (share >= target) return "sl good";
  return share >= target - 0.1 ? "sl warn" : "sl bad";
}

function waitedSince(since) {
  if (since === null || since === undefined) return null;
  return (Date.now() + model.skew - since) / 1000;
}

function chips(title, items) {
  const c = el("div", "chips");
  c.append(el("span", "title", title));
  for (const [label, count, testid] of items) {
    const s = el("span");
    s.append(`${label} `, el("b", "", String(count)));
    if (testid) s.dataset.testid = testid;
    c.append(s);
  }
  return c;
}

function render(t) {
  const key = t.key;
  const tile = el("article", `tile ${t.kind}`);
  tile.dataset.testid = `tile-${key}`;
  const h = el("h2");
  h.append(el("span", "", t.name), el("span", "kind", t.kind === "group" ? "queue group" : `SL ${t.service_level_seconds} s`));
  const big = el("div", "big");
  big.append(
    figure(key, "waiting", "waiting", t.waiting),
    figure(key, "longest", "longest wait", length(waitedSince(t.longest_wait_since))),
    figure(key, "sl", `service level (target ${percent(t.service_level_target)})`,
      percent(t.service_level), slClass(t.service_level, t.service_level_target)),
  );
  const small = el("div", "small");
  small.append(
    figure(key, "answered", "answered", t.answered),
    figure(key, "abandoned", "abandoned", t.abandoned),
    figure(key, "exits", "by queue exit", t.abandoned_by_queue_exit),
    figure(key, "redirected", "redirected by timeout", t.redirected_by_queue_timeout),
    figure(key, "asa", "ASA", length(t.asa)),
    figure(key, "aht", "AHT", length(t.aht)),
    figure(key, "sl-short", "SL without short abandons", percent(t.service_level_without_short_abandons)),
    figure(key, "short", "short abandons", t.short_abandons),
  );
  const a = t.agents;
  const agents = chips("Agents", [
    ["Available", a.available, `agents-available-${key}`],
    ["Ringing", a.ringing, `agents-ringing-${key}`],
    ["In call", a.in_call, `agents-in-call-${key}`],
    ["After-call work", a.after_call_work, `agents-acw-${key}`],
    ["Break", a.break, `agents-break-${key}`],
    ["Offline", a.offline, `agents-offline-${key}`],
  ]);
  tile.append(h, big, small, agents);
  if (t.statuses.length) {
    const items = t.statuses.map((s) => [s.name, s.count, `status-${s.id}-${key}`]);
    items.push(["Other", t.other_statuses, `status-other-${key}`]);
    tile.append(chips("Statuses", items));
  }
  if (t.result_codes.length) {
    tile.append(chips(`Result codes (${t.date})`, t.result_codes.map((c) => [c.name, c.count, `code-${c.id}-${key}`])));
  }
  tile._since = t.longest_wait_since;
  return tile;
}

/** Puts every tile in place: queues first, then groups, by id. */
function draw() {
  const order = [...model.tiles.values()].sort((x, y) =>
    x.kind === y.kind ? x.id - y.id : x.kind === "queue" ? -1 : 1);
  const box = $("tiles");
  const nodes = order.map((t) => t._node || (t._node = render(t)));
  box.replaceChildren(...nodes);
  show("empty", order.length === 0);
}

function apply(message) {
  model.skew = message.at - Date.now();
  if (message.type === "snapshot") model.tiles.clear();
  for (const t of message.tiles || []) model.tiles.set(t.key, t);
  for (const k of message.removed || []) model.tiles.delete(k);
  draw();
}

/** The longest waits count up between messages. */
function tick() {
  for (const t of model.tiles.values()) {
    const node = t._node && t._node.querySelector(`[data-testid="longest-${t.key}"]`);
    if (node) node.textContent = length(waitedSince(t.longest_wait_since));
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/wallboard/socket`);
  model.socket = socket;
  socket.onopen = () => show("live", true);
  socket.onmessage = (e) => apply(JSON.parse(e.data));
  socket.onclose = () => {
    show("live", false);
    if (model.socket === socket) model.socket = null;
    if (model.wanted) setTimeout(start, 2000);
  };
}

async function start() {
  if (!model.wanted || model.socket) return;
  show("board-error", false);
  try {
    apply({ type: "snapshot", ...(await api("GET", "/api/wallboard")) });
  } catch (err) {
    if (err.status === 401) return loggedOut("");
    $("board-error").textContent = err.status === 403
      ? "You may not see the wallboard (menu.supervisor_panel or report.queues)."
      : err.message;
    show("board-error", true);
    if (err.status !== 403) setTimeout(start, 5000);
    return;
  }
  connect();
}

const loggedOut = session({
  page: "wallboard",
  view: "board-view",
  leave: () => {
    model.wanted = false;
    if (model.socket) model.socket.close();
  },
  enter: async () => {
    model.wanted = true;
    await start();
  },
});

setInterval(tick, 1000);
