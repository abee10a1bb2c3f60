// A wrong password: the panel says so, stays on the login form, and nothing
// else of the panel is shown.
import { byTest, cfg, emit, newAgentPage, run } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await page.goto(`${cfg.base}/agent/`);
  await byTest(page, "login-view").waitFor({ state: "visible" });
  await byTest(page, "login-user").fill(cfg.agents[0].login);
  await byTest(page, "login-password").fill("not the password");
  await byTest(page, "login-submit").click();
  const error = byTest(page, "login-error");
  await error.waitFor({ state: "visible" });
  emit("refused", { message: (await error.textContent()).trim() });
  for (const id of ["setup-view", "work-view", "who"]) {
    if (await byTest(page, id).isVisible()) throw new Error(`${id} is shown after a failed login`);
  }
});
