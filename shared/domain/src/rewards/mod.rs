//! Rewards: a payout (CREDIT instruction) the customer takes as a gift card or voucher from a
//! reward provider instead of a bank transfer. The tenant authorizes the reward on the
//! instruction, the customer claims one from the tenant's catalogue, and the reward worker has
//! the provider issue it.

mod catalogue;
mod claims;
mod ports;
mod transaction;

pub use catalogue::{Reward, RewardCatalogue};
pub use claims::{authorize_reward, claim_reward, reward_transaction, settle_reward};
pub use ports::{RewardClaims, RewardWrite};
pub use transaction::{RewardData, RewardStatus, RewardTransaction, SettleReward};
