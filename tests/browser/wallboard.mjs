// (w) The wallboard: a supervisor logs in at /wallboard/ and watches the
// demo queue's tile while the Rust test drives SIPp: waiting goes up when a
// caller arrives, abandoned when that caller hangs up while waiting, and
// answered when an agent's phone answers the next call.
import { byTest, cfg, emit, newAgentPage, run } from "./lib.mjs";

/** Waits until the figure `what` of the tile shows `value`. */
async function shows(page, what, value, timeout = 45000) {
  const id = `${what}-queue-${cfg.queue}`;
  await page.waitForFunction(
    ([id, value]) => {
      const e = document.querySelector(`[data-testid="${id}"]`);
      return e !== null && e.textContent.trim() === value;
    },
    [id, value],
    { timeout },
  );
}

const text = async (page, what) => (await byTest(page, `${what}-queue-${cfg.queue}`).textContent()).trim();

run(async (browser) => {
  const page = await newAgentPage(browser, "wallboard");
  await page.goto(`${cfg.base}/wallboard/`);
  await byTest(page, "login-user").fill(cfg.agents[0].login);
  await byTest(page, "login-password").fill(cfg.agents[0].password);
  await byTest(page, "login-submit").click();
  await byTest(page, `tile-queue-${cfg.queue}`).waitFor({ timeout: 15000 });
  await byTest(page, "live").waitFor({ timeout: 15000 });
  emit("ready", {
    waiting: await text(page, "waiting"),
    answered: await text(page, "answered"),
    abandoned: await text(page, "abandoned"),
  });
  await shows(page, "waiting", "1");
  emit("waiting", { longest: await text(page, "longest") });
  await shows(page, "abandoned", "1");
  await shows(page, "waiting", "0");
  emit("abandoned");
  await shows(page, "answered", "1");
  emit("answered");
  // Once the answered call's record is complete, the service level has it.
  await shows(page, "sl", "50%");
  emit("completed", { asa: await text(page, "asa"), aht: await text(page, "aht") });
  await page.screenshot({ path: `${cfg.out}/wallboard.png`, fullPage: true });
});
