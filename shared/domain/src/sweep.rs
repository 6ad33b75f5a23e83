//! The scheduled sweep: queues work that has waited longer than the re-queue delay, so that an
//! instruction whose date came after it was written, a message lost between the DynamoDB
//! write and the SQS send, or a worker that stopped midway, is not work lost; and hands work
//! that waits on a provider back to its worker to ask about it. It reads the work index a page
//! at a time, takes at most [`MAX_PER_KIND`] items of each kind per run (the rest stay due for
//! the next), and one item's or one kind's failure does not stop the others.

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
    /// Since when (epoch ms) the work has waited on a provider for an outcome (pending, or in
    /// doubt), if it does.
    pub waiting_since: Option<i64>,
}

/// Items of one kind a run queues at most; the rest wait for the next run.
pub const MAX_PER_KIND: usize = 1_000;

/// One page of due work, and where the next one starts (`None`: this was the last).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DuePage {
    pub due: Vec<DueWork>,
    pub next: Option<String>,
}

/// The items that wait for a worker, by when their next attempt is due.
pub trait WorkIndex: Sync {
    /// A page of the items of `kind` whose work was due at or before `due_by` (epoch ms),
    /// from the start or from where `from` (a page's `next`) says.
    fn due_page(
        &self,
        kind: WorkKind,
        due_by: i64,
        from: Option<&str>,
    ) -> impl Future<Output = Result<DuePage, Error>> + Send;

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
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub queued: usize,
    /// Taken by another sweep, or finished by a worker, between the query and the update.
    pub skipped: usize,
    /// Items that could not be postponed or sent, and pages that could not be read.
    pub failed: usize,
    /// Kinds with more due work than one run takes: the next run goes on.
    pub left_for_next_run: usize,
    /// For each kind with due work that waits on a provider, how long (ms) the longest of it
    /// has waited: work in doubt for too long is an operator's to look at (docs/operations.md).
    pub longest_provider_waits: Vec<(WorkKind, i64)>,
}

impl Swept {
    fn saw_waiting(&mut self, kind: WorkKind, waited_ms: i64) {
        match self
            .longest_provider_waits
            .iter_mut()
            .find(|(k, _)| *k == kind)
        {
            Some((_, longest)) => *longest = (*longest).max(waited_ms),
            None => self.longest_provider_waits.push((kind, waited_ms)),
        }
    }
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
        sweep_kind(
            index,
            queues,
            kind,
            now.epoch_ms() - requeue_after_ms,
            now,
            &mut swept,
        )
        .await;
    }
    tracing::info!(
        queued = swept.queued,
        skipped = swept.skipped,
        failed = swept.failed,
        left_for_next_run = swept.left_for_next_run,
        longest_provider_waits = ?swept.longest_provider_waits,
        "sweep done"
    );
    Ok(swept)
}

/// Queues the due work of one kind, a page at a time, up to [`MAX_PER_KIND`] items.
async fn sweep_kind(
    index: &impl WorkIndex,
    queues: &impl WorkQueues,
    kind: WorkKind,
    due_by: i64,
    now: Now,
    swept: &mut Swept,
) {
    let mut taken = 0;
    let mut from: Option<String> = None;
    loop {
        let page = match index.due_page(kind, due_by, from.as_deref()).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(kind = kind.as_str(), error = %Chain(&error), "reading due work failed; the next sweep tries again");
                swept.failed += 1;
                return;
            }
        };
        for work in page.due {
            if taken == MAX_PER_KIND {
                swept.left_for_next_run += 1;
                return;
            }
            taken += 1;
            if let Some(since) = work.waiting_since {
                swept.saw_waiting(kind, now.epoch_ms() - since);
            }
            match index.postpone(&work, now).await {
                Ok(true) => {}
                Ok(false) => {
                    swept.skipped += 1;
                    continue;
                }
                Err(error) => {
                    tracing::error!(kind = kind.as_str(), error = %Chain(&error), "postponing due work failed; the next sweep tries again");
                    swept.failed += 1;
                    continue;
                }
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
        match page.next {
            Some(next) => from = Some(next),
            None => return,
        }
    }
}
