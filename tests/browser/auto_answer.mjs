// (c) A queue with auto answer: the browser answers by itself with a beep, no
// click; after the caller hangs up the agent closes the call.
import { byTest, cfg, checkTwoWayAudio, emit, newAgentPage, presence, run, startWork, wrapUp } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await presence(page, "available");
  emit("ready");
  // Nobody clicks: the page beeps and answers by itself, and the call
  // section appears.
  await page.waitForFunction(() => window.switchboard.beeps > 0, null, { timeout: 30000 });
  const beep = await page.evaluate(() => ({ beeps: window.switchboard.beeps, audio: window.switchboard.audioState() }));
  if (beep.audio !== "running") throw new Error(`the beep was not heard: ${JSON.stringify(beep)}`);
  emit("auto-answered", beep);
  await byTest(page, "call").waitFor({ state: "visible", timeout: 30000 });
  await presence(page, "in_call");
  emit("connected");
  emit("audio", await checkTwoWayAudio(page));
  await presence(page, "after_call_work", 60000);
  await wrapUp(page, { code: cfg.code });
  emit("submitted");
});
