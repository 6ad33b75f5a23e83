//! Lambda entry point for the scheduled sweep.

use lambda_runtime::{service_fn, LambdaEvent};
use payments_core::config;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    config::init_logging();
    let sdk = config::aws().await;
    let sweep = sweep::Sweep {
        table: config::table(&sdk)?,
        instructions: config::queue(&sdk, config::INSTRUCTION_QUEUE_URL)?,
        refunds: config::queue(&sdk, config::REFUND_QUEUE_URL)?,
        mandates: config::queue(&sdk, config::MANDATE_QUEUE_URL)?,
        rewards: config::queue(&sdk, config::REWARD_QUEUE_URL)?,
        requeue_after_ms: config::seconds_as_ms(config::REQUEUE_AFTER_SECONDS)?,
    };
    let sweep = &sweep;
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<serde_json::Value>| async move {
            let swept = sweep.run(chrono::Utc::now().timestamp_millis()).await?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "queued": swept.queued,
                "skipped": swept.skipped,
                "failed": swept.failed,
            }))
        },
    ))
    .await
}
