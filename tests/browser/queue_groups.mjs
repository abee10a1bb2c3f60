// Queue groups at panel login: the agent ticks the group cfg.group; the
// queue list follows it, and work starts in the group's queues (and the
// mandatory ones) only.
import { byTest, cfg, emit, newAgentPage, run, waitWorking } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  const agent = cfg.agents[0];
  await page.goto(`${cfg.base}/agent/`);
  await byTest(page, "login-user").fill(agent.login);
  await byTest(page, "login-password").fill(agent.password);
  await byTest(page, "login-submit").click();
  await byTest(page, "setup-view").waitFor({ state: "visible" });
  const group = byTest(page, `choose-group-${cfg.group}`);
  await group.waitFor({ state: "visible" });
  await group.check();
  const ticked = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="queue-options"] input:checked')].map((q) => Number(q.value)),
  );
  await byTest(page, "start-work").click();
  await waitWorking(page);
  const served = await page.evaluate(() => (window.switchboard.state().queues || []).map((q) => q.id));
  emit("working", { ticked, served });
});
