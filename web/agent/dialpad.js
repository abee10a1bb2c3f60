// The dial pad: the agent types or taps a number and calls it from the
// browser softphone (phone.js); Switchboard routes it out through the
// project's outbound route (or to a colleague's extension). While it rings
// the pad shows whom it calls and offers Hang up; once answered the panel's
// call section takes over (mute, hold, hang up).
//
// An agent who works on a desk phone ticks "Call from my desk phone" (it is
// ticked by itself when the page has no softphone): the number goes
// to the server over the live connection (click-to-dial), which rings the
// desk phone first and dials the number once it is answered. The pad shows
// each step the server reports (`dial` messages) and why a call failed;
// the call is hung up on the desk phone.

const $ = (id) => document.getElementById(id);

/** What a dialled number may hold. */
const NUMBER = /^[0-9+*#]{1,64}$/;

/** Keeps digits, + * #, dropping the spaces and dashes people type. */
export function cleanNumber(text) {
  return String(text || "").replace(/[\s\-().]/g, "");
}

/** What the pad says of each step of a desk-phone call. */
const DESK_STEPS = {
  calling_phone: (n) => `Calling your desk phone: answer it to call ${n}…`,
  dialling: (n) => `Dialling ${n}…`,
  ringing: (n) => `${n} is ringing…`,
  connected: (n) => `Connected to ${n}.`,
  ended: (n) => `Call to ${n} ended.`,
  failed: (n, m) => `The call to ${n} failed: ${m.reason || "no answer"}${m.status ? ` (${m.status})` : ""}.`,
};

/**
 * Wires the pad's elements. `phone()` gives the current softphone (or
 * null); `changed()` is called when the pad's call starts or ends, for the
 * panel to render again; `send(message)` sends on the live connection and
 * says whether it could.
 */
export function setupDialPad(phone, changed, send) {
  const pad = { session: null, number: "", desk: null, deskChosen: false };
  const status = (text) => {
    $("dial-status").textContent = text || "";
    $("dial-status").hidden = !text;
  };

  /** A desk-phone call in progress (not failed, not ended). */
  const deskBusy = () => Boolean(pad.desk && pad.desk.state !== "failed" && pad.desk.state !== "ended");

  function render() {
    const p = phone();
    if (!pad.deskChosen) $("dial-desk").checked = !p;
    const desk = $("dial-desk").checked;
    const busy = Boolean(p && p.session && !p.session.isEnded()) || deskBusy();
    const dialling = Boolean(pad.session && p && p.session === pad.session && !pad.session.isEstablished());
    $("dial-call").disabled = busy || !(desk || (p && p.registered));
    $("dial-desk").disabled = busy;
    $("dial-hangup").disabled = !dialling;
    $("dial-number").disabled = busy;
    for (const key of document.querySelectorAll("#dial-keys button")) key.disabled = busy;
  }

  function call() {
    const p = phone();
    const number = cleanNumber($("dial-number").value);
    if (!NUMBER.test(number)) {
      status("Enter a number: digits, + * # (at most 64).");
      return;
    }
    if ($("dial-desk").checked) {
      if (!send({ type: "dial", number })) {
        status("Not connected to the server: try again in a moment.");
        return;
      }
      pad.desk = { call: null, number, state: "asked" };
      status(`Calling ${number}…`);
      render();
      return;
    }
    if (!p || !p.call(number)) {
      status("The phone is not ready for a call.");
      return;
    }
    pad.session = p.session;
    pad.number = number;
    status(`Calling ${number}…`);
    render();
    changed();
  }

  $("dial-form").addEventListener("submit", (e) => {
    e.preventDefault();
    call();
  });
  for (const key of document.querySelectorAll("#dial-keys button")) {
    key.addEventListener("click", () => {
      $("dial-number").value += key.dataset.key;
      $("dial-number").focus();
    });
  }
  $("dial-desk").addEventListener("change", () => {
    pad.deskChosen = true;
    render();
  });
  $("dial-hangup").addEventListener("click", () => {
    const p = phone();
    if (p && pad.session && p.session === pad.session) p.hangup();
  });

  return {
    render,
    /** The softphone's events for the pad's own call. */
    follow(p) {
      p.addEventListener("accepted", (e) => {
        if (e.detail.session !== pad.session) return;
        status(`Connected to ${pad.number}.`);
        render();
      });
      p.addEventListener("ended", (e) => {
        if (e.detail.session !== pad.session) return;
        const { kind, cause } = e.detail;
        status(kind === "failed" ? `The call to ${pad.number} failed (${cause || "no answer"}).` : `Call to ${pad.number} ended.`);
        pad.session = null;
        render();
        changed();
      });
      p.addEventListener("registration", render);
    },
    /** A `dial` message: a step of the desk-phone call. */
    onDial(m) {
      if (!pad.desk) return;
      pad.desk = { call: m.call, number: m.number, state: m.state };
      const say = DESK_STEPS[m.state];
      if (say) status(say(m.number, m));
      render();
      changed();
    },
    /** The number of the pad's call in progress, if any. */
    dialled: () => {
      if (pad.session && !pad.session.isEnded()) return pad.number;
      return deskBusy() ? pad.desk.number : null;
    },
  };
}
