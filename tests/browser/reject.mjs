// (b) The agent rejects the call it is offered: the banner goes, the agent is
// not ringing any more, and the caller goes on to the next agent.
import { byTest, cfg, emit, newAgentPage, presence, run, startWork, waitOffer } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await presence(page, "available");
  emit("ready");
  const offer = await waitOffer(page);
  emit("offered", offer);
  await byTest(page, "reject").click();
  await byTest(page, "offer").waitFor({ state: "hidden" });
  await page.waitForFunction(() => window.switchboard.state().presence !== "ringing", null, { timeout: 15000 });
  emit("rejected");
});
