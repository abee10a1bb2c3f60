// Results after the call and the follow-ups they schedule.
//
// Recent: the agent's interactions of the last day (GET /api/agent/interactions),
// each with its result; "Give result" (or "Change result") opens the result
// form for it, until a final result closes it. The list is read again when an
// after-call work ends and when a result is saved.
//
// FollowUps: what result codes with Ask Date, Call Again or Remind scheduled
// for the agent or their queues (GET /api/agent/follow-ups). The server pushes
// a `follow_up` message on the panel's socket when one falls due: it is
// announced and shown first. A Call Again offers "Call" (the dial pad calls
// the number) and, for a queue's, "Queue a callback" (the queue calls the
// number back like any callback request); each can be marked done or
// dismissed.

function time(ms) {
  const d = new Date(ms);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const hm = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return sameDay ? hm : `${d.toLocaleDateString()} ${hm}`;
}

function button(text, testid, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.dataset.testid = testid;
  b.addEventListener("click", onClick);
  return b;
}

/** The agent's recent interactions, in `list` (a <ul>), with `empty` shown when none. */
export class Recent {
  constructor(api, list, empty, choose) {
    this.api = api;
    this.list = list;
    this.empty = empty;
    this.choose = choose;
    this.items = [];
  }

  async refresh() {
    let items;
    try {
      items = await this.api("GET", "/api/agent/interactions");
    } catch {
      return; // read again at the next change
    }
    this.items = items;
    this.list.replaceChildren(...items.map((i) => this.item(i)));
    this.empty.hidden = items.length > 0;
  }

  item(i) {
    const li = document.createElement("li");
    li.dataset.testid = `recent-${i.id}`;
    const number = document.createElement("strong");
    number.textContent = i.number || "(unknown)";
    const queue = document.createElement("span");
    queue.textContent = i.queue ? i.queue.name : i.direction;
    const when = document.createElement("span");
    when.className = "hint";
    when.textContent = time(i.started_at);
    const result = document.createElement("span");
    result.className = `pill ${i.result ? "ok" : ""}`;
    result.dataset.testid = `recent-result-${i.id}`;
    result.textContent = i.result ? (i.final ? "closed" : "result given") : "no result";
    li.append(number, queue, when, result);
    if (!i.final && !i.live) {
      li.append(button(i.result ? "Change result" : "Give result", `recent-open-${i.id}`, () => this.choose(i)));
    }
    return li;
  }
}

const KINDS = { ask_date: "Scheduled", call_again: "Call again", remind: "Reminder" };

/** The follow-ups of the agent and their queues, in `list`, with `empty` shown when none. */
export class FollowUps {
  constructor(api, list, empty, { call, announce }) {
    this.api = api;
    this.list = list;
    this.empty = empty;
    this.call = call;
    this.announce = announce;
    this.items = [];
    // A pending one falls due on the server's clock: the push says when.
    setInterval(() => this.refresh(), 60000);
  }

  async refresh() {
    let items;
    try {
      items = await this.api("GET", "/api/agent/follow-ups");
    } catch {
      return;
    }
    this.items = items;
    this.render();
  }

  render() {
    this.list.replaceChildren(...this.items.map((f) => this.item(f)));
    this.empty.hidden = this.items.length > 0;
  }

  /** A follow-up fell due (pushed by the server). */
  onDue(f) {
    const rest = this.items.filter((x) => x.id !== f.id);
    this.items = [f, ...rest];
    this.render();
    const who = f.number ? ` ${f.number}` : "";
    this.announce(`Follow-up due: ${KINDS[f.kind] || f.kind}${who}${f.note ? ` (${f.note})` : ""}`);
  }

  item(f) {
    const li = document.createElement("li");
    li.dataset.testid = `follow-up-${f.id}`;
    li.className = f.state === "due" ? "due" : "";
    const kind = document.createElement("span");
    kind.className = `pill ${f.state === "due" ? "bad" : ""}`;
    kind.dataset.testid = `follow-up-state-${f.id}`;
    kind.textContent = `${KINDS[f.kind] || f.kind}: ${f.state}`;
    const number = document.createElement("strong");
    number.textContent = f.number;
    const when = document.createElement("span");
    when.className = "hint";
    when.textContent = `${time(f.due_at)}${f.own ? "" : f.queue ? `, ${f.queue.name}` : ""}`;
    li.append(kind, number, when);
    if (f.note) {
      const note = document.createElement("span");
      note.textContent = f.note;
      li.append(note);
    }
    if (f.kind === "call_again" && f.number) {
      li.append(button("Call", `follow-up-call-${f.id}`, () => this.call(f.number)));
      if (f.queue) {
        li.append(button("Queue a callback", `follow-up-callback-${f.id}`, () => this.queueCallback(f)));
      }
    }
    li.append(
      button("Done", `follow-up-done-${f.id}`, () => this.close(f, "done")),
      button("Dismiss", `follow-up-dismiss-${f.id}`, () => this.close(f, "dismiss")),
    );
    return li;
  }

  /** Hands a queue's follow-up to the callback machinery: the queue calls the number back. */
  async queueCallback(f) {
    try {
      await this.api("POST", `/api/agent/follow-ups/${encodeURIComponent(f.id)}/callback`);
    } catch (err) {
      this.announce(`No callback was queued: ${err.message}`);
      return;
    }
    this.announce(`A callback to ${f.number} is queued in ${f.queue.name}.`);
    this.items = this.items.filter((x) => x.id !== f.id);
    this.render();
  }

  async close(f, how) {
    try {
      await this.api("POST", `/api/agent/follow-ups/${encodeURIComponent(f.id)}/${how}`);
    } catch (err) {
      if (err.status !== 409 && err.status !== 404) {
        this.announce(`The follow-up was not updated: ${err.message}`);
        return;
      }
    }
    this.items = this.items.filter((x) => x.id !== f.id);
    this.render();
  }
}
