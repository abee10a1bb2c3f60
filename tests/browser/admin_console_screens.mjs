// Every screen of the console, as a list and as a form (new, and an existing
// item where there is one), kept as screenshots; then the layout at a
// tablet's width, where the menu becomes a strip across the top.
import { cfg, emit, run } from "./lib.mjs";
import { consolePage, open, shot } from "./admin_console_lib.mjs";

run(async (browser) => {
  const page = await consolePage(browser, cfg.agents[0]);
  const screens = await page.locator("#menu a[data-screen]").evaluateAll((as) => as.map((a) => a.dataset.screen));
  const seen = {};
  for (const s of screens) {
    await page.click(`#menu a[data-screen="${s}"]`);
    await page.locator(`#screen[data-shown="#/${s}"] #list`).waitFor();
    const rows = await page.locator("#list tr[data-id]").count();
    await shot(page, `${s}-list`);
    await open(page, `${s}/new`);
    // Every control has a label bound to it.
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll("#entity input, #entity select, #entity textarea")]
        .filter((c) => !(c.labels && c.labels.length) && !c.closest("[aria-labelledby]"))
        .map((c) => c.name || c.id),
    );
    await shot(page, `${s}-new`);
    if (rows) {
      await open(page, s);
      await page.locator("#list tr[data-id] a").first().click();
      await page.locator('#screen[data-shown^="#/"] #entity #delete').waitFor();
      await shot(page, `${s}-edit`);
    }
    seen[s] = { rows, unlabelled };
  }
  // A tablet: the menu is a strip above the screen.
  await page.setViewportSize({ width: 800, height: 1000 });
  await open(page, "queues");
  const menu = await page.locator("#menu").boundingBox();
  const screen = await page.locator("#screen").boundingBox();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  await shot(page, "tablet-queues-list");
  await open(page, `queues/${cfg.queue}`);
  await shot(page, "tablet-queues-edit");
  emit("screens", { screens, seen, menu, screen, overflow });
});
