//! The refund worker: executes the pending refunds of the transactions named by a batch of SQS
//! messages (see `payments_core::worker` for how a batch is answered).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_core::vault::{ExecuteRefunds, RefundExecutor};

pub async fn handle_batch(
    executor: &RefundExecutor,
    event: SqsEvent,
    now_ms: i64,
) -> SqsBatchResponse {
    payments_core::worker::handle_batch(event, |request: ExecuteRefunds| async move {
        let span = tracing::info_span!("refunds", transaction_id = %request.transaction_id);
        let _entered = span.enter();
        executor.execute(&request, now_ms).await
    })
    .await
}
