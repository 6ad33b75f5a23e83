//! The scheduled sweep: queues work that has waited longer than the re-queue delay, so that
//! an instruction whose date came after it was written, a message lost between the DynamoDB
//! write and the SQS send, or a worker that stopped midway, is not work lost.

use payments_core::error::Error;
use payments_core::queue::{Queue, SqsQueue};
use payments_core::store::{Table, WorkKind};

pub struct Sweep {
    pub table: Table,
    pub instructions: SqsQueue,
    pub refunds: SqsQueue,
    pub mandates: SqsQueue,
    pub rewards: SqsQueue,
    /// How long queued work may wait before it is queued again.
    pub requeue_after_ms: i64,
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub queued: usize,
    /// Taken by another sweep, or finished by a worker, between the query and the update.
    pub skipped: usize,
    pub failed: usize,
}

impl Sweep {
    fn queue(&self, kind: WorkKind) -> &SqsQueue {
        match kind {
            WorkKind::Instruction => &self.instructions,
            WorkKind::Refund => &self.refunds,
            WorkKind::Mandate => &self.mandates,
            WorkKind::Reward => &self.rewards,
        }
    }

    /// Each overdue item is postponed before it is sent, so two sweeps cannot both send it and
    /// a failed send only delays it by one re-queue delay.
    pub async fn run(&self, now_ms: i64) -> Result<Swept, Error> {
        let mut swept = Swept::default();
        for kind in WorkKind::ALL {
            for work in self
                .table
                .due_work(kind, now_ms - self.requeue_after_ms)
                .await?
            {
                if !self.table.postpone_work(&work, now_ms).await? {
                    swept.skipped += 1;
                    continue;
                }
                match self.queue(kind).send_body(work.message).await {
                    Ok(()) => swept.queued += 1,
                    Err(e) => {
                        tracing::error!(error = %e, ?kind, "re-queueing failed; the next sweep tries again");
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
}
