//! Lambda entry point: the store and payment apps are built once per cold start.

use lambda_runtime::{service_fn, LambdaEvent};
use payments_core::payments::{PaymentApps, Sandbox};
use payments_core::vault::{RefundExecutor, VaultStore};
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    payments_core::config::init_logging();
    let sdk = payments_core::config::aws().await;
    let executor = RefundExecutor::new(
        VaultStore::new(payments_core::config::table(&sdk)?),
        Arc::new(PaymentApps::new(vec![Box::new(Sandbox)])),
    );
    let executor = &executor;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::sqs::SqsEvent>| async move {
            let now = chrono::Utc::now().timestamp_millis();
            Ok::<_, lambda_runtime::Error>(
                refund_worker::handle_batch(executor, event.payload, now).await,
            )
        },
    ))
    .await
}
