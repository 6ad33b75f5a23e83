//! Lambda entry point for the scheduled sweep: built once per cold start, run on every
//! schedule event.

use lambda_runtime::{service_fn, LambdaEvent};
use payments_aws::config::ColdStart;
use payments_domain::error::Chain;
use payments_domain::Now;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let start = ColdStart::load().await;
    let sweep = sweep::Sweep::new(&start.settings, &start.aws).inspect_err(|error| {
        tracing::error!(error = %Chain(error), "the sweep could not start");
    })?;
    let sweep = &sweep;
    lambda_runtime::run(service_fn(
        move |_event: LambdaEvent<serde_json::Value>| async move {
            let swept = sweep.run(Now::read()).await.inspect_err(|error| {
                tracing::error!(error = %Chain(error), "sweep failed");
            });
            payments_aws::metrics::flush();
            let swept = swept?;
            Ok::<_, lambda_runtime::Error>(serde_json::json!({
                "queued": swept.queued,
                "skipped": swept.skipped,
                "failed": swept.failed,
            }))
        },
    ))
    .await
}
