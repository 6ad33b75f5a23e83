//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::config;
use payments_core::http::ErrorFormat;
use payments_core::mandates::MandateStore;
use payments_core::orders::{OrderStore, VaultChanges};
use payments_core::rewards::RewardStore;
use payments_core::vault::VaultStore;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::A, |sdk, edge| async move {
        let table = config::table(&sdk)?;
        let state = customer_vault::AppState {
            vault: VaultStore::new(table.clone()),
            refunds: config::queue(&sdk, config::REFUND_QUEUE_URL)?,
            instructions: VaultChanges::new(
                OrderStore::new(table.clone()),
                VaultStore::new(table.clone()),
            ),
            mandates: MandateStore::new(table.clone()),
            rewards: RewardStore::new(table),
        };
        Ok(customer_vault::router(state, edge))
    })
    .await
}
