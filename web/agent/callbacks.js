// The callbacks waiting in the agent's queues: callers who asked to be called
// back keep their place, and the dispatch core offers each in turn like a
// call (the agent's phone rings, then the customer is dialled). The list lets
// the agent see what is coming; it is read again when the queues' waiting
// counts change (at most every few seconds) and every EVERY_MS in any case
// (a caller who asks for a callback leaves the count as it was).

const REFRESH_MS = 3000;
const EVERY_MS = 10000;

const STATES = {
  waiting: "waiting",
  offered: "ringing an agent",
  dialling: "being dialled",
};

function time(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function item(cb) {
  const li = document.createElement("li");
  li.dataset.testid = `callback-${cb.id}`;
  const number = document.createElement("strong");
  number.textContent = cb.number;
  const queue = document.createElement("span");
  queue.textContent = cb.queue;
  const state = document.createElement("span");
  state.className = `pill cb-${cb.state}`;
  state.dataset.testid = `callback-state-${cb.id}`;
  state.textContent = STATES[cb.state] || cb.state;
  const asked = document.createElement("span");
  asked.className = "hint";
  const tries = cb.attempts ? `, ${cb.attempts} attempt${cb.attempts > 1 ? "s" : ""}` : "";
  asked.textContent = `asked at ${time(cb.requested_at_ms)}${tries}`;
  li.append(number, queue, state, asked);
  return li;
}

/** Keeps the list `list` (a <ul>) and its `empty` note up to date. */
export class Callbacks {
  constructor(api, list, empty) {
    this.api = api;
    this.list = list;
    this.empty = empty;
    this.last = 0;
    this.timer = null;
    setInterval(() => this.refresh(), EVERY_MS);
  }

  /** Reads the list again now, or soon when it was read a moment ago. */
  refresh() {
    if (this.timer) return;
    const wait = Math.max(0, this.last + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => this.load(), wait);
  }

  async load() {
    this.timer = null;
    this.last = Date.now();
    let callbacks;
    try {
      callbacks = await this.api("GET", "/api/agent/callbacks");
    } catch {
      return; // the next change tries again
    }
    this.list.replaceChildren(...callbacks.map(item));
    this.empty.hidden = callbacks.length > 0;
  }
}
