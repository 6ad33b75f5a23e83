//! Lambda entry point: the worker is built once per cold start, then handles every batch.

use payments_aws::config::ColdStart;
use payments_domain::payments::PaymentApps;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    let worker =
        reward_worker::RewardWorker::new(&start.settings, &start.aws, PaymentApps::deployed());
    payments_aws::worker::serve(worker).await
}
