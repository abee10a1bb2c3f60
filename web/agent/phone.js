// The agent's softphone: a JsSIP user agent registered over SIP-over-WebSocket
// with the extension's digest HA1 (never the clear password). It is on its own
// connection, independent of the panel's live WebSocket: a panel reconnection
// never touches the call in progress.
//
// Switchboard sends a queue call as an INVITE without SDP: the browser's 200 OK
// carries the WebRTC offer and the ACK the answer. `Call-Info: ...;answer-after=0`
// asks for auto answer. An outbound call from the dial pad is an INVITE with
// the browser's WebRTC offer to the dialled number at our domain; Switchboard
// answers it when the far end does.

import JsSIP from "./vendor/jssip.js";

/** Whether an INVITE asks to be answered at once (RFC 5373-style Call-Info). */
export function asksAutoAnswer(request) {
  const values = request.getHeaders ? request.getHeaders("Call-Info") : [];
  return values.some((v) => /answer-after\s*=\s*0\b/i.test(v));
}

/** The caller's number as the INVITE shows it. */
export function callerOf(request) {
  const from = request.from;
  if (!from) return "";
  return from.uri && from.uri.user ? from.uri.user : from.display_name || "";
}

/**
 * Keeps only the MD5 digest challenges of a 401/407 response. Switchboard
 * offers SHA-256 and MD5 (RFC 7616 section 3.7: the client picks one it
 * supports), but JsSIP supports only MD5 and keeps only the last challenge
 * header it reads, whatever its algorithm.
 */
export function md5ChallengeOnly(message) {
  if (typeof message !== "string" || !/^SIP\/2\.0 40[17] /.test(message)) return message;
  const end = message.indexOf("\r\n\r\n");
  if (end < 0) return message;
  const lines = message.slice(0, end).split("\r\n");
  const isChallenge = (l) => /^(www|proxy)-authenticate\s*:/i.test(l);
  const isMd5 = (l) => !/algorithm\s*=/i.test(l) || /algorithm\s*=\s*"?md5"?\s*(,|$)/i.test(l);
  if (!lines.some((l) => isChallenge(l) && isMd5(l))) return message;
  return lines.filter((l) => !isChallenge(l) || isMd5(l)).join("\r\n") + message.slice(end);
}

/** JsSIP's WebSocket, with only the challenges JsSIP can answer let in. */
class SipSocket extends JsSIP.WebSocketInterface {
  constructor(url) {
    super(url);
    let handler = () => {};
    const decoder = new TextDecoder();
    Object.defineProperty(this, "ondata", {
      configurable: true,
      get: () => (data) => handler(md5ChallengeOnly(typeof data === "string" ? data : decoder.decode(data))),
      set: (fn) => {
        handler = fn;
      },
    });
  }
}

export class Phone extends EventTarget {
  /**
   * @param {{uri: string, username: string, realm: string, ha1: string, ws_url: string}} sip
   * @param {HTMLAudioElement} audio where the other side is heard
   */
  constructor(sip, audio) {
    super();
    this.sip = sip;
    this.audio = audio;
    this.session = null;
    this.registered = false;
    this.ua = null;
  }

  start() {
    const socket = new SipSocket(this.sip.ws_url);
    this.ua = new JsSIP.UA({
      sockets: [socket],
      uri: this.sip.uri,
      authorization_user: this.sip.username,
      ha1: this.sip.ha1,
      realm: this.sip.realm,
      register: true,
      register_expires: 120,
      session_timers: false,
      user_agent: "Switchboard agent panel",
      connection_recovery_min_interval: 1,
      connection_recovery_max_interval: 20,
    });
    this.ua.on("registered", () => this.#registration(true));
    this.ua.on("unregistered", () => this.#registration(false));
    this.ua.on("registrationFailed", (e) => {
      this.#registration(false, e.cause);
    });
    this.ua.on("disconnected", () => this.#registration(false));
    this.ua.on("newRTCSession", (e) => this.#incoming(e));
    this.ua.start();
  }

  stop() {
    if (this.session && !this.session.isEnded()) this.session.terminate();
    if (this.ua) this.ua.stop();
    this.ua = null;
    this.#registration(false);
  }

  #registration(registered, cause) {
    this.registered = registered;
    this.dispatchEvent(new CustomEvent("registration", { detail: { registered, cause } }));
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #incoming(e) {
    if (e.originator !== "remote") return;
    const session = e.session;
    if (this.session && !this.session.isEnded()) {
      // One call at a time.
      session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
      return;
    }
    this.#follow(session);
    this.#emit("ringing", {
      session,
      caller: callerOf(e.request),
      auto: asksAutoAnswer(e.request),
    });
  }

  /**
   * Follows a call's events, incoming or outgoing (whose peer connection is
   * made before JsSIP hands the session back: see call()).
   */
  #follow(session) {
    this.session = session;
    if (session.connection) this.#attach(session.connection);
    else session.on("peerconnection", (ev) => this.#attach(ev.peerconnection));
    // Switchboard is an ICE-lite endpoint: it learns our address from our own
    // connectivity checks, so the offer need not wait for every candidate.
    session.on("icecandidate", (ev) => ev.ready());
    session.on("progress", () => this.#emit("progress", { session }));
    session.on("accepted", () => this.#emit("accepted", { session }));
    session.on("confirmed", () => this.#emit("confirmed", { session }));
    session.on("hold", () => this.#emit("hold", { session, held: true }));
    session.on("unhold", () => this.#emit("hold", { session, held: false }));
    session.on("muted", () => this.#emit("mute", { session, muted: true }));
    session.on("unmuted", () => this.#emit("mute", { session, muted: false }));
    const finish = (kind) => (ev) => {
      if (this.session === session) this.session = null;
      this.audio.srcObject = null;
      this.#emit("ended", { session, kind, cause: ev && ev.cause, originator: ev && ev.originator });
    };
    session.on("ended", finish("ended"));
    session.on("failed", finish("failed"));
  }

  /**
   * Calls `number` (digits, + * #) through Switchboard; the session's events
   * follow as for a queue call ("progress", "accepted", "ended"). False when
   * the phone is not ready or already in a call.
   */
  call(number) {
    if (!this.ua || !this.registered) return false;
    if (this.session && !this.session.isEnded()) return false;
    const domain = this.sip.uri.split("@")[1] || "";
    const session = this.ua.call(`sip:${number}@${domain}`, {
      mediaConstraints: { audio: true, video: false },
      pcConfig: { iceServers: [] },
    });
    // JsSIP reports our own session through newRTCSession too (originator
    // "local"), which #incoming leaves alone; it is followed here, its peer
    // connection made already (ICE gathering and the offer come later).
    this.#follow(session);
    this.#emit("calling", { session, number });
    return true;
  }

  #attach(pc) {
    // Some hosts never finish gathering (no usable interface, mDNS that does
    // not answer). After a moment, end it: the answer needs none of our
    // candidates (see "icecandidate" above).
    const settle = () => {
      if (pc.signalingState === "closed" || pc.iceGatheringState === "complete") return;
      if (!pc.localDescription) {
        setTimeout(settle, 200);
        return;
      }
      pc.dispatchEvent(new RTCPeerConnectionIceEvent("icecandidate", { candidate: null }));
    };
    setTimeout(settle, 1000);
    pc.addEventListener("track", (ev) => {
      const stream = ev.streams && ev.streams[0] ? ev.streams[0] : new MediaStream([ev.track]);
      this.audio.srcObject = stream;
      this.audio.play().catch(() => {});
    });
  }

  answer() {
    const s = this.session;
    if (!s || s.isEstablished() || s.isEnded()) return false;
    s.answer({
      mediaConstraints: { audio: true, video: false },
      // Switchboard invites a browser without SDP, so the browser makes the
      // offer (sent in our 200, answered in the ACK): ask it to offer audio.
      rtcOfferConstraints: { offerToReceiveAudio: true, offerToReceiveVideo: false },
      pcConfig: { iceServers: [] },
    });
    return true;
  }

  reject() {
    const s = this.session;
    if (!s || s.isEnded()) return;
    s.terminate({ status_code: 486, reason_phrase: "Busy Here" });
  }

  hangup() {
    const s = this.session;
    if (s && !s.isEnded()) s.terminate();
  }

  setMuted(on) {
    const s = this.session;
    if (!s || !s.isEstablished()) return;
    if (on) s.mute({ audio: true });
    else s.unmute({ audio: true });
  }

  setHeld(on) {
    const s = this.session;
    if (!s || !s.isEstablished()) return false;
    return on ? s.hold() : s.unhold();
  }
}
