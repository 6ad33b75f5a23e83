//! Executing a transaction's pending refunds through the payment app that made the payment.
//! Every change to the transaction is a read-modify-write conditional on its `version`, so
//! refunds requested meanwhile, duplicate messages and racing workers never lose an update;
//! the app is asked with the refund id as its idempotency key.

use super::{ExecuteRefunds, RefundStatus, Transaction, VaultStore};
use crate::error::Error;
use crate::ids::RefundId;
use crate::orders::MAX_PAYMENT_ATTEMPTS;
use crate::payments::{PaymentApps, PaymentOutcome, RefundRequest};
use crate::worker::Step;
use std::sync::Arc;

/// Attempts at a read-modify-write of one transaction before giving up on a busy item.
const MAX_WRITE_ATTEMPTS: usize = 20;

#[derive(Clone)]
pub struct RefundExecutor {
    vault: VaultStore,
    apps: Arc<PaymentApps>,
}

type Settlement = Result<String, (String, String)>;

impl RefundExecutor {
    pub fn new(vault: VaultStore, apps: Arc<PaymentApps>) -> Self {
        RefundExecutor { vault, apps }
    }

    pub async fn execute(&self, message: &ExecuteRefunds, now_ms: i64) -> Result<Step, Error> {
        let transaction = match self.load(message).await {
            Ok(transaction) => transaction,
            // A transaction that does not exist never will: retrying cannot help.
            Err(Error::NotFound(_)) => {
                tracing::warn!("message names a transaction that does not exist");
                return Ok(Step::Done);
            }
            Err(other) => return Err(other),
        };
        let mut step = Step::Done;
        let pending = transaction.pending_refunds();
        // The state last read or written: the first attempt of each change starts from it
        // rather than from a read of its own; a stale one only fails its conditional write.
        let mut known = Some(transaction);
        for refund in pending {
            if self
                .execute_refund(message, refund, &mut known, now_ms)
                .await?
                == Step::RetryLater
            {
                step = Step::RetryLater;
            }
        }
        Ok(step)
    }

    async fn load(&self, message: &ExecuteRefunds) -> Result<Transaction, Error> {
        self.vault
            .load_transaction(
                &message.scope(),
                &message.customer_ref,
                message.financial_instrument_id,
                message.transaction_id,
            )
            .await
    }

    /// Applies `change` to the transaction and saves it conditional on the version it started
    /// from, again from a fresh read while another writer gets there first. The first attempt
    /// starts from `known` (the state last read or saved, taken) when there is one; what is
    /// saved becomes `known`. `None` when `change` finds nothing to do (after a fresh read:
    /// `known` may be stale).
    async fn update<T>(
        &self,
        message: &ExecuteRefunds,
        known: &mut Option<Transaction>,
        change: impl Fn(&mut Transaction) -> Option<T>,
    ) -> Result<Option<(Transaction, T)>, Error> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let (mut transaction, fresh) = match known.take() {
                Some(transaction) => (transaction, false),
                None => (self.load(message).await?, true),
            };
            let read = transaction.version;
            let Some(result) = change(&mut transaction) else {
                if fresh {
                    return Ok(None);
                }
                continue;
            };
            if self
                .vault
                .save_transaction(&message.scope(), &transaction, read)
                .await?
            {
                *known = Some(transaction.clone());
                return Ok(Some((transaction, result)));
            }
        }
        Err(Error::Internal(
            "the transaction changed on every attempt".into(),
        ))
    }

    async fn execute_refund(
        &self,
        message: &ExecuteRefunds,
        id: RefundId,
        known: &mut Option<Transaction>,
        now_ms: i64,
    ) -> Result<Step, Error> {
        let Some((transaction, attempt)) = self
            .update(message, known, |t| t.record_refund_attempt(id, now_ms))
            .await?
        else {
            return Ok(Step::Done);
        };
        let Some(refund) = transaction.refund(id).cloned() else {
            return Ok(Step::Done);
        };
        let settlement: Settlement = match self.apps.find(&transaction.app_id) {
            None => Err((
                "APP_UNAVAILABLE".into(),
                "The payment app is not available".into(),
            )),
            Some(_) if attempt > MAX_PAYMENT_ATTEMPTS => Err((
                "PROVIDER_UNAVAILABLE".into(),
                "The payment app could not be reached".into(),
            )),
            Some(app) => {
                let request = RefundRequest {
                    refund_id: id,
                    transaction_id: transaction.id,
                    app_transaction_id: transaction.app_transaction_id.clone(),
                    amount: refund.amount,
                    payment_amount: transaction.amount,
                    attempt,
                };
                match app.refund(&request).await {
                    PaymentOutcome::Succeeded { app_transaction_id } => Ok(app_transaction_id),
                    PaymentOutcome::Declined { error_code, reason } => Err((error_code, reason)),
                    PaymentOutcome::Retryable { reason } => {
                        tracing::warn!(attempt, %reason, "payment app asked to retry the refund");
                        return Ok(Step::RetryLater);
                    }
                }
            }
        };
        let settled = self
            .update(message, known, |t| {
                t.refund(id).filter(|r| r.status == RefundStatus::Pending)?;
                t.settle_refund(id, settlement.clone(), now_ms);
                Some(())
            })
            .await?;
        if settled.is_some() {
            tracing::info!(%id, completed = settlement.is_ok(), "refund settled");
        }
        Ok(Step::Done)
    }
}
