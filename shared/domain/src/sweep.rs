//! The scheduled sweep: queues work that has waited longer than the re-queue delay, so that an
//! instruction whose date came after it was written, a message lost between the DynamoDB
//! write and the SQS send, or a worker that stopped midway, is not work lost.

use crate::clock::Now;
use crate::error::{Chain, Error};
use crate::work::WorkKind;
use std::future::Future;

/// The stored item that carries pending work, as the work index names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemKey {
    pub partition: String,
    pub sort: String,
}

/// An item whose work is overdue, with the exact message body that asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueWork {
    pub item: ItemKey,
    pub next_attempt_at: i64,
    pub message: String,
}

/// The items that wait for a worker, by when their next attempt is due.
pub trait WorkIndex: Sync {
    /// Every item of `kind` whose work was due at or before `due_by` (epoch ms).
    fn due(
        &self,
        kind: WorkKind,
        due_by: i64,
    ) -> impl Future<Output = Result<Vec<DueWork>, Error>> + Send;

    /// Moves the work's next attempt to `now`, unless something changed it since it was seen
    /// (a worker finished it, or another sweep took it): `false` then.
    fn postpone(
        &self,
        work: &DueWork,
        now: Now,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}

/// The queue of each kind of work, for message bodies as the items stored them.
pub trait WorkQueues: Sync {
    fn send_body(
        &self,
        kind: WorkKind,
        body: String,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub queued: usize,
    /// Taken by another sweep, or finished by a worker, between the query and the update.
    pub skipped: usize,
    pub failed: usize,
}

/// Each overdue item is postponed before it is sent, so two sweeps cannot both send it and a
/// failed send only delays it by one re-queue delay.
pub async fn sweep(
    index: &impl WorkIndex,
    queues: &impl WorkQueues,
    requeue_after_ms: i64,
    now: Now,
) -> Result<Swept, Error> {
    let mut swept = Swept::default();
    for kind in WorkKind::ALL {
        for work in index.due(kind, now.epoch_ms() - requeue_after_ms).await? {
            if !index.postpone(&work, now).await? {
                swept.skipped += 1;
                continue;
            }
            match queues.send_body(kind, work.message).await {
                Ok(()) => swept.queued += 1,
                Err(error) => {
                    tracing::error!(
                        kind = kind.as_str(),
                        error = %Chain(&error),
                        "re-queueing failed; the next sweep tries again"
                    );
                    swept.failed += 1;
                }
            }
        }
    }
    tracing::info!(
        queued = swept.queued,
        skipped = swept.skipped,
        failed = swept.failed,
        "sweep done"
    );
    Ok(swept)
}
