//! Authorizing and claiming a reward for an instruction (seed 001): the checks, in the order
//! the seed lists its errors, and the write that starts the claim.

use super::{Reward, RewardCatalogue, RewardStatus, RewardStore, RewardTransaction};
use crate::error::{Error, ErrorCode, Violation};
use crate::http::{Field, JsonBody};
use crate::ids::{RewardId, TenantScope};
use crate::orders::OrderStore;
use crate::refs::{InstructionRef, OrderRef};
use crate::store;
use crate::vault::{AccountDetails, FinancialInstrument};

/// Attempts at one read-modify-write of an instruction before giving up on a busy item.
const MAX_WRITE_ATTEMPTS: usize = 20;

const REWARD_ID: Field = Field {
    name: "rewardId",
    property: "RewardId",
    required: ErrorCode::REWARD_ID_IS_REQUIRED,
    invalid: ErrorCode::REWARD_ID_IS_INVALID,
};

/// POST claim-reward: `{rewardId}`.
pub fn parse_claim(body: JsonBody) -> Result<RewardId, Violation> {
    let object = body.required_object()?;
    RewardId::parse(object.required_text(&REWARD_ID)?)
}

#[derive(Clone)]
pub struct RewardClaims {
    orders: OrderStore,
    catalogue: RewardCatalogue,
    rewards: RewardStore,
}

impl RewardClaims {
    pub fn new(orders: OrderStore, catalogue: RewardCatalogue, rewards: RewardStore) -> Self {
        RewardClaims {
            orders,
            catalogue,
            rewards,
        }
    }

    /// Lets the customer take the instruction's payout as a reward; harmless when repeated.
    pub async fn authorize(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
        instruction: &InstructionRef,
        now_ms: i64,
    ) -> Result<(), Error> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let mut found = self
                .orders
                .load_instruction(scope, order, instruction)
                .await?;
            let read = found.version;
            if !found.authorize_reward(now_ms)? {
                return Ok(());
            }
            if self.orders.save_instruction(scope, &found, read).await? {
                tracing::info!("reward authorized");
                return Ok(());
            }
        }
        Err(Error::Internal(
            "the instruction changed on every attempt".into(),
        ))
    }

    /// Claims `reward_id` for the instruction: the instruction turns PROCESSING and the
    /// customer's vault gains a `REWARD` instrument and a `SETTLING` transaction, which is
    /// returned for the reward worker. Of two racing claims, one wins and the other gets
    /// TRANSACTION_ALREADY_EXISTS.
    pub async fn claim(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
        instruction: &InstructionRef,
        reward_id: RewardId,
        now_ms: i64,
    ) -> Result<RewardTransaction, Error> {
        // The instruction and the reward, read together: one round trip.
        let keys = [
            crate::orders::instruction_key(scope, order, instruction),
            self.catalogue.key(scope, reward_id),
        ];
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let mut items = self.orders.table().get_many(&keys).await?.into_iter();
            let (found, reward) = (items.next().flatten(), items.next().flatten());
            let Some(found) = found else {
                return Err(self.orders.missing(scope, order, instruction).await);
            };
            let mut found: crate::orders::Instruction = store::from_item(found)?;
            let read = found.version;
            let claim = found.claim_reward(reward_id, now_ms)?;
            let reward: Reward = reward.map(store::from_item).transpose()?.ok_or_else(|| {
                Error::invalid(
                    Violation::new(ErrorCode::REWARD_ID_NOT_RECOGNISED)
                        .with("rewardId", reward_id.to_string()),
                )
            })?;
            let currency = found.amount.currency().code();
            if !reward.accepts_currency(currency) {
                return Err(Error::invalid(
                    Violation::new(ErrorCode::REWARD_CURRENCY_NOT_SUPPORTED)
                        .with("rewardId", reward_id.to_string())
                        .with("currency", currency),
                ));
            }
            let instrument = FinancialInstrument::with_id(
                claim.financial_instrument_id,
                found.customer_ref.clone(),
                AccountDetails::Reward {
                    reward_id,
                    name: reward.name.clone(),
                    provider: reward.provider.clone(),
                },
                now_ms,
            );
            let transaction = RewardTransaction {
                id: claim.transaction_id,
                customer_ref: found.customer_ref.clone(),
                financial_instrument_id: claim.financial_instrument_id,
                order_ref: found.order_ref.clone(),
                instruction_ref: found.instruction_ref.clone(),
                reward_id,
                reward_name: reward.name,
                provider: reward.provider,
                amount: found.amount,
                status: RewardStatus::Settling,
                data: None,
                failed_error_code: None,
                failed_reason: None,
                created: now_ms,
                last_updated: now_ms,
                version: 1,
            };
            if self
                .rewards
                .claim(scope, &found, read, &instrument, &transaction)
                .await?
            {
                tracing::info!(transaction_id = %transaction.id, "reward claimed");
                return Ok(transaction);
            }
        }
        Err(Error::Internal(
            "the instruction changed on every attempt".into(),
        ))
    }
}
