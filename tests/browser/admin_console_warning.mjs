// Live warnings: as the user types a queue timeout of 10 s, the warning that
// it will be raised to 30 s appears beside the field, before any save; a tag
// without queues is warned of too.
import { cfg, emit, run } from "./lib.mjs";
import { consolePage, open, shot } from "./admin_console_lib.mjs";

run(async (browser) => {
  const page = await consolePage(browser, cfg.agents[0]);
  await open(page, "queues/new");
  await page.fill("#f-name", "Typing");
  await page.fill("#f-number", "7100");
  await page.selectOption("#f-project_id", String(cfg.project));
  await page.locator("#f-queue_timeout_secs").fill("");
  await page.locator("#f-queue_timeout_secs").pressSequentially("10");
  const warning = page.locator('.field-warning[data-field="queue_timeout_secs"]');
  await warning.waitFor({ state: "visible", timeout: 15000 });
  const timeout = (await warning.textContent()).trim();
  await shot(page, "queues-form-warning");

  await open(page, "tags/new");
  await page.locator("#f-name").pressSequentially("Loose");
  const tagWarning = page.locator('.field-warning[data-field="queues"]');
  await tagWarning.waitFor({ state: "visible", timeout: 15000 });
  const tag = (await tagWarning.textContent()).trim();
  emit("warned", { timeout, tag });
});
