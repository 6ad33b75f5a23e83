//! A tenant's reward catalogue: the gift cards and vouchers its customers may take instead of a
//! bank payout, each issued by a reward provider (a payment app, e.g. `SANDBOX`).

use crate::error::Error;
use crate::ids::{RewardId, TenantScope};
use crate::store::{Table, TenantCatalogue};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub reward_id: RewardId,
    pub name: String,
    /// The app id of the payment app that issues it.
    pub provider: String,
    /// ISO 4217 codes it can be bought in; empty accepts every currency.
    pub currencies: Vec<String>,
}

impl Reward {
    pub fn accepts_currency(&self, code: &str) -> bool {
        self.currencies.is_empty() || self.currencies.iter().any(|c| c == code)
    }
}

/// The tenant's rewards, all in one partition (`T#…#A#…#REWARDS`, `SK = {rewardId}`).
#[derive(Clone)]
pub struct RewardCatalogue {
    rewards: TenantCatalogue,
}

impl RewardCatalogue {
    pub fn new(table: Table) -> Self {
        RewardCatalogue {
            rewards: TenantCatalogue::new(table, "REWARDS", "Reward"),
        }
    }

    /// Stores a reward; an existing one with the same id is replaced.
    pub async fn save(&self, scope: &TenantScope, reward: &Reward) -> Result<(), Error> {
        self.rewards
            .save(scope, &reward.reward_id.to_string(), reward)
            .await
    }

    /// The key of the tenant's reward with this id, for reading it with other items.
    pub(crate) fn key(&self, scope: &TenantScope, id: RewardId) -> (String, String) {
        self.rewards.key(scope, &id.to_string())
    }

    /// The tenant's reward with this id; `None` when it has none.
    pub async fn find(&self, scope: &TenantScope, id: RewardId) -> Result<Option<Reward>, Error> {
        self.rewards.find(scope, &id.to_string()).await
    }
}
