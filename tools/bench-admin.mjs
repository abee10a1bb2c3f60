// The browser half of tools/bench-admin: logs in to /admin/ in Debian's
// headless Chromium (playwright-core from web/node_modules) and times the
// console's screens on the loaded server. The configuration comes as JSON in
// SB_BENCH (base URL, login, ids to open, repeat count); the figures go out
// as one JSON line on stdout: [{what, detail, median, max}] in milliseconds.
//
// Each time is taken inside the page, from the change of address (or the
// key's keydown) to the next frame painted after the screen is complete, so
// the driver's own round trips are not counted. With `web` set (a folder),
// the console's files are served from it rather than from the binary, to
// time a change to web/admin/ before building the server.

import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const require = createRequire(new URL("../web/package.json", import.meta.url));
const { chromium } = require("playwright-core");

const cfg = JSON.parse(process.env.SB_BENCH || "{}");
const out = [];

function record(what, detail, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  out.push({ what, detail, median, max: sorted[sorted.length - 1] });
  process.stderr.write(`${what}: ${times.map((t) => t.toFixed(0)).join(" ")} ms\n`);
}

/** Helpers put in the page: wait for a condition on DOM changes, then for the next paint. */
function install() {
  window.__bench = {
    nextPaint: () =>
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => resolve();
          ch.port2.postMessage(0);
        }),
      ),
    until: (cond, ms = 120000) =>
      new Promise((resolve, reject) => {
        if (cond()) return resolve();
        const timer = setTimeout(() => {
          mo.disconnect();
          reject(new Error(`timed out waiting on ${cond}`));
        }, ms);
        const mo = new MutationObserver(() => {
          if (!cond()) return;
          mo.disconnect();
          clearTimeout(timer);
          resolve();
        });
        mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      }),
    ready: {
      rows: (n) => document.querySelectorAll("table#list tr[data-id]").length === n,
      user: () => Boolean(document.querySelector("#permissions-count") && document.querySelector("#permissions-count").textContent),
      queue: () => document.querySelector("#agents") !== null,
    },
    /** Milliseconds from setting the hash to the painted screen that ready[kind](arg) accepts. */
    go: async (hash, kind, arg) => {
      const check = () => window.__bench.ready[kind](arg);
      const t0 = performance.now();
      location.hash = hash;
      await window.__bench.until(() => document.querySelector("#screen").dataset.shown === hash && check());
      await window.__bench.nextPaint();
      return performance.now() - t0;
    },
  };
}

/** Opens `hash` and answers the milliseconds until it was painted complete. */
async function go(page, hash, kind, arg) {
  return page.evaluate(([h, k, a]) => window.__bench.go(h, k, a), [hash, kind, arg]);
}

async function main() {
  const browser = await chromium.launch({
    executablePath: cfg.chromium || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    if (cfg.web) {
      const types = { ".js": "text/javascript", ".css": "text/css", ".html": "text/html" };
      await page.route(`${cfg.base}/admin/**`, (route) => {
        const name = new URL(route.request().url()).pathname.replace(/^\/admin\//, "") || "index.html";
        const file = path.join(cfg.web, name);
        if (!existsSync(file)) return route.continue();
        return route.fulfill({ body: readFileSync(file), contentType: types[path.extname(file)] || "application/octet-stream" });
      });
    }
    page.on("pageerror", (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`${cfg.base}/admin/`);
    await page.locator('[data-testid="login-user"]').fill(cfg.login);
    await page.locator('[data-testid="login-password"]').fill(cfg.password);
    await page.locator('[data-testid="login-submit"]').click();
    await page.locator("#menu a[data-screen]").first().waitFor();
    await page.evaluate(install);
    const away = () => go(page, "#/projects", "rows", cfg.counts.projects);

    for (const [screen, n] of [["users", cfg.counts.users], ["queues", cfg.counts.queues], ["tags", cfg.counts.tags]]) {
      const times = [];
      for (let i = 0; i < cfg.repeat; i++) {
        await away();
        times.push(await go(page, `#/${screen}`, "rows", n));
      }
      record(`${screen} screen drawn`, `${n} rows`, times);
    }

    // A word typed into the users' search, a key at a time, then erased.
    await away();
    await go(page, "#/users", "rows", cfg.counts.users);
    await page.evaluate(() => {
      window.__keys = [];
      let t0 = 0;
      document.addEventListener("keydown", (e) => (t0 = e.timeStamp), true);
      document.addEventListener("input", () =>
        window.__bench.nextPaint().then(() => window.__keys.push(performance.now() - t0)),
      );
    });
    await page.locator("#search").focus();
    const word = cfg.search || "hopper";
    const keys = [...word, ...[...word].map(() => "Backspace")];
    for (const [i, key] of keys.entries()) {
      await page.keyboard.press(key);
      await page.waitForFunction((n) => window.__keys.length === n, i + 1);
    }
    const typed = await page.evaluate(() => window.__keys);
    record("users search keystroke", `"${word}" typed and erased`, typed);

    const forms = [
      ["users", cfg.users, "user"],
      ["queues", cfg.queues, "queue"],
    ];
    for (const [screen, ids, ready] of forms) {
      const times = [];
      for (const id of ids) {
        await away();
        times.push(await go(page, `#/${screen}/${id}`, ready));
      }
      record(`${screen === "users" ? "user" : "queue"} form with panels`, screen === "users" ? "state, extensions, permissions" : "assigned agents", times);
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
