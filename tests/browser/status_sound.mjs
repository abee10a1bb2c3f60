// Play Sound: the panel plays its chime when the agent enters a status that
// asks for it, and not for one that does not. cfg.quiet and cfg.loud name
// the two statuses.
import { byTest, cfg, chooseStatus, emit, newAgentPage, run, startWork } from "./lib.mjs";

const chime = (page) =>
  page.evaluate(() => {
    const audio = document.querySelector('[data-testid="status-sound"]');
    return {
      chimes: window.switchboard.chimes,
      played: audio.played.length,
      playedSeconds: audio.played.length ? audio.played.end(0) : 0,
    };
  });

run(async (browser) => {
  const page = await newAgentPage(browser, "agent");
  await startWork(page, cfg.agents[0]);
  await chooseStatus(page, cfg.quiet);
  await byTest(page, "presence").filter({ hasText: /break/i }).waitFor();
  await page.waitForTimeout(500);
  const quiet = await chime(page);
  if (quiet.chimes !== 0 || quiet.played !== 0) {
    throw new Error(`a status without Play Sound chimed: ${JSON.stringify(quiet)}`);
  }
  await chooseStatus(page, cfg.loud);
  await page.waitForFunction(() => window.switchboard.chimes >= 1, null, { timeout: 15000 });
  // Let the chime play to its end, so the element's played range covers it.
  await page.waitForFunction(
    () => document.querySelector('[data-testid="status-sound"]').ended,
    null,
    { timeout: 15000 },
  );
  emit("chimed", await chime(page));
});
