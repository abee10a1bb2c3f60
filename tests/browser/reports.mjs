// (i) The reports page: a user with the report permissions logs in at
// /reports/, sees the day's figures in the interval table (its total row)
// and the service-level chart, finds the call in the Call Detail Report,
// downloads the CSV, and saves the filter.
import { readFile } from "node:fs/promises";
import { byTest, cfg, emit, newAgentPage, run } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "reporter");
  await page.goto(`${cfg.base}/reports/`);
  await byTest(page, "login-user").fill(cfg.agents[0].login);
  await byTest(page, "login-password").fill(cfg.agents[0].password);
  await byTest(page, "login-submit").click();
  const total = byTest(page, "interval-total");
  await total.waitFor({ timeout: 15000 });
  const row = byTest(page, `cdr-${cfg.interaction}`);
  await row.waitFor({ timeout: 15000 });
  const totals = (await total.locator("td").allTextContents()).map((c) => c.trim());
  const bars = await page.locator('[data-testid="chart-volume"] rect').count();
  const slLine = await byTest(page, "sl-line").count();
  emit("figures", { totals, bars, slLine });
  const cells = (await row.locator("td").allTextContents()).map((c) => c.trim());
  const info = (await byTest(page, "page-info").textContent()).trim();
  emit("listed", { cells, info });
  const [download] = await Promise.all([page.waitForEvent("download"), byTest(page, "csv").click()]);
  const text = await readFile(await download.path(), "utf8");
  emit("csv", { name: download.suggestedFilename(), lines: text.trim().split(/\r?\n/) });
  await byTest(page, "f-caller").fill("+1555");
  await byTest(page, "save-filter").click();
  await page.getByText("Filter saved.").waitFor({ timeout: 10000 });
  emit("saved", {});
  await page.screenshot({ path: `${cfg.out}/reports.png`, fullPage: true });
});
