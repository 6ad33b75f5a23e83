//! The reward worker: has the reward provider issue the claimed rewards named by a batch of SQS
//! messages (see `payments_core::worker` for how a batch is answered).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_core::rewards::{RewardSettlement, SettleReward};

pub async fn handle_batch(
    settlement: &RewardSettlement,
    event: SqsEvent,
    now_ms: i64,
) -> SqsBatchResponse {
    payments_core::worker::handle_batch(event, |request: SettleReward| async move {
        let span = tracing::info_span!("reward", transaction_id = %request.transaction_id);
        let _entered = span.enter();
        settlement.execute(&request, now_ms).await
    })
    .await
}
