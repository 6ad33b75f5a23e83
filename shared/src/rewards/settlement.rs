//! Where a reward claim is settled: the reward worker asks the provider (the payment app named
//! by the reward) to issue the reward, then records the answer on the reward transaction and
//! its instruction in one write. Writes are conditional on the versions read, so a duplicate
//! or racing message settles once; the transaction id is the provider's idempotency key.

use super::store::{RewardStore, Settled, MAX_WRITE_ATTEMPTS};
use super::{RewardStatus, SettleReward};
use crate::error::Error;
use crate::orders::OrderStore;
use crate::payments::{PaymentApps, RewardOutcome, RewardRequest};
use crate::worker::Step;
use std::sync::Arc;

#[derive(Clone)]
pub struct RewardSettlement {
    rewards: RewardStore,
    orders: OrderStore,
    apps: Arc<PaymentApps>,
}

impl RewardSettlement {
    pub fn new(rewards: RewardStore, orders: OrderStore, apps: Arc<PaymentApps>) -> Self {
        RewardSettlement {
            rewards,
            orders,
            apps,
        }
    }

    pub async fn execute(&self, message: &SettleReward, now_ms: i64) -> Result<Step, Error> {
        let scope = message.scope();
        let today = chrono::DateTime::from_timestamp_millis(now_ms)
            .map(|t| t.date_naive())
            .unwrap_or_default();
        let mut forgotten = false;
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Some(mut transaction) = self
                .rewards
                .load(&scope, &message.customer_ref, message.transaction_id)
                .await?
            else {
                tracing::warn!("message names a reward transaction that does not exist");
                return Ok(Step::Done);
            };
            if transaction.status != RewardStatus::Settling {
                return Ok(Step::Done);
            }
            let transaction_read = transaction.version;
            let Some(app) = self.apps.find(&transaction.provider) else {
                return Err(Error::Internal(format!(
                    "no payment app {} to issue the reward",
                    transaction.provider
                )));
            };
            let request = RewardRequest {
                transaction_id: transaction.id,
                reward_id: transaction.reward_id,
                reward_name: transaction.reward_name.clone(),
                amount: transaction.amount,
            };
            let outcome = app.claim_reward(&request).await;
            if let RewardOutcome::Retryable { reason } = &outcome {
                tracing::warn!(%reason, "reward provider asked to retry");
                return Ok(Step::RetryLater);
            }
            transaction.settle(outcome, now_ms);
            if forgotten {
                transaction.forget_personal_data(now_ms);
            }
            let mut instruction = self
                .orders
                .load_instruction(&scope, &transaction.order_ref, &transaction.instruction_ref)
                .await?;
            let instruction_read = instruction.version;
            let failure = transaction
                .failed_error_code
                .clone()
                .zip(transaction.failed_reason.clone());
            instruction.finish_reward(failure, today, now_ms);
            match self
                .rewards
                .settle(
                    &scope,
                    &transaction,
                    transaction_read,
                    &instruction,
                    instruction_read,
                )
                .await?
            {
                Settled::Written => {
                    tracing::info!(transaction_id = %transaction.id, status = ?transaction.status, "reward settled");
                    return Ok(Step::Done);
                }
                Settled::CustomerForgotten => forgotten = true,
                Settled::Stale => {}
            }
        }
        Err(Error::Internal(
            "the reward claim changed on every attempt".into(),
        ))
    }
}
