//! Interaction records on their way to the store, group-committed.
//!
//! Every call writes its record when it arrives, updates it when an agent
//! answers and completes it at the end: three writes a call, each of which
//! must be durable before the call goes on (ARCHITECTURE.md: nothing
//! acknowledged is lost). One writer task takes them from every call and
//! commits whatever has queued up in one transaction, so a thousand calls a
//! second cost a few hundred commits, not thousands; each call waits only for
//! the commit that carries its write. The records a commit completed go on
//! to the wallboard, so its day's figures are those of the stored rows.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::cdr::InteractionRecord;
use crate::store::{InteractionWrite, Store};

use super::flow::RecordWrite;
use super::metrics::CallMetrics;
use super::wallboard::Wallboard;
use super::Services;

/// The most writes one transaction carries.
const BATCH: usize = 512;

type Request = (InteractionWrite, oneshot::Sender<Result<(), String>>);

/// The handle calls write through.
#[derive(Clone)]
pub struct RecordWriter {
    tx: mpsc::Sender<Request>,
}

impl RecordWriter {
    /// Starts the writer task; `wallboard` is told of every completed record.
    pub fn start(store: Store, wallboard: Arc<Wallboard>) -> RecordWriter {
        let (tx, rx) = mpsc::channel(BATCH * 16);
        tokio::spawn(run(store, wallboard, rx));
        RecordWriter { tx }
    }

    pub async fn open(&self, record: &InteractionRecord) -> Result<(), String> {
        self.write(InteractionWrite::Open(record.clone())).await
    }

    pub async fn checkpoint(&self, record: &InteractionRecord) -> Result<(), String> {
        self.write(InteractionWrite::Checkpoint(record.clone()))
            .await
    }

    pub async fn complete(&self, record: &InteractionRecord) -> Result<(), String> {
        if record.disposition.is_none() || record.terminate_moment.is_none() {
            return Err(format!("{} has not ended", record.interaction_id));
        }
        self.write(InteractionWrite::Complete(record.clone())).await
    }

    async fn write(&self, write: InteractionWrite) -> Result<(), String> {
        let (done, committed) = oneshot::channel();
        self.tx
            .send((write, done))
            .await
            .map_err(|_| "the record writer has stopped".to_owned())?;
        committed
            .await
            .unwrap_or_else(|_| Err("the record writer has stopped".to_owned()))
    }
}

/// Writes `record` as a call core asked, counting and logging a failure
/// (the call goes on: its next write carries the whole record again).
pub async fn write(s: &Services, how: RecordWrite, record: &InteractionRecord) {
    let written = match how {
        RecordWrite::Open => s.records.open(record).await,
        RecordWrite::Checkpoint => s.records.checkpoint(record).await,
        RecordWrite::Complete => s.records.complete(record).await,
    };
    match written {
        Ok(()) if how == RecordWrite::Complete => CallMetrics::bump(&s.metrics.records_completed),
        Ok(()) => {}
        Err(e) => {
            CallMetrics::bump(&s.metrics.record_failures);
            tracing::error!(error = %e, ?how, "interaction record not written");
        }
    }
}

async fn run(store: Store, wallboard: Arc<Wallboard>, mut rx: mpsc::Receiver<Request>) {
    let mut batch: Vec<Request> = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let writes: Vec<InteractionWrite> = batch.iter().map(|(w, _)| w.clone()).collect();
        let result = match store.write_interactions(&writes).await {
            Ok(completed) => {
                for write in &writes {
                    match write {
                        InteractionWrite::Complete(r) if completed.contains(&r.interaction_id) => {
                            wallboard.completed(r)
                        }
                        InteractionWrite::Checkpoint(r) => wallboard.checkpoint(r),
                        _ => {}
                    }
                }
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, writes = writes.len(), "interaction records not stored");
                Err(e.to_string())
            }
        };
        for (_, done) in batch.drain(..) {
            let _ = done.send(result.clone());
        }
    }
}
