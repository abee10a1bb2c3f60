//! The follow-up service: the async shell around [`Schedule`]. It stores
//! each follow-up a result schedules (the row is the truth: pending rows
//! are read back at start-up, so a follow-up survives a restart), sleeps
//! until the next one is due, marks it due in the database and pushes it to
//! every agent panel, which shows it to its owner (the agent, or the agents
//! serving its queue). Agents list them, and close them as done or
//! dismissed, through the panel's API.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use super::follow_up::Schedule;
use super::{now, sleep_until};
use crate::acd::Millis;
use crate::sip::core::unix_ms;
use crate::store::follow_ups::{FollowUp, FollowUpState, NewFollowUp};
use crate::store::{Store, StoreError};

/// How many due follow-ups a slow panel may fall behind before it must
/// list them again.
const PUSH_BACKLOG: usize = 256;

/// How soon a follow-up the database would not mark due is tried again.
const RETRY: std::time::Duration = std::time::Duration::from_secs(5);

enum Command {
    Add(i64, Millis),
    Remove(i64),
}

/// A handle to the follow-up service; cheap to share.
pub struct FollowUps {
    store: Store,
    commands: mpsc::UnboundedSender<Command>,
    due: broadcast::Sender<FollowUp>,
}

impl FollowUps {
    /// Starts the service: the pending follow-ups are read back and
    /// scheduled (those overdue fall due at once).
    pub async fn start(store: Store) -> Result<Arc<FollowUps>, StoreError> {
        let mut schedule = Schedule::default();
        for f in store.pending_follow_ups().await? {
            schedule.add(f.id, moment(f.due_at));
        }
        if !schedule.is_empty() {
            tracing::info!(pending = schedule.len(), "follow-ups scheduled again");
        }
        let (commands, rx) = mpsc::unbounded_channel();
        let (due, _) = broadcast::channel(PUSH_BACKLOG);
        let service = Arc::new(FollowUps {
            store: store.clone(),
            commands,
            due: due.clone(),
        });
        tokio::spawn(run(store, schedule, rx, due));
        Ok(service)
    }

    /// Stores and schedules `new`; the open follow-ups an earlier result of
    /// the same interaction scheduled are dismissed.
    pub async fn schedule(&self, new: &NewFollowUp) -> Result<FollowUp, StoreError> {
        let (stored, replaced) = self.store.add_follow_up(new).await?;
        for id in replaced {
            let _ = self.commands.send(Command::Remove(id));
        }
        let _ = self
            .commands
            .send(Command::Add(stored.id, moment(stored.due_at)));
        tracing::info!(
            id = stored.id,
            kind = stored.kind.as_str(),
            due_at = stored.due_at,
            "follow-up scheduled"
        );
        Ok(stored)
    }

    /// Dismisses what earlier results of `interaction` scheduled.
    pub async fn replace_with_none(&self, interaction: i64) -> Result<(), StoreError> {
        for id in self.store.dismiss_follow_ups_of(interaction).await? {
            let _ = self.commands.send(Command::Remove(id));
        }
        Ok(())
    }

    /// Closes follow-up `id` as done or dismissed; false when it was closed
    /// already.
    pub async fn close(&self, id: i64, state: FollowUpState) -> Result<bool, StoreError> {
        let closed = self.store.close_follow_up(id, state).await?;
        if closed {
            let _ = self.commands.send(Command::Remove(id));
        }
        Ok(closed)
    }

    /// The follow-ups as they fall due.
    pub fn subscribe(&self) -> broadcast::Receiver<FollowUp> {
        self.due.subscribe()
    }
}

fn moment(ms: i64) -> Millis {
    Millis(u64::try_from(ms).unwrap_or(0))
}

async fn run(
    store: Store,
    mut schedule: Schedule,
    mut commands: mpsc::UnboundedReceiver<Command>,
    due: broadcast::Sender<FollowUp>,
) {
    loop {
        let deadline = schedule.poll_timeout().map(|at| {
            let wait = at.0.saturating_sub(unix_ms());
            Instant::now() + std::time::Duration::from_millis(wait)
        });
        tokio::select! {
            command = commands.recv() => match command {
                Some(Command::Add(id, at)) => schedule.add(id, at),
                Some(Command::Remove(id)) => {
                    schedule.remove(id);
                }
                None => break,
            },
            _ = sleep_until(deadline) => {
                let t = now();
                for id in schedule.handle_timeout(t) {
                    match store.follow_up_due(id).await {
                        Ok(Some(f)) => {
                            tracing::info!(id, kind = f.kind.as_str(), "follow-up due");
                            let _ = due.send(f);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            // Tried again shortly; the row stays pending.
                            tracing::error!(id, error = %e, "follow-up not marked due");
                            schedule.add(id, t + RETRY);
                        }
                    }
                }
            }
        }
    }
}
