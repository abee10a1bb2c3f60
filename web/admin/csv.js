// The users list's CSV buttons: export (GET /api/users/export, a download)
// and import (POST /api/users/import, text/csv). An import is all or
// nothing: the server checks every row first and answers either how many
// users it created or a 422 problem naming each bad row as `line N.column`
// (or `line N` for the whole row); every one of them is listed, with its
// line, column and reason, so the file can be fixed in one go.

import { Problem } from "/shared/page.js";
import { el } from "./crud.js";

/** Sends a CSV file's text; the import's answer, or a Problem. */
export async function importCsv(text) {
  const res = await fetch("/api/users/import", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "text/csv; charset=utf-8" },
    body: text,
  });
  const body = await res.text();
  const json = body ? JSON.parse(body) : null;
  if (!res.ok) throw new Problem(res.status, json);
  return json;
}

/** A problem's field as `{line, column}`: "line 3.username" is line 3, column username. */
export function badRow(field) {
  const m = /^line (\d+)(?:\.(.+))?$/.exec(field || "");
  if (!m) return { line: null, column: field || "" };
  return { line: Number(m[1]), column: m[2] || "" };
}

// The last import's outcome, shown again after the list is reloaded.
let last = null;

/** The outcome of an import, as a block for the page. */
function outcome(result) {
  if (result.ok) {
    const n = result.imported;
    return el(
      "div",
      { id: "import-result", class: "import-ok", role: "status" },
      el("strong", { id: "import-created" }, String(n)),
      ` ${n === 1 ? "user" : "users"} created.`,
    );
  }
  const err = result.error;
  const errors = (err.body && Array.isArray(err.body.errors) && err.body.errors) || [];
  const rows = errors
    .map((e) => ({ ...badRow(e.field), message: e.message }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const detail = (err.body && (err.body.detail || err.body.title)) || err.message;
  return el(
    "div",
    { id: "import-result", class: "import-bad", role: "alert" },
    el(
      "p",
      {},
      el("strong", {}, "Nothing was imported. "),
      rows.length
        ? `${rows.length} ${rows.length === 1 ? "problem" : "problems"} in the file; fix them and import it again.`
        : detail,
    ),
    rows.length
      ? el(
          "table",
          { id: "import-errors", class: "compact" },
          el("thead", {}, el("tr", {}, el("th", {}, "Line"), el("th", {}, "Column"), el("th", {}, "Reason"))),
          el(
            "tbody",
            {},
            rows.map((r) =>
              el(
                "tr",
                { dataset: { line: r.line ?? "", column: r.column } },
                el("td", {}, r.line ?? "—"),
                el("td", { class: "mono" }, r.column || "(whole row)"),
                el("td", {}, r.message),
              ),
            ),
          ),
        )
      : null,
  );
}

/** The Import and Export buttons above the users list, and the last import's outcome. */
export function userListActions(root, ctx) {
  const file = el("input", {
    type: "file",
    id: "import-file",
    accept: ".csv,text/csv",
    class: "sr-only",
    tabIndex: -1,
  });
  const importButton = el(
    "button",
    {
      type: "button",
      id: "import",
      title: "Columns: username, first_name, last_name, profiles (names, ; between), and optionally password, priority, state, projects",
      onclick: () => file.click(),
    },
    "Import CSV…",
  );
  const exportLink = el("a", { id: "export", class: "button", href: "/api/users/export", download: "users.csv" }, "Export CSV");
  const box = el("div", { class: "import-box" });
  const show = (result) => box.replaceChildren(outcome(result));
  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    importButton.disabled = true;
    try {
      const answer = await importCsv(await chosen.text());
      last = { ok: true, imported: answer.imported, users: answer.users };
      show(last);
      // The list shows the new users; a re-rendered screen shows the outcome
      // again (and takes it), an unchanged one keeps this box.
      if (ctx.reload) await ctx.reload();
      if (box.isConnected) last = null;
    } catch (err) {
      show({ ok: false, error: err instanceof Problem ? err : new Problem(0, { detail: String(err) }) });
    } finally {
      importButton.disabled = false;
      file.value = "";
    }
  });
  root.append(importButton, file, exportLink);
  // The outcome goes under the screen's head, above the list.
  const head = root.closest(".screen-head");
  if (head) head.after(box);
  else root.after(box);
  if (last) {
    show(last);
    last = null;
  }
}
