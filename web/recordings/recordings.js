// The recordings page: the recorded calls of the queues the user may see,
// newest first, a page at a time, each with a player and a download link.
//
// It reads GET /api/interactions?has_recording=true&limit=&offset=; the
// player and the link both fetch GET /api/interactions/{id}/recording, which
// logs every play or download on the server (the listening log). The session
// is the same cookie as the agent panel's (POST /api/login).

import { $, api, length, session, show } from "/shared/page.js";

/** How many recordings one page shows. */
const PAGE = 20;

const model = { offset: 0, total: 0 };

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

/** One recorded call: its facts, a player and a download link. */
function row(r) {
  const tr = document.createElement("tr");
  tr.dataset.testid = `recording-${r.InteractionID}`;
  const when = new Date(r.InitMoment).toLocaleString();
  const queue = r.QueueName || (r.Queue === null ? "(outbound)" : `#${r.Queue}`);
  const agent = r.AgentName || (r.Agent === null ? "" : `#${r.Agent}`);
  const caller = r.Direction === "outbound" ? r.LocalNumber : r.RemoteNumber;
  tr.append(cell(when), cell(queue), cell(agent), cell(caller), cell(length(r.CallDuration)));
  const media = document.createElement("td");
  const player = document.createElement("audio");
  player.controls = true;
  player.preload = "none";
  player.src = r.RecordingUrl;
  player.dataset.testid = `play-${r.InteractionID}`;
  const link = document.createElement("a");
  link.href = r.RecordingUrl;
  link.download = `interaction-${r.InteractionID}.wav`;
  link.textContent = "Download";
  link.dataset.testid = `download-${r.InteractionID}`;
  media.append(player, link);
  tr.append(media);
  return tr;
}

async function load() {
  show("list-error", false);
  let page;
  try {
    page = await api("GET", `/api/interactions?has_recording=true&limit=${PAGE}&offset=${model.offset}`);
  } catch (err) {
    if (err.status === 401) return loggedOut("");
    $("list-error").textContent =
      err.status === 403 ? "You may not play recordings (other.recordings)." : err.message;
    show("list-error", true);
    return;
  }
  model.total = page.total;
  $("rows").replaceChildren(...page.items.map(row));
  show("empty", page.items.length === 0);
  const first = page.items.length ? model.offset + 1 : 0;
  $("page-info").textContent = `${first}–${model.offset + page.items.length} of ${page.total}`;
  $("newer").disabled = model.offset === 0;
  $("older").disabled = model.offset + PAGE >= page.total;
}

const loggedOut = session({
  page: "recordings",
  view: "list-view",
  enter: async () => {
    model.offset = 0;
    await load();
  },
});

$("newer").addEventListener("click", () => {
  model.offset = Math.max(0, model.offset - PAGE);
  load();
});
$("older").addEventListener("click", () => {
  model.offset += PAGE;
  load();
});

