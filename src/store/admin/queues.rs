//! Queues: where interactions wait for agents. The rules kept here: a queue
//! belongs to an existing project; its number is unique; channel weight is for
//! text queues only (voice is fixed at 100); video is refused unless enabled;
//! the queue timeout is raised to [`MIN_QUEUE_TIMEOUT_SECS`]; an announcement
//! repeated sooner than it can be played is warned about. The exit kind says
//! what the queue timeout does (another queue, a callback request, a goodbye
//! prompt, or nothing); only the queue kind names an exit queue, and an exit
//! queue sent without a kind means the queue kind, as before kinds existed. A
//! queue that takes calls exits to no text queue, and a queue routes or
//! call queues' exits lead to does not become one (`voice_only`). A
//! queue still named by a queue group, another queue's exit target, a route or
//! an agent assignment cannot be deleted. A caller ID, when set, is digits
//! after an optional `+`: outbound calls made for the queue (transfers,
//! callbacks) present it when their route sets none.

use crate::store::{flag, DbRow};
use serde::{Deserialize, Serialize};
use sqlx::Row;

pub use super::queue_rules::{
    AnnouncementLengths, QueueRules, ANNOUNCEMENT_GAP_SECS, DEFAULT_ANNOUNCEMENT_SECS,
    MIN_QUEUE_TIMEOUT_SECS,
};
use super::{
    duplicate, grouped, named_enum, new_id, now_ms, taken, AdminError, Check, Saved, Warning,
};
use super::{result_codes, voice_only};
use crate::store::Store;

named_enum! {
    /// How a queue picks among free agents (the dispatch core's strategies).
    Strategy {
        Sequential = "sequential",
        LeastRecentlyCalled = "least_recently_called",
        LongestIdle = "longest_idle",
        FewestCalls = "fewest_calls",
        Random = "random",
        RingAll = "ring_all",
    }
}

named_enum! {
    /// What happens to a caller when the queue timeout passes: nothing (waits
    /// for ever), a move to the queue `exit_queue_id`, a stored callback
    /// request with a prompt saying so, a goodbye prompt (the last two end
    /// the call), a message left in the voicemail box `exit_voicemail_id`,
    /// or the IVR menu `exit_menu_id`.
    ExitKind {
        None = "none",
        Queue = "queue",
        Callback = "callback",
        Prompt = "prompt",
        Voicemail = "voicemail",
        Menu = "menu",
    }
}

named_enum! {
    /// The channel a queue serves.
    QueueKind {
        Voice = "voice",
        Text = "text",
        Video = "video",
    }
}

named_enum! {
    /// What a waiting caller is told periodically.
    PositionAnnouncement {
        None = "none",
        Position = "position",
        QueueExit = "queue_exit",
        Both = "both",
    }
}

named_enum! {
    /// Whether a queue's bridged calls are recorded (both sides, one stereo
    /// file): never, always, or when the agent asks for it.
    RecordingMode {
        Never = "never",
        Always = "always",
        OnDemand = "on_demand",
    }
}

/// A stored queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Queue {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    /// A reporting label.
    pub call_mode: String,
    /// The queue number, unique across the server.
    pub number: String,
    pub strategy: Strategy,
    #[serde(rename = "type")]
    pub kind: QueueKind,
    /// Share of an agent's capacity one interaction takes (100 for voice).
    pub channel_weight: i64,
    pub agent_timeout_secs: i64,
    pub after_call_work_secs: i64,
    pub position_announcement: PositionAnnouncement,
    pub announcement_frequency_secs: i64,
    /// What the queue timeout does.
    pub exit_kind: ExitKind,
    /// The queue a caller is sent to on timeout (exit kind `queue` only).
    pub exit_queue_id: Option<i64>,
    /// The voicemail box a caller leaves a message in on timeout (exit kind
    /// `voicemail` only).
    pub exit_voicemail_id: Option<i64>,
    /// The IVR menu a caller is sent to on timeout (exit kind `menu` only).
    pub exit_menu_id: Option<i64>,
    pub hold_music: String,
    pub priority: i64,
    pub queue_timeout_secs: i64,
    pub service_level_secs: i64,
    /// The share answered within `service_level_secs` the queue aims at, in
    /// percent.
    pub service_level_target: i64,
    pub auto_answer: bool,
    /// The profile agents serving this queue get while they do.
    pub profile: Option<String>,
    /// The result codes offered for this queue's interactions (ids); when
    /// empty, the profile's or the general codes are offered.
    pub result_codes: Vec<i64>,
    /// Whether its calls are recorded.
    pub recording: RecordingMode,
    /// The number outbound calls made for this queue present when their
    /// route sets none, in place of the project's.
    pub caller_id: Option<String>,
}

/// What a client sends to create or replace a queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueInput {
    pub project_id: i64,
    pub name: String,
    #[serde(default)]
    pub call_mode: String,
    pub number: String,
    #[serde(default = "defaults::strategy")]
    pub strategy: Strategy,
    #[serde(rename = "type", default = "defaults::kind")]
    pub kind: QueueKind,
    #[serde(default)]
    pub channel_weight: Option<i64>,
    #[serde(default = "defaults::agent_timeout")]
    pub agent_timeout_secs: i64,
    #[serde(default)]
    pub after_call_work_secs: i64,
    #[serde(default = "defaults::announcement")]
    pub position_announcement: PositionAnnouncement,
    #[serde(default = "defaults::frequency")]
    pub announcement_frequency_secs: i64,
    /// Left out: `queue` when `exit_queue_id` is sent, otherwise `none`.
    #[serde(default)]
    pub exit_kind: Option<ExitKind>,
    #[serde(default)]
    pub exit_queue_id: Option<i64>,
    #[serde(default)]
    pub exit_voicemail_id: Option<i64>,
    #[serde(default)]
    pub exit_menu_id: Option<i64>,
    #[serde(default = "defaults::hold_music")]
    pub hold_music: String,
    #[serde(default)]
    pub priority: i64,
    #[serde(default = "defaults::queue_timeout")]
    pub queue_timeout_secs: i64,
    #[serde(default = "defaults::service_level")]
    pub service_level_secs: i64,
    #[serde(default = "defaults::service_level_target")]
    pub service_level_target: i64,
    #[serde(default)]
    pub auto_answer: bool,
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub result_codes: Vec<i64>,
    #[serde(default = "defaults::recording")]
    pub recording: RecordingMode,
    #[serde(default)]
    pub caller_id: Option<String>,
}

mod defaults {
    use super::{PositionAnnouncement, QueueKind, RecordingMode, Strategy};

    pub fn recording() -> RecordingMode {
        RecordingMode::Never
    }

    pub fn strategy() -> Strategy {
        Strategy::LongestIdle
    }
    pub fn kind() -> QueueKind {
        QueueKind::Voice
    }
    pub fn agent_timeout() -> i64 {
        15
    }
    pub fn announcement() -> PositionAnnouncement {
        PositionAnnouncement::None
    }
    pub fn frequency() -> i64 {
        30
    }
    pub fn hold_music() -> String {
        "default".into()
    }
    pub fn queue_timeout() -> i64 {
        300
    }
    pub fn service_level() -> i64 {
        20
    }
    pub fn service_level_target() -> i64 {
        80
    }
}

const COLUMNS: &str = "id, project_id, name, call_mode, number, strategy, kind, channel_weight, \
    agent_timeout_secs, after_call_work_secs, position_announcement, announcement_frequency_secs, \
    exit_queue_id, hold_music, priority, queue_timeout_secs, service_level_secs, CAST(auto_answer AS INTEGER), \
    profile, exit_kind, recording, outbound_caller_id, service_level_target, exit_voicemail_id, exit_menu_id";

fn from_row(row: &DbRow) -> Result<Queue, AdminError> {
    Ok(Queue {
        id: row.try_get(0)?,
        project_id: row.try_get(1)?,
        name: row.try_get(2)?,
        call_mode: row.try_get(3)?,
        number: row.try_get(4)?,
        strategy: Strategy::parse(row.try_get(5)?)?,
        kind: QueueKind::parse(row.try_get(6)?)?,
        channel_weight: row.try_get(7)?,
        agent_timeout_secs: row.try_get(8)?,
        after_call_work_secs: row.try_get(9)?,
        position_announcement: PositionAnnouncement::parse(row.try_get(10)?)?,
        announcement_frequency_secs: row.try_get(11)?,
        exit_queue_id: row.try_get(12)?,
        hold_music: row.try_get(13)?,
        priority: row.try_get(14)?,
        queue_timeout_secs: row.try_get(15)?,
        service_level_secs: row.try_get(16)?,
        auto_answer: flag(row, 17)?,
        profile: row.try_get(18)?,
        exit_kind: ExitKind::parse(row.try_get(19)?)?,
        result_codes: Vec::new(),
        recording: RecordingMode::parse(row.try_get(20)?)?,
        caller_id: row.try_get(21)?,
        service_level_target: row.try_get(22)?,
        exit_voicemail_id: row.try_get(23)?,
        exit_menu_id: row.try_get(24)?,
    })
}

/// Checks `input` and turns it into the queue to store, with its warnings.
fn settle(
    id: i64,
    input: QueueInput,
    rules: &QueueRules,
) -> Result<(Queue, Vec<Warning>), AdminError> {
    let mut c = Check::default();
    let mut warnings = Vec::new();
    c.text("name", &input.name, 100);
    if input.call_mode.chars().count() > 64 {
        c.fail("call_mode", "must be at most 64 characters");
    }
    let number = input.number.trim().to_owned();
    if number.is_empty() || number.len() > 20 || !number.bytes().all(|b| b.is_ascii_digit()) {
        c.fail("number", "must be 1 to 20 digits");
    }
    if input.kind == QueueKind::Video && !rules.video_enabled {
        c.fail("type", "video queues are not enabled on this server");
    }
    let channel_weight = match (input.kind, input.channel_weight) {
        (QueueKind::Text, Some(w)) => {
            c.range("channel_weight", w, 1, 100);
            w
        }
        (QueueKind::Text, None) => 100,
        (_, None | Some(100)) => 100,
        (_, Some(_)) => {
            c.fail(
                "channel_weight",
                "only text queues have a channel weight; voice is fixed at 100",
            );
            100
        }
    };
    c.range("agent_timeout_secs", input.agent_timeout_secs, 1, 600);
    c.range("after_call_work_secs", input.after_call_work_secs, 0, 3600);
    c.range(
        "announcement_frequency_secs",
        input.announcement_frequency_secs,
        0,
        3600,
    );
    if let Some(length) = rules.announcement_secs(input.position_announcement) {
        if input.announcement_frequency_secs < length + ANNOUNCEMENT_GAP_SECS {
            warnings.push(Warning::new(
                "announcement_frequency_secs",
                format!(
                    "announcement_frequency_secs {} is shorter than the announcement ({length} s) \
                     plus {ANNOUNCEMENT_GAP_SECS} s: announcements will follow each other without \
                     a pause",
                    input.announcement_frequency_secs
                ),
            ));
        }
    }
    let exit_kind = match (input.exit_kind, input.exit_queue_id) {
        (None, Some(_)) => ExitKind::Queue,
        (None, None) => ExitKind::None,
        (Some(kind), _) => kind,
    };
    match (exit_kind, input.exit_queue_id) {
        (ExitKind::Queue, None) => c.fail("exit_queue_id", "required when exit_kind is queue"),
        (ExitKind::Queue, Some(exit)) if exit == id => {
            c.fail("exit_queue_id", "a queue cannot exit to itself")
        }
        (ExitKind::Queue, Some(_)) | (_, None) => {}
        (_, Some(_)) => c.fail("exit_queue_id", "only a queue exit names an exit queue"),
    }
    match (exit_kind, input.exit_voicemail_id) {
        (ExitKind::Voicemail, None) => {
            c.fail("exit_voicemail_id", "required when exit_kind is voicemail")
        }
        (ExitKind::Voicemail, Some(_)) | (_, None) => {}
        (_, Some(_)) => c.fail(
            "exit_voicemail_id",
            "only a voicemail exit names a voicemail box",
        ),
    }
    match (exit_kind, input.exit_menu_id) {
        (ExitKind::Menu, None) => c.fail("exit_menu_id", "required when exit_kind is menu"),
        (ExitKind::Menu, Some(_)) | (_, None) => {}
        (_, Some(_)) => c.fail("exit_menu_id", "only a menu exit names an IVR menu"),
    }
    c.text("hold_music", &input.hold_music, 100);
    let uploaded = super::announcements::is_library_name(&input.hold_music);
    if !uploaded && (input.hold_music.contains(['/', '\\']) || input.hold_music.starts_with('.')) {
        c.fail(
            "hold_music",
            "must be a name in the media folder or an announcement's library name, not a path",
        );
    }
    c.range("priority", input.priority, 0, 100);
    c.range("queue_timeout_secs", input.queue_timeout_secs, 0, 86_400);
    let mut queue_timeout_secs = input.queue_timeout_secs;
    if (0..MIN_QUEUE_TIMEOUT_SECS).contains(&queue_timeout_secs) {
        warnings.push(Warning::new(
            "queue_timeout_secs",
            format!(
                "queue_timeout_secs {queue_timeout_secs} was raised to the minimum of \
                 {MIN_QUEUE_TIMEOUT_SECS}"
            ),
        ));
        queue_timeout_secs = MIN_QUEUE_TIMEOUT_SECS;
    }
    c.range("service_level_secs", input.service_level_secs, 1, 3600);
    c.range("service_level_target", input.service_level_target, 1, 100);
    if let Some(p) = &input.profile {
        c.text("profile", p, 100);
    }
    super::outbound_routes::check_caller_id(&mut c, input.caller_id.as_deref());
    c.finish()?;
    Ok((
        Queue {
            id,
            project_id: input.project_id,
            name: input.name.trim().to_owned(),
            call_mode: input.call_mode,
            number,
            strategy: input.strategy,
            kind: input.kind,
            channel_weight,
            agent_timeout_secs: input.agent_timeout_secs,
            after_call_work_secs: input.after_call_work_secs,
            position_announcement: input.position_announcement,
            announcement_frequency_secs: input.announcement_frequency_secs,
            exit_kind,
            exit_queue_id: input.exit_queue_id,
            exit_voicemail_id: input.exit_voicemail_id,
            exit_menu_id: input.exit_menu_id,
            hold_music: input.hold_music,
            priority: input.priority,
            queue_timeout_secs,
            service_level_secs: input.service_level_secs,
            service_level_target: input.service_level_target,
            auto_answer: input.auto_answer,
            profile: input.profile,
            result_codes: input.result_codes,
            recording: input.recording,
            caller_id: input.caller_id,
        },
        warnings,
    ))
}

pub async fn list(store: &Store) -> Result<Vec<Queue>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM queues ORDER BY number"))
        .fetch_all(&mut *conn)
        .await?;
    let mut codes = grouped(
        &mut conn,
        "SELECT queue_id, result_code_id FROM queue_result_codes ORDER BY queue_id, position",
    )
    .await?;
    rows.iter()
        .map(|row| {
            let mut queue = from_row(row)?;
            queue.result_codes = codes.remove(&queue.id).unwrap_or_default();
            Ok(queue)
        })
        .collect()
}

pub async fn get(store: &Store, id: i64) -> Result<Queue, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM queues WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(AdminError::NotFound("queue"))?;
    let mut queue = from_row(&row)?;
    queue.result_codes = result_codes::of_queue(&mut conn, id).await?;
    Ok(queue)
}

pub async fn create(
    store: &Store,
    rules: &QueueRules,
    input: QueueInput,
) -> Result<Saved<Queue>, AdminError> {
    save(store, rules, None, input).await
}

pub async fn update(
    store: &Store,
    rules: &QueueRules,
    id: i64,
    input: QueueInput,
) -> Result<Saved<Queue>, AdminError> {
    save(store, rules, Some(id), input).await
}

/// What saving `input` (as queue `id`, or a new one) would answer, without
/// saving it: the field errors and conflicts, or the warnings.
pub async fn check(
    store: &Store,
    rules: &QueueRules,
    id: Option<i64>,
    input: QueueInput,
) -> Result<Vec<Warning>, AdminError> {
    let mut conn = store.pool().acquire().await?;
    let (_, warnings) = prepare(&mut conn, rules, id, input).await?;
    Ok(warnings)
}

async fn save(
    store: &Store,
    rules: &QueueRules,
    id: Option<i64>,
    input: QueueInput,
) -> Result<Saved<Queue>, AdminError> {
    let mut tx = store.begin().await?;
    let (queue, warnings) = prepare(&mut tx, rules, id, input).await?;
    write(&mut tx, id.is_some(), &queue).await?;
    tx.commit().await?;
    Ok(Saved {
        item: queue,
        warnings: Warning::messages(warnings),
    })
}

/// Checks `input` against the rules and the stored configuration (the
/// project, exit queue, result codes and profile exist; the number is
/// free): the queue to store and its warnings. Reads only.
async fn prepare(
    conn: &mut crate::store::DbConnection,
    rules: &QueueRules,
    id: Option<i64>,
    input: QueueInput,
) -> Result<(Queue, Vec<Warning>), AdminError> {
    let (queue, warnings) = settle(id.unwrap_or_else(new_id), input, rules)?;
    if id.is_some() && !super::exists(&mut *conn, "queues", queue.id).await? {
        return Err(AdminError::NotFound("queue"));
    }
    let mut c = Check::default();
    if !super::exists(&mut *conn, "projects", queue.project_id).await? {
        c.fail("project_id", "no such project");
    }
    if let Some(exit) = queue.exit_queue_id {
        if !super::exists(&mut *conn, "queues", exit).await? {
            c.fail("exit_queue_id", "no such queue");
        } else if id.is_some() && exits_lead_back(&mut *conn, exit, queue.id).await? {
            c.fail(
                "exit_queue_id",
                "the exit targets would form a loop back to this queue",
            );
        } else if queue.kind != QueueKind::Text {
            voice_only::check_target(&mut *conn, &mut c, "exit_queue_id", exit).await?;
        }
    }
    if queue.kind == QueueKind::Text && id.is_some() {
        voice_only::check_becoming_text(&mut *conn, &mut c, queue.id).await?;
    }
    if let Some(b) = queue.exit_voicemail_id {
        if !super::exists(&mut *conn, "voicemail_boxes", b).await? {
            c.fail("exit_voicemail_id", "no such voicemail box");
        }
    }
    if let Some(m) = queue.exit_menu_id {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT project_id FROM ivr_menus WHERE id = $1")
                .bind(m)
                .fetch_optional(&mut *conn)
                .await?;
        match owner {
            None => c.fail("exit_menu_id", "no such IVR menu"),
            Some(p) if p != queue.project_id => {
                c.fail("exit_menu_id", "an IVR menu of another project")
            }
            Some(_) => {}
        }
    }
    result_codes::check_ids(&mut *conn, &mut c, &queue.result_codes).await?;
    super::profiles::check_name(&mut *conn, &mut c, "profile", queue.profile.as_deref()).await?;
    c.finish()?;
    if taken(&mut *conn, "queues", "number", &queue.number, id).await? {
        return Err(duplicate("number", "queue", &queue.number));
    }
    Ok((queue, warnings))
}

/// Writes `queue` (prepared), as a new row or over the stored one.
async fn write(
    tx: &mut crate::store::DbConnection,
    existing: bool,
    queue: &Queue,
) -> Result<(), AdminError> {
    let now = now_ms();
    let sql = if existing {
        "UPDATE queues SET project_id = $1, name = $2, call_mode = $3, number = $4, strategy = $5, \
         kind = $6, channel_weight = $7, agent_timeout_secs = $8, after_call_work_secs = $9, \
         position_announcement = $10, announcement_frequency_secs = $11, exit_queue_id = $12, \
         hold_music = $13, priority = $14, queue_timeout_secs = $15, service_level_secs = $16, \
         auto_answer = $17, profile = $18, exit_kind = $19, recording = $20, outbound_caller_id = $21, \
         service_level_target = $22, exit_voicemail_id = $23, exit_menu_id = $24, updated_at = $25 \
         WHERE id = $26"
    } else {
        "INSERT INTO queues (project_id, name, call_mode, number, strategy, kind, channel_weight, \
         agent_timeout_secs, after_call_work_secs, position_announcement, \
         announcement_frequency_secs, exit_queue_id, hold_music, priority, queue_timeout_secs, \
         service_level_secs, auto_answer, profile, exit_kind, recording, outbound_caller_id, \
         service_level_target, exit_voicemail_id, exit_menu_id, updated_at, created_at, id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)"
    };
    let mut q = sqlx::query(sql)
        .bind(queue.project_id)
        .bind(&queue.name)
        .bind(&queue.call_mode)
        .bind(&queue.number)
        .bind(queue.strategy.as_str())
        .bind(queue.kind.as_str())
        .bind(queue.channel_weight)
        .bind(queue.agent_timeout_secs)
        .bind(queue.after_call_work_secs)
        .bind(queue.position_announcement.as_str())
        .bind(queue.announcement_frequency_secs)
        .bind(queue.exit_queue_id)
        .bind(&queue.hold_music)
        .bind(queue.priority)
        .bind(queue.queue_timeout_secs)
        .bind(queue.service_level_secs)
        .bind(queue.auto_answer)
        .bind(&queue.profile)
        .bind(queue.exit_kind.as_str())
        .bind(queue.recording.as_str())
        .bind(&queue.caller_id)
        .bind(queue.service_level_target)
        .bind(queue.exit_voicemail_id)
        .bind(queue.exit_menu_id)
        .bind(now);
    if !existing {
        q = q.bind(now);
    }
    q.bind(queue.id).execute(&mut *tx).await?;
    result_codes::set_for_queue(tx, queue.id, &queue.result_codes).await?;
    Ok(())
}

/// Whether following exit targets from `start` reaches `queue`.
async fn exits_lead_back(
    conn: &mut crate::store::DbConnection,
    start: i64,
    queue: i64,
) -> Result<bool, AdminError> {
    let mut seen = vec![start];
    let mut at = start;
    loop {
        if at == queue {
            return Ok(true);
        }
        let next: Option<Option<i64>> =
            sqlx::query_scalar("SELECT exit_queue_id FROM queues WHERE id = $1")
                .bind(at)
                .fetch_optional(&mut *conn)
                .await?;
        match next.flatten() {
            Some(n) if !seen.contains(&n) => {
                seen.push(n);
                at = n;
            }
            _ => return Ok(false),
        }
    }
}

/// Deletes a queue that no queue group, other queue's exit, route or agent
/// assignment names.
pub async fn delete(store: &Store, id: i64) -> Result<(), AdminError> {
    let mut tx = store.begin().await?;
    if !super::exists(&mut tx, "queues", id).await? {
        return Err(AdminError::NotFound("queue"));
    }
    let groups: Vec<String> = sqlx::query_scalar(
        "SELECT g.name FROM queue_groups g JOIN queue_group_members m ON m.group_id = g.id \
         WHERE m.queue_id = $1 ORDER BY g.name",
    )
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let exits: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM queues WHERE exit_queue_id = $1 AND id <> $2 ORDER BY name",
    )
    .bind(id)
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut reasons = Vec::new();
    if !groups.is_empty() {
        reasons.push(format!("it is in the queue group(s) {}", groups.join(", ")));
    }
    if !exits.is_empty() {
        reasons.push(format!(
            "it is the exit target of the queue(s) {}",
            exits.join(", ")
        ));
    }
    let routes: Vec<String> =
        sqlx::query_scalar("SELECT number FROM routes WHERE queue_id = $1 ORDER BY number")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    if !routes.is_empty() {
        reasons.push(format!("the route(s) {} lead to it", routes.join(", ")));
    }
    let menus = super::ivr::menus_naming_queue(&mut tx, id).await?;
    if !menus.is_empty() {
        reasons.push(format!(
            "the menu(s) or time condition(s) {} lead to it",
            menus.join(", ")
        ));
    }
    let agents: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM queue_agents WHERE queue_id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if agents > 0 {
        reasons.push(format!("{agents} agent(s) are assigned to it"));
    }
    let callbacks: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM callback_requests WHERE queue_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if callbacks > 0 {
        reasons.push(format!("{callbacks} callback request(s) were made in it"));
    }
    if !reasons.is_empty() {
        return Err(AdminError::Conflict {
            detail: format!("the queue cannot be deleted: {}", reasons.join("; ")),
            errors: Vec::new(),
        });
    }
    sqlx::query("DELETE FROM queues WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
#[path = "queues_tests.rs"]
mod tests;
