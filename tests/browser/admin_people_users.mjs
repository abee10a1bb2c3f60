// The users screen: a locked user (failed logins, then locked by an
// administrator) shows its state and is unlocked by a password reset in the
// page; a CSV file with one bad row is refused with that row listed (line,
// column, reason), a good file is imported and its users listed, and the
// export downloads. The Rust test (tests/admin_people.rs) checks each step
// through the API and by logging in.
import { cfg, emit, run } from "./lib.mjs";
import { readFile } from "node:fs/promises";
import { adminPage, go, shot } from "./admin_people_lib.mjs";

const BAD = "username,first_name,last_name,profiles,password\r\n" +
  "ann,Ann,Smith,Agent,ann-password-1\r\n" +
  "bob,Bob,Jones,Nobody,bob-password-1\r\n";
const GOOD = BAD.replace("Nobody", "Agent");

const csv = (text) => ({ name: "users.csv", mimeType: "text/csv", buffer: Buffer.from(text) });

run(async (browser) => {
  const page = await adminPage(browser, cfg.agents[0]);
  await go(page, "#/users");
  const row = page.locator(`table#list tr[data-id="${cfg.grace}"]`);
  await row.waitFor();
  emit("listed", { badge: await row.locator(".badge").getAttribute("data-state") });
  await shot(page, "users-list-locked");

  await go(page, `#/users/${cfg.grace}`);
  const badge = page.locator("#user-state .badge");
  await badge.waitFor();
  emit("locked", {
    badge: await badge.getAttribute("data-state"),
    failures: (await page.locator("#failed-logins").textContent()).trim(),
  });
  await shot(page, "users-locked");
  // Too short: refused, the reason beside the field, the user still locked.
  await page.locator("#reset-password").fill("short");
  await page.locator("#reset").click();
  const tooShort = page.locator('#reset-form .field-error[data-field="password"]');
  await tooShort.waitFor();
  emit("reset-refused", {
    reason: (await tooShort.textContent()).trim(),
    badge: await badge.getAttribute("data-state"),
  });
  await page.locator("#generate-password").click();
  const password = await page.locator("#reset-password").inputValue();
  await page.locator("#reset").click();
  await page.locator("#reset-done").waitFor();
  emit("reset", { badge: await badge.getAttribute("data-state"), password });
  await shot(page, "users-reset");

  await go(page, "#/users");
  await page.locator("#import").waitFor();
  await page.locator("#import-file").setInputFiles(csv(BAD));
  await page.locator("#import-errors tbody tr").first().waitFor();
  const rows = await page.$$eval("#import-errors tbody tr", (trs) =>
    trs.map((tr) => {
      const [line, column, reason] = [...tr.cells].map((td) => td.textContent.trim());
      return { line, column, reason };
    }),
  );
  await shot(page, "users-import-refused");
  emit("import-refused", { rows });

  await page.locator("#import-file").setInputFiles(csv(GOOD));
  await page.locator("#import-created").waitFor();
  await page.waitForFunction(() => document.querySelectorAll("table#list tr[data-id]").length >= 4);
  const created = (await page.locator("#import-created").textContent()).trim();
  const listed = await page.locator("table#list tr[data-id]").count();
  await shot(page, "users-imported");
  emit("imported", { created, listed });

  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export").click()]);
  const text = await readFile(await download.path(), "utf8");
  emit("exported", { name: download.suggestedFilename(), lines: text.split(/\r?\n/).filter(Boolean) });
});
