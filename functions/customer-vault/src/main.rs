//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::config;
use payments_core::http::ErrorFormat;
use payments_core::vault::VaultStore;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::A, |sdk, edge| async move {
        let state = customer_vault::AppState {
            vault: VaultStore::new(config::table(&sdk)?),
            refunds: config::queue(&sdk, config::REFUND_QUEUE_URL)?,
        };
        Ok(customer_vault::router(state, edge))
    })
    .await
}
