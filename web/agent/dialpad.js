// The dial pad: the agent types or taps a number and calls it from the
// browser softphone (phone.js); Switchboard routes it out through the
// project's outbound route (or to a colleague's extension). While it rings
// the pad shows whom it calls and offers Hang up; once answered the panel's
// call section takes over (mute, hold, hang up).

const $ = (id) => document.getElementById(id);

/** What a dialled number may hold. */
const NUMBER = /^[0-9+*#]{1,64}$/;

/** Keeps digits, + * #, dropping the spaces and dashes people type. */
export function cleanNumber(text) {
  return String(text || "").replace(/[\s\-().]/g, "");
}

/**
 * Wires the pad's elements. `phone()` gives the current softphone (or
 * null); `changed()` is called when the pad's call starts or ends, for the
 * panel to render again.
 */
export function setupDialPad(phone, changed) {
  const pad = { session: null, number: "" };
  const status = (text) => {
    $("dial-status").textContent = text || "";
    $("dial-status").hidden = !text;
  };

  function render() {
    const p = phone();
    const busy = Boolean(p && p.session && !p.session.isEnded());
    const dialling = Boolean(pad.session && p && p.session === pad.session && !pad.session.isEstablished());
    $("dial-call").disabled = busy || !(p && p.registered);
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
    /** The number of the pad's call in progress, if any. */
    dialled: () => (pad.session && !pad.session.isEnded() ? pad.number : null),
  };
}
