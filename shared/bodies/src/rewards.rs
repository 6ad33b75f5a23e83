//! Reward bodies (docs/api.md §3, order management): the claim request and the reward
//! transaction a claim's `Location` shows.

use crate::json::{self, Field};
use payments_domain::error::{ErrorCode, Violation};
use payments_domain::ids::RewardId;
use payments_domain::rewards::RewardTransaction;
use serde_json::{json, Value};

const REWARD_ID: Field = Field {
    name: "rewardId",
    property: "RewardId",
    required: ErrorCode::REWARD_ID_IS_REQUIRED,
    invalid: ErrorCode::REWARD_ID_IS_INVALID,
};

/// POST claim-reward: `{rewardId}`.
pub fn claim(body: Option<Value>) -> Result<RewardId, Violation> {
    let object = json::required_object(body)?;
    RewardId::parse(object.required_text(&REWARD_ID)?)
}

/// Where the reward transaction is read: the claim's `Location`, after the base URL.
pub fn reward_transaction_location(transaction: &RewardTransaction) -> String {
    crate::links::reward_transaction_href(
        &transaction.customer_ref,
        transaction.financial_instrument_id,
        transaction.id,
    )
}

/// GET reward transaction: `{status, data}`, `data` null until settled.
pub fn reward_transaction_body(transaction: &RewardTransaction) -> Value {
    json!({ "status": transaction.status, "data": transaction.data })
}
