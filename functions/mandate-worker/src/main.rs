//! Lambda entry point: the store and the mandate network are built once per cold start.

use lambda_runtime::{service_fn, LambdaEvent};
use payments_core::mandates::{MandateRegistration, MandateStore, SandboxNetwork};
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    payments_core::config::init_logging();
    let sdk = payments_core::config::aws().await;
    let registration = MandateRegistration::new(
        MandateStore::new(payments_core::config::table(&sdk)?),
        Arc::new(SandboxNetwork),
    );
    let registration = &registration;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<aws_lambda_events::sqs::SqsEvent>| async move {
            let now = chrono::Utc::now().timestamp_millis();
            Ok::<_, lambda_runtime::Error>(
                mandate_worker::handle_batch(registration, event.payload, now).await,
            )
        },
    ))
    .await
}
