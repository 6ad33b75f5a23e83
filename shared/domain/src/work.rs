//! Work for the workers. A use case that leaves work to a worker sends a message with ids only
//! (the worker reloads the state) after its write has committed; the written item itself says
//! the work is pending (the work index, docs/data-model.md), so a message lost between the two
//! costs a delay, not the work: the sweep sends it again.

use crate::error::{Chain, Error};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::future::Future;

/// What a worker does with a message once its use case has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Delete it: the work is done, or needs nothing (more) from this message.
    Done,
    /// Keep it: the payment app asked to try again later, so SQS redelivers it.
    RetryLater,
}

/// A kind of queued work; each has its own queue and worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkKind {
    Instruction,
    Refund,
    Mandate,
    Reward,
}

impl WorkKind {
    pub const ALL: [WorkKind; 4] = [
        WorkKind::Instruction,
        WorkKind::Refund,
        WorkKind::Mandate,
        WorkKind::Reward,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::Instruction => "INSTRUCTION",
            WorkKind::Refund => "REFUND",
            WorkKind::Mandate => "MANDATE",
            WorkKind::Reward => "REWARD",
        }
    }
}

/// A queue message asking for one kind of work.
pub trait WorkMessage: Serialize + DeserializeOwned + Send + Sync {
    const KIND: WorkKind;
}

/// Where use cases put work for the workers: a queue of one kind of message.
pub trait Queue<M: WorkMessage>: Sync {
    fn send(&self, message: &M) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Sends `message` after the write that made the work pending has committed. A failed send is
/// logged and otherwise ignored: the item is still pending, and the sweep sends it again.
pub async fn send_after_commit<M: WorkMessage>(queue: &impl Queue<M>, message: &M) {
    if let Err(error) = queue.send(message).await {
        tracing::warn!(
            kind = M::KIND.as_str(),
            error = %Chain(&error),
            "queueing work failed; the sweep will queue it"
        );
    }
}
