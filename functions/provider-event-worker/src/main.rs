//! Lambda entry point: the worker is built once per cold start, then handles every batch.

use payments_aws::config::ColdStart;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    let worker = provider_event_worker::ProviderEventWorker::new(&start.settings, &start.aws).await;
    payments_aws::worker::serve(worker).await
}
