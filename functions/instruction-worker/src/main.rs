//! Lambda entry point: the worker is built once per cold start, then handles every batch.

use payments_aws::config::ColdStart;
use payments_aws::Store;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    // SANDBOX keeps its books in the service's table.
    let apps = Store::from_settings(&start.aws, &start.settings).map(|store| store.payment_apps());
    let worker = apps.and_then(|apps| {
        instruction_worker::InstructionWorker::new(&start.settings, &start.aws, apps)
    });
    payments_aws::worker::serve(worker).await
}
