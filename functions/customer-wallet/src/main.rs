//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::config;
use payments_core::http::{Edge, ErrorFormat};
use payments_core::vault::VaultStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    config::init_logging();
    let sdk = config::aws().await;
    let state = customer_wallet::AppState {
        vault: VaultStore::new(config::table(&sdk).await?),
    };
    let edge = Edge {
        format: ErrorFormat::A,
        verifier: Arc::new(config::token_verifier()?),
    };
    lambda_http::run(customer_wallet::router(state, edge)).await
}
