//! Where a refund is decided. A refund is requested against its transaction: pending and
//! completed refunds never exceed the amount, also when requests race, because the refund is
//! reserved by a versioned update of the transaction that holds its refunds. The refund worker
//! then settles each pending refund through the payment app that made the payment, with the
//! refund id as the idempotency key, and records the outcome the same way.

use super::{EventEffect, Refund, RefundStatus, Transaction, Transactions};
use crate::clock::Now;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, MessageScope, RefundId, TenantScope, TransactionId};
use crate::payments::{
    Amount, Answer, PaymentApps, RefundRequest as AppRefund, Settlement, MAX_PAYMENT_ATTEMPTS,
};
use crate::refs::CustomerRef;
use crate::secret::Secret;
use crate::versioned::{self, Updated};
use crate::work::{send_after_commit, Queue, Step, WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};

/// Longest refund reason (docs/api.md §3, customer vault).
pub const REFUND_REASON_MAX_LENGTH: usize = 100;

/// A transaction as its path names it: the customer, the instrument it was made with, its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionPath {
    pub customer_ref: CustomerRef,
    pub financial_instrument_id: FinancialInstrumentId,
    pub transaction_id: TransactionId,
}

/// Asks the refund worker to execute a transaction's pending refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteRefunds {
    #[serde(flatten)]
    pub scope: MessageScope,
    #[serde(flatten)]
    pub transaction: TransactionPath,
}

impl WorkMessage for ExecuteRefunds {
    const KIND: WorkKind = WorkKind::Refund;
}

/// POST refund: the amount is checked against the transaction's currency once it is loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRequest {
    pub amount: Amount,
    pub reason: Option<Secret<String>>,
}

pub fn transaction_not_found(id: TransactionId) -> Error {
    Error::NotFound(
        Violation::new(ErrorCode::TRANSACTION_NOT_FOUND).with("transactionId", id.to_string()),
    )
}

/// The transaction, if the customer has it and it was made with the instrument.
async fn find(
    transactions: &impl Transactions,
    scope: &TenantScope,
    path: &TransactionPath,
) -> Result<Option<Transaction>, Error> {
    Ok(transactions
        .transaction(scope, &path.customer_ref, path.transaction_id)
        .await?
        .filter(|t| t.financial_instrument_id == path.financial_instrument_id))
}

/// GET transaction: 404 unless the customer has it, made with the instrument of the path.
pub async fn transaction(
    transactions: &impl Transactions,
    scope: &TenantScope,
    path: &TransactionPath,
) -> Result<Transaction, Error> {
    find(transactions, scope, path)
        .await?
        .ok_or_else(|| transaction_not_found(path.transaction_id))
}

/// GET refund: the transaction and the refund of it.
pub async fn refund(
    transactions: &impl Transactions,
    scope: &TenantScope,
    path: &TransactionPath,
    refund_id: RefundId,
) -> Result<(Transaction, Refund), Error> {
    let transaction = transaction(transactions, scope, path).await?;
    let refund = transaction.refund(refund_id).cloned().ok_or_else(|| {
        Error::NotFound(
            Violation::new(ErrorCode::REFUND_NOT_FOUND).with("refundId", refund_id.to_string()),
        )
    })?;
    Ok((transaction, refund))
}

/// POST refund: reserves a PENDING refund against the transaction and queues its execution.
pub async fn request_refund(
    transactions: &impl Transactions,
    queue: &impl Queue<ExecuteRefunds>,
    scope: &TenantScope,
    path: &TransactionPath,
    request: &RefundRequest,
    now: Now,
) -> Result<RefundId, Error> {
    let reserved = versioned::update(
        "transaction",
        None,
        || find(transactions, scope, path),
        |transaction| {
            let currency = transaction.amount.currency();
            let money = request
                .amount
                .in_currency(currency)
                .map_err(|e| Error::invalid(e.violation(Some(currency))))?;
            transaction
                .request_refund(money, request.reason.clone(), now.epoch_ms())
                .map(Some)
        },
        |transaction, read| async move {
            transactions
                .save_transaction(scope, &transaction, read)
                .await
        },
    )
    .await?;
    let Updated::Saved(_, refund_id) = reserved else {
        return Err(transaction_not_found(path.transaction_id));
    };
    let message = ExecuteRefunds {
        scope: (*scope).into(),
        transaction: path.clone(),
    };
    send_after_commit(queue, &message).await;
    tracing::info!(%refund_id, "refund requested");
    Ok(refund_id)
}

/// The refund worker: executes every pending refund of the message's transaction.
pub async fn settle_refunds(
    transactions: &impl Transactions,
    apps: &PaymentApps,
    message: &ExecuteRefunds,
    now: Now,
) -> Result<Step, Error> {
    let scope = message.scope.into();
    let path = &message.transaction;
    let Some(transaction) = find(transactions, &scope, path).await? else {
        // A transaction that does not exist never will: retrying cannot help.
        tracing::warn!("message names a transaction that does not exist");
        return Ok(Step::Done);
    };
    let refunds = Refunds {
        transactions,
        apps,
        scope,
        path,
        now,
    };
    let mut step = Step::Done;
    let pending = transaction.pending_refunds();
    // The state last read or written: each change starts from it rather than from a read of
    // its own; a stale one only fails its conditional write.
    let mut known = Some(transaction);
    for refund_id in pending {
        if refunds.settle(refund_id, &mut known).await? == Step::RetryLater {
            step = Step::RetryLater;
        }
    }
    Ok(step)
}

/// One run of the refund worker over one transaction.
struct Refunds<'a, T> {
    transactions: &'a T,
    apps: &'a PaymentApps,
    scope: TenantScope,
    path: &'a TransactionPath,
    now: Now,
}

impl<T: Transactions> Refunds<'_, T> {
    /// Applies `change` to the transaction (starting from `known`, which it then replaces with
    /// what was saved).
    async fn update<R>(
        &self,
        known: &mut Option<Transaction>,
        change: impl FnMut(&mut Transaction) -> Option<R>,
    ) -> Result<Option<(Transaction, R)>, Error> {
        let mut change = change;
        let updated = versioned::update(
            "transaction",
            known.take(),
            || find(self.transactions, &self.scope, self.path),
            |transaction| Ok(change(transaction)),
            |transaction, read| async move {
                self.transactions
                    .save_transaction(&self.scope, &transaction, read)
                    .await
            },
        )
        .await?;
        Ok(match updated {
            Updated::Saved(transaction, outcome) => {
                *known = Some(transaction.clone());
                Some((transaction, outcome))
            }
            Updated::Unchanged(_) | Updated::Missing => None,
        })
    }

    /// Settles one pending refund. One waiting on its app is asked what became of it;
    /// otherwise an attempt is counted (saved before the app is called, so a crash or a
    /// redelivery never repeats an attempt number) and the app asked to refund. A final answer
    /// settles it; pending or in doubt keeps it PENDING, its amount reserved.
    async fn settle(&self, id: RefundId, known: &mut Option<Transaction>) -> Result<Step, Error> {
        let now_ms = self.now.epoch_ms();
        let Some(transaction) = known.clone() else {
            return Ok(Step::Done);
        };
        let Some(refund) = transaction.refund(id).cloned() else {
            return Ok(Step::Done);
        };
        let Some(app) = self.apps.find(&transaction.app_id) else {
            if refund.waiting {
                return Err(Error::bug(format!(
                    "the payment app {} a refund waits on is not deployed",
                    transaction.app_id
                )));
            }
            let unavailable = Answer::Final(Err((
                "APP_UNAVAILABLE".into(),
                "The payment app is not available".into(),
            )));
            return self.record(known, id, unavailable, false).await;
        };
        let request = |attempt| AppRefund {
            refund_id: id,
            transaction_id: transaction.id,
            app_transaction_id: transaction.app_transaction_id.clone(),
            amount: refund.amount,
            payment_amount: transaction.amount,
            attempt,
        };
        if refund.waiting {
            match Answer::from(app.refund_status(&request(refund.attempts)).await) {
                Answer::Retryable(reason) => tracing::info!(%reason, "refund unknown to its app"),
                answer => return self.record(known, id, answer, true).await,
            }
        }
        if refund.attempts >= MAX_PAYMENT_ATTEMPTS {
            let unreachable = Answer::Final(Err((
                "PROVIDER_UNAVAILABLE".into(),
                "The payment app could not be reached".into(),
            )));
            return self.record(known, id, unreachable, false).await;
        }
        let Some((_, attempt)) = self
            .update(known, |t| t.record_refund_attempt(id, now_ms))
            .await?
        else {
            return Ok(Step::Done);
        };
        match Answer::from(app.refund(&request(attempt)).await) {
            Answer::Retryable(reason) => {
                tracing::warn!(attempt, %reason, "payment app asked to retry the refund");
                Ok(Step::RetryLater)
            }
            answer => self.record(known, id, answer, false).await,
        }
    }

    /// Records the app's answer on the refund, if it is still pending.
    async fn record(
        &self,
        known: &mut Option<Transaction>,
        id: RefundId,
        answer: Answer,
        checked: bool,
    ) -> Result<Step, Error> {
        let now_ms = self.now.epoch_ms();
        let recorded = self
            .update(known, |t| {
                t.refund(id).filter(|r| r.status == RefundStatus::Pending)?;
                match &answer {
                    Answer::Final(settlement) => {
                        t.settle_refund(id, settlement.clone(), now_ms);
                        Some(())
                    }
                    Answer::Waiting(app_refund_id) => {
                        t.await_refund(id, app_refund_id.clone(), checked, now_ms)
                    }
                    Answer::Retryable(_) => None,
                }
            })
            .await?;
        if recorded.is_some() {
            match &answer {
                Answer::Final(settlement) => {
                    tracing::info!(%id, completed = settlement.is_ok(), "refund settled")
                }
                _ => tracing::info!(%id, "refund waits on its app"),
            }
        }
        Ok(Step::Done)
    }
}

/// A provider's event about a transaction (a refund's outcome, a chargeback): `change` applied
/// with a versioned update, the instruction's copy kept in step. A transaction not recorded yet
/// is for later.
pub async fn apply_to_transaction(
    transactions: &impl Transactions,
    scope: &TenantScope,
    customer: &CustomerRef,
    transaction_id: TransactionId,
    change: impl Fn(&mut Transaction) -> EventEffect,
) -> Result<EventEffect, Error> {
    let mut effect = EventEffect::NotYet;
    let updated = versioned::update(
        "transaction",
        None,
        || transactions.transaction(scope, customer, transaction_id),
        |transaction| {
            effect = change(transaction);
            Ok((effect == EventEffect::Applied).then_some(()))
        },
        |transaction, read| async move {
            transactions
                .save_transaction(scope, &transaction, read)
                .await
        },
    )
    .await?;
    Ok(match updated {
        Updated::Saved(..) => EventEffect::Applied,
        Updated::Unchanged(_) => effect,
        Updated::Missing => EventEffect::NotYet,
    })
}

/// A refund's outcome as its provider reports it: PENDING → COMPLETED or FAILED; a refund
/// already settled is left as it is, and one not known yet is for later.
pub fn settle_refund_event(
    transaction: &mut Transaction,
    refund_id: RefundId,
    settlement: Settlement,
    now_ms: i64,
) -> EventEffect {
    match transaction.refund(refund_id).map(|r| r.status) {
        None => EventEffect::NotYet,
        Some(RefundStatus::Pending) => {
            let settlement = settlement.map(|app_refund_id| {
                transaction
                    .refund(refund_id)
                    .and_then(|r| r.app_refund_id.clone())
                    .unwrap_or(app_refund_id)
            });
            transaction.settle_refund(refund_id, settlement, now_ms);
            EventEffect::Applied
        }
        Some(_) => EventEffect::AlreadyApplied,
    }
}
