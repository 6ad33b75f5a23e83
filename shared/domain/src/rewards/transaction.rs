//! A reward claim's transaction: created `SETTLING` by the claim, then `SETTLED` with the
//! reward's credentials or `FAILED` by the reward worker. It lives in the customer's vault
//! partition beside the `REWARD` instrument the claim created.

use crate::ids::{FinancialInstrumentId, MessageScope, RewardId, TenantScope, TransactionId};
use crate::payments::{Money, RewardCredential, RewardOutcome};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::versioned::Versioned;
use crate::work::{WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardStatus {
    Settling,
    Settled,
    Failed,
}

/// What a settled reward gives the customer: its credentials (each value a `Secret`), erased
/// by forget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardData {
    pub credential_list: Vec<RewardCredential>,
    pub redemption_instructions: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardTransaction {
    pub id: TransactionId,
    pub customer_ref: CustomerRef,
    pub financial_instrument_id: FinancialInstrumentId,
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
    pub reward_id: RewardId,
    pub reward_name: String,
    /// The payment app that issues it.
    pub provider: String,
    pub amount: Money,
    pub status: RewardStatus,
    pub data: Option<RewardData>,
    pub failed_error_code: Option<String>,
    pub failed_reason: Option<String>,
    pub created: i64,
    pub last_updated: i64,
    /// Bumped by every write; writes are conditional on the version read.
    pub version: u64,
}

impl Versioned for RewardTransaction {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

/// The queue message asking for a claim's settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettleReward {
    #[serde(flatten)]
    pub scope: MessageScope,
    pub customer_ref: CustomerRef,
    pub transaction_id: TransactionId,
}

impl WorkMessage for SettleReward {
    const KIND: WorkKind = WorkKind::Reward;
}

impl RewardTransaction {
    pub fn message(&self, scope: &TenantScope) -> SettleReward {
        SettleReward {
            scope: (*scope).into(),
            customer_ref: self.customer_ref.clone(),
            transaction_id: self.id,
        }
    }

    /// SETTLING → SETTLED or FAILED with the provider's final answer. `false` for an answer
    /// that is not final, or a transaction already settled.
    pub fn settle(&mut self, outcome: RewardOutcome, now_ms: i64) -> bool {
        if self.status != RewardStatus::Settling {
            return false;
        }
        match outcome {
            RewardOutcome::Issued {
                credentials,
                redemption_instructions,
            } => {
                self.status = RewardStatus::Settled;
                self.data = Some(RewardData {
                    credential_list: credentials,
                    redemption_instructions,
                });
            }
            RewardOutcome::Failed { error_code, reason } => {
                self.status = RewardStatus::Failed;
                self.failed_error_code = Some(error_code);
                self.failed_reason = Some(reason);
            }
            RewardOutcome::Retryable { .. } => return false,
        }
        self.last_updated = now_ms;
        self.version += 1;
        true
    }

    /// Forget: the credentials go; amounts, ids and statuses stay.
    pub fn forget_personal_data(&mut self, now_ms: i64) {
        self.data = None;
        self.last_updated = now_ms;
        self.version += 1;
    }
}
