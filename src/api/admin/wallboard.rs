//! The wallboard's API, for supervisors (`menu.supervisor_panel`) and
//! managers (`report.queues`):
//!
//! - `GET /api/wallboard`: every tile now, `{"at": ms, "tiles": [...]}`, each
//!   tile with `longest_wait` in seconds at `at`;
//! - `GET /api/wallboard/socket` (WebSocket): a `snapshot` message with every
//!   tile, then `update` messages holding only the tiles that changed (and
//!   the keys of tiles gone, `removed`). Changes are coalesced: at most
//!   [`PUSH_PER_SECOND`] messages a second, and none while nothing changes.
//!   Tiles carry `longest_wait_since`, so a page counts the wait up itself.
//!
//! Tiles are queue data ([`super::scope`]): the caller sees the tiles of the
//! queues they see, and of the groups all of whose queues they see. The
//! figures are [`crate::call::wallboard`]'s; names, flags and time zones are
//! read from the store when the page connects and every [`NAMES_EVERY`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

use super::auth::Principal;
use super::problem::Problem;
use super::AdminState;
use crate::acd::QueueId;
use crate::call::now;
use crate::call::wallboard::{Names, Tile, Wallboard};

/// Either permission opens the wallboard.
pub const SEE: [&str; 2] = ["menu.supervisor_panel", "report.queues"];

/// The most messages the socket sends a second.
pub const PUSH_PER_SECOND: u64 = 4;

/// How often an open socket reads the names again.
pub const NAMES_EVERY: Duration = Duration::from_secs(5);

fn allowed(who: &Principal) -> Result<(), Problem> {
    if SEE.iter().any(|p| who.has(p)) {
        Ok(())
    } else {
        Err(Problem::new(
            "forbidden",
            format!("this needs the permission {} or {}", SEE[0], SEE[1]),
        ))
    }
}

/// The names, with the projects' time zones handed to the wallboard.
async fn names(s: &AdminState, board: &Wallboard) -> Result<Names, Problem> {
    let names = Names::load(&s.store).await?;
    board.set_zones(Names::zones(&s.store).await?);
    Ok(names)
}

fn tiles(board: &Wallboard, names: &Names, who: &Principal, at: u64) -> Vec<Tile> {
    board.tiles(names, crate::acd::Millis(at), |q: QueueId| {
        who.sees_queue(q.key())
    })
}

/// `GET /api/wallboard`.
pub async fn snapshot(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
) -> Result<Response, Problem> {
    allowed(&who)?;
    let board = s.calls.wallboard.clone();
    let names = names(&s, &board).await?;
    let at = now().0;
    let tiles: Vec<Value> = tiles(&board, &names, &who, at)
        .into_iter()
        .map(|t| {
            let wait = t
                .longest_wait_since
                .map_or(0.0, |since| at.saturating_sub(since) as f64 / 1000.0);
            let mut v = json!(t);
            v["longest_wait"] = json!(wait);
            v
        })
        .collect();
    Ok(Json(json!({"at": at, "tiles": tiles})).into_response())
}

/// `GET /api/wallboard/socket`.
pub async fn socket(
    State(s): State<Arc<AdminState>>,
    Extension(who): Extension<Arc<Principal>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, Problem> {
    allowed(&who)?;
    let upgrade = upgrade.map_err(|e| {
        Problem::new(
            "malformed-request",
            format!("this is a WebSocket: connect with Upgrade: websocket ({e})"),
        )
    })?;
    let board = s.calls.wallboard.clone();
    let names = names(&s, &board).await?;
    Ok(upgrade
        .max_message_size(4 * 1024)
        .on_upgrade(move |socket| push(s, who, board, names, socket)))
}

/// What the page has been sent, to send only what changed.
#[derive(Default)]
struct Sent {
    tiles: HashMap<String, Value>,
}

impl Sent {
    /// The message that brings the page from what it has to `tiles`; `None`
    /// when nothing changed.
    fn message(&mut self, tiles: Vec<Tile>, at: u64, first: bool) -> Option<Value> {
        let mut now: HashMap<String, Value> = HashMap::with_capacity(tiles.len());
        let mut changed = Vec::new();
        for t in tiles {
            let v = json!(t);
            if first || self.tiles.get(&t.key) != Some(&v) {
                changed.push(v.clone());
            }
            now.insert(t.key, v);
        }
        let removed: Vec<&String> = self
            .tiles
            .keys()
            .filter(|k| !now.contains_key(*k))
            .collect();
        let message = if first {
            json!({"type": "snapshot", "at": at, "tiles": changed})
        } else if changed.is_empty() && removed.is_empty() {
            return None;
        } else {
            json!({"type": "update", "at": at, "tiles": changed, "removed": removed})
        };
        self.tiles = now;
        Some(message)
    }
}

async fn push(
    s: Arc<AdminState>,
    who: Arc<Principal>,
    board: Arc<Wallboard>,
    mut names: Names,
    socket: WebSocket,
) {
    let (mut tx, mut rx) = socket.split();
    let mut changes = board.changes();
    let mut names_at = Instant::now();
    let mut sent = Sent::default();
    let mut first = true;
    let gap = Duration::from_millis(1000 / PUSH_PER_SECOND);
    loop {
        changes.mark_unchanged();
        if names_at.elapsed() >= NAMES_EVERY {
            match self::names(&s, &board).await {
                Ok(n) => names = n,
                Err(p) => tracing::warn!(detail = %p.detail, "wallboard names not read"),
            }
            names_at = Instant::now();
        }
        let at = now().0;
        if let Some(message) = sent.message(tiles(&board, &names, &who, at), at, first) {
            if tx
                .send(Message::Text(message.to_string().into()))
                .await
                .is_err()
            {
                return;
            }
            // Coalescing: whatever changes meanwhile goes out together.
            if !idle(&mut rx, sleep(gap)).await {
                return;
            }
        }
        first = false;
        // A change, or once a second for the day turning and the names.
        let wake = async {
            tokio::select! {
                _ = changes.changed() => {}
                _ = sleep(Duration::from_secs(1)) => {}
            }
        };
        if !idle(&mut rx, wake).await {
            return;
        }
    }
}

/// Waits for `until` while reading (and ignoring) what the page sends;
/// false once the page has gone.
async fn idle(
    rx: &mut SplitStream<WebSocket>,
    until: impl std::future::Future<Output = ()>,
) -> bool {
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = &mut until => return true,
            message = rx.next() => match message {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return false,
                Some(Ok(_)) => {}
            },
        }
    }
}
