//! The wallboard: live figures per queue and queue group for supervisors'
//! screens (`/wallboard/`, `GET /api/wallboard` and its WebSocket).
//!
//! Two sources meet here, and nothing else feeds it:
//! - the dispatch task publishes the dispatch core's live queue metrics
//!   (waiting, longest wait, agents by presence and status) through a
//!   [`LiveFeed`], at most every [`crate::call::dispatch::COUNTS_EVERY`] and
//!   only when a notice may have changed them;
//! - the records writer hands over every interaction record it has just
//!   completed in the store ([`Wallboard::completed`]), which [`Today`] turns
//!   into the day's answered / abandoned / service level / ASA / AHT / result
//!   codes, and every checkpoint ([`Wallboard::checkpoint`]), which tells an
//!   answer as it happens. At start-up [`seed`] reads today's stored rows, so
//!   a restart does not zero the day.
//!
//! Readers take [`Wallboard::tiles`] (pure: [`view`]) with the names of the
//! stored configuration ([`Names::load`]), and wait for a change with
//! [`Wallboard::changes`]. The state sits behind one mutex taken for
//! microseconds, never across an `.await`.

mod today;
pub mod view;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

use crate::acd::{Engine, Millis, ProjectId, QueueId};
use crate::cdr::day::Zone;
use crate::cdr::InteractionRecord;
use crate::store::admin::AdminError;
use crate::store::Store;

pub use today::{DayFigures, Today};
pub use view::{Live, Names, Tile};

/// The shared wallboard state.
#[derive(Debug)]
pub struct Wallboard {
    board: Mutex<Board>,
    version: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Board {
    live: HashMap<QueueId, Live>,
    today: Today,
}

impl Default for Wallboard {
    fn default() -> Self {
        Wallboard {
            board: Mutex::new(Board::default()),
            version: watch::Sender::new(0),
        }
    }
}

impl Wallboard {
    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic elsewhere while holding it leaves figures, not invariants.
        self.board.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self) {
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    /// Bumped on every change; readers coalesce by waiting on it.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    /// The dispatch core's figures of the queues that changed.
    pub fn publish(&self, queues: Vec<(QueueId, Live)>) {
        let mut board = self.board();
        let mut any = false;
        for (queue, live) in queues {
            if board.live.get(&queue) != Some(&live) {
                board.live.insert(queue, live);
                any = true;
            }
        }
        drop(board);
        if any {
            self.changed();
        }
    }

    /// A record the store has just completed.
    pub fn completed(&self, record: &InteractionRecord) {
        if record.queue.is_none() {
            return;
        }
        self.board().today.add(record);
        self.changed();
    }

    /// A record the store has just checkpointed (a call in progress).
    pub fn checkpoint(&self, record: &InteractionRecord) {
        if record.queue.is_none() || record.connection_moment.is_none() {
            return;
        }
        self.board().today.checkpoint(record);
        self.changed();
    }

    /// The time zone of each project's day.
    pub fn set_zones(&self, zones: impl IntoIterator<Item = (ProjectId, Zone)>) {
        let mut board = self.board();
        for (project, zone) in zones {
            board.today.set_zone(project, zone);
        }
    }

    /// The tiles of the queues and groups of `names` for which `shown` says
    /// yes, at `now`.
    pub fn tiles(&self, names: &Names, now: Millis, shown: impl Fn(QueueId) -> bool) -> Vec<Tile> {
        let board = self.board();
        view::tiles(names, &board.live, &board.today, now, shown)
    }
}

/// Reads today's completed rows into the wallboard (start-up, before calls
/// are taken), with the projects' time zones.
pub async fn seed(board: &Wallboard, store: &Store, now: Millis) -> Result<usize, AdminError> {
    let zones = Names::zones(store).await?;
    board.set_zones(zones);
    let from = board.board().today.earliest_start(now);
    let rows = store
        .interactions_between(from, Millis(now.0.saturating_add(1)))
        .await?;
    let mut locked = board.board();
    for row in &rows {
        locked.today.add(&row.record);
    }
    drop(locked);
    board.changed();
    Ok(rows.len())
}

/// The dispatch task's side: marks the wallboard stale on notices, and
/// publishes the core's queue metrics on its counts tick.
#[derive(Debug)]
pub struct LiveFeed {
    board: Arc<Wallboard>,
    stale: bool,
}

impl LiveFeed {
    pub fn new(board: Arc<Wallboard>) -> LiveFeed {
        LiveFeed { board, stale: true }
    }

    /// Something the figures show may have changed.
    pub fn touch(&mut self) {
        self.stale = true;
    }

    /// Publishes every queue's live metrics, if anything may have changed.
    pub fn publish(&mut self, engine: &Engine, now: Millis) {
        if !std::mem::take(&mut self.stale) {
            return;
        }
        let queues = engine
            .queue_ids()
            .filter_map(|q| Some((q, Live::of(&engine.queue_metrics(q, now)?, now))))
            .collect();
        self.board.publish(queues);
    }
}
