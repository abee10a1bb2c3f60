// (a) An agent logs in, goes Available, answers a queue call in the browser,
// talks (audio both ways, read from getStats), mutes and holds, survives a drop of the panel's
// live connection, and after the caller hangs up closes the call with a
// result code and two tags.
import { byTest, cfg, checkTwoWayAudio, chooseStatus, emit, newAgentPage, presence, run, startWork, waitOffer, wrapUp } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  // Through a break and back: the status selector, the time in status and the
  // break allowance.
  const statuses = await page.evaluate(() => [...document.querySelectorAll("#status option:not([disabled])")].map((o) => ({ name: o.textContent, category: o.dataset.category })));
  const brk = statuses.find((s) => s.category.toLowerCase() === "break");
  if (brk) {
    await chooseStatus(page, brk.name);
    await presence(page, "break");
  }
  const available = statuses.find((s) => s.category.toLowerCase() === "available");
  if (!available) throw new Error(`no Available status to choose among ${JSON.stringify(statuses)}`);
  await chooseStatus(page, available.name);
  await presence(page, "available");
  await byTest(page, "status-time").filter({ hasText: /^0:0\d$/ }).waitFor();
  emit("ready");

  const offer = await waitOffer(page);
  emit("offered", offer);
  await byTest(page, "answer").click();
  await byTest(page, "call").waitFor({ state: "visible" });
  await presence(page, "in_call");
  emit("connected");
  const audio = await checkTwoWayAudio(page);
  emit("audio", audio);

  // Mute and unmute; hold and resume (re-INVITEs the server answers).
  await byTest(page, "mute").click();
  await page.locator('[data-testid="mute"][aria-pressed="true"]').waitFor();
  await byTest(page, "mute").click();
  await page.locator('[data-testid="mute"][aria-pressed="false"]').waitFor();
  await byTest(page, "hold").click();
  await byTest(page, "call-hold-note").waitFor({ state: "visible", timeout: 15000 });
  await byTest(page, "hold").click();
  await byTest(page, "call-hold-note").waitFor({ state: "hidden", timeout: 15000 });
  emit("held-and-resumed");

  // The panel's live connection drops and comes back; the call goes on.
  await page.evaluate(() => window.switchboard.dropPanelSocket());
  await page.waitForFunction(() => window.switchboard.panelConnections >= 2, null, { timeout: 20000 });
  const still = await page.evaluate(() => {
    const s = window.switchboard.session();
    return Boolean(s && s.isEstablished() && !s.isEnded());
  });
  if (!still) throw new Error("the call ended when the panel's connection dropped");
  await byTest(page, "call").waitFor({ state: "visible" });
  emit("reconnected");

  await presence(page, "after_call_work", 60000);
  await byTest(page, "call").waitFor({ state: "hidden" });
  await wrapUp(page, { code: cfg.code, tags: cfg.tags, note: "called about an invoice" });
  emit("submitted");
});
