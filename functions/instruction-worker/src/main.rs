//! Lambda entry point: the worker is built once per cold start, then handles every batch.

use payments_aws::config::ColdStart;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    let apps = payments_aws::sandbox::deployed_apps(&start.settings, &start.aws);
    let worker = apps.and_then(|apps| {
        instruction_worker::InstructionWorker::new(&start.settings, &start.aws, apps)
    });
    payments_aws::worker::serve(worker).await
}
