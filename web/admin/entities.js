// The console's screens, one description per entity of the admin API, drawn
// by crud.js. A description says:
//   id        the API path segment and the screen's hash (#/<id>)
//   schema    the OpenAPI schema name (its input is <schema>Input)
//   title/one the screen's title and what one item is called
//   menu      the Menu permission that lists and opens the screen
//   section   the menu group
//   columns   the list's columns: {field, label, ref?, refBy?, options?, num?, format?,
//             render?(value, item) -> a node for the cell}
//   search    the fields the search box looks in (default: the columns)
//   filters   the list's filters: {field, label, ref? | options?, match?}
//   fields    the form's controls: {name, label, kind, help?, group?, options?,
//             ref?, refBy?, nullable?, required?, min?, max?, when?(values)}
//             kinds: text, number, bool, select, ref, multi, flags, lines,
//             textarea, colour, password, permissions
//   check     live warnings from POST /api/<id>/check as the user types
//   panels    async (root, item, ctx) under the form of an existing item
//   listActions (root, ctx) above the list
//   defaults  a new item's values

import { stateBadge, userListActions, userPanels } from "./people.js";
import { queueAgents } from "./queue_agents.js";

const opts = (...pairs) => pairs.map((p) => (Array.isArray(p) ? p : [p, p]));

/** IANA time zones the browser knows (a suggestion list; the server checks). */
const zones = () => (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : ["UTC"]);

const CATEGORIES = opts(["available", "Available"], ["offline", "Offline"], ["break", "Break"], ["in_call", "In call"]);
const STRATEGIES = opts(
  ["longest_idle", "Longest idle"],
  ["least_recently_called", "Least recently called"],
  ["fewest_calls", "Fewest calls"],
  ["sequential", "Sequential"],
  ["random", "Random"],
  ["ring_all", "Ring all"],
);
const TYPES = opts(["voice", "Voice"], ["text", "Text"], ["video", "Video"]);
const RESULT_CATEGORIES = opts(["success", "Success"], ["fail", "Fail"], ["schedule", "Schedule"], ["other", "Other"]);
const RESULT_TYPES = opts(["call", "Call"], ["written_channel", "Written channel"], ["product", "Product"]);
const USER_STATES = opts(["new", "New"], ["active", "Active"], ["locked", "Locked"], ["passive", "Passive"]);
const RESULT_FLAGS = opts(
  ["final_result", "Final result"],
  ["call_again", "Call again"],
  ["ask_date", "Ask for a date"],
  ["remind", "Remind"],
  ["assign", "Assign"],
  ["self", "To oneself"],
  ["extra_time", "Extra time"],
  ["note_required", "Note required"],
  ["contact", "Contact"],
  ["contact_callable", "Contact callable"],
  ["phone_answered", "Phone answered"],
  ["phone_callable", "Phone callable"],
  ["deactivate", "Deactivate"],
  ["deactivate_phone", "Deactivate phone"],
  ["delete_action_date", "Delete action date"],
  ["delete_assignment", "Delete assignment"],
  ["send_email", "Send e-mail"],
  ["send_sms", "Send SMS"],
  ["http", "HTTP call"],
  ["show_on_dashboard", "Show on dashboard"],
);

const name = { name: "name", label: "Name", required: true };

/**
 * Whether holders of `profile` may use `status`: a supervisor-only status
 * needs status.supervisor_only, the others status.change.
 */
function usableBy(status, profileId, refs) {
  const profile = (refs.get("profiles") || []).find((p) => String(p.id) === profileId);
  if (!profile) return false;
  const has = (k) => profile.permissions.includes(k);
  return status.supervisor_only ? has("status.supervisor_only") : has("status.change");
}

export const ENTITIES = [
  {
    id: "projects",
    schema: "Project",
    title: "Projects",
    one: "project",
    menu: "menu.projects",
    section: "Contact center",
    columns: [
      { field: "name", label: "Name" },
      { field: "time_zone", label: "Time zone" },
      { field: "default_profile", label: "Default profile" },
      { field: "break_minutes", label: "Break minutes", num: true },
      { field: "caller_id", label: "Caller id" },
    ],
    filters: [{ field: "default_profile", label: "Default profile", ref: "profiles", refBy: "name" }],
    fields: [
      name,
      { name: "time_zone", label: "Time zone", required: true, suggest: zones, help: "IANA name, such as Europe/Berlin: its midnight turns the project's working day." },
      { name: "default_profile", label: "Default profile", kind: "ref", ref: "profiles", refBy: "name", nullable: true, help: "Given to users who join the project without one." },
      { name: "break_minutes", label: "Break allowance (minutes a day)", kind: "number", min: 0, max: 1440 },
      { name: "caller_id", label: "Caller id", nullable: true, placeholder: "+15550100", help: "Presented on outbound calls whose route and queue set none." },
    ],
    defaults: { time_zone: "UTC", break_minutes: 0 },
  },
  {
    id: "queues",
    schema: "Queue",
    title: "Queues",
    one: "queue",
    menu: "menu.queues",
    section: "Contact center",
    check: true,
    columns: [
      { field: "name", label: "Name" },
      { field: "number", label: "Number" },
      { field: "project_id", label: "Project", ref: "projects" },
      { field: "type", label: "Type", options: TYPES },
      { field: "strategy", label: "Strategy", options: STRATEGIES },
      { field: "priority", label: "Priority", num: true },
      { field: "service_level_secs", label: "SL (s)", num: true },
    ],
    search: ["name", "number", "call_mode"],
    filters: [
      { field: "project_id", label: "Project", ref: "projects" },
      { field: "type", label: "Type", options: TYPES },
      { field: "strategy", label: "Strategy", options: STRATEGIES },
    ],
    fields: [
      { ...name, group: "Queue" },
      { name: "number", label: "Number", required: true, group: "Queue", help: "Digits only; the number agents and routes reach the queue by." },
      { name: "project_id", label: "Project", kind: "ref", ref: "projects", required: true, group: "Queue" },
      { name: "type", label: "Type", kind: "select", options: TYPES, group: "Queue" },
      { name: "channel_weight", label: "Channel weight", kind: "number", min: 1, max: 100, nullable: true, group: "Queue", when: (v) => v.type === "text", help: "How much of an agent a text session takes (voice is 100)." },
      { name: "call_mode", label: "Call mode", group: "Queue" },
      { name: "priority", label: "Priority", kind: "number", min: 0, max: 100, group: "Queue", help: "Higher first when an agent serves several queues." },
      { name: "strategy", label: "Strategy", kind: "select", options: STRATEGIES, group: "Distribution" },
      { name: "agent_timeout_secs", label: "Agent timeout (s)", kind: "number", min: 1, max: 600, group: "Distribution", help: "How long an offer rings an agent." },
      { name: "after_call_work_secs", label: "After-call work (s)", kind: "number", min: 0, max: 3600, group: "Distribution" },
      { name: "auto_answer", label: "Auto answer", kind: "bool", group: "Distribution" },
      { name: "profile", label: "Profile", kind: "ref", ref: "profiles", refBy: "name", nullable: true, group: "Distribution", help: "The profile agents serve this queue under." },
      { name: "position_announcement", label: "Position announcement", kind: "select", options: opts(["none", "None"], ["position", "Position"], ["queue_exit", "Queue exit"], ["both", "Both"]), group: "Waiting" },
      { name: "announcement_frequency_secs", label: "Announcement frequency (s)", kind: "number", min: 0, max: 3600, group: "Waiting" },
      { name: "hold_music", label: "Hold music", suggest: () => ["default"], group: "Waiting", help: "A file name in the media folder's music, or default." },
      { name: "queue_timeout_secs", label: "Queue timeout (s)", kind: "number", min: 0, max: 86400, group: "Waiting", help: "0: wait without limit; shorter than 30 is raised to 30." },
      { name: "exit_kind", label: "On queue timeout", kind: "select", options: opts(["none", "Keep waiting"], ["queue", "Move to another queue"], ["callback", "Offer a callback"], ["prompt", "Play a prompt and hang up"]), group: "Waiting" },
      { name: "exit_queue_id", label: "Exit queue", kind: "ref", ref: "queues", nullable: true, group: "Waiting", when: (v) => v.exit_kind === "queue" },
      { name: "service_level_secs", label: "Service level (s)", kind: "number", min: 1, max: 3600, group: "Service level" },
      { name: "service_level_target", label: "Service level target (%)", kind: "number", min: 1, max: 100, group: "Service level" },
      { name: "result_codes", label: "Result codes", kind: "multi", ref: "result-codes", ordered: true, group: "Calls", wide: true, help: "Offered to agents on this queue's interactions in the order ticked; none: the profile's." },
      { name: "recording", label: "Recording", kind: "select", options: opts(["never", "Never"], ["always", "Always"], ["on_demand", "When the agent asks"]), group: "Calls" },
      { name: "caller_id", label: "Caller id", nullable: true, placeholder: "+15550100", group: "Calls", help: "Presented on calls made for the queue whose route sets none." },
    ],
    defaults: {
      type: "voice",
      strategy: "longest_idle",
      agent_timeout_secs: 15,
      after_call_work_secs: 0,
      position_announcement: "none",
      announcement_frequency_secs: 30,
      exit_kind: "none",
      hold_music: "default",
      priority: 0,
      queue_timeout_secs: 300,
      service_level_secs: 20,
      service_level_target: 80,
      recording: "never",
      call_mode: "",
    },
    panels: [queueAgents],
  },
  {
    id: "queue-groups",
    schema: "QueueGroup",
    title: "Queue groups",
    one: "queue group",
    menu: "menu.queue_groups",
    section: "Contact center",
    columns: [
      { field: "name", label: "Name" },
      { field: "queues", label: "Queues", ref: "queues" },
    ],
    filters: [{ field: "queues", label: "Queue", ref: "queues" }],
    fields: [name, { name: "queues", label: "Queues", kind: "multi", ref: "queues", wide: true }],
  },
  {
    id: "statuses",
    schema: "Status",
    title: "Statuses",
    one: "status",
    menu: "menu.statuses",
    section: "Contact center",
    columns: [
      { field: "name", label: "Name" },
      { field: "category", label: "Category", options: CATEGORIES },
      { field: "active", label: "Active" },
      { field: "agent_changeable", label: "Agent may choose" },
      { field: "supervisor_only", label: "Supervisors only" },
      { field: "system", label: "System" },
    ],
    search: ["name"],
    filters: [
      { field: "profile", label: "Usable by profile", ref: "profiles", match: usableBy },
      { field: "category", label: "Category", options: CATEGORIES },
      { field: "active", label: "Active", options: opts(["true", "active"], ["false", "inactive"]) },
    ],
    fields: [
      name,
      { name: "category", label: "Category", kind: "select", options: CATEGORIES, required: true },
      { name: "active", label: "Active", kind: "bool" },
      { name: "agent_changeable", label: "Agents may choose it", kind: "bool" },
      { name: "supervisor_only", label: "Only supervisors may set it", kind: "bool" },
      { name: "show_on_dashboard", label: "Shown on the dashboard", kind: "bool" },
      { name: "transferable", label: "Agents in it take transfers", kind: "bool" },
      { name: "play_sound", label: "Play a sound", kind: "bool" },
      { name: "crm_card_trigger", label: "Opens the CRM card", kind: "bool" },
    ],
    defaults: { category: "break", active: true, agent_changeable: true },
  },
  {
    id: "result-codes",
    schema: "ResultCode",
    title: "Result codes",
    one: "result code",
    menu: "menu.result_codes",
    section: "Contact center",
    columns: [
      { field: "display_name", label: "Name" },
      { field: "category", label: "Category", options: RESULT_CATEGORIES },
      { field: "type", label: "Type", options: RESULT_TYPES },
      {
        field: "flags",
        label: "Flags",
        format: (flags) =>
          RESULT_FLAGS.filter(([k]) => flags && flags[k])
            .map(([, l]) => l)
            .join(", "),
      },
    ],
    filters: [
      { field: "category", label: "Category", options: RESULT_CATEGORIES },
      { field: "type", label: "Type", options: RESULT_TYPES },
    ],
    fields: [
      { name: "display_name", label: "Name", required: true, maxLength: 32 },
      { name: "category", label: "Category", kind: "select", options: RESULT_CATEGORIES, required: true },
      { name: "type", label: "Type", kind: "select", options: RESULT_TYPES, required: true },
      { name: "flags", label: "Flags", kind: "flags", options: RESULT_FLAGS, wide: true, help: "Ask for a date cannot go with call again." },
      { name: "extra_time_secs", label: "Extra time (seconds)", kind: "number", min: 0, max: 3600, when: (v) => Boolean(v.flags && v.flags.extra_time), help: "Added to the agent's after-call work when they choose this code." },
      { name: "follow_up_secs", label: "Follow-up after (seconds)", kind: "number", min: 0, max: 2592000, when: (v) => Boolean(v.flags && (v.flags.call_again || v.flags.remind)), help: "When the Call again (or Remind, without a date) follow-up falls due." },
    ],
    defaults: { category: "success", type: "call", extra_time_secs: 0, follow_up_secs: 0 },
  },
  {
    id: "tags",
    schema: "Tag",
    title: "Tags",
    one: "tag",
    menu: "menu.tags",
    section: "Contact center",
    check: true,
    columns: [
      { field: "name", label: "Name" },
      { field: "colour", label: "Colour", swatch: true },
      { field: "category", label: "Category" },
      { field: "queues", label: "Queues", ref: "queues" },
    ],
    filters: [{ field: "queues", label: "Queue", ref: "queues" }],
    fields: [
      name,
      { name: "colour", label: "Colour", kind: "colour" },
      { name: "category", label: "Category" },
      { name: "queues", label: "Queues", kind: "multi", ref: "queues", wide: true, help: "A tag without queues is offered nowhere." },
    ],
    defaults: { colour: "#2457c5", category: "" },
  },
  {
    id: "users",
    schema: "User",
    title: "Users",
    one: "user",
    menu: "menu.users",
    section: "People",
    columns: [
      { field: "username", label: "User name" },
      { field: "first_name", label: "First name" },
      { field: "last_name", label: "Last name" },
      { field: "state", label: "State", options: USER_STATES, render: stateBadge },
      { field: "profiles", label: "Profiles", ref: "profiles" },
      { field: "extensions", label: "Extensions" },
    ],
    filters: [
      { field: "state", label: "State", options: USER_STATES },
      { field: "profiles", label: "Profile", ref: "profiles" },
      { field: "projects", label: "Project", ref: "projects" },
    ],
    fields: [
      { name: "username", label: "User name", required: true, group: "Identity" },
      { name: "first_name", label: "First name", required: true, group: "Identity" },
      { name: "last_name", label: "Last name", required: true, group: "Identity" },
      { name: "password", label: "Password", kind: "password", group: "Identity", help: "At least 8 characters; on an existing user, a reset (it unlocks a locked user). Empty: unchanged." },
      { name: "state", label: "State", kind: "select", options: USER_STATES, group: "Identity" },
      { name: "priority", label: "Priority", kind: "number", min: 0, max: 100, group: "Identity" },
      { name: "profiles", label: "Profiles", kind: "multi", ref: "profiles", group: "Access", wide: true },
      { name: "projects", label: "Projects", kind: "multi", ref: "projects", group: "Access", wide: true },
      { name: "queues", label: "Queues", kind: "multi", ref: "queues", group: "Access", wide: true },
    ],
    defaults: { state: "new", priority: 0 },
    panels: userPanels,
    listActions: userListActions,
  },
  {
    id: "profiles",
    schema: "Profile",
    title: "Profiles",
    one: "profile",
    menu: "menu.profiles",
    section: "People",
    columns: [
      { field: "name", label: "Name" },
      { field: "description", label: "Description" },
      { field: "permissions", label: "Permissions", format: (p) => `${(p || []).length} keys` },
    ],
    search: ["name", "description"],
    filters: [
      {
        field: "permissions",
        label: "Opens screen",
        options: opts(
          ["menu.projects", "Projects"],
          ["menu.queues", "Queues"],
          ["menu.users", "Users"],
          ["menu.profiles", "Profiles"],
          ["menu.dial_plan", "Dial plan"],
          ["menu.reports", "Reports"],
          ["menu.supervisor_panel", "Supervisor panel"],
          ["menu.agent_panel", "Agent panel"],
        ),
      },
    ],
    fields: [
      name,
      { name: "description", label: "Description", kind: "textarea" },
      { name: "permissions", label: "Permissions", kind: "permissions", wide: true },
      { name: "result_codes", label: "Result codes", kind: "multi", ref: "result-codes", ordered: true, wide: true, help: "Offered on queues that name none, in the order ticked." },
    ],
    defaults: { description: "", permissions: [] },
  },
  {
    id: "agent-groups",
    schema: "AgentGroup",
    title: "Agent groups",
    one: "agent group",
    menu: "menu.agent_groups",
    section: "People",
    columns: [
      { field: "name", label: "Name" },
      { field: "members", label: "Members", ref: "users" },
    ],
    filters: [{ field: "members", label: "Member", ref: "users" }],
    fields: [name, { name: "members", label: "Members", kind: "multi", ref: "users", wide: true }],
  },
  {
    id: "pickup-groups",
    schema: "PickupGroup",
    title: "Pickup groups",
    one: "pickup group",
    menu: "menu.pickup_groups",
    section: "People",
    columns: [
      { field: "name", label: "Name" },
      { field: "members", label: "Members", ref: "users" },
    ],
    filters: [{ field: "members", label: "Member", ref: "users" }],
    fields: [name, { name: "members", label: "Members", kind: "multi", ref: "users", wide: true }],
  },
  {
    id: "trunks",
    schema: "Trunk",
    title: "Trunks",
    one: "trunk",
    menu: "menu.dial_plan",
    section: "Dial plan",
    columns: [
      { field: "name", label: "Name" },
      { field: "addresses", label: "Addresses" },
      { field: "enabled", label: "Enabled" },
      { field: "register", label: "Registers" },
      { field: "registration", label: "Registration", format: (r) => (r ? r.state || JSON.stringify(r) : "") },
    ],
    filters: [{ field: "enabled", label: "Enabled", options: opts(["true", "enabled"], ["false", "disabled"]) }],
    fields: [
      { ...name, group: "Trunk" },
      { name: "enabled", label: "Enabled", kind: "bool", group: "Trunk" },
      { name: "addresses", label: "Addresses", kind: "lines", group: "Trunk", placeholder: "one a line: 192.0.2.10 or 192.0.2.0/24", help: "IP addresses or CIDR networks calls may come from." },
      { name: "codecs", label: "Codecs", kind: "multi", options: opts("PCMU", "PCMA"), group: "Trunk" },
      { name: "outbound_destination", label: "Outbound destination", nullable: true, group: "Trunk", placeholder: "host[:port][;transport=udp|tcp]" },
      { name: "username", label: "Digest user name", nullable: true, group: "Inbound authentication", help: "When set, INVITEs must carry digest credentials." },
      { name: "password", label: "Digest password", kind: "password", group: "Inbound authentication", help: "Empty: unchanged." },
      { name: "register", label: "Register to the carrier", kind: "bool", group: "Registration" },
      { name: "registrar", label: "Registrar", nullable: true, group: "Registration", placeholder: "sip:carrier.example.net" },
      { name: "register_username", label: "Registration user name", nullable: true, group: "Registration" },
      { name: "register_password", label: "Registration password", kind: "password", group: "Registration", help: "Empty: unchanged." },
      { name: "register_expires", label: "Registration expires (s)", kind: "number", min: 60, max: 86400, group: "Registration" },
    ],
    defaults: { enabled: true, codecs: ["PCMU", "PCMA"], register_expires: 3600, addresses: [] },
  },
  {
    id: "routes",
    schema: "Route",
    title: "Inbound routes",
    one: "inbound route",
    menu: "menu.dial_plan",
    section: "Dial plan",
    columns: [
      { field: "number", label: "Number" },
      { field: "queue_id", label: "Queue", ref: "queues" },
    ],
    filters: [{ field: "queue_id", label: "Queue", ref: "queues" }],
    fields: [
      { name: "number", label: "Number", required: true, placeholder: "+15550100", help: "The called number that reaches the queue." },
      { name: "queue_id", label: "Queue", kind: "ref", ref: "queues", required: true },
    ],
  },
  {
    id: "outbound-routes",
    schema: "OutboundRoute",
    title: "Outbound routes",
    one: "outbound route",
    menu: "menu.dial_plan",
    section: "Dial plan",
    columns: [
      { field: "name", label: "Name" },
      { field: "pattern", label: "Pattern" },
      { field: "project_id", label: "Project", ref: "projects" },
      { field: "trunk_id", label: "Trunk", ref: "trunks" },
      { field: "position", label: "Position", num: true },
    ],
    filters: [
      { field: "project_id", label: "Project", ref: "projects" },
      { field: "trunk_id", label: "Trunk", ref: "trunks" },
    ],
    fields: [
      name,
      { name: "project_id", label: "Project", kind: "ref", ref: "projects", required: true },
      { name: "pattern", label: "Pattern", required: true, placeholder: "_1NXXNXXXXXX", help: "A number, or after _ a pattern: X any digit, Z 1-9, N 2-9, [1-5] a set." },
      { name: "trunk_id", label: "Trunk", kind: "ref", ref: "trunks", required: true },
      { name: "position", label: "Position", kind: "number", min: 0, max: 1000000, help: "A project's routes are tried by position, then name." },
      { name: "strip_digits", label: "Strip digits", kind: "number", min: 0, max: 32 },
      { name: "prepend", label: "Prepend", placeholder: "+" },
      { name: "caller_id", label: "Caller id", nullable: true, placeholder: "+15550100" },
    ],
    defaults: { position: 0, strip_digits: 0, prepend: "" },
  },
];
