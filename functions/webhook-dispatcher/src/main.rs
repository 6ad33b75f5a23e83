//! Lambda entry point: the dispatcher is built once per cold start, then handles every batch.

use payments_aws::config::ColdStart;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    let dispatcher = webhook_dispatcher::WebhookDispatcher::new(&start.settings, &start.aws);
    payments_aws::worker::serve(dispatcher).await
}
