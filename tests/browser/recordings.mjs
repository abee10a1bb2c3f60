// (h) The recordings page: a user who may play recordings logs in at
// /recordings/, sees the recorded call in the table (queue, agent, caller),
// plays it in the page's <audio> player (the browser loads the WAV from the
// server, which logs the listen) and finds its download link.
import { byTest, cfg, emit, newAgentPage, run } from "./lib.mjs";

run(async (browser) => {
  const page = await newAgentPage(browser, "listener");
  await page.goto(`${cfg.base}/recordings/`);
  await byTest(page, "login-user").fill(cfg.agents[0].login);
  await byTest(page, "login-password").fill(cfg.agents[0].password);
  await byTest(page, "login-submit").click();
  const row = byTest(page, `recording-${cfg.interaction}`);
  await row.waitFor({ timeout: 15000 });
  const cells = await row.locator("td").allTextContents();
  const info = (await byTest(page, "page-info").textContent()).trim();
  emit("listed", { cells: cells.map((c) => c.trim()), info });
  const played = await page.evaluate(async (id) => {
    const audio = document.querySelector(`[data-testid="play-${id}"]`);
    audio.muted = true;
    const loaded = new Promise((resolve, reject) => {
      audio.addEventListener("loadedmetadata", () => resolve(), { once: true });
      audio.addEventListener("error", () => reject(new Error(`audio error ${audio.error && audio.error.code}`)), {
        once: true,
      });
    });
    await audio.play();
    await loaded;
    return { duration: audio.duration, readyState: audio.readyState };
  }, cfg.interaction);
  emit("played", played);
  const href = await byTest(page, `download-${cfg.interaction}`).getAttribute("href");
  emit("download", { href });
  await page.screenshot({ path: `${cfg.out}/recordings.png`, fullPage: true });
});
