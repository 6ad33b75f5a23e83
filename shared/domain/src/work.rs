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
    /// A provider's webhook, stored and waiting to be applied.
    ProviderEvent,
    /// A tenant event to fan out, or a delivery of one to make.
    Webhook,
}

impl WorkKind {
    pub const ALL: [WorkKind; 6] = [
        WorkKind::Instruction,
        WorkKind::Refund,
        WorkKind::Mandate,
        WorkKind::Reward,
        WorkKind::ProviderEvent,
        WorkKind::Webhook,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            WorkKind::Instruction => "INSTRUCTION",
            WorkKind::Refund => "REFUND",
            WorkKind::Mandate => "MANDATE",
            WorkKind::Reward => "REWARD",
            WorkKind::ProviderEvent => "PROVIDER_EVENT",
            WorkKind::Webhook => "WEBHOOK",
        }
    }
}

/// How much longer than the sweep's re-queue delay work that waits on its provider (pending, or
/// in doubt) waits before its next status query: nothing before the first, then a minute,
/// doubling, at most six hours. Waiting on a provider never ends in a failure: it slows down.
pub fn provider_wait_ms(checks: u32) -> i64 {
    const MINUTE_MS: i64 = 60_000;
    const MAX_MS: i64 = 6 * 60 * MINUTE_MS;
    match checks {
        0 => 0,
        n => MINUTE_MS
            .saturating_mul(1_i64 << (n - 1).min(20))
            .min(MAX_MS),
    }
}

/// A message a worker reads from its queue.
pub trait QueueMessage: Serialize + DeserializeOwned + Send + Sync {
    /// What the message asks for, for logs.
    const NAME: &'static str;
}

/// A queue message asking for one kind of the work the work index keeps (the sweep sends it
/// again if it is lost).
pub trait WorkMessage: Serialize + DeserializeOwned + Send + Sync {
    const KIND: WorkKind;
}

impl<M: WorkMessage> QueueMessage for M {
    const NAME: &'static str = M::KIND.as_str();
}

/// Where use cases put work for the workers: a queue of one kind of message.
pub trait Queue<M: WorkMessage>: Sync {
    /// Sends every message, in as few calls as the queue allows; an error when any was not
    /// sent (the others were).
    fn send_all(&self, messages: &[M]) -> impl Future<Output = Result<(), Error>> + Send;
}

/// Sends `message` after the write that made its work pending has committed (see
/// [`send_all_after_commit`]).
pub async fn send_after_commit<M: WorkMessage>(queue: &impl Queue<M>, message: &M) {
    send_all_after_commit(queue, std::slice::from_ref(message)).await;
}

/// Sends `messages` after the write that made their work pending has committed. A failed send
/// is logged and otherwise ignored: the items are still pending, and the sweep sends them again.
pub async fn send_all_after_commit<M: WorkMessage>(queue: &impl Queue<M>, messages: &[M]) {
    if messages.is_empty() {
        return;
    }
    if let Err(error) = queue.send_all(messages).await {
        tracing::warn!(
            kind = M::KIND.as_str(),
            messages = messages.len(),
            error = %Chain(&error),
            "queueing work failed; the sweep will queue it"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_on_a_provider_slows_down_and_is_capped() {
        assert_eq!(provider_wait_ms(0), 0);
        assert_eq!(provider_wait_ms(1), 60_000);
        assert_eq!(provider_wait_ms(3), 240_000);
        assert_eq!(provider_wait_ms(12), 6 * 3_600_000);
        assert_eq!(provider_wait_ms(u32::MAX), 6 * 3_600_000);
    }
}
