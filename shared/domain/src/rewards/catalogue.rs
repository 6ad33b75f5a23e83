//! A tenant's reward catalogue: the gift cards and vouchers its customers may take instead of a
//! bank payout, each issued by a reward provider (a payment app, e.g. `SANDBOX`).

use crate::currency::Currency;
use crate::error::Error;
use crate::ids::{RewardId, TenantScope};
use serde::{Deserialize, Serialize};
use std::future::Future;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub reward_id: RewardId,
    pub name: String,
    /// The app id of the payment app that issues it.
    pub provider: String,
    /// Currencies it can be bought in; empty accepts every currency.
    pub currencies: Vec<Currency>,
}

impl Reward {
    pub fn accepts_currency(&self, currency: Currency) -> bool {
        self.currencies.is_empty() || self.currencies.contains(&currency)
    }
}

/// Where a tenant's rewards are kept. There is no API for them yet: `make reward` adds one.
pub trait RewardCatalogue: Sync {
    /// Stores a reward; an existing one with the same id is replaced.
    fn save_reward(
        &self,
        scope: &TenantScope,
        reward: &Reward,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The tenant's reward with this id; `None` when it has none.
    fn reward(
        &self,
        scope: &TenantScope,
        id: RewardId,
    ) -> impl Future<Output = Result<Option<Reward>, Error>> + Send;
}
