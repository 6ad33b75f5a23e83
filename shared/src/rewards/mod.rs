//! Rewards: a payout (CREDIT instruction) the customer takes as a gift card or voucher from a
//! reward provider instead of a bank transfer. The tenant authorizes the reward on the
//! instruction, the customer claims one from the tenant's catalogue, and the reward worker has
//! the provider issue it.

mod catalogue;
mod claim;
mod settlement;
mod store;
mod transaction;

pub use catalogue::{Reward, RewardCatalogue};
pub use claim::{parse_claim, RewardClaims};
pub use settlement::RewardSettlement;
pub use store::RewardStore;
pub use transaction::{RewardData, RewardStatus, RewardTransaction, SettleReward};

use crate::ids::{FinancialInstrumentId, TransactionId};
use crate::orders::RewardClaim;
use crate::refs::CustomerRef;

fn reward_transaction_path(
    customer: &CustomerRef,
    instrument: FinancialInstrumentId,
    transaction: TransactionId,
) -> String {
    format!("/v1/customer-vault/{customer}/reward/{instrument}/transaction/{transaction}")
}

/// Where a claimed reward's transaction is read (the claim's `Location`, after the base URL).
pub fn reward_transaction_href(customer: &CustomerRef, claim: &RewardClaim) -> String {
    reward_transaction_path(
        customer,
        claim.financial_instrument_id,
        claim.transaction_id,
    )
}
