// Voicemail: the messages left in the agent's own box and in the boxes of the
// queues they serve. Each plays in an audio element (the WAV comes from the
// API with the panel's session); playing it to the end, or the button, marks
// it heard. New messages arrive over the live connection (`voicemail`) and
// are shown at once.

function time(ms) {
  const d = new Date(ms);
  return d.toLocaleString([], { dateStyle: "short", timeStyle: "short" });
}

function seconds(ms) {
  return `${Math.max(1, Math.round(ms / 1000))} s`;
}

/** Keeps the list `list` (a <ul>) and its `empty` note up to date. */
export class Voicemail {
  constructor(api, list, empty) {
    this.api = api;
    this.list = list;
    this.empty = empty;
    this.boxes = new Map();
    this.messages = new Map();
  }

  /** Reads every visible box's messages again. */
  async load() {
    let boxes;
    try {
      boxes = await this.api("GET", "/api/voicemail-boxes");
    } catch {
      return;
    }
    this.boxes = new Map(boxes.map((b) => [b.id, b]));
    const all = [];
    for (const b of boxes) {
      try {
        all.push(...(await this.api("GET", `/api/voicemail-boxes/${b.id}/messages`)));
      } catch {
        // a box deleted meanwhile
      }
    }
    this.messages = new Map(all.map((m) => [m.id, m]));
    this.render();
  }

  /** A message pushed by the server (`{type: "voicemail", box, message}`). */
  add(msg) {
    this.boxes.set(msg.box.id, msg.box);
    this.messages.set(msg.message.id, msg.message);
    this.render();
  }

  render() {
    const sorted = [...this.messages.values()].sort((a, b) => b.started_at - a.started_at);
    this.list.replaceChildren(...sorted.map((m) => this.item(m)));
    this.empty.hidden = sorted.length > 0;
  }

  item(m) {
    const li = document.createElement("li");
    li.dataset.testid = `voicemail-${m.id}`;
    li.className = m.heard ? "heard" : "new";
    const caller = document.createElement("strong");
    caller.textContent = m.caller_number || "unknown caller";
    const box = document.createElement("span");
    box.textContent = (this.boxes.get(m.box_id) || {}).name || "";
    const when = document.createElement("span");
    when.className = "hint";
    when.textContent = `${time(m.started_at)}, ${seconds(m.duration_ms)}`;
    const state = document.createElement("span");
    state.className = `pill ${m.heard ? "" : "ok"}`;
    state.dataset.testid = `voicemail-state-${m.id}`;
    state.textContent = m.heard ? "heard" : "new";
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = `/api/voicemail-messages/${m.id}/audio`;
    audio.dataset.testid = `voicemail-audio-${m.id}`;
    audio.addEventListener("ended", () => this.mark(m, true));
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.testid = `voicemail-heard-${m.id}`;
    button.textContent = m.heard ? "Mark new" : "Mark heard";
    button.addEventListener("click", () => this.mark(m, !m.heard));
    li.append(caller, box, when, state, audio, button);
    return li;
  }

  async mark(m, heard) {
    if (m.heard === heard) return;
    try {
      const saved = await this.api("PUT", `/api/voicemail-messages/${m.id}/heard`, { heard });
      this.messages.set(m.id, saved);
    } catch {
      return;
    }
    this.render();
  }
}
