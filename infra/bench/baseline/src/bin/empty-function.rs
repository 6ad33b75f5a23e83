//! The baseline of `make bench`: a `lambda_runtime` function that does nothing with its event.
//! Its cold start, CPU per invocation and memory are what the runtime, tokio and serde_json
//! cost on their own; every function is measured against it.

use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(serde_json::json!({ "statusCode": 200 }))
    }))
    .await
}
