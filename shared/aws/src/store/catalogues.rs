//! A tenant's catalogues: its schemes and its rewards, each kind in one partition of the tenant
//! (`T#…#A#…#SCHEMES`, `…#REWARDS`), each record under its id as sort key.

use super::keys;
use super::{to_item, Condition, Store};
use payments_domain::error::Error;
use payments_domain::ids::{RewardId, TenantScope};
use payments_domain::payments::{Scheme, SchemeId, Schemes};
use payments_domain::rewards::{Reward, RewardCatalogue};

const SCHEME_TYPE: &str = "Scheme";
const REWARD_TYPE: &str = "Reward";

impl Schemes for Store {
    async fn save_scheme(&self, scope: &TenantScope, scheme: &Scheme) -> Result<(), Error> {
        let item = to_item(
            scheme,
            &keys::schemes(scope),
            scheme.scheme_id.as_str(),
            SCHEME_TYPE,
        )?;
        self.put(item, Condition::Always).await?;
        Ok(())
    }

    async fn scheme(&self, scope: &TenantScope, id: &SchemeId) -> Result<Option<Scheme>, Error> {
        self.get(&keys::schemes(scope), id.as_str()).await
    }
}

impl RewardCatalogue for Store {
    async fn save_reward(&self, scope: &TenantScope, reward: &Reward) -> Result<(), Error> {
        let item = to_item(
            reward,
            &keys::rewards(scope),
            &reward.reward_id.to_string(),
            REWARD_TYPE,
        )?;
        self.put(item, Condition::Always).await?;
        Ok(())
    }

    async fn reward(&self, scope: &TenantScope, id: RewardId) -> Result<Option<Reward>, Error> {
        self.get(&keys::rewards(scope), &id.to_string()).await
    }
}
