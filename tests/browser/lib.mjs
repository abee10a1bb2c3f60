// What the browser scenarios share: Debian's Chromium driven by playwright-core
// (installed by `npm ci` in web/, see tools/test), the agent panel's login and
// start of work, and a line protocol with the Rust test that runs the script.
//
// The Rust test (tests/browser.rs) starts the real server and SIPp, passes the
// configuration as JSON in SB_BROWSER (base URL, agents, fake-audio WAV, a
// folder for screenshots) and reads JSON lines from stdout: {"event": ...}.
// A failure prints the reason, saves a screenshot and the page's console to the
// folder, and exits 1.

import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";

const require = createRequire(new URL("../../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

export const cfg = JSON.parse(process.env.SB_BROWSER || "{}");
const pages = [];

/** Tells the Rust test something happened (one JSON line on stdout). */
export function emit(event, data = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
}

/** Waits for the Rust test to say `word` on stdin (one line). */
const stdinLines = [];
const stdinWaiters = [];
let stdinBuf = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  stdinBuf += chunk;
  let i;
  while ((i = stdinBuf.indexOf("\n")) >= 0) {
    const line = stdinBuf.slice(0, i).trim();
    stdinBuf = stdinBuf.slice(i + 1);
    const w = stdinWaiters.findIndex((x) => x.word === line);
    if (w >= 0) stdinWaiters.splice(w, 1)[0].resolve();
    else stdinLines.push(line);
  }
});
export function told(word, ms = 60000) {
  const at = stdinLines.indexOf(word);
  if (at >= 0) {
    stdinLines.splice(at, 1);
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test never said ${word}`)), ms);
    stdinWaiters.push({ word, resolve: () => (clearTimeout(timer), resolve()) });
  });
}

/** Debian's Chromium, headless, with a fake microphone playing `cfg.wav`. */
export async function launch() {
  const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: install Debian's chromium (tools/test does)`);
  }
  // playwright-core gives every launch a new, empty profile folder.
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${cfg.wav}`,
      "--autoplay-policy=no-user-gesture-required",
      // The server and its media are on 127.0.0.1 in these tests; Chromium
      // leaves loopback out of ICE unless told.
      "--allow-loopback-in-peer-connection",
    ],
  });
}

/** A new agent browser: its own cookies, microphone allowed, console kept. */
export async function newAgentPage(browser, name) {
  const context = await browser.newContext({ permissions: ["microphone"] });
  // JsSIP's own log (the `debug` package reads localStorage) goes to the
  // console, which a failure prints.
  await context.addInitScript(() => localStorage.setItem("debug", "JsSIP:*"));
  const page = await context.newPage();
  page.agentName = name;
  page.consoleLines = [];
  page.on("console", (m) => page.consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => page.consoleLines.push(`[pageerror] ${e.message}`));
  pages.push(page);
  return page;
}

export const byTest = (page, id) => page.locator(`[data-testid="${id}"]`);

/**
 * Logs `agent` ({login, password}) in through the form, starts work in the
 * first project with the offered queues, and waits until the softphone is
 * registered and the live connection is up.
 */
export async function startWork(page, agent, { queues } = {}) {
  await page.goto(`${cfg.base}/agent/`);
  await byTest(page, "login-user").fill(agent.login);
  await byTest(page, "login-password").fill(agent.password);
  await byTest(page, "login-submit").click();
  await byTest(page, "setup-view").waitFor({ state: "visible" });
  await page.locator('[data-testid="queue-options"] input').first().waitFor();
  if (queues) {
    for (const box of await page.locator('[data-testid="queue-options"] input:not([disabled])').all()) {
      await box.setChecked(queues.includes(Number(await box.getAttribute("value"))));
    }
  }
  await byTest(page, "start-work").click();
  await waitWorking(page);
}

/** Waits for the work view with the phone registered and the live link up. */
export async function waitWorking(page) {
  await byTest(page, "work-view").waitFor({ state: "visible" });
  await page.waitForFunction(() => window.switchboard && window.switchboard.registered(), null, {
    timeout: 20000,
  });
  await byTest(page, "link-state").filter({ hasText: "connected" }).waitFor();
}

/** Chooses the active status named `name` in the status selector. */
export async function chooseStatus(page, name) {
  await byTest(page, "status").selectOption({ label: name });
  await byTest(page, "status").locator("option:checked", { hasText: name }).waitFor({ state: "attached" });
}

/** Waits until the page's state has `presence`. */
export async function presence(page, want, timeout = 30000) {
  await page.waitForFunction((p) => window.switchboard.state() && window.switchboard.state().presence === p, want, {
    timeout,
  });
}

/** The offer banner, once it shows the queue and caller and can be answered. */
export async function waitOffer(page, timeout = 30000) {
  const offer = byTest(page, "offer");
  await offer.waitFor({ state: "visible", timeout });
  await page.waitForFunction(() => !document.getElementById("answer").disabled, null, { timeout });
  return {
    queue: (await byTest(page, "offer-queue").textContent()).trim(),
    caller: (await byTest(page, "offer-caller").textContent()).trim(),
  };
}

/**
 * Samples the call's inbound and outbound audio RTP statistics from its
 * RTCPeerConnection: the panel session's (window.switchboard.session()
 * .connection), or on a page of another softphone what it exposes as
 * window.callConnection().
 */
export async function rtpStats(page) {
  return page.evaluate(async () => {
    const connection = window.callConnection
      ? window.callConnection()
      : window.switchboard.session() && window.switchboard.session().connection;
    if (!connection) return null;
    const report = await connection.getStats();
    const out = { inbound: null, outbound: null };
    report.forEach((r) => {
      if (r.kind !== "audio" && r.mediaType !== "audio") return;
      if (r.type === "inbound-rtp") {
        out.inbound = {
          packetsReceived: r.packetsReceived || 0,
          audioLevel: r.audioLevel || 0,
          totalAudioEnergy: r.totalAudioEnergy || 0,
        };
      }
      if (r.type === "outbound-rtp") out.outbound = { packetsSent: r.packetsSent || 0 };
    });
    return out;
  });
}

/** Checks that audio flows both ways on the page's call for a few seconds. */
export async function checkTwoWayAudio(page) {
  const first = await waitStats(page, (s) => s.inbound && s.inbound.packetsReceived > 0, "inbound RTP");
  await page.waitForTimeout(1500);
  const later = await waitStats(
    page,
    (s) => s.inbound.packetsReceived > first.inbound.packetsReceived + 25 && s.inbound.audioLevel > 0,
    "inbound RTP rising with an audio level",
  );
  if (!(later.outbound && later.outbound.packetsSent > 25)) {
    throw new Error(`the browser sent no audio: ${JSON.stringify(later)}`);
  }
  return { first, later };
}

async function waitStats(page, ok, what, ms = 15000) {
  const end = Date.now() + ms;
  let last = null;
  while (Date.now() < end) {
    last = await rtpStats(page);
    if (last && ok(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`${what}: not seen within ${ms} ms; last getStats: ${JSON.stringify(last)}`);
}

/** Fills the wrap-up form: the result code id, tag ids, a note and date. */
export async function wrapUp(page, { code, tags = [], note, date }) {
  await byTest(page, "wrapup").waitFor({ state: "visible" });
  await byTest(page, `code-${code}`).check();
  for (const t of tags) await byTest(page, `tag-${t}`).check();
  if (note !== undefined) await byTest(page, "note").fill(note);
  if (date !== undefined) await byTest(page, "action-date").fill(date);
  await byTest(page, "wrapup-submit").click();
  await byTest(page, "wrapup").waitFor({ state: "hidden" });
}

/** Runs `body(browser)`; on failure saves each page's screenshot and console. */
export async function run(body) {
  let browser;
  try {
    browser = await launch();
    await body(browser);
    emit("done");
    await browser.close();
    process.exit(0);
  } catch (err) {
    console.error(`browser scenario failed: ${err && err.stack ? err.stack : err}`);
    for (const [i, page] of pages.entries()) {
      const base = path.join(cfg.out || ".", `${page.agentName || `page${i}`}`);
      try {
        await page.screenshot({ path: `${base}.png`, fullPage: true });
        console.error(`screenshot: ${base}.png`);
      } catch {
        /* the page is gone */
      }
      await writeFile(`${base}.console.txt`, page.consoleLines.join("\n")).catch(() => {});
      console.error(`console of ${page.agentName}:\n${page.consoleLines.slice(-60).join("\n")}`);
    }
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  }
}
