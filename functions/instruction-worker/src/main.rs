//! Lambda entry point: stores and payment apps are built once per cold start.

use lambda_runtime::{service_fn, LambdaEvent};
use payments_core::orders::{Executor, OrderStore, References};
use payments_core::payments::{PaymentApps, Sandbox, SchemeStore};
use payments_core::vault::VaultStore;
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    payments_core::config::init_logging();
    let sdk = payments_core::config::aws().await;
    let table = payments_core::config::table(&sdk)?;
    let schemes = SchemeStore::new(table.clone());
    let executor = Executor::new(
        OrderStore::new(table.clone()),
        References::new(VaultStore::new(table), schemes.clone()),
        schemes,
        Arc::new(PaymentApps::new(vec![Box::new(Sandbox)])),
    );
    let executor = &executor;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::sqs::SqsEvent>| async move {
            let now = chrono::Utc::now();
            Ok::<_, lambda_runtime::Error>(
                instruction_worker::handle_batch(
                    executor,
                    event.payload,
                    now.date_naive(),
                    now.timestamp_millis(),
                )
                .await,
            )
        },
    ))
    .await
}
