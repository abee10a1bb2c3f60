// The profiles and users screens: an administrator makes the profile "Night
// shift" in the permission editor (keys ticked one by one and the Report
// group by its select-all box), a user with that profile, gives the user an
// extension, and reads the user's effective permissions in a project with the
// source of each key. The Rust test (tests/admin_people.rs) checks through
// the API that what was saved is what was typed.
import { cfg, emit, run } from "./lib.mjs";
import { adminPage, fill, go, pick, save, shot } from "./admin_people_lib.mjs";

run(async (browser) => {
  const page = await adminPage(browser, cfg.agents[0]);

  await go(page, "#/profiles");
  await page.locator("table#list tr[data-id]").first().waitFor();
  await shot(page, "profiles-list");
  await page.locator("#new").click();
  const form = page.locator("form#entity");
  await form.waitFor();
  await form.locator('[name="name"]').fill("Night shift");
  await fill(form, "description", "Evenings and weekends");
  await page.locator('.permissions-editor[data-ready="true"]').waitFor();
  // The filter narrows the boxes to the keys that match.
  await page.locator("#permissions-filter").fill("queue");
  const filtered = await page.$$eval(".permissions-editor label.perm:not([hidden])", (ls) => ls.map((l) => l.dataset.key));
  await page.locator("#permissions-filter").fill("");
  for (const key of ["menu.users", "status.change", `queue.${cfg.queue}`]) {
    await page.locator(`input[name="permissions"][value="${key}"]`).check();
  }
  await page.locator('input[data-select-all="report"]').check();
  const ticked = await page.$$eval('input[name="permissions"]:checked', (bs) => bs.map((b) => b.value).sort());
  await shot(page, "profiles-new");
  const profile = await save(page);
  emit("profile", { id: Number(profile), ticked, filtered });
  // The editor on a tablet.
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.locator('.permissions-editor[data-ready="true"]').waitFor();
  await shot(page, "profiles-edit-tablet");
  await page.setViewportSize({ width: 1280, height: 900 });

  await go(page, "#/users/new");
  const user = page.locator("form#entity");
  await user.locator('[name="username"]').waitFor();
  await user.locator('[name="username"]').fill("nina");
  await user.locator('[name="first_name"]').fill("Nina");
  await user.locator('[name="last_name"]').fill("Simone");
  await fill(user, "priority", 7);
  await pick(user, "profiles", [profile]);
  await pick(user, "projects", [cfg.project]);
  await shot(page, "users-new");
  const id = await save(page);
  emit("user", { id: Number(id) });

  // The panels under the saved user's form.
  await page.locator("#extension-form").waitFor();
  await page.locator("#new-extension").fill("nina.desk");
  await page.locator("#new-extension-password").fill("desk-secret-1");
  await page.locator("#add-extension").click();
  await page.locator('tr[data-extension="nina.desk"]').waitFor();
  emit("extension");

  await page.locator("#permissions-project").selectOption(String(cfg.project));
  await page.locator('#permissions tr[data-key="menu.agent_panel"]').waitFor();
  const rows = await page.$$eval("#permissions tr[data-key]", (trs) =>
    trs.map((tr) => ({
      key: tr.dataset.key,
      sources: [...tr.querySelectorAll(".source")].map((li) => li.textContent.trim()),
    })),
  );
  await shot(page, "users-edit");
  await page.locator("#permissions-search").fill("menu.users");
  await page.waitForFunction(() => document.querySelectorAll("#permissions tr[data-key]").length === 1);
  const searched = await page.locator("#permissions tr[data-key]").count();
  await shot(page, "users-permissions-search");
  emit("permissions", {
    rows,
    own: rows.find((r) => r.key === "menu.users"),
    default: rows.find((r) => r.key === "menu.agent_panel"),
    searched,
  });
});
