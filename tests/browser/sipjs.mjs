// A softphone that is not the agent panel: SIP.js (npm sip.js, pinned in
// web/package-lock.json) in Chromium, registered over the server's /sip
// WebSocket as an extension with its plain password (SIP.js answers the
// digest challenge itself), against a server with default settings.
//
// SIP.js is bundled from web/node_modules by esbuild when the script starts
// and served with a bare page by a static web server of the script's own on
// 127.0.0.1 (a secure context, where getUserMedia works); the page connects
// to the server's WebSocket like any web softphone hosted apart from its SIP
// server. (A page answered by playwright's page.route would not do: Chromium
// counts such a page as public and its Local Network Access checks then
// block the WebSocket to 127.0.0.1.)
//
// The script registers and says "registered"; the Rust test then sends a
// queue call. The INVITE comes without SDP: SIP.js accepts with its own offer
// in the 200 OK and takes the server's answer from the ACK ("offered",
// "connected"). After audio both ways ("audio") and the test's "hangup",
// SIP.js sends the BYE ("hung-up") and unregisters.
import http from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { cfg, checkTwoWayAudio, emit, newAgentPage, run, told } from "./lib.mjs";

const webDir = fileURLToPath(new URL("../../web/", import.meta.url));
const require = createRequire(`${webDir}package.json`);

/** SIP.js as one script that defines window.SIP. */
async function sipJsBundle() {
  const esbuild = require("esbuild");
  const version = require("sip.js/package.json").version;
  const out = await esbuild.build({
    stdin: { contents: 'export * from "sip.js";', resolveDir: webDir, loader: "js" },
    bundle: true,
    format: "iife",
    globalName: "SIP",
    platform: "browser",
    target: "es2020",
    write: false,
    logLevel: "silent",
  });
  return { version, code: out.outputFiles[0].text };
}

/**
 * A static web server on 127.0.0.1 with the softphone's page and SIP.js, as
 * a deployment hosts its web softphone apart from the SIP server.
 */
async function servePage(sipjs) {
  const page =
    '<!doctype html><meta charset="utf-8"><title>SIP.js</title><audio id="remote" autoplay></audio><script src="sip.js"></script>';
  const server = http.createServer((req, res) => {
    const [type, body] = req.url === "/sip.js" ? ["text/javascript", sipjs.code] : ["text/html", page];
    res.writeHead(200, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-store" });
    res.end(body);
  });
  // The test names the port: the server allows this origin (http.allowed_origins).
  await new Promise((resolve) => server.listen(cfg.page_port ?? 0, "127.0.0.1", resolve));
  server.unref();
  return `http://127.0.0.1:${server.address().port}/`;
}

run(async (browser) => {
  const sipjs = await sipJsBundle();
  const page = await newAgentPage(browser, "sipjs");
  await page.goto(await servePage(sipjs));
  // (The npm package 0.21.2 calls itself 0.21.1 in window.SIP.version.)
  const loaded = await page.evaluate(() => ({
    userAgent: Boolean(window.SIP && window.SIP.UserAgent),
    secure: window.isSecureContext,
  }));
  if (!loaded.userAgent) throw new Error(`SIP.js did not load in the page: ${JSON.stringify(loaded)}`);
  if (!loaded.secure) throw new Error(`the page is not a secure context: ${page.url()}`);

  // The user agent, registered. Every SIP message it sends and receives goes
  // to the console (SIP.js's debug log), which a failure prints.
  await page.evaluate(async (sip) => {
    const { UserAgent, Registerer } = window.SIP;
    const phone = { registration: "Initial", refused: null, invitation: null, session: "none", errors: [] };
    window.phone = phone;
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${sip.user}@${sip.domain}`),
      transportOptions: { server: sip.ws },
      authorizationUsername: sip.user,
      authorizationPassword: sip.password,
      userAgentString: `SIP.js/${sip.version} (npm sip.js, Switchboard browser test)`,
      logLevel: "debug",
      // Nothing but the server on loopback: no STUN server to wait for.
      sessionDescriptionHandlerFactoryOptions: {
        peerConnectionConfiguration: { iceServers: [] },
        iceGatheringTimeout: 2000,
      },
      delegate: {
        onInvite(invitation) {
          if (phone.invitation) {
            invitation.reject({ statusCode: 486 });
            return;
          }
          phone.invitation = invitation;
          invitation.stateChange.addListener((s) => {
            phone.session = s;
          });
          const request = invitation.request;
          phone.offer = {
            queue: request.getHeader("X-Queue") || "",
            caller: invitation.remoteIdentity.uri.user || "",
            sdpInInvite: Boolean(request.body && request.body.length),
          };
        },
      },
    });
    phone.ua = ua;
    await ua.start();
    const registerer = new Registerer(ua, { expires: 300 });
    phone.registerer = registerer;
    registerer.stateChange.addListener((s) => {
      phone.registration = s;
    });
    await registerer.register({
      requestDelegate: {
        onReject(response) {
          phone.refused = `${response.message.statusCode} ${response.message.reasonPhrase}`;
        },
      },
    });
  }, { ws: cfg.ws, domain: cfg.domain, user: cfg.user, password: cfg.password, version: sipjs.version });
  await page.waitForFunction(() => window.phone.registration === "Registered" || window.phone.refused, null, {
    timeout: 20000,
  });
  const registered = await page.evaluate(() => ({ state: window.phone.registration, refused: window.phone.refused }));
  if (registered.state !== "Registered") throw new Error(`SIP.js did not register: ${JSON.stringify(registered)}`);
  emit("registered");

  await page.waitForFunction(() => window.phone.offer, null, { timeout: 60000 });
  emit("offered", await page.evaluate(() => window.phone.offer));

  // Answer with the fake microphone; SIP.js makes the offer (the INVITE had
  // none) and the ACK brings the server's answer.
  await page.evaluate(async () => {
    const invitation = window.phone.invitation;
    await invitation.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } });
    const sdh = invitation.sessionDescriptionHandler;
    window.callConnection = () => sdh.peerConnection;
    const audio = document.getElementById("remote");
    audio.srcObject = sdh.remoteMediaStream;
    audio.play().catch(() => {});
  });
  await page.waitForFunction(
    () => {
      const pc = window.callConnection();
      return window.phone.session === "Established" && pc && pc.remoteDescription && pc.signalingState === "stable";
    },
    null,
    { timeout: 20000 },
  );
  emit(
    "connected",
    await page.evaluate(() => {
      const pc = window.callConnection();
      return { local: pc.localDescription.type, remote: pc.remoteDescription.type };
    }),
  );
  emit("audio", await checkTwoWayAudio(page));

  await told("hangup");
  await page.evaluate(async () => {
    await window.phone.invitation.bye();
  });
  await page.waitForFunction(() => window.phone.session === "Terminated", null, { timeout: 20000 });
  emit("hung-up");

  await page.evaluate(async () => {
    await window.phone.registerer.unregister();
  });
  await page.waitForFunction(() => window.phone.registration === "Unregistered", null, { timeout: 20000 });
  await page.evaluate(async () => {
    await window.phone.ua.stop();
  });
  emit("unregistered");
});
