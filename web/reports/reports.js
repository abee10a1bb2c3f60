// The reports page: the Call Detail Report (filters, paging, CSV download,
// a saved filter), the interval report with its charts (volume and service
// level, agents by status over time), agent occupancy, result codes and tags.
//
// It reads GET /api/reports/interactions, /api/reports/intervals and
// GET/PUT /api/reports/filter; the CSV link is the same query with
// format=csv. Charts are inline SVG drawn here. The session is the same
// cookie as the agent panel's (POST /api/login).

import { $, api, session, show } from "/shared/page.js";

const SVG = "http://www.w3.org/2000/svg";

/** How many records one page shows. */
const PAGE = 50;
/** The filter fields, by query parameter. */
const FIELDS = ["from", "to", "queue", "agent", "disposition", "classification", "result_code", "tag",
  "caller", "min_wait", "max_wait", "min_talk", "max_talk"];
const PRESENCES = ["available", "ringing", "in_call", "after_call_work", "break"];
const COLOURS = { available: "#1b8a3a", ringing: "#e0a800", in_call: "#2457c5", after_call_work: "#7b52c7", break: "#b3261e" };

const model = { offset: 0, total: 0 };

function fail(id, err) {
  if (err.status === 401) return loggedOut("");
  $(id).textContent = err.status === 403 ? `Not allowed: ${err.message}` : err.message;
  show(id, true);
}

function cell(text, cls) {
  const td = document.createElement("td");
  td.textContent = text === null || text === undefined ? "" : String(text);
  if (cls) td.className = cls;
  return td;
}

function pct(x) {
  return x === null || x === undefined ? "–" : `${(x * 100).toFixed(1)} %`;
}

function num(x, digits = 1) {
  return x === null || x === undefined ? "–" : Number(x).toFixed(digits);
}

/** Today as YYYY-MM-DD in the browser's zone (the page's default range). */
function today() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The filter form as query parameters (empty fields left out). */
function filterParams() {
  const params = new URLSearchParams();
  for (const name of FIELDS) {
    const el = document.querySelector(`#filter [name="${name}"]`);
    const v = el && el.value.trim();
    if (v) params.set(name, v);
  }
  return params;
}

function setFilter(saved) {
  for (const name of FIELDS) {
    const el = document.querySelector(`#filter [name="${name}"]`);
    if (!el) continue;
    const v = saved[name];
    el.value = v === undefined || v === null ? "" : Array.isArray(v) ? v.join(",") : String(v);
  }
}

// ------------------------------------------------------------ call detail

function cdrRow(r) {
  const tr = document.createElement("tr");
  tr.dataset.testid = `cdr-${r.InteractionID}`;
  const queue = r.QueueName || (r.Queue === null ? "" : `#${r.Queue}`);
  const agent = r.AgentName || (r.Agent === null ? "" : `#${r.Agent}`);
  const caller = r.Direction === "outbound" ? r.LocalNumber : r.RemoteNumber;
  tr.append(
    cell(new Date(r.InitMoment).toLocaleString()),
    cell(queue),
    cell(agent),
    cell(caller),
    cell(r.Disposition || "(in progress)"),
    cell(num(r.QueueWaitLength), "num"),
    cell(num(r.ConnectedLength), "num"),
    cell(r.ResultCodeName || ""),
  );
  return tr;
}

async function loadCdr() {
  show("cdr-error", false);
  const params = filterParams();
  params.set("limit", PAGE);
  params.set("offset", model.offset);
  let page;
  try {
    page = await api("GET", `/api/reports/interactions?${params}`);
  } catch (err) {
    $("cdr-rows").replaceChildren();
    return fail("cdr-error", err);
  }
  model.total = page.total;
  $("cdr-rows").replaceChildren(...page.items.map(cdrRow));
  show("cdr-empty", page.items.length === 0);
  const first = page.items.length ? model.offset + 1 : 0;
  $("page-info").textContent = `${first}–${model.offset + page.items.length} of ${page.total}`;
  $("newer").disabled = model.offset === 0;
  $("older").disabled = model.offset + PAGE >= page.total;
}

function updateCsvLink() {
  const params = filterParams();
  params.set("format", "csv");
  $("csv").href = `/api/reports/interactions?${params}`;
}

// -------------------------------------------------------------- intervals

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The chart frame: width, height and the plotting box. */
function frame(svg) {
  const w = svg.clientWidth || 400;
  const h = svg.clientHeight || 192;
  svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
  svg.replaceChildren();
  return { w, h, left: 30, right: w - 30, top: 10, bottom: h - 18 };
}

function axisLabels(svg, f, buckets) {
  const every = Math.max(1, Math.ceil(buckets.length / 8));
  const step = (f.right - f.left) / Math.max(1, buckets.length);
  buckets.forEach((b, i) => {
    if (i % every) return;
    svg.append(el("text", { x: f.left + i * step, y: f.h - 4 }, b.local.slice(11, 16)));
  });
}

/** Offered and answered as bars per bucket, service level as a line (0–100 %). */
function drawVolume(buckets) {
  const svg = $("chart-volume");
  const f = frame(svg);
  const max = Math.max(1, ...buckets.map((b) => b.offered));
  const step = (f.right - f.left) / Math.max(1, buckets.length);
  const y = (v) => f.bottom - (v / max) * (f.bottom - f.top);
  svg.append(el("text", { x: 2, y: f.top + 8 }, String(max)), el("text", { x: 2, y: f.bottom }, "0"));
  svg.append(el("text", { x: f.right + 2, y: f.top + 8 }, "100%"));
  const points = [];
  buckets.forEach((b, i) => {
    const x = f.left + i * step;
    const bar = Math.max(1, step * 0.8);
    svg.append(el("rect", { x, y: y(b.offered), width: bar, height: f.bottom - y(b.offered), fill: "#9db5e8" },
      undefined));
    const answered = el("rect", { x, y: y(b.answered), width: bar, height: f.bottom - y(b.answered), fill: "#2457c5" });
    answered.append(el("title", {}, `${b.local}: ${b.answered} of ${b.offered} answered, SL ${pct(b.service_level)}`));
    svg.append(answered);
    if (b.service_level !== null) {
      points.push(`${x + bar / 2},${f.bottom - b.service_level * (f.bottom - f.top)}`);
    }
  });
  if (points.length) {
    svg.append(el("polyline", { points: points.join(" "), fill: "none", stroke: "#1b8a3a", "stroke-width": 2,
      "data-testid": "sl-line" }));
  }
  axisLabels(svg, f, buckets);
}

/** Mean agents in each presence per bucket, stacked. */
function drawAgents(buckets) {
  const svg = $("chart-agents");
  const f = frame(svg);
  const totals = buckets.map((b) => PRESENCES.reduce((s, p) => s + (b.agents_by_presence[p] || 0), 0));
  const max = Math.max(1, Math.ceil(Math.max(0, ...totals)));
  const step = (f.right - f.left) / Math.max(1, buckets.length);
  svg.append(el("text", { x: 2, y: f.top + 8 }, String(max)), el("text", { x: 2, y: f.bottom }, "0"));
  buckets.forEach((b, i) => {
    let base = f.bottom;
    for (const p of PRESENCES) {
      const v = b.agents_by_presence[p] || 0;
      if (!v) continue;
      const h = (v / max) * (f.bottom - f.top);
      const r = el("rect", { x: f.left + i * step, y: base - h, width: Math.max(1, step * 0.9), height: h, fill: COLOURS[p] });
      r.append(el("title", {}, `${b.local}: ${v.toFixed(2)} ${p.replaceAll("_", " ")}`));
      svg.append(r);
      base -= h;
    }
  });
  axisLabels(svg, f, buckets);
  $("agents-legend").replaceChildren(
    ...PRESENCES.map((p) => {
      const s = document.createElement("span");
      s.className = `sw-${p}`;
      s.textContent = p.replaceAll("_", " ");
      return s;
    }),
  );
}

function figuresRow(label, t, testid) {
  const tr = document.createElement("tr");
  tr.dataset.testid = testid;
  tr.append(
    cell(label),
    cell(t.offered, "num"),
    cell(t.answered, "num"),
    cell(t.abandoned, "num"),
    cell(t.short_abandoned, "num"),
    cell(t.queue_exits, "num"),
    cell(t.timeouts, "num"),
    cell(pct(t.service_level), "num"),
    cell(pct(t.service_level_with_short_abandons), "num"),
    cell(num(t.asa_secs), "num"),
    cell(num(t.aht_secs), "num"),
    cell(num(t.longest_wait_secs), "num"),
  );
  return tr;
}

async function loadIntervals() {
  show("intervals-error", false);
  const params = new URLSearchParams();
  const all = filterParams();
  for (const k of ["from", "to", "queue"]) if (all.get(k)) params.set(k, all.get(k));
  params.set("step", $("f-step").value);
  let report;
  try {
    report = await api("GET", `/api/reports/intervals?${params}`);
  } catch (err) {
    $("interval-rows").replaceChildren();
    return fail("intervals-error", err);
  }
  $("zone").textContent = `(${report.time_zone})`;
  const busy = report.buckets.filter((b) => b.offered > 0);
  const rows = busy.map((b) => figuresRow(b.local, b, `interval-${b.start}`));
  const total = figuresRow("Total", report.total, "interval-total");
  total.className = "total";
  $("interval-rows").replaceChildren(...rows, total);
  drawVolume(report.buckets);
  drawAgents(report.buckets);
  $("agent-rows").replaceChildren(
    ...report.agents.map((a) => {
      const tr = document.createElement("tr");
      tr.append(cell(a.name || `#${a.agent}`), cell(a.available_secs, "num"), cell(a.in_call_secs, "num"),
        cell(a.after_call_work_secs, "num"), cell(a.break_secs, "num"), cell(pct(a.occupancy), "num"));
      return tr;
    }),
  );
  $("code-rows").replaceChildren(
    ...report.result_codes.codes.map((c) => {
      const tr = document.createElement("tr");
      tr.append(cell(c.category), cell(c.kind), cell(c.name), cell(c.count, "num"));
      return tr;
    }),
  );
  $("tag-rows").replaceChildren(
    ...report.tags.map((t) => {
      const tr = document.createElement("tr");
      tr.append(cell(t.name), cell(t.category), cell(t.count, "num"));
      return tr;
    }),
  );
}

async function refresh() {
  show("filter-error", false);
  updateCsvLink();
  await Promise.all([loadIntervals(), loadCdr()]);
}

// ----------------------------------------------------------------- session

const loggedOut = session({
  page: "reports",
  view: "report-view",
  enter: async () => {
    model.offset = 0;
    try {
      const saved = await api("GET", "/api/reports/filter");
      if (saved && Object.keys(saved).length) setFilter(saved);
    } catch {
      /* no saved filter to read: the defaults stand */
    }
    if (!$("f-from").value) $("f-from").value = today();
    if (!$("f-to").value) $("f-to").value = $("f-from").value;
    await refresh();
  },
});

$("filter").addEventListener("submit", (e) => {
  e.preventDefault();
  model.offset = 0;
  refresh();
});
$("filter").addEventListener("input", updateCsvLink);

$("save-filter").addEventListener("click", async () => {
  const body = Object.fromEntries(filterParams());
  try {
    await api("PUT", "/api/reports/filter", body);
    $("filter-status").textContent = "Filter saved.";
    show("filter-error", false);
  } catch (err) {
    fail("filter-error", err);
  }
});

$("load-filter").addEventListener("click", async () => {
  try {
    setFilter(await api("GET", "/api/reports/filter"));
    $("filter-status").textContent = "Saved filter loaded.";
    model.offset = 0;
    await refresh();
  } catch (err) {
    fail("filter-error", err);
  }
});

$("newer").addEventListener("click", () => {
  model.offset = Math.max(0, model.offset - PAGE);
  loadCdr();
});
$("older").addEventListener("click", () => {
  model.offset += PAGE;
  loadCdr();
});

