// The panel under a queue's form: the agents assigned to the queue
// (GET/PUT /api/queues/{id}/agents, the whole list at once), each with
// whether the queue is mandatory for them (joined whenever they log in to
// its project). Users are named from /api/users when the session may read
// it, by id otherwise.

import { el, labelOf, references, showProblem, clearProblems } from "./crud.js";

export async function queueAgents(root, queue, ctx) {
  const [assigned, users] = await Promise.all([
    ctx.api("GET", `/api/queues/${queue.id}/agents`),
    references("users", ctx),
  ]);
  let rows = assigned.map((a) => ({ ...a }));
  const nameOf = (id) => {
    const u = users && users.find((x) => x.id === id);
    return u ? labelOf(u) : `#${id}`;
  };
  const body = el("tbody");
  const pick = users
    ? el("select", { id: "agent-pick", dataset: { testid: "agent-pick" } })
    : el("input", { id: "agent-pick", inputmode: "numeric", placeholder: "user id", dataset: { testid: "agent-pick" } });
  const form = el("form", { id: "agents", class: "agents", noValidate: true, dataset: { testid: "agents" } });
  const status = el("span", { id: "agents-saved", class: "saved", role: "status", dataset: { testid: "agents-saved" } });

  const draw = () => {
    body.replaceChildren(
      ...rows.map((r, i) =>
        el(
          "tr",
          { dataset: { user: String(r.user_id) } },
          el("td", {}, nameOf(r.user_id)),
          el(
            "td",
            {},
            el(
              "label",
              { class: "check" },
              el("input", {
                type: "checkbox",
                name: "mandatory",
                checked: Boolean(r.mandatory),
                onchange: (e) => {
                  r.mandatory = e.target.checked;
                  status.textContent = "";
                },
              }),
              "mandatory",
            ),
          ),
          el("td", {}, el(
              "button",
              {
                type: "button",
                class: "link",
                attrs: { "aria-label": `Remove ${nameOf(r.user_id)}` },
                onclick: () => {
                  rows.splice(i, 1);
                  status.textContent = "";
                  draw();
                },
              },
              "Remove",
            )),
        ),
      ),
    );
    if (!rows.length) body.append(el("tr", {}, el("td", { colSpan: 3, class: "hint" }, "No agent is assigned.")));
    if (users) {
      const taken = new Set(rows.map((r) => r.user_id));
      pick.replaceChildren(...users.filter((u) => !taken.has(u.id)).map((u) => el("option", { value: String(u.id) }, labelOf(u))));
    }
  };
  const add = () => {
    const id = Number(pick.value);
    if (!id || rows.some((r) => r.user_id === id)) return;
    rows.push({ user_id: id, mandatory: false });
    status.textContent = "";
    draw();
  };
  form.append(
    el("h3", { id: "agents-title" }, "Assigned agents"),
    el("table", { class: "list", attrs: { "aria-labelledby": "agents-title" } }, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Agent"), el("th", { scope: "col" }, "Mandatory"), el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Remove")))), body),
    el(
      "div",
      { class: "form-actions" },
      el("label", { htmlFor: "agent-pick" }, "Agent"),
      pick,
      el("button", { type: "button", id: "agent-add", dataset: { testid: "agent-add" }, onclick: add }, "Add"),
      el("button", { type: "submit", id: "agents-save", class: "primary", dataset: { testid: "agents-save" } }, "Save agents"),
      status,
    ),
    el("p", { id: "agents-problem", class: "problem", role: "alert", hidden: true }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearProblems(form);
    try {
      rows = (await ctx.api("PUT", `/api/queues/${queue.id}/agents`, rows)).map((a) => ({ ...a }));
      draw();
      status.textContent = "Agents saved.";
    } catch (err) {
      showProblem(form, err, null);
    }
  });
  draw();
  root.append(form);
}
