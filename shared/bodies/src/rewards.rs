//! Reward bodies (docs/api.md §3, order management): the claim request and the reward
//! transaction a claim's `Location` shows.

use crate::json::{self, Field};
use payments_domain::error::{ErrorCode, Violation};
use payments_domain::ids::RewardId;
use payments_domain::rewards::{RewardData, RewardStatus, RewardTransaction};
use payments_domain::Secret;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

const REWARD_ID: Field = Field {
    name: "rewardId",
    property: "RewardId",
    required: ErrorCode::REWARD_ID_IS_REQUIRED,
    invalid: ErrorCode::REWARD_ID_IS_INVALID,
};

/// POST claim-reward, for the OpenAPI document; read by [`claim`].
#[derive(ToSchema)]
#[schema(example = json!({ "rewardId": "08dc6fa5-a8ea-46ec-9531-1d62046f1298" }))]
#[schema(rename_all = "camelCase")]
pub struct ClaimRequest {
    pub reward_id: RewardId,
}

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

/// GET reward transaction: `{status, data}`, `data` null until settled (and once forgotten).
#[derive(Serialize, ToSchema)]
pub struct RewardTransactionBody {
    status: RewardStatus,
    #[schema(value_type = Option<RewardData>)]
    data: Option<Secret<RewardData>>,
}

pub fn reward_transaction_body(transaction: &RewardTransaction) -> RewardTransactionBody {
    RewardTransactionBody {
        status: transaction.status,
        data: transaction.data.clone(),
    }
}
