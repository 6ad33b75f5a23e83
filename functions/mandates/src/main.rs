//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::config;
use payments_core::http::ErrorFormat;
use payments_core::mandates::{MandateStore, SandboxNetwork};
use std::sync::Arc;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::B, |sdk, edge| async move {
        let state = mandates::AppState {
            mandates: MandateStore::new(config::table(&sdk)?),
            network: Arc::new(SandboxNetwork),
            registrations: config::queue(&sdk, config::MANDATE_QUEUE_URL)?,
        };
        Ok(mandates::router(state, edge))
    })
    .await
}
