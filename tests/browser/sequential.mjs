// (e) Two browser agents in a Sequential queue: the first agent in order is
// offered the call first (though the other started work earlier), and only
// after refusing it does the second agent's browser ring.
import { byTest, cfg, emit, newAgentPage, presence, run, startWork, waitOffer } from "./lib.mjs";

run(async (browser) => {
  const [first, second] = cfg.agents;
  const secondPage = await newAgentPage(browser, second.login);
  await startWork(secondPage, second);
  await presence(secondPage, "available");
  const firstPage = await newAgentPage(browser, first.login);
  await startWork(firstPage, first);
  await presence(firstPage, "available");
  emit("ready");

  const offer = await waitOffer(firstPage);
  if (await byTest(secondPage, "offer").isVisible()) throw new Error("both agents were offered the call at once");
  emit("offered", { agent: first.login, ...offer });
  await byTest(firstPage, "reject").click();
  await byTest(firstPage, "offer").waitFor({ state: "hidden" });

  const next = await waitOffer(secondPage);
  emit("offered", { agent: second.login, ...next });
  await byTest(secondPage, "reject").click();
  await byTest(secondPage, "offer").waitFor({ state: "hidden" });
});
