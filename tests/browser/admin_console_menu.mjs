// The menu lists only the screens the user's Menu permission allows, and a
// screen without its key cannot be opened by its hash either.
import { cfg, emit, run } from "./lib.mjs";
import { consolePage, shot } from "./admin_console_lib.mjs";

run(async (browser) => {
  const page = await consolePage(browser, cfg.agents[0], "limited");
  const screens = await page.locator("#menu a[data-screen]").evaluateAll((as) => as.map((a) => a.dataset.screen));
  await page.evaluate(() => {
    location.hash = "#/queues";
  });
  const refused = page.locator("#refused");
  await refused.waitFor({ state: "visible" });
  const text = (await refused.textContent()).trim();
  await shot(page, "menu-refused");
  emit("menu", { screens, text });
});
