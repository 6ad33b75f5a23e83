//! Lambda entry point: clients and keys are built once per cold start, then the router serves
//! every API Gateway event.

use payments_core::config;
use payments_core::http::ErrorFormat;
use payments_core::orders::{OrderStore, References};
use payments_core::payments::SchemeStore;
use payments_core::rewards::{RewardCatalogue, RewardClaims, RewardStore};
use payments_core::vault::VaultStore;

// Lambda hands an environment one event at a time: one thread serves it (README, "Performance").
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    payments_core::http::serve(ErrorFormat::A, |sdk, edge| async move {
        let table = config::table(&sdk)?;
        let state = order_management::AppState {
            orders: OrderStore::new(table.clone()),
            references: References::new(
                VaultStore::new(table.clone()),
                SchemeStore::new(table.clone()),
            ),
            instructions: config::queue(&sdk, config::INSTRUCTION_QUEUE_URL)?,
            rewards: RewardClaims::new(
                OrderStore::new(table.clone()),
                RewardCatalogue::new(table.clone()),
                RewardStore::new(table),
            ),
            reward_settlements: config::queue(&sdk, config::REWARD_QUEUE_URL)?,
            public_base_url: config::optional(config::PUBLIC_BASE_URL),
        };
        Ok(order_management::router(state, edge))
    })
    .await
}
