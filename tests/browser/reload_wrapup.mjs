// (d) The agent reloads the page during after-call work: the wrap-up form is
// back, and submitting it completes the record. (The call itself is taken on
// the agent's desk phone, which rings with the browser.)
import { byTest, cfg, emit, newAgentPage, presence, run, startWork, waitWorking, wrapUp } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await presence(page, "available");
  emit("ready");
  await presence(page, "after_call_work", 60000);
  await byTest(page, "wrapup").waitFor({ state: "visible" });
  const queue = (await byTest(page, "wrapup-queue").textContent()).trim();
  await byTest(page, `tag-${cfg.tags[0]}`).check();
  await page.reload();
  await waitWorking(page);
  await byTest(page, "wrapup").waitFor({ state: "visible" });
  const again = (await byTest(page, "wrapup-queue").textContent()).trim();
  if (again !== queue) throw new Error(`after the reload the form is for ${again}, not ${queue}`);
  emit("form-back", { queue });
  await page.screenshot({ path: `${cfg.out}/wrapup.png`, fullPage: true });
  await wrapUp(page, { code: cfg.code, tags: cfg.tags, note: cfg.note, date: cfg.date });
  emit("submitted");
});
