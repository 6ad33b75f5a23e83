//! The mandate worker: registers the submitted mandates and amendments named by a batch of SQS
//! messages (see `payments_core::worker` for how a batch is answered).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_core::mandates::{MandateRegistration, RegisterMandate};

pub async fn handle_batch(
    registration: &MandateRegistration,
    event: SqsEvent,
    now_ms: i64,
) -> SqsBatchResponse {
    payments_core::worker::handle_batch(event, |request: RegisterMandate| async move {
        let span = tracing::info_span!("mandate", mandate_id = %request.mandate_id);
        let _entered = span.enter();
        registration.execute(&request, now_ms).await
    })
    .await
}
