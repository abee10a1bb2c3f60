// (i) The supervisor panel: a supervisor logs in at /supervisor/ and watches
// a desk-phone agent live: Available, then In call with the caller's number
// when a call is answered (calls today goes up), then put on a break status
// by the supervisor, then logged out, which takes them off the list.
//
// cfg.agent is the agent's id; cfg.status the name of the break status. The
// Rust test places the call once the agent is listed, and checks the
// agent's own view of the break before the supervisor logs them out.
import { byTest, cfg, emit, newAgentPage, run, told } from "./lib.mjs";

const text = async (page, id) => ((await byTest(page, id).textContent()) || "").trim();

/** Waits until the agent's row shows `presence`. */
async function presence(page, want, timeout = 30000) {
  await page.locator(`[data-testid="agent-${cfg.agent}"][data-presence="${want}"]`).waitFor({ timeout });
}

run(async (browser) => {
  const page = await newAgentPage(browser, "supervisor");
  await page.goto(`${cfg.base}/supervisor/`);
  await byTest(page, "login-user").fill(cfg.agents[0].login);
  await byTest(page, "login-password").fill(cfg.agents[0].password);
  await byTest(page, "login-submit").click();
  await byTest(page, "live").filter({ hasText: "live" }).waitFor();
  await presence(page, "available");
  emit("listed", {
    status: await text(page, `status-${cfg.agent}`),
    calls: await text(page, `calls-${cfg.agent}`),
  });

  // The Rust test places the call now.
  await presence(page, "in_call");
  await page.locator(`[data-testid="call-${cfg.agent}"]`).filter({ hasText: "+1555" }).waitFor();
  emit("in_call", {
    call: await text(page, `call-${cfg.agent}`),
    calls: await text(page, `calls-${cfg.agent}`),
    monitor: await page.locator(`[data-testid="monitor-${cfg.agent}"] button`).count(),
  });

  await page.locator(`[data-testid="agent-${cfg.agent}"]:not([data-presence="in_call"])`).waitFor({ timeout: 60000 });
  emit("call_over", { calls: await text(page, `calls-${cfg.agent}`) });

  await byTest(page, `set-status-${cfg.agent}`).selectOption({ label: cfg.status });
  await byTest(page, `status-${cfg.agent}`).filter({ hasText: cfg.status }).waitFor();
  await presence(page, "break");
  emit("on_break", { status: await text(page, `status-${cfg.agent}`) });
  // The Rust test checks the agent's own view first.
  await told("checked");

  await byTest(page, `logout-${cfg.agent}`).click();
  await byTest(page, `agent-${cfg.agent}`).waitFor({ state: "detached" });
  emit("removed", { empty: await byTest(page, "empty").isVisible() });
  await page.screenshot({ path: `${cfg.out}/supervisor.png`, fullPage: true });
});
