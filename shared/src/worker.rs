//! What every SQS worker does with a batch: read each message as its request, run it, and
//! report back only the messages to deliver again. One message's failure never fails or
//! repeats its batch-mates; a message that is not a request is retried until the queue's
//! `maxReceiveCount` moves it to the dead-letter queue, where an operator can look.

use crate::error::Error;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::de::DeserializeOwned;
use std::future::Future;

/// What the worker does with the message afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Delete it: the work is done, or needs nothing (more) from this message.
    Done,
    /// Keep it: the payment app asked to try again later, so SQS redelivers it.
    RetryLater,
}

pub async fn handle_batch<M, Run, Ran>(event: SqsEvent, run: Run) -> SqsBatchResponse
where
    M: DeserializeOwned,
    Run: Fn(M) -> Ran,
    Ran: Future<Output = Result<Step, Error>>,
{
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let outcome = match message.body.as_deref().map(serde_json::from_str::<M>) {
            None => Err("message without a body".to_owned()),
            Some(Err(e)) => Err(format!("message is not a request of this worker: {e}")),
            // Boxed: a worker's future nests deeply, and this keeps its type shallow.
            Some(Ok(request)) => match Box::pin(run(request)).await {
                Ok(Step::Done) => Ok(()),
                Ok(Step::RetryLater) => Err("retry later".to_owned()),
                Err(e) => Err(format!("failed: {e}")),
            },
        };
        if let Err(why) = outcome {
            tracing::warn!(message_id = message.message_id.as_deref().unwrap_or_default(), %why, "message kept for redelivery");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
