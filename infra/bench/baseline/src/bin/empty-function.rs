//! The baseline of `make bench`: a `lambda_runtime` function that does nothing with its event.
//! Its cold start, CPU per invocation and memory are what the runtime, tokio and serde_json
//! cost on their own; every function is measured against it.

use lambda_runtime::{service_fn, Error, LambdaEvent};

// The runtime the functions run on (one thread, docs/performance.md), so that the baseline
// measures what they cannot avoid rather than a second thread they do not have.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(serde_json::json!({ "statusCode": 200 }))
    }))
    .await
}
