//! Lambda entry point: the stores and payment apps are built once per cold start.

use lambda_runtime::{service_fn, LambdaEvent};
use payments_core::orders::OrderStore;
use payments_core::payments::{PaymentApps, Sandbox};
use payments_core::rewards::{RewardSettlement, RewardStore};
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    payments_core::config::init_logging();
    let sdk = payments_core::config::aws().await;
    let table = payments_core::config::table(&sdk)?;
    let settlement = RewardSettlement::new(
        RewardStore::new(table.clone()),
        OrderStore::new(table),
        Arc::new(PaymentApps::new(vec![Box::new(Sandbox)])),
    );
    let settlement = &settlement;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::sqs::SqsEvent>| async move {
            let now = chrono::Utc::now().timestamp_millis();
            Ok::<_, lambda_runtime::Error>(
                reward_worker::handle_batch(settlement, event.payload, now).await,
            )
        },
    ))
    .await
}
