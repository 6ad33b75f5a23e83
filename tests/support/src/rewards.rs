//! Fixtures for reward flows: a tenant's catalogue entry, and the reward worker as its `main`
//! builds it, behind a Lambda host.

use crate::payments::worker_host;
use crate::worker_host::WorkerHost;
use payments_aws::Store;
use payments_domain::currency::Currency;
use payments_domain::ids::{RewardId, TenantScope};
use payments_domain::payments::SANDBOX_APP_ID;
use payments_domain::rewards::{Reward, RewardCatalogue};

/// A SANDBOX reward named `name` in `scope`'s catalogue, for `currencies` (empty: all).
pub async fn reward(
    table: &Store,
    scope: &TenantScope,
    name: &str,
    currencies: &[&str],
) -> RewardId {
    reward_of(table, scope, SANDBOX_APP_ID, name, currencies).await
}

/// A reward of `provider` named `name` in `scope`'s catalogue, for `currencies` (empty: all).
pub async fn reward_of(
    table: &Store,
    scope: &TenantScope,
    provider: &str,
    name: &str,
    currencies: &[&str],
) -> RewardId {
    let reward = Reward {
        reward_id: RewardId::new_random(),
        name: name.into(),
        provider: provider.into(),
        currencies: currencies
            .iter()
            .map(|c| Currency::parse(c).unwrap_or_else(|e| panic!("{c}: {e}")))
            .collect(),
    };
    table
        .save_reward(scope, &reward)
        .await
        .unwrap_or_else(|e| panic!("saving a reward: {e}"));
    reward.reward_id
}

/// `reward-worker` on `table`, as its main builds it.
pub async fn reward_worker(table: &Store) -> reward_worker::RewardWorker {
    let settings = crate::settings_on("reward-worker", table).await;
    reward_worker::RewardWorker::new(
        &settings,
        &crate::clients().await,
        crate::payments::deployed_apps(table).await,
    )
    .unwrap_or_else(|e| panic!("building the reward worker: {e}"))
}

/// A Lambda host running `reward-worker` on `table`, as the pump would invoke it.
pub async fn reward_worker_host(table: &Store) -> WorkerHost {
    worker_host("reward-worker", reward_worker(table).await).await
}

/// Settles the reward claim whose `Location` a claim answered with, as the reward worker does
/// for its message; the worker's answer.
pub async fn settle_claim(
    table: &Store,
    scope: &TenantScope,
    customer: &str,
    location: &str,
) -> Result<payments_domain::work::Step, payments_domain::Error> {
    let transaction_id = location.rsplit('/').next().unwrap_or_default();
    let message = payments_domain::rewards::SettleReward {
        scope: (*scope).into(),
        customer_ref: payments_domain::refs::CustomerRef::parse(customer)
            .unwrap_or_else(|e| panic!("{e:?}")),
        transaction_id: payments_domain::ids::TransactionId::parse(transaction_id)
            .unwrap_or_else(|e| panic!("{e:?}")),
    };
    let apps = crate::payments::deployed_apps(table).await;
    payments_domain::rewards::settle_reward(table, &apps, &message, payments_domain::Now::read())
        .await
}
