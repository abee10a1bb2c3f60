// The agent panel: log in, choose the project and queues, take queue calls in
// the browser softphone (phone.js), transfer a caller blind to a queue or an
// agent, record a call of a queue that records on demand, close each call
// with a result code and tags (during the call, in after-call work, or later
// from the list of recent interactions), and call out from the dial pad
// (dialpad.js); the callbacks waiting in the agent's queues are listed
// (callbacks.js), and the follow-ups results schedule are shown when due
// (results.js).
//
// The server is the source of truth: the panel follows the live WebSocket
// /api/agent/ws (the state on every connection, offers, queue waiting counts,
// after-call work) and reconnects with backoff when it drops. The call itself
// is on the softphone's own SIP connection and survives a panel reconnection.
// The protocol is described in the repository (agent panel protocol).
//
// Logging in and out is the shared session of every page (/shared/page.js):
// the same form, the strip of links to the other pages, and one cookie, so a
// user who logged in on another page starts work here without logging in
// again; logging out on any page ends the work here too.

import { $, notice, session, show } from "/shared/page.js";
import { Callbacks } from "./callbacks.js";
import { setupDialPad } from "./dialpad.js";
import { Phone } from "./phone.js";
import { FollowUps, Recent } from "./results.js";

/** Everything the page shows is rendered from this. */
const model = {
  me: null,
  state: null, // the server's state object
  stateAt: 0, // local time the state arrived
  statuses: [],
  offer: null, // the server's offer message
  ringing: null, // {session, caller, auto} from the softphone
  answeredAt: 0, // local time our side answered
  autoAnswered: null, // the session auto answer was started for
  answering: null, // the session the agent (or auto answer) answered
  held: false,
  muted: false,
  wrapupShown: null, // call id of the result form on screen
  forms: new Map(), // call id -> result form read for a call outside after-call work
  formLoading: null, // call id whose form is being read
  earlier: null, // id of the earlier interaction chosen from the recent list
  transferOpen: false, // the list of transfer targets is on screen
  transferring: false, // a transfer request is on its way
  recorded: null, // id of the call the agent started recording
  recordAsking: false, // a request to record is on its way
  clockSkew: 0, // server time minus local time, when it is worth correcting
};

let phone = null;
let callbacks = null;
let recent = null;
let followUps = null;
const debug = {
  beeps: 0,
  chimes: 0, // status chimes played (Play Sound)
  panelConnections: 0,
  session: () => (phone ? phone.session : null),
  ua: () => (phone ? phone.ua : null),
  state: () => model.state,
  registered: () => Boolean(phone && phone.registered),
  audioState: () => (audio.ctx ? audio.ctx.state : "none"),
  dropPanelSocket: () => live.drop(),
};
window.switchboard = debug;

// ---------------------------------------------------------------- HTTP

class Problem extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.title)) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const date = Date.parse(res.headers.get("Date") || "");
  if (!Number.isNaN(date)) {
    const skew = date - Date.now();
    // The Date header has whole seconds: only a clearly wrong clock is corrected.
    model.clockSkew = Math.abs(skew) > 2000 ? skew : 0;
  }
  const text = await res.text();
  let json = null;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = { detail: text };
    }
  }
  if (!res.ok) throw new Problem(res.status, json);
  return json;
}

/** A problem's detail plus its failing fields, for a person to read. */
function explain(err) {
  const fields = err.body && (err.body.errors || err.body.fields);
  if (Array.isArray(fields) && fields.length) {
    const parts = fields.map((f) => [f.field || f.pointer || f.name, f.detail || f.message].filter(Boolean).join(": "));
    return `${err.message} (${parts.join("; ")})`;
  }
  return err.message;
}

const serverNow = () => Date.now() + model.clockSkew;

function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

// ---------------------------------------------------------------- audio

const audio = {
  ctx: null,
  /** Browsers start audio only after a click: every click on the page unlocks it. */
  unlock() {
    if (!this.ctx) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      this.ctx = new Ctx();
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
  },
  /** The auto-answer beep: 200 ms at 1 kHz with soft edges. */
  beep() {
    this.unlock();
    const ctx = this.ctx;
    if (!ctx) return;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 1000;
    const t = ctx.currentTime;
    gain.gain.setValueAtTime(0, t);
    gain.gain.linearRampToValueAtTime(0.25, t + 0.01);
    gain.gain.setValueAtTime(0.25, t + 0.19);
    gain.gain.linearRampToValueAtTime(0, t + 0.2);
    osc.connect(gain).connect(ctx.destination);
    osc.start(t);
    osc.stop(t + 0.21);
    debug.beeps += 1;
  },
};
document.addEventListener("click", () => audio.unlock(), { capture: true });

// ---------------------------------------------------------------- live connection

const live = {
  ws: null,
  wanted: false,
  attempts: 0,
  timer: 0,

  start() {
    this.wanted = true;
    this.attempts = 0;
    this.open();
  },

  stop() {
    this.wanted = false;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    linkState(false);
  },

  /** Closes the connection as a network drop would; it comes back by itself. */
  drop() {
    if (this.ws) this.ws.close(4000, "dropped");
  },

  open() {
    clearTimeout(this.timer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/api/agent/ws`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempts = 0;
      debug.panelConnections += 1;
      linkState(true);
      // What fell due while the link was down was pushed to nobody.
      if (followUps) followUps.refresh();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      onMessage(msg);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      linkState(false);
      if (this.wanted) this.retry();
    };
  },

  async retry() {
    this.attempts += 1;
    // 0.5 s, 1 s, 2 s, ... up to 15 s, with jitter so a restarted server is not
    // met by every panel at once.
    const base = Math.min(15000, 500 * 2 ** (this.attempts - 1));
    const delay = base / 2 + Math.random() * (base / 2);
    if (this.attempts >= 3) {
      // Repeated failures may mean the session is gone rather than the network.
      try {
        await api("GET", "/api/agent/me");
      } catch (err) {
        if (err.status === 401) {
          loggedOut("Your session has ended. Please log in again.");
          return;
        }
      }
    }
    this.timer = setTimeout(() => {
      if (this.wanted) this.open();
    }, delay);
  },
};

function linkState(up) {
  const el = $("link-state");
  el.textContent = up ? "live: connected" : live.wanted ? "live: reconnecting" : "live: off";
  el.className = `pill ${up ? "ok" : live.wanted ? "bad" : ""}`;
}

function onMessage(msg) {
  switch (msg.type) {
    case "state": {
      const { type, ...state } = msg;
      applyState(state);
      break;
    }
    case "queues":
      if (model.state) model.state.queues = msg.queues;
      renderQueues();
      if (callbacks) callbacks.refresh();
      break;
    case "offer":
      model.offer = msg;
      maybeAutoAnswer();
      render();
      break;
    case "offer_ended":
      if (model.offer && model.offer.call === msg.call) model.offer = null;
      render();
      break;
    case "connected":
      if (model.state) {
        model.state.presence = "in_call";
        // The state that follows names the queue and caller; until then the
        // call is known by its id, which is all a transfer needs.
        if (!(model.state.call && model.state.call.id === msg.call)) {
          model.state.call = { id: msg.call, queue: null, caller: "" };
        }
      }
      render();
      break;
    case "wrapup": {
      const { type, ...wrapup } = msg;
      if (model.state) model.state.wrapup = wrapup;
      render();
      break;
    }
    case "wrapup_ended":
      if (model.state && model.state.wrapup && model.state.wrapup.call === msg.call) {
        model.state.wrapup = null;
      }
      render();
      if (recent) {
        // The record is completed just after: read the list again then too.
        recent.refresh();
        setTimeout(() => recent.refresh(), 1500);
      }
      break;
    case "follow_up": {
      const { type, ...followUp } = msg;
      if (followUps) followUps.onDue(followUp);
      break;
    }
    case "follow_ups_changed":
      if (followUps) followUps.refresh();
      break;
    case "dial":
      dialPad.onDial(msg);
      break;
    case "error":
      notice(msg.detail);
      break;
    default:
      break;
  }
}

function applyState(state) {
  chimeOnStatusChange(model.state, state);
  model.state = state;
  model.stateAt = Date.now();
  if (state.offer) model.offer = state.offer;
  else if (!model.ringing) model.offer = null;
  if (!state.project && !$("work-view").hidden && model.me && !(phone && phone.session)) {
    // Dispatch no longer has the agent in a project (a server restart, or a
    // logout elsewhere): choose the project and queues again.
    notice("You are not logged in to a project any more. Please start work again.");
    setup(model.me);
    return;
  }
  render();
}

/**
 * Plays the chime when the agent enters a status that asks for it (the
 * status's Play Sound), whoever changed it; not for the state the panel
 * opens with. `window.switchboard.chimes` counts the chimes that played.
 */
function chimeOnStatusChange(before, after) {
  const was = before && before.status ? before.status.id : undefined;
  const now = after && after.status ? after.status : null;
  if (!before || !now || now.id === was || !now.play_sound) return;
  const audio = $("status-sound");
  audio.currentTime = 0;
  audio.play().then(
    () => (debug.chimes += 1),
    (err) => console.warn(`status chime not played: ${err}`),
  );
}

// ---------------------------------------------------------------- softphone

function startPhone(sip) {
  if (phone) return;
  if (!sip) {
    phoneState("phone: no extension", "bad");
    notice("Your user has no SIP extension, so calls cannot reach this browser. Ask an administrator.");
    return;
  }
  phone = new Phone(sip, $("remote-audio"));
  dialPad.follow(phone);
  phone.addEventListener("registration", (e) => {
    const { registered, cause } = e.detail;
    phoneState(registered ? "phone: ready" : cause ? `phone: ${cause}` : "phone: connecting", registered ? "ok" : "bad");
  });
  phone.addEventListener("ringing", (e) => {
    notice("");
    model.ringing = e.detail;
    model.held = false;
    model.muted = false;
    model.answeredAt = 0;
    maybeAutoAnswer();
    render();
  });
  phone.addEventListener("accepted", () => {
    model.answeredAt = Date.now();
    model.offer = null;
    render();
  });
  phone.addEventListener("hold", (e) => {
    model.held = e.detail.held;
    render();
  });
  phone.addEventListener("mute", (e) => {
    model.muted = e.detail.muted;
    render();
  });
  phone.addEventListener("ended", (e) => {
    const { session, kind, cause } = e.detail;
    if (kind === "failed" && model.answering === session) {
      notice(`The call could not be answered (${cause || "failed"}).`);
    }
    if (model.answering === session) model.answering = null;
    if (model.ringing && model.ringing.session === e.detail.session) model.ringing = null;
    model.answeredAt = 0;
    model.held = false;
    model.muted = false;
    render();
  });
  phoneState("phone: connecting", "bad");
  phone.start();
}

function phoneState(text, kind) {
  const el = $("phone-state");
  el.textContent = text;
  el.className = `pill ${kind || ""}`;
}

/** Auto answer: the INVITE's Call-Info or the server's offer asks for it. */
function maybeAutoAnswer() {
  const r = model.ringing;
  if (!r || !phone || phone.session !== r.session) return;
  const asked = r.auto || (model.offer && model.offer.auto_answer);
  if (!asked || model.autoAnswered === r.session) return;
  model.autoAnswered = r.session;
  model.answering = r.session;
  audio.beep();
  phone.answer();
}

// ---------------------------------------------------------------- rendering

function render() {
  const st = model.state;
  if (!st) return;
  $("project-name").textContent = st.project ? st.project.name : "";
  $("presence").textContent = (st.presence || "").replaceAll("_", " ");
  renderStatus();
  renderQueues();
  renderOffer();
  renderCall();
  renderTransfer();
  renderRecording();
  dialPad.render();
  renderWrapup();
  tick();
}

function renderStatus() {
  const sel = $("status");
  const st = model.state;
  const current = st.status ? st.status.id : null;
  const options = model.statuses.map((s) => ({ ...s, chosen: true }));
  if (st.status && !options.some((s) => s.id === current)) {
    options.unshift({ ...st.status, chosen: false });
  }
  const key = JSON.stringify(options.map((o) => [o.id, o.name, o.chosen]));
  if (sel.dataset.key !== key) {
    sel.replaceChildren(
      ...options.map((s) => {
        const o = document.createElement("option");
        o.value = String(s.id);
        o.textContent = s.name;
        o.disabled = !s.chosen;
        o.dataset.category = s.category || "";
        return o;
      }),
    );
    sel.dataset.key = key;
  }
  if (current !== null && document.activeElement !== sel) sel.value = String(current);
  sel.disabled = Boolean(st.call || st.offer || model.ringing);
}

function renderQueues() {
  const st = model.state;
  if (!st) return;
  const list = $("queue-list");
  list.replaceChildren(
    ...(st.queues || []).map((q) => {
      const li = document.createElement("li");
      li.dataset.testid = `queue-${q.id}`;
      li.dataset.queue = String(q.id);
      const name = document.createElement("span");
      name.textContent = q.name;
      const waiting = document.createElement("span");
      waiting.className = `waiting${q.waiting ? " some" : ""}`;
      waiting.dataset.testid = `waiting-${q.id}`;
      waiting.textContent = String(q.waiting ?? 0);
      waiting.setAttribute("aria-label", `${q.waiting ?? 0} waiting`);
      li.append(name, waiting);
      return li;
    }),
  );
}

function renderOffer() {
  const offer = model.offer;
  const ringing = model.ringing && !model.answeredAt ? model.ringing : null;
  const on = Boolean((offer || ringing) && !model.answeredAt);
  show("offer", on);
  if (!on) return;
  $("offer-queue").textContent = offer ? offer.queue.name : "Queue call";
  $("offer-caller").textContent = (offer && offer.caller) || (ringing && ringing.caller) || "";
  const auto = Boolean((offer && offer.auto_answer) || (ringing && ringing.auto));
  show("offer-auto", auto);
  const canAct = Boolean(ringing && phone && phone.session === ringing.session);
  $("answer").disabled = !canAct;
  $("reject").disabled = !canAct;
}

function inCall() {
  const s = phone && phone.session;
  return Boolean(s && model.answeredAt && !s.isEnded());
}

function renderCall() {
  const st = model.state;
  const local = inCall();
  const on = local || (st.call && st.presence === "in_call");
  show("call", Boolean(on));
  if (!on) return;
  const info = st.call || {};
  const queue = info.queue || (model.offer && model.offer.queue);
  $("call-queue").textContent = queue ? queue.name : dialPad.dialled() ? "Outbound call" : "";
  $("call-caller").textContent = info.caller || dialPad.dialled() || (model.ringing ? model.ringing.caller : "");
  for (const id of ["mute", "hold", "hangup"]) $(id).disabled = !local;
  $("mute").setAttribute("aria-pressed", String(model.muted));
  $("mute").textContent = model.muted ? "Unmute" : "Mute";
  $("hold").setAttribute("aria-pressed", String(model.held));
  $("hold").textContent = model.held ? "Resume" : "Hold";
  show("call-hold-note", model.held);
}

/**
 * Which call the result form is for: the one in after-call work, else the
 * connected call, else an earlier one chosen from the recent list. Outside
 * after-call work its form is read from the server once.
 */
function resultTarget() {
  const st = model.state;
  if (st.wrapup) return { call: st.wrapup.call, kind: "wrapup", form: st.wrapup };
  const call = connectedCall();
  if (call !== null) return { call, kind: "call", form: model.forms.get(call) };
  if (model.earlier !== null) {
    return { call: model.earlier, kind: "earlier", form: model.forms.get(model.earlier) };
  }
  return null;
}

async function loadForm(call) {
  if (model.formLoading === call) return;
  model.formLoading = call;
  try {
    model.forms.set(call, await api("GET", `/api/agent/calls/${encodeURIComponent(call)}/wrapup`));
  } catch (err) {
    if (model.earlier === call) {
      model.earlier = null;
      notice(`No result can be given for that call: ${explain(err)}`);
    }
  } finally {
    model.formLoading = null;
  }
  if (model.state) render();
}

const FORM_TITLES = {
  wrapup: "After-call work",
  call: "Result of this call",
  earlier: "Result of an earlier call",
};

function renderWrapup() {
  const t = resultTarget();
  if (t && !t.form) loadForm(t.call);
  const w = t && t.form;
  show("wrapup", Boolean(w));
  if (!w) {
    model.wrapupShown = null;
    return;
  }
  $("wrapup-title").textContent = FORM_TITLES[t.kind];
  show("acw-line", t.kind === "wrapup");
  show("wrapup-close", t.kind === "earlier");
  $("wrapup-queue").textContent = w.queue ? w.queue.name : "";
  if (model.wrapupShown === t.call) return;
  // A new form only for a new call, so what the agent typed is kept (from the
  // call into its after-call work too).
  model.wrapupShown = t.call;
  show("wrapup-saved", false);
  const codes = $("result-code-options");
  codes.replaceChildren(
    ...w.result_codes.map((c) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = "code";
      input.value = String(c.id);
      input.dataset.testid = `code-${c.id}`;
      input.dataset.noteRequired = String(Boolean(c.note_required));
      input.dataset.dateRequired = String(Boolean(c.date_required));
      input.dataset.extraTime = String(c.extra_time_secs || 0);
      input.addEventListener("change", codeChosen);
      const extra = c.extra_time_secs ? ` (+${clock(c.extra_time_secs * 1000)})` : "";
      label.append(input, document.createTextNode(`${c.name}${extra}`));
      return label;
    }),
  );
  const tags = $("tag-options");
  tags.replaceChildren(
    ...w.tags.map((t) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "tag";
      input.value = String(t.id);
      input.dataset.testid = `tag-${t.id}`;
      if (t.colour && /^#[0-9a-f]{3,8}$/i.test(t.colour)) {
        label.style.borderLeft = `0.4rem solid ${t.colour}`;
        label.style.paddingLeft = "0.3rem";
      }
      label.append(input, document.createTextNode(t.name));
      return label;
    }),
  );
  show("tags", w.tags.length > 0);
  $("note").value = "";
  $("action-date").value = "";
  show("wrapup-error", false);
  codeChosen();
}

function chosenCode() {
  return document.querySelector('#result-code-options input[name="code"]:checked');
}

function codeChosen() {
  const c = chosenCode();
  const noteRequired = Boolean(c && c.dataset.noteRequired === "true");
  const dateRequired = Boolean(c && c.dataset.dateRequired === "true");
  $("note").required = noteRequired;
  show("note-required", noteRequired);
  $("action-date").required = dateRequired;
  show("action-date-field", dateRequired || Boolean($("action-date").value));
}

/** The timers, four times a second. */
function tick() {
  const st = model.state;
  if (!st) return;
  const now = serverNow();
  $("status-time").textContent = clock(now - (st.since || now));
  let breakLeft = st.break_left_ms || 0;
  if (st.presence === "break") breakLeft -= Date.now() - model.stateAt;
  $("break-left").textContent = clock(breakLeft);
  if (!$("call").hidden) {
    const from = model.answeredAt ? model.answeredAt + model.clockSkew : st.since || now;
    $("call-elapsed").textContent = clock(now - from);
  }
  if (st.wrapup && st.wrapup.until) $("acw-left").textContent = clock(st.wrapup.until - now);
}
setInterval(tick, 250);

// ---------------------------------------------------------------- transfer

/**
 * The call the server has the agent connected to (answered here or on a desk
 * phone): the one a transfer moves on.
 */
function connectedCall() {
  const st = model.state;
  return st && st.call && st.presence === "in_call" ? st.call.id : null;
}

function renderTransfer() {
  const call = connectedCall();
  $("transfer").disabled = call === null || model.transferring;
  $("transfer-submit").disabled = model.transferring;
  if (call === null && model.transferOpen) closeTransfer();
}

function closeTransfer() {
  model.transferOpen = false;
  show("transfer-box", false);
  $("transfer").setAttribute("aria-expanded", "false");
}

function transferError(text) {
  $("transfer-error").textContent = text;
  show("transfer-error", Boolean(text));
}

/** One target of the list: a button naming it, with what it is doing. */
function targetItem(testid, name, target, state, free) {
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = testid;
  button.dataset.target = target;
  button.disabled = !free;
  const label = document.createElement("span");
  label.textContent = `${name} (${target})`;
  const note = document.createElement("span");
  note.className = free ? "free" : "busy";
  note.textContent = state;
  button.append(label, note);
  button.addEventListener("click", () => sendTransfer(target, name));
  li.append(button);
  return li;
}

function hint(text) {
  const li = document.createElement("li");
  li.className = "hint";
  li.textContent = text;
  return li;
}

async function openTransfer() {
  model.transferOpen = true;
  show("transfer-box", true);
  $("transfer").setAttribute("aria-expanded", "true");
  transferError("");
  $("transfer-number").value = "";
  $("transfer-queues").replaceChildren();
  $("transfer-agents").replaceChildren();
  show("transfer-loading", true);
  let targets;
  try {
    targets = await api("GET", "/api/agent/transfer-targets");
  } catch (err) {
    transferError(`The list could not be loaded: ${explain(err)}`);
    return;
  } finally {
    show("transfer-loading", false);
  }
  if (!model.transferOpen) return;
  const queues = targets.queues.map((q) => targetItem(`transfer-queue-${q.id}`, q.name, q.number, "queue", true));
  $("transfer-queues").replaceChildren(...(queues.length ? queues : [hint("No queue you may see.")]));
  const agents = targets.agents.map((a) =>
    targetItem(
      `transfer-agent-${a.extension}`,
      a.name || a.extension,
      a.extension,
      a.takes_transfer ? `${a.status}: free now` : a.status,
      a.takes_transfer,
    ),
  );
  $("transfer-agents").replaceChildren(...(agents.length ? agents : [hint("No other agent in this project.")]));
}

/** Why a transfer was refused, for the agent to read. */
function refusal(err, name) {
  const kind = err.body && err.body.type;
  switch (err.status) {
    case 403:
      return kind === "/api/problems/transfer-refused"
        ? `Not transferred: ${name} cannot take the call now.`
        : `Not transferred: ${explain(err)}`;
    case 404:
      return `Not transferred: there is no queue number or extension ${name}.`;
    case 409:
      return "Not transferred: the call is no longer connected to you.";
    default:
      return `Not transferred: ${explain(err)}`;
  }
}

async function sendTransfer(target, name) {
  const call = connectedCall();
  if (call === null || model.transferring) return;
  model.transferring = true;
  transferError("");
  renderTransfer();
  try {
    await api("POST", `/api/agent/calls/${encodeURIComponent(call)}/transfer`, { target });
    // The after-call work follows on the live connection, as when a call ends.
    closeTransfer();
    notice(`The caller was transferred to ${name}.`);
  } catch (err) {
    transferError(refusal(err, name));
  } finally {
    model.transferring = false;
    if (model.state) render();
  }
}

$("transfer").addEventListener("click", () => (model.transferOpen ? closeTransfer() : openTransfer()));
$("transfer-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const number = $("transfer-number").value.trim();
  if (!number) {
    transferError("Enter a queue number or an extension.");
    return;
  }
  sendTransfer(number, number);
});

// ---------------------------------------------------------------- dial pad

const dialPad = setupDialPad(
  () => phone,
  () => model.state && render(),
  (message) => {
    if (!live.ws || live.ws.readyState !== WebSocket.OPEN) return false;
    live.ws.send(JSON.stringify(message));
    return true;
  },
);

// ---------------------------------------------------------------- recording

/**
 * A call of a queue that records on demand offers "Record"; once recording
 * (asked here, or a queue that records every call) it shows "Recording".
 */
function renderRecording() {
  const st = model.state;
  const call = connectedCall();
  const mode = call !== null && st.call.recording ? st.call.recording : "never";
  const on = mode === "always" || (call !== null && model.recorded === call);
  show("recording-note", call !== null && on);
  show("record", mode === "on_demand" && !on);
  $("record").disabled = model.recordAsking;
  if (call === null) show("record-error", false);
}

async function startRecording() {
  const call = connectedCall();
  if (call === null || model.recordAsking) return;
  model.recordAsking = true;
  show("record-error", false);
  renderRecording();
  try {
    await api("POST", `/api/agent/calls/${encodeURIComponent(call)}/recording`);
    model.recorded = call;
  } catch (err) {
    if (err.status === 409 && /recorded already/.test(err.message)) {
      model.recorded = call;
    } else {
      $("record-error").textContent = `Not recording: ${explain(err)}`;
      show("record-error", true);
    }
  } finally {
    model.recordAsking = false;
    if (model.state) render();
  }
}

$("record").addEventListener("click", startRecording);

// ---------------------------------------------------------------- actions

$("answer").addEventListener("click", () => {
  audio.unlock();
  if (!phone || !phone.session) return;
  model.answering = phone.session;
  phone.answer();
});
$("reject").addEventListener("click", () => {
  if (phone) phone.reject();
  model.offer = null;
  render();
});
$("hangup").addEventListener("click", () => phone && phone.hangup());
$("mute").addEventListener("click", () => phone && phone.setMuted(!model.muted));
$("hold").addEventListener("click", () => phone && phone.setHeld(!model.held));

$("status").addEventListener("change", async (e) => {
  const id = Number(e.target.value);
  try {
    applyState(await api("POST", "/api/agent/status", { status: id }));
    notice("");
  } catch (err) {
    notice(`The status was not changed: ${explain(err)}`);
    render();
  }
});

$("wrapup-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const t = model.state && resultTarget();
  if (!t || !t.form) return;
  const err = $("wrapup-error");
  const code = chosenCode();
  const note = $("note").value.trim();
  const date = $("action-date").value;
  const problem = !code
    ? "Choose a result."
    : $("note").required && !note
      ? "This result needs a note."
      : $("action-date").required && !date
        ? "This result needs a date."
        : "";
  if (problem) {
    err.textContent = problem;
    show("wrapup-error", true);
    return;
  }
  const tags = [...document.querySelectorAll('#tag-options input[name="tag"]:checked')].map((t) => Number(t.value));
  $("wrapup-submit").disabled = true;
  show("wrapup-saved", false);
  try {
    await api("POST", `/api/agent/calls/${encodeURIComponent(t.call)}/result`, {
      code: Number(code.value),
      note: note || null,
      action_date: date || null,
      tags,
    });
    show("wrapup-error", false);
    show("wrapup-saved", true);
    const extends_ = Number(code.dataset.extraTime || 0) > 0;
    // In after-call work the result ends the work, unless the code adds time:
    // then the countdown shows the new end (pushed on the live connection).
    const st = model.state;
    if (t.kind === "wrapup" && !extends_ && st.wrapup && st.wrapup.call === t.call) st.wrapup = null;
    if (t.kind === "earlier") model.earlier = null;
    if (recent) recent.refresh();
    if (followUps) followUps.refresh();
    render();
  } catch (ex) {
    err.textContent = `Not saved: ${explain(ex)}`;
    show("wrapup-error", true);
  } finally {
    $("wrapup-submit").disabled = false;
  }
});

$("wrapup-close").addEventListener("click", () => {
  model.earlier = null;
  render();
});

$("project").addEventListener("change", () => loadQueues());

$("setup-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const project = Number($("project").value);
  const queues = [...document.querySelectorAll('#queue-options input[name="queue"]:checked')].map((q) => Number(q.value));
  const groups = chosenGroups();
  show("setup-error", false);
  $("start-work").disabled = true;
  try {
    const body = groups.length ? { project, queues, queue_groups: groups } : { project, queues };
    const state = await api("POST", "/api/agent/login", body);
    await work(state);
  } catch (err) {
    $("setup-error").textContent = explain(err);
    show("setup-error", true);
  } finally {
    $("start-work").disabled = false;
  }
});

// ---------------------------------------------------------------- views

/** Shows the setup or the work view (or, for none, neither). */
function view(name) {
  for (const v of ["setup-view", "work-view"]) show(v, v === name);
}

/** The session ended (or is ending): no phone, no live link, no views. */
function stopWork() {
  live.stop();
  if (phone) phone.stop();
  phone = null;
  model.me = null;
  model.state = null;
  model.offer = null;
  model.ringing = null;
  view(null);
}

/** The queue groups ticked at login. */
function chosenGroups() {
  return [...document.querySelectorAll('#group-options input[name="queue-group"]:checked')].map((g) => Number(g.value));
}

/**
 * With groups ticked, the queues ticked are exactly the groups' queues (and
 * the mandatory ones); with none, every queue is offered ticked again.
 */
function followGroups(groups) {
  const chosen = chosenGroups();
  const wanted = new Set(groups.filter((g) => chosen.includes(g.id)).flatMap((g) => g.queues));
  for (const box of document.querySelectorAll('#queue-options input[name="queue"]:not([disabled])')) {
    box.checked = chosen.length === 0 || wanted.has(Number(box.value));
  }
}

async function loadGroups(project) {
  const box = $("group-options");
  box.replaceChildren();
  let groups = [];
  try {
    groups = await api("GET", `/api/agent/projects/${encodeURIComponent(project)}/queue-groups`);
  } catch (err) {
    groups = [];
  }
  show("group-choice", groups.length > 0);
  box.replaceChildren(
    ...groups.map((g) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "queue-group";
      input.value = String(g.id);
      input.dataset.testid = `choose-group-${g.id}`;
      input.addEventListener("change", () => followGroups(groups));
      label.append(input, document.createTextNode(g.name));
      return label;
    }),
  );
}

async function loadQueues() {
  const project = $("project").value;
  const box = $("queue-options");
  box.replaceChildren();
  $("group-options").replaceChildren();
  show("group-choice", false);
  if (!project) return;
  await loadGroups(project);
  let queues = [];
  try {
    queues = await api("GET", `/api/agent/projects/${encodeURIComponent(project)}/queues`);
  } catch (err) {
    $("setup-error").textContent = explain(err);
    show("setup-error", true);
    return;
  }
  box.replaceChildren(
    ...queues.map((q) => {
      const label = document.createElement("label");
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "queue";
      input.value = String(q.id);
      input.dataset.testid = `choose-queue-${q.id}`;
      input.checked = true;
      if (q.mandatory) {
        // Mandatory queues are always served: shown, on, and not to be unticked.
        input.disabled = true;
        input.dataset.mandatory = "true";
      }
      label.append(input, document.createTextNode(q.mandatory ? `${q.name} (mandatory)` : q.name));
      return label;
    }),
  );
  if (!queues.length) {
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = "You serve no queue in this project.";
    box.append(p);
  }
}

async function setup(me) {
  view("setup-view");
  const sel = $("project");
  sel.replaceChildren(
    ...me.projects.map((p) => {
      const o = document.createElement("option");
      o.value = String(p.id);
      o.textContent = p.name;
      return o;
    }),
  );
  if (!me.projects.length) {
    $("setup-error").textContent = "You are not authorised in any project.";
    show("setup-error", true);
    return;
  }
  await loadQueues();
}

async function work(state) {
  view("work-view");
  try {
    model.statuses = await api("GET", "/api/agent/statuses");
  } catch (err) {
    notice(`Statuses could not be loaded: ${explain(err)}`);
  }
  applyState(state);
  startPhone(model.me && model.me.sip);
  if (!live.wanted) live.start();
  if (!callbacks) callbacks = new Callbacks(api, $("callback-list"), $("callback-none"));
  callbacks.refresh();
  if (!recent) {
    recent = new Recent(api, $("recent-list"), $("recent-none"), (i) => {
      model.earlier = i.id;
      model.forms.delete(i.id);
      model.wrapupShown = null;
      render();
    });
  }
  recent.refresh();
  if (!followUps) {
    followUps = new FollowUps(api, $("follow-up-list"), $("follow-up-none"), {
      call: (number) => {
        $("dial-number").value = number;
        $("dial-form").requestSubmit();
      },
      announce: (text) => notice(text),
    });
  }
  followUps.refresh();
}

/** Signed in (the shared session): the agent's own facts, then setup or work. */
async function boot() {
  let me;
  try {
    me = await api("GET", "/api/agent/me");
  } catch (err) {
    if (err.status === 401) {
      loggedOut("");
    } else {
      notice(`The agent panel could not start (${explain(err)}). Reload to try again.`);
    }
    return;
  }
  model.me = me;
  $("user-name").textContent = me.user.name || me.user.login || "";
  if (me.session && me.session.project) await work(me.session);
  else await setup(me);
}

const loggedOut = session({ page: "agent", enter: boot, leave: stopWork });
