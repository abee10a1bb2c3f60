// The console shows what the API refuses where it belongs: a delete refused
// with 409 (a project that still has a queue) shows the reason, a 422 names
// the field beside its control, and a duplicate name (409 on a field) too.
import { cfg, emit, run } from "./lib.mjs";
import { consolePage, open, shot } from "./admin_console_lib.mjs";

run(async (browser) => {
  const page = await consolePage(browser, cfg.agents[0]);

  await open(page, `projects/${cfg.project}`);
  await page.click("#delete");
  await page.click("#confirm-delete");
  const problem = page.locator("#form-problem");
  await problem.waitFor({ state: "visible" });
  const reason = (await problem.textContent()).trim();
  const still = await page.evaluate(() => location.hash);
  await shot(page, "projects-delete-refused");

  await open(page, "queues/new");
  await page.fill("#f-name", "Bad number");
  await page.fill("#f-number", "12ab");
  await page.selectOption("#f-project_id", String(cfg.project));
  await page.click("#save");
  // The save's answer (a live check may have shown the error already).
  await page.locator("#form-problem").waitFor({ state: "visible" });
  const error = page.locator('.field-error[data-field="number"]');
  await error.waitFor({ state: "visible" });
  const numberError = (await error.textContent()).trim();
  // The error sits in the number's own field, and focus moved to it.
  const beside = await page.evaluate(() => document.querySelector('.field-error[data-field="number"]').closest(".field").dataset.field);
  const focused = await page.evaluate(() => document.activeElement && document.activeElement.name);
  await shot(page, "queues-form-invalid");

  await open(page, "projects/new");
  await page.fill("#f-name", cfg.projectName);
  await page.click("#save");
  const dup = page.locator('.field-error[data-field="name"]');
  await dup.waitFor({ state: "visible" });
  const duplicate = (await dup.textContent()).trim();

  emit("refused", { reason, still, numberError, beside, focused, duplicate });
});
