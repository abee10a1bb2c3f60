// The result form during a call: the agent, talking on the desk phone that
// rings with the browser, gives the call its result while still connected;
// the form says it is saved and the call goes on. After the call (the queue
// has no after-call work) the recent interactions list it with its result.
import { byTest, cfg, emit, newAgentPage, presence, run, startWork } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await presence(page, "available");
  emit("ready");
  await presence(page, "in_call", 60000);
  await byTest(page, "wrapup").waitFor({ state: "visible" });
  const title = (await byTest(page, "wrapup-title").textContent()).trim();
  const countdown = await byTest(page, "acw-left").isVisible();
  await byTest(page, `code-${cfg.code}`).check();
  for (const t of cfg.tags) await byTest(page, `tag-${t}`).check();
  await byTest(page, "note").fill(cfg.note);
  await byTest(page, "wrapup-submit").click();
  await byTest(page, "wrapup-saved").waitFor({ state: "visible" });
  const still = await page.evaluate(() => window.switchboard.state().presence);
  emit("saved", { title, countdown, presence: still });
  await page.screenshot({ path: `${cfg.out}/result-during-call.png`, fullPage: true });
  await presence(page, "available", 60000);
  await page.locator('[data-testid="recent-list"] li').filter({ hasText: "result given" }).first().waitFor();
  emit("listed");
});
