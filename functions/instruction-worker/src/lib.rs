//! The instruction worker: executes the instructions named by a batch of SQS messages. One
//! message's failure never fails or repeats its batch-mates: only failed messages are reported
//! back (`batchItemFailures`) and come again; after the queue's `maxReceiveCount` they move to
//! the dead-letter queue.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::NaiveDate;
use payments_core::orders::{ExecuteInstruction, Executor, Step};

/// Whether one message is done with.
async fn handle_message(
    executor: &Executor,
    message: &SqsMessage,
    today: NaiveDate,
    now_ms: i64,
) -> bool {
    let Some(body) = message.body.as_deref() else {
        tracing::error!("message without a body");
        return false;
    };
    let request: ExecuteInstruction = match serde_json::from_str(body) {
        Ok(request) => request,
        Err(e) => {
            // Retried until the dead-letter queue takes it, where an operator can look.
            tracing::error!(error = %e, "message is not an instruction execution request");
            return false;
        }
    };
    let span = tracing::info_span!("instruction", order_ref = %request.order_ref, instruction_ref = %request.instruction_ref);
    let _entered = span.enter();
    match executor.execute(&request, today, now_ms).await {
        Ok(Step::Done) => true,
        Ok(Step::RetryLater) => false,
        Err(e) => {
            tracing::error!(error = %e, "execution failed");
            false
        }
    }
}

/// Executes every message of the batch and reports the ones to deliver again.
pub async fn handle_batch(
    executor: &Executor,
    event: SqsEvent,
    today: NaiveDate,
    now_ms: i64,
) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in &event.records {
        if !handle_message(executor, message, today, now_ms).await {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}
