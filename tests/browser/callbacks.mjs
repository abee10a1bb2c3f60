// (i) An agent on a break sees the callbacks waiting in their queues: a
// caller who presses 1 for a callback appears in the panel's list with their
// number, the queue and its state.
import { byTest, chooseStatus, cfg, emit, newAgentPage, presence, run, startWork } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await chooseStatus(page, cfg.break);
  await presence(page, "break");
  await byTest(page, "callback-none").waitFor({ state: "visible" });
  emit("ready");
  const item = page.locator('[data-testid="callback-list"] li').first();
  await item.waitFor({ timeout: 30000 });
  emit("listed", {
    text: (await item.textContent()).trim(),
    state: (await item.locator('[data-testid^="callback-state-"]').textContent()).trim(),
    noneShown: await byTest(page, "callback-none").isVisible(),
  });
  await page.screenshot({ path: `${cfg.out}/callbacks.png`, fullPage: true });
});
