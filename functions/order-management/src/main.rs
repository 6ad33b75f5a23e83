//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::http::ErrorFormat;
use payments_core::orders::{OrderStore, References};
use payments_core::payments::SchemeStore;
use payments_core::vault::VaultStore;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::A, |sdk, edge| async move {
        let table = payments_core::config::table(&sdk)?;
        let state = order_management::AppState {
            orders: OrderStore::new(table.clone()),
            references: References::new(VaultStore::new(table.clone()), SchemeStore::new(table)),
            instructions: payments_core::config::queue(
                &sdk,
                payments_core::config::INSTRUCTION_QUEUE_URL,
            )?,
        };
        Ok(order_management::router(state, edge))
    })
    .await
}
