// What the users and profiles scenarios of the administration console share:
// the console's login, moving between screens by hash, picking items in a
// multi-select (checkboxes or a select, whichever the form uses), and the
// screenshots each screen leaves under target/tmp/admin/ (cfg.shots).

import { cfg, newAgentPage } from "./lib.mjs";

/** A console page at 1280 px, logged in as `who` ({login, password}). */
export async function adminPage(browser, who) {
  const page = await newAgentPage(browser, "admin");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${cfg.base}/admin/`);
  await page.locator("#login-user").fill(who.login);
  await page.locator("#login-password").fill(who.password);
  await page.locator("#login-submit").click();
  await page.locator("nav#menu a[data-screen]").first().waitFor();
  return page;
}

/** Opens a screen by its hash (`#/users/12`). */
export async function go(page, hash) {
  await page.evaluate((h) => {
    location.hash = h;
  }, hash);
}

/** The id in the page's hash (`#/users/12` → "12"). */
export async function hashId(page) {
  return page.evaluate(() => location.hash.split("/")[2] || null);
}

/** Picks `values` in the form's multi-select `field`. */
export async function pick(form, field, values) {
  const select = form.locator(`select[name="${field}"]`);
  if (await select.count()) {
    await select.selectOption(values.map(String));
    return;
  }
  for (const v of values) await form.locator(`input[name="${field}"][value="${v}"]`).check();
}

/** Fills the text control `field` of the form, if the form has it. */
export async function fill(form, field, value) {
  const control = form.locator(`[name="${field}"]`);
  if (await control.count()) await control.first().fill(String(value));
}

/** Saves the form and waits for the console's "saved" mark; the item's id. */
export async function save(page) {
  await page.locator("#save").click();
  await page.locator("#saved").waitFor({ timeout: 15000 });
  await page.waitForFunction(() => /^#\/[^/]+\/\d+$/.test(location.hash));
  return hashId(page);
}

/** A full-page screenshot of the screen, as target/tmp/admin/<name>.png. */
export async function shot(page, name) {
  await page.screenshot({ path: `${cfg.shots}/${name}.png`, fullPage: true });
}
