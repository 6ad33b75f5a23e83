//! Lambda entry point: the function is built once per cold start, then serves every API
//! Gateway event.

use payments_aws::config::ColdStart;

// Lambda hands an environment one event at a time: one thread serves it (docs/performance.md).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let start = ColdStart::load().await;
    payments_http::serve(notifications::app(&start.settings, &start.aws).await).await
}
