// What the administration console's scenarios share: a console page logged
// in through the form, opening a screen by its hash, saving a form and
// reading the saved item's id back from the hash, and screenshots kept
// under cfg.shots (target/tmp/admin/).
import { byTest, cfg, newAgentPage } from "./lib.mjs";

/** A page at `width` px, logged in to /admin/ as `user` ({login, password}). */
export async function consolePage(browser, user, name = "admin", width = 1280) {
  const page = await newAgentPage(browser, name);
  await page.setViewportSize({ width, height: 900 });
  await page.goto(`${cfg.base}/admin/`);
  await byTest(page, "login-user").fill(user.login);
  await byTest(page, "login-password").fill(user.password);
  await byTest(page, "login-submit").click();
  await page.locator("#menu a[data-screen]").first().waitFor();
  return page;
}

/** Opens `#/<hash>` and waits for its list or form. */
export async function open(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, `#/${hash}`);
  await page.locator(`#screen[data-shown="#/${hash}"]`).waitFor({ state: "attached" });
  if (!hash.includes("/")) await page.locator("#list").waitFor();
}

/** Saves the open form and waits for #saved; the saved item's id. */
export async function save(page) {
  const before = await page.evaluate(() => location.hash);
  await page.locator("#save").click();
  await page.waitForFunction(
    (b) => {
      const saved = document.querySelector("#saved");
      return saved && !saved.hidden && (!b.endsWith("/new") || location.hash !== b);
    },
    before,
  ).catch(async (e) => {
    const problem = await page.locator("#form-problem").textContent().catch(() => "");
    const errors = await page.locator(".field-error:not([hidden])").allTextContents().catch(() => []);
    throw new Error(`the form did not save: ${problem} ${errors.join("; ")} (${e.message})`);
  });
  return Number((await page.evaluate(() => location.hash)).split("/")[2]);
}

/** Checks the box labelled `label` in the checkbox group of field `field`. */
export async function tick(page, field, label, on = true) {
  const exact = new RegExp(`^\\s*${label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
  await page.locator(`#f-${field} label.check`, { hasText: exact }).locator("input").setChecked(on);
}

/** A full-page screenshot kept as cfg.shots/<name>.png. */
export async function shot(page, name) {
  await page.screenshot({ path: `${cfg.shots}/${name}.png`, fullPage: true });
}

export { byTest };
