//! The runtime of every SQS worker: read each message of a batch as its request, run its use
//! case, and report back only the messages to deliver again. One message's failure never fails
//! or repeats its batch-mates; a message that is not a request is retried until the queue's
//! `maxReceiveCount` moves it to the dead-letter queue, where an operator can look. This is the
//! workers' edge: an error is logged here, once, with its causes.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{service_fn, LambdaEvent};
use payments_domain::error::{Chain, Error};
use payments_domain::shredding::one_call;
use payments_domain::work::{QueueMessage, Step};
use std::future::Future;

/// Runs `run` for each message of the batch that reads as an `M`.
pub async fn handle_batch<M, Run, Ran>(event: SqsEvent, run: Run) -> SqsBatchResponse
where
    M: QueueMessage,
    Run: Fn(M) -> Ran,
    Ran: Future<Output = Result<Step, Error>>,
{
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.unwrap_or_default();
        let span = tracing::info_span!("message", message_id = %id, kind = M::NAME);
        let _entered = span.enter();
        let age_ms = message
            .attributes
            .get("SentTimestamp")
            .and_then(|sent| sent.parse::<i64>().ok())
            .map(|sent| (payments_domain::Now::read().epoch_ms() - sent).max(0) as f64);
        let (kept, outcome) = match message.body.as_deref().map(serde_json::from_str::<M>) {
            None => (Some("message without a body".to_owned()), "unreadable"),
            Some(Err(e)) => (
                Some(format!("message is not a request of this worker: {e}")),
                "unreadable",
            ),
            // Boxed: a worker's future nests deeply, and this keeps its type shallow.
            // Each data key the message needs is read once (docs/decisions/0019).
            Some(Ok(request)) => match Box::pin(one_call(run(request))).await {
                Ok(Step::Done) => (None, "done"),
                Ok(Step::RetryLater) => (Some("retry later".to_owned()), "retry"),
                Err(error) => (Some(format!("failed: {}", Chain(&error))), "failed"),
            },
        };
        crate::metrics::message_handled(M::NAME, age_ms, outcome);
        if let Some(why) = kept {
            tracing::warn!(%why, "message kept for redelivery");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    crate::metrics::flush();
    response
}

/// A worker as Lambda runs it: built once per cold start, then given every batch.
pub trait Worker: Sync {
    fn handle(&self, event: SqsEvent) -> impl Future<Output = SqsBatchResponse> + Send;
}

/// Serves SQS batches with the worker; a worker that could not be built logs why, with its
/// causes, and stops.
pub async fn serve<W: Worker>(worker: Result<W, Error>) -> Result<(), lambda_runtime::Error> {
    let worker = match worker {
        Ok(worker) => worker,
        Err(error) => {
            tracing::error!(error = %Chain(&error), "the worker could not start");
            return Err(error.into());
        }
    };
    let worker = &worker;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, lambda_runtime::Error>(worker.handle(event.payload).await)
    }))
    .await
}
