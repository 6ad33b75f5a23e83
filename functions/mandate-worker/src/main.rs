//! Lambda entry point: the worker is built once per cold start, then handles every batch.

use payments_aws::config::ColdStart;
use payments_domain::mandates::SandboxNetwork;
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    let worker =
        mandate_worker::MandateWorker::new(&start.settings, &start.aws, Arc::new(SandboxNetwork));
    payments_aws::worker::serve(worker).await
}
