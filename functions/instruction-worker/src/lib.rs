//! The instruction worker: executes the instructions named by a batch of SQS messages (see
//! `payments_core::worker` for how a batch is answered).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::NaiveDate;
use payments_core::orders::{ExecuteInstruction, Executor};

pub async fn handle_batch(
    executor: &Executor,
    event: SqsEvent,
    today: NaiveDate,
    now_ms: i64,
) -> SqsBatchResponse {
    payments_core::worker::handle_batch(event, |request: ExecuteInstruction| async move {
        let span = tracing::info_span!(
            "instruction",
            order_ref = %request.order_ref,
            instruction_ref = %request.instruction_ref
        );
        let _entered = span.enter();
        executor.execute(&request, today, now_ms).await
    })
    .await
}
