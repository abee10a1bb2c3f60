// (g) The agent calls a number from the panel's dial pad: the browser
// softphone sends the INVITE with its WebRTC offer, the server routes it out
// through the trunk (SIPp as the carrier answers), audio flows both ways,
// and the agent hangs up from the call section.
import { byTest, cfg, checkTwoWayAudio, emit, newAgentPage, presence, run, startWork } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await presence(page, "available");
  emit("ready");
  await byTest(page, "dial-number").fill("");
  for (const digit of cfg.number) await byTest(page, "dialpad").locator(`button[data-key="${digit}"]`).click();
  if ((await byTest(page, "dial-number").inputValue()) !== cfg.number) {
    throw new Error("the keys did not type the number");
  }
  await byTest(page, "dial-call").click();
  await byTest(page, "dial-status").filter({ hasText: `Calling ${cfg.number}` }).waitFor();
  emit("calling");
  await page.waitForFunction(() => {
    const s = window.switchboard.session();
    return s && s.isEstablished();
  }, null, { timeout: 30000 });
  await byTest(page, "call").waitFor({ state: "visible" });
  await byTest(page, "dial-status").filter({ hasText: `Connected to ${cfg.number}` }).waitFor();
  emit("connected", { shown: (await byTest(page, "call-caller").textContent()).trim() });
  await checkTwoWayAudio(page);
  emit("audio");
  await page.screenshot({ path: `${cfg.out}/dialled.png`, fullPage: true });
  await byTest(page, "hangup").click();
  await page.waitForFunction(() => !window.switchboard.session(), null, { timeout: 15000 });
  await byTest(page, "dial-status").filter({ hasText: "ended" }).waitFor();
  emit("hung-up");
});
