// (f) The agent, connected to a caller (answered on the desk phone that rings
// with the browser), opens the transfer list: the queues they may see and the
// project's agents with who is free now. A number typed in that cannot take
// the call is refused with the reason; choosing the queue transfers the
// caller, and the panel moves to the after-call work as when a call ends.
import { byTest, cfg, emit, newAgentPage, presence, run, startWork, wrapUp } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await presence(page, "available");
  emit("ready");
  await presence(page, "in_call", 60000);
  await byTest(page, "transfer").click();
  const queue = byTest(page, `transfer-queue-${cfg.queue}`);
  await queue.waitFor();
  const list = async (id) =>
    page
      .locator(`[data-testid="${id}"] button`)
      .evaluateAll((buttons) =>
        buttons.map((b) => ({ target: b.dataset.target, free: !b.disabled, text: b.textContent.trim() })),
      );
  emit("targets", { queues: await list("transfer-queues"), agents: await list("transfer-agents") });
  await page.screenshot({ path: `${cfg.out}/transfer-list.png`, fullPage: true });

  await byTest(page, "transfer-number").fill(cfg.refused);
  await byTest(page, "transfer-submit").click();
  const error = byTest(page, "transfer-error");
  await error.waitFor({ state: "visible" });
  emit("refused", { reason: (await error.textContent()).trim() });
  if ((await page.evaluate(() => window.switchboard.state().presence)) !== "in_call") {
    throw new Error("a refused transfer ended the call");
  }

  await queue.click();
  await byTest(page, "wrapup").waitFor({ state: "visible", timeout: 30000 });
  await presence(page, "after_call_work");
  emit("after-call-work", {
    notice: (await byTest(page, "notice").textContent()).trim(),
    callShown: await byTest(page, "call").isVisible(),
  });
  await page.screenshot({ path: `${cfg.out}/transferred.png`, fullPage: true });
  await wrapUp(page, { code: cfg.code });
  emit("submitted");
});
