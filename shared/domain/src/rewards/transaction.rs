//! A reward claim's transaction: created `SETTLING` by the claim, then `SETTLED` with the
//! reward's credentials or `FAILED` by the reward worker. It lives in the customer's vault
//! partition beside the `REWARD` instrument the claim created.

use crate::ids::{FinancialInstrumentId, MessageScope, RewardId, TenantScope, TransactionId};
use crate::notifications::EventType;
use crate::payments::{Money, RewardCredential, RewardOutcome};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::secret::Secret;
use crate::versioned::Versioned;
use crate::work::{WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardStatus {
    Settling,
    Settled,
    Failed,
}

/// What a settled reward gives the customer: its credentials (each value a `Secret`), erased
/// by forget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
    /// What the provider issued, personal as a whole: sealed as one value, so once its key
    /// is destroyed the whole of it reads as erased.
    pub data: Option<Secret<RewardData>>,
    pub failed_error_code: Option<String>,
    pub failed_reason: Option<String>,
    pub created: i64,
    pub last_updated: i64,
    /// Bumped by every write; writes are conditional on the version read.
    pub version: u64,
    /// What this change reports to the tenant's webhooks: written with it, never stored in it.
    #[serde(skip)]
    pub events: crate::notifications::PendingEvents,
    /// Claims made with the provider, counted before each call.
    #[serde(default)]
    pub attempts: u32,
    /// The provider's answer is in doubt: it is asked what became of the claim, not asked to
    /// issue the reward again.
    #[serde(default)]
    pub waiting: bool,
    /// Status queries made while waiting.
    #[serde(default)]
    pub checks: u32,
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

    /// Counts a claim with the provider; saved before the call.
    pub fn record_attempt(&mut self, now_ms: i64) {
        self.attempts += 1;
        self.waiting = false;
        self.touch(now_ms);
    }

    /// The provider's answer is in doubt; `checked` counts a status query.
    pub fn await_provider(&mut self, checked: bool, now_ms: i64) {
        self.waiting = true;
        if checked {
            self.checks += 1;
        }
        self.touch(now_ms);
    }

    /// From when the settling claim needs the reward worker: its last change, later (and less
    /// often each time) while it waits on its provider.
    pub fn needs_worker_from(&self) -> Option<i64> {
        if self.status != RewardStatus::Settling {
            return None;
        }
        let wait = if self.waiting {
            crate::work::provider_wait_ms(self.checks)
        } else {
            0
        };
        Some(self.last_updated + wait)
    }

    /// Since when the settling claim has waited on its provider for an outcome (it began),
    /// while it does.
    pub fn waiting_on_provider_since(&self) -> Option<i64> {
        (self.status == RewardStatus::Settling && self.waiting).then_some(self.created)
    }

    fn touch(&mut self, now_ms: i64) {
        self.last_updated = now_ms;
        self.version += 1;
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
                self.data = Some(Secret::new(RewardData {
                    credential_list: credentials,
                    redemption_instructions,
                }));
                self.events.record(EventType::RewardSettled, now_ms);
            }
            RewardOutcome::Failed { error_code, reason } => {
                self.status = RewardStatus::Failed;
                self.failed_error_code = Some(error_code);
                self.failed_reason = Some(reason);
                self.events.record(EventType::RewardFailed, now_ms);
            }
            RewardOutcome::Retryable { .. } | RewardOutcome::InDoubt { .. } => return false,
        }
        self.touch(now_ms);
        true
    }

    /// Forget: the credentials go; amounts, ids and statuses stay.
    pub fn forget_personal_data(&mut self, now_ms: i64) {
        self.data = None;
        self.touch(now_ms);
    }
}
