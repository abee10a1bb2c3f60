// The users list's CSV buttons: export (GET /api/users/export, a download)
// and import (POST /api/users/import, text/csv). An import is all or
// nothing: the server checks every row first and answers either how many
// users it created or a 422 problem naming each bad row as `line N.column`
// (or `line N` for the whole row); every one of them is listed, with its
// line, column and reason, so the file can be fixed in one go.

import { Problem } from "/shared/page.js";
import { h } from "./users.js";

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
    return h(
      "div",
      { id: "import-result", class: "import-ok", role: "status" },
      h("strong", { id: "import-created", text: String(n) }),
      ` ${n === 1 ? "user" : "users"} created.`,
    );
  }
  const err = result.error;
  const errors = (err.body && Array.isArray(err.body.errors) && err.body.errors) || [];
  const rows = errors
    .map((e) => ({ ...badRow(e.field), message: e.message }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const detail = (err.body && (err.body.detail || err.body.title)) || err.message;
  return h(
    "div",
    { id: "import-result", class: "import-bad", role: "alert" },
    h(
      "p",
      {},
      h("strong", { text: "Nothing was imported. " }),
      rows.length
        ? `${rows.length} ${rows.length === 1 ? "problem" : "problems"} in the file; fix them and import it again.`
        : detail,
    ),
    rows.length
      ? h(
          "table",
          { id: "import-errors", class: "compact" },
          h("thead", {}, h("tr", {}, h("th", { text: "Line" }), h("th", { text: "Column" }), h("th", { text: "Reason" }))),
          h(
            "tbody",
            {},
            rows.map((r) =>
              h(
                "tr",
                { "data-line": r.line ?? "", "data-column": r.column },
                h("td", { text: r.line ?? "—" }),
                h("td", { class: "mono", text: r.column || "(whole row)" }),
                h("td", { text: r.message }),
              ),
            ),
          ),
        )
      : null,
  );
}

/** The Import and Export buttons above the users list, and the last import's outcome. */
export function userListActions(root, ctx) {
  const file = h("input", {
    type: "file",
    id: "import-file",
    accept: ".csv,text/csv",
    class: "visually-hidden",
    tabIndex: -1,
  });
  const importButton = h("button", {
    type: "button",
    id: "import",
    text: "Import CSV…",
    title: "Columns: username, first_name, last_name, profiles (names, ; between), and optionally password, priority, state, projects",
    onclick: () => file.click(),
  });
  const exportLink = h("a", {
    id: "export",
    class: "button",
    href: "/api/users/export",
    download: "users.csv",
    text: "Export CSV",
  });
  const box = h("div", { class: "import-box" });
  const show = (result) => box.replaceChildren(h("div", {}, outcome(result)));
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
  root.append(h("div", { class: "list-actions" }, importButton, file, exportLink), box);
  if (last) {
    show(last);
    last = null;
  }
}
