// One login for every page: a supervisor-admin (cfg.agents[0]) logs in once
// on the wallboard and moves by the strip of links to the supervisor panel,
// the reports, the recordings, the admin console and the agent panel without a login form
// showing again; logging out on the agent panel ends the session of a
// wallboard open in another tab too, and of every page. A plain agent
// (cfg.agents[1]) sees only the Agent panel link, and the supervisor panel
// opened by its address says it is not open to them.
//
// Each page is kept as a screenshot in cfg.shots.
import path from "node:path";
import { byTest, cfg, emit, newAgentPage, run } from "./lib.mjs";

/** Each page's own view, shown once signed in. */
const VIEWS = {
  wallboard: "board-view",
  supervisor: "agents-view",
  reports: "report-view",
  recordings: "list-view",
  admin: "admin-view",
  agent: "setup-view",
};

const shot = (page, name) => page.screenshot({ path: path.join(cfg.shots, `${name}.png`), fullPage: true });
const text = async (page, id) => ((await byTest(page, id).textContent()) || "").trim();

/** Remembers, for each page load, whether the login form was ever on screen. */
async function watchLogin(context) {
  await context.addInitScript(() => {
    window.sawLogin = false;
    const check = () => {
      const v = document.getElementById("login-view");
      if (v && !v.hidden) window.sawLogin = true;
    };
    new MutationObserver(check).observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ["hidden"],
    });
  });
}

/** The strip's links (their testids, in order) and the one marked current. */
async function strip(page) {
  await byTest(page, "pages-nav").waitFor({ state: "visible" });
  const links = await page.locator('[data-testid="pages-nav"] a').evaluateAll((as) =>
    as.map((a) => ({ id: a.dataset.testid, href: a.getAttribute("href"), current: a.getAttribute("aria-current") })));
  return {
    links: links.map((l) => l.id),
    hrefs: links.map((l) => l.href),
    current: links.filter((l) => l.current === "page").map((l) => l.id),
  };
}

async function logIn(page, who) {
  await byTest(page, "login-view").waitFor({ state: "visible" });
  await byTest(page, "login-user").fill(who.login);
  await byTest(page, "login-password").fill(who.password);
  await byTest(page, "login-submit").click();
}

run(async (browser) => {
  // The supervisor-admin.
  const page = await newAgentPage(browser, "admin");
  await watchLogin(page.context());
  await page.goto(`${cfg.base}/wallboard/`);
  await logIn(page, cfg.agents[0]);
  await byTest(page, VIEWS.wallboard).waitFor({ state: "visible" });
  emit("links", await strip(page));
  await shot(page, "wallboard");

  for (const key of ["supervisor", "reports", "recordings", "admin", "agent"]) {
    await byTest(page, `nav-${key}`).click();
    await page.waitForURL(`${cfg.base}/${key}/`);
    await byTest(page, VIEWS[key]).waitFor({ state: "visible" });
    const { current } = await strip(page);
    emit("visited", {
      page: key,
      current,
      sawLogin: await page.evaluate(() => window.sawLogin),
      user: await text(page, "user-name"),
    });
    await shot(page, key);
  }

  // A wallboard in another tab of the same browser, then logout on the panel.
  const other = await page.context().newPage();
  await other.goto(`${cfg.base}/wallboard/`);
  await byTest(other, VIEWS.wallboard).waitFor({ state: "visible" });
  const otherSawLogin = await other.evaluate(() => window.sawLogin);
  await byTest(page, "logout").click();
  await byTest(page, "login-view").waitFor({ state: "visible" });
  await byTest(other, "login-view").waitFor({ state: "visible" });
  const notice = await text(other, "notice");
  const navGone = !(await byTest(page, "pages-nav").isVisible());
  await page.goto(`${cfg.base}/supervisor/`);
  await byTest(page, "login-view").waitFor({ state: "visible" });
  emit("logged_out", {
    otherSawLogin,
    notice,
    navGone,
    supervisorHidden: !(await byTest(page, VIEWS.supervisor).isVisible()),
  });
  await shot(page, "logged-out");

  // The plain agent.
  const agent = await newAgentPage(browser, "agent");
  await watchLogin(agent.context());
  await agent.goto(`${cfg.base}/agent/`);
  await logIn(agent, cfg.agents[1]);
  await byTest(agent, VIEWS.agent).waitFor({ state: "visible" });
  emit("agent_links", await strip(agent));
  await shot(agent, "agent-only");

  await agent.goto(`${cfg.base}/supervisor/`);
  await byTest(agent, "denied-view").waitFor({ state: "visible" });
  emit("denied", {
    ...(await strip(agent)),
    reason: await text(agent, "denied-reason"),
    sawLogin: await agent.evaluate(() => window.sawLogin),
    view: await byTest(agent, VIEWS.supervisor).isVisible(),
    who: await byTest(agent, "who").isVisible(),
  });
  await shot(agent, "supervisor-denied");
});
