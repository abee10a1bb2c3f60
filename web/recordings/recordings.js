// The recordings page: the recorded calls of the queues the user may see,
// newest first, a page at a time, each with a player and a download link.
//
// It reads GET /api/interactions?has_recording=true&limit=&offset=; the
// player and the link both fetch GET /api/interactions/{id}/recording, which
// logs every play or download on the server (the listening log). The session
// is the same cookie as the agent panel's (POST /api/login).

const $ = (id) => document.getElementById(id);

/** How many recordings one page shows. */
const PAGE = 20;

const model = { offset: 0, total: 0 };

class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
  }
}

async function api(method, path, body) {
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

function show(id, on) {
  $(id).hidden = !on;
}

function notice(text) {
  $("notice").textContent = text || "";
  show("notice", Boolean(text));
}

/** Seconds as m:ss (or h:mm:ss). */
function length(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

/** One recorded call: its facts, a player and a download link. */
function row(r) {
  const tr = document.createElement("tr");
  tr.dataset.testid = `recording-${r.InteractionID}`;
  const when = new Date(r.InitMoment).toLocaleString();
  const queue = r.QueueName || (r.Queue === null ? "(outbound)" : `#${r.Queue}`);
  const agent = r.AgentName || (r.Agent === null ? "" : `#${r.Agent}`);
  const caller = r.Direction === "outbound" ? r.LocalNumber : r.RemoteNumber;
  tr.append(cell(when), cell(queue), cell(agent), cell(caller), cell(length(r.CallDuration)));
  const media = document.createElement("td");
  const player = document.createElement("audio");
  player.controls = true;
  player.preload = "none";
  player.src = r.RecordingUrl;
  player.dataset.testid = `play-${r.InteractionID}`;
  const link = document.createElement("a");
  link.href = r.RecordingUrl;
  link.download = `interaction-${r.InteractionID}.wav`;
  link.textContent = "Download";
  link.dataset.testid = `download-${r.InteractionID}`;
  media.append(player, link);
  tr.append(media);
  return tr;
}

async function load() {
  show("list-error", false);
  let page;
  try {
    page = await api("GET", `/api/interactions?has_recording=true&limit=${PAGE}&offset=${model.offset}`);
  } catch (err) {
    if (err.status === 401) return loggedOut("");
    $("list-error").textContent =
      err.status === 403 ? "You may not play recordings (other.recordings)." : err.message;
    show("list-error", true);
    return;
  }
  model.total = page.total;
  $("rows").replaceChildren(...page.items.map(row));
  show("empty", page.items.length === 0);
  const first = page.items.length ? model.offset + 1 : 0;
  $("page-info").textContent = `${first}–${model.offset + page.items.length} of ${page.total}`;
  $("newer").disabled = model.offset === 0;
  $("older").disabled = model.offset + PAGE >= page.total;
}

function loggedOut(message) {
  notice(message);
  show("list-view", false);
  show("who", false);
  show("login-view", true);
}

async function boot() {
  let me;
  try {
    me = await api("GET", "/api/session");
  } catch {
    return loggedOut("");
  }
  $("user-name").textContent = me.username || "admin";
  show("login-view", false);
  show("who", true);
  show("list-view", true);
  model.offset = 0;
  await load();
}

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
  loggedOut("");
});

$("newer").addEventListener("click", () => {
  model.offset = Math.max(0, model.offset - PAGE);
  load();
});
$("older").addEventListener("click", () => {
  model.offset += PAGE;
  load();
});

boot();
