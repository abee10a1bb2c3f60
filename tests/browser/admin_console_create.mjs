// The console creates what the user types: a project, statuses, result codes
// with their flags, two queues (one with every setting, its assigned agent),
// a tag with queues and a user, each through its form; the Rust test then
// reads each back through the API. Enter in a field saves, Esc leaves the
// form for the list. Each screen's list and form is kept as a screenshot.
import { cfg, emit, run } from "./lib.mjs";
import { consolePage, open, save, shot, tick } from "./admin_console_lib.mjs";

run(async (browser) => {
  const page = await consolePage(browser, cfg.agents[0]);
  const ids = {};

  // A project.
  await open(page, "projects/new");
  if (!(await page.evaluate(() => document.activeElement && document.activeElement.id === "f-name"))) {
    throw new Error("the new form does not focus its first field");
  }
  await page.fill("#f-name", "Riverside");
  await page.fill("#f-time_zone", "Europe/Berlin");
  await page.selectOption("#f-default_profile", { label: "Agent" });
  await page.fill("#f-break_minutes", "45");
  await page.fill("#f-caller_id", "+15550199");
  await shot(page, "projects-form");
  ids.project = await save(page);

  // Statuses.
  await open(page, "statuses/new");
  await page.fill("#f-name", "Lunch");
  await page.selectOption("#f-category", "break");
  await page.setChecked("#f-active", true);
  await page.setChecked("#f-agent_changeable", true);
  await page.setChecked("#f-show_on_dashboard", true);
  await page.setChecked("#f-play_sound", true);
  ids.lunch = await save(page);
  await open(page, "statuses/new");
  await page.fill("#f-name", "Coaching");
  await page.selectOption("#f-category", "offline");
  await page.setChecked("#f-agent_changeable", false);
  await page.setChecked("#f-supervisor_only", true);
  await page.setChecked("#f-transferable", true);
  await page.setChecked("#f-crm_card_trigger", true);
  await shot(page, "statuses-form");
  ids.coaching = await save(page);

  // Result codes with flags.
  await open(page, "result-codes/new");
  await page.fill("#f-display_name", "Sold");
  await page.selectOption("#f-category", "success");
  await page.selectOption("#f-type", "call");
  await tick(page, "flags", "Final result");
  await tick(page, "flags", "Show on dashboard");
  ids.sold = await save(page);
  await open(page, "result-codes/new");
  await page.fill("#f-display_name", "Call later");
  await page.selectOption("#f-category", "schedule");
  await page.selectOption("#f-type", "written_channel");
  await tick(page, "flags", "Call again");
  await tick(page, "flags", "Note required");
  await tick(page, "flags", "Remind");
  await shot(page, "result-codes-form");
  ids.later = await save(page);

  // The exit queue, then a queue with every setting.
  await open(page, "queues/new");
  await page.fill("#f-name", "Overflow");
  await page.fill("#f-number", "7001");
  await page.selectOption("#f-project_id", { label: "Riverside" });
  ids.overflow = await save(page);

  await open(page, "queues/new");
  if (await page.locator("#f-channel_weight").isVisible()) throw new Error("a voice queue shows the channel weight");
  await page.fill("#f-name", "Sales chat");
  await page.fill("#f-number", "7002");
  await page.selectOption("#f-project_id", { label: "Riverside" });
  await page.selectOption("#f-type", "text");
  await page.locator("#f-channel_weight").waitFor({ state: "visible" });
  await page.fill("#f-channel_weight", "40");
  await page.fill("#f-call_mode", "chat");
  await page.fill("#f-priority", "7");
  await page.selectOption("#f-strategy", "fewest_calls");
  await page.fill("#f-agent_timeout_secs", "25");
  await page.fill("#f-after_call_work_secs", "45");
  await page.setChecked("#f-auto_answer", true);
  await page.selectOption("#f-profile", { label: "Agent" });
  await page.selectOption("#f-position_announcement", "both");
  await page.fill("#f-announcement_frequency_secs", "60");
  await page.fill("#f-hold_music", "default");
  await page.fill("#f-queue_timeout_secs", "600");
  await page.selectOption("#f-exit_kind", "queue");
  await page.locator("#f-exit_queue_id").waitFor({ state: "visible" });
  await page.selectOption("#f-exit_queue_id", { label: "Overflow" });
  await page.fill("#f-service_level_secs", "30");
  await page.fill("#f-service_level_target", "90");
  await tick(page, "result_codes", "Sold");
  await tick(page, "result_codes", "Call later");
  await page.selectOption("#f-recording", "on_demand");
  await page.fill("#f-caller_id", "+15550142");
  await shot(page, "queues-form");
  ids.sales = await save(page);

  // Its assigned agents, on the same screen.
  await page.selectOption("#agent-pick", { label: cfg.agentLabel });
  await page.click("#agent-add");
  await page.locator(`#agents tr[data-user] input[name="mandatory"]`).first().setChecked(true);
  await page.click("#agents-save");
  await page.getByText("Agents saved.").waitFor();
  await shot(page, "queues-edit");

  // Enter in a field saves; Esc leaves for the list.
  await page.fill("#f-priority", "8");
  await page.press("#f-priority", "Enter");
  await page.locator("#saved").waitFor({ state: "visible" });
  await page.locator("#f-strategy").focus();
  await page.keyboard.press("Escape");
  await page.locator("#list").waitFor();
  if ((await page.evaluate(() => location.hash)) !== "#/queues") throw new Error("Esc did not go back to the list");

  // A tag on both queues.
  await open(page, "tags/new");
  await page.fill("#f-name", "VIP");
  await page.fill("#f-colour", "#b3261e");
  await page.fill("#f-category", "customer");
  await tick(page, "queues", "Sales chat");
  await tick(page, "queues", "Overflow");
  await shot(page, "tags-form");
  ids.tag = await save(page);

  // A user of the project, serving the queue.
  await open(page, "users/new");
  await page.fill("#f-username", "grace");
  await page.fill("#f-first_name", "Grace");
  await page.fill("#f-last_name", "Hopper");
  await page.fill("#f-password", "compiler-1952");
  await page.selectOption("#f-state", "active");
  await page.fill("#f-priority", "3");
  await tick(page, "profiles", "Agent");
  await tick(page, "projects", "Riverside");
  await tick(page, "queues", "Sales chat");
  await shot(page, "users-form");
  ids.user = await save(page);

  // The lists show them, searched and filtered.
  await open(page, "queues");
  await page.selectOption('select[data-filter="project_id"]', { label: "Riverside" });
  await page.fill("#search", "chat");
  const rows = await page.locator("#list tr[data-id]").evaluateAll((trs) => trs.map((t) => Number(t.dataset.id)));
  await shot(page, "queues-list");
  // A header sorts by its column; a second click, the other way.
  await page.fill("#search", "");
  const number = page.locator("#list th button.sort", { hasText: "Number" });
  await number.click();
  await number.click();
  const sorted = await page.locator("#list tr[data-id]").evaluateAll((trs) => trs.map((t) => Number(t.dataset.id)));
  await open(page, "statuses");
  await page.selectOption('select[data-filter="category"]', "offline");
  const offline = await page.locator("#list tr[data-id]").evaluateAll((trs) => trs.map((t) => Number(t.dataset.id)));
  // The statuses an Agent may use: not the supervisors' own.
  await page.selectOption('select[data-filter="category"]', "");
  await page.selectOption('select[data-filter="profile"]', { label: "Agent" });
  const forAgents = await page.locator("#list tr[data-id]").evaluateAll((trs) => trs.map((t) => Number(t.dataset.id)));
  await shot(page, "statuses-list");
  emit("created", { ids, rows, sorted, offline, forAgents });
});
