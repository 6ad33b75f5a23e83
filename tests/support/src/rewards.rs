//! Fixtures for reward flows: a tenant's catalogue entry, and the reward worker as the deployed
//! function builds it, behind a Lambda host.

use crate::worker_host::WorkerHost;
use payments_core::ids::{RewardId, TenantScope};
use payments_core::orders::OrderStore;
use payments_core::payments::{PaymentApps, Sandbox, SANDBOX_APP_ID};
use payments_core::rewards::{Reward, RewardCatalogue, RewardSettlement, RewardStore};
use payments_core::store::Table;
use serde_json::Value;
use std::sync::Arc;

/// A SANDBOX reward named `name` in `scope`'s catalogue, for `currencies` (empty: all).
pub async fn reward(
    table: &Table,
    scope: &TenantScope,
    name: &str,
    currencies: &[&str],
) -> RewardId {
    let reward = Reward {
        reward_id: RewardId::new_random(),
        name: name.into(),
        provider: SANDBOX_APP_ID.into(),
        currencies: currencies.iter().map(|c| (*c).to_owned()).collect(),
    };
    RewardCatalogue::new(table.clone())
        .save(scope, &reward)
        .await
        .unwrap_or_else(|e| panic!("saving a reward: {e}"));
    reward.reward_id
}

/// The settlement as `reward-worker`'s main builds it.
pub fn settlement(table: &Table) -> RewardSettlement {
    RewardSettlement::new(
        RewardStore::new(table.clone()),
        OrderStore::new(table.clone()),
        Arc::new(PaymentApps::new(vec![Box::new(Sandbox)])),
    )
}

/// A Lambda host running `reward-worker` on `table`, as the pump would invoke it.
pub async fn reward_worker_host(table: &Table) -> WorkerHost {
    let settlement = settlement(table);
    let host = WorkerHost::start()
        .await
        .unwrap_or_else(|e| panic!("starting the worker host: {e}"));
    host.register_fn("reward-worker", move |event: Value| {
        let settlement = settlement.clone();
        async move {
            let event = serde_json::from_value(event).map_err(|e| e.to_string())?;
            let answer = reward_worker::handle_batch(
                &settlement,
                event,
                chrono::Utc::now().timestamp_millis(),
            )
            .await;
            serde_json::to_value(answer).map_err(|e| e.to_string())
        }
    });
    host
}
