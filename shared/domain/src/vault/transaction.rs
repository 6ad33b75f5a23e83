//! A transaction: one execution of an instruction against a financial instrument, kept in the
//! customer's vault partition (`SK = TX#{transactionId}`).

use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, RefundId, TransactionId};
use crate::notifications::EventType;
use crate::payments::{Money, Settlement};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::secret::Secret;
use crate::versioned::Versioned;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionStatus {
    Processing,
    Success,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: TransactionId,
    pub financial_instrument_id: FinancialInstrumentId,
    pub customer_ref: CustomerRef,
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
    pub app_id: String,
    pub app_transaction_id: Option<String>,
    pub amount: Money,
    pub status: TransactionStatus,
    pub failed_error_code: Option<String>,
    pub failed_reason: Option<String>,
    pub settlement_date: Option<NaiveDate>,
    pub created_timestamp: i64,
    pub last_updated_timestamp: i64,
    /// Minor units refunded so far (completed refunds).
    #[serde(default)]
    pub refunded_minor: i64,
    #[serde(default)]
    pub refunds: Vec<Refund>,
    #[serde(default)]
    pub chargebacks: Vec<Chargeback>,
    /// Bumped by every change; writes are conditional on it.
    #[serde(default)]
    pub version: u64,
    /// What this change reports to the tenant's webhooks: written with it, never stored in it.
    #[serde(skip)]
    pub events: crate::notifications::PendingEvents,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    Pending,
    Completed,
    Failed,
}

/// A refund, kept inside its transaction: the transaction's refunds are read and checked
/// against its amount together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Refund {
    pub refund_id: RefundId,
    pub amount: Money,
    pub status: RefundStatus,
    pub reason: Option<Secret<String>>,
    pub created_timestamp: i64,
    pub last_updated_timestamp: i64,
    pub app_refund_id: Option<String>,
    pub failure_reason_code: Option<String>,
    pub failure_description: Option<String>,
    /// Refund attempts made with the payment app.
    #[serde(default)]
    pub attempts: u32,
    /// The app answered pending, or its answer is in doubt: it is asked what became of the
    /// refund, not asked to refund again. The amount stays reserved meanwhile.
    #[serde(default)]
    pub waiting: bool,
    /// Status queries made while waiting.
    #[serde(default)]
    pub checks: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChargebackStatus {
    Pending,
    /// The payer's claim stood: its amount is deducted from the net amount.
    Succeeded,
    /// Rejected: nothing deducted.
    Failed,
}

/// A payer's claim against the payment, raised through the provider (docs/api.md §8). A
/// pending one reserves its amount against further refunds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chargeback {
    /// The provider's id of it.
    pub id: String,
    /// The payment app that reported it.
    pub network: String,
    pub status: ChargebackStatus,
    pub amount: Money,
    /// When the payer claimed it, as the provider says (epoch ms).
    pub claimed: i64,
    /// When it was recorded here (epoch ms).
    pub created: i64,
}

/// What a provider's event did to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventEffect {
    Applied,
    /// Already so (a repeated or late event): nothing changes.
    AlreadyApplied,
    /// It concerns something not known yet (a chargeback of a payment not yet settled, or an
    /// outcome of a chargeback not yet opened): to be tried again later.
    NotYet,
}

impl Versioned for Transaction {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

impl Transaction {
    /// Amount less completed refunds and succeeded chargebacks, never below zero.
    pub fn net_amount(&self) -> Money {
        let charged_back = self.chargebacks_minor(|status| status == ChargebackStatus::Succeeded);
        let deducted = (self.refunded_minor + charged_back).min(self.amount.minor_units());
        self.amount.less(deducted)
    }

    fn chargebacks_minor(&self, counted: impl Fn(ChargebackStatus) -> bool) -> i64 {
        self.chargebacks
            .iter()
            .filter(|c| counted(c.status))
            .map(|c| c.amount.minor_units())
            .sum()
    }

    pub fn is_refundable(&self) -> bool {
        self.status == TransactionStatus::Success && self.net_amount().minor_units() > 0
    }

    /// Minor units still free to refund: the amount less pending and completed refunds and
    /// pending and succeeded chargebacks.
    pub fn refundable_minor(&self) -> i64 {
        let refunds: i64 = self
            .refunds
            .iter()
            .filter(|r| r.status != RefundStatus::Failed)
            .map(|r| r.amount.minor_units())
            .sum();
        let chargebacks = self.chargebacks_minor(|status| status != ChargebackStatus::Failed);
        self.amount.minor_units() - refunds - chargebacks
    }

    /// A chargeback the provider opened: PENDING, for at most what is neither refunded nor
    /// charged back already (the claim cannot take back more than was paid). Only a SUCCESS
    /// payment can be charged back; one still PROCESSING is not yet.
    pub fn open_chargeback(
        &mut self,
        id: &str,
        network: &str,
        amount: Option<Money>,
        claimed_ms: i64,
        now_ms: i64,
    ) -> EventEffect {
        if self.chargebacks.iter().any(|c| c.id == id) {
            return EventEffect::AlreadyApplied;
        }
        match self.status {
            TransactionStatus::Processing => return EventEffect::NotYet,
            TransactionStatus::Failed => return EventEffect::AlreadyApplied,
            TransactionStatus::Success => {}
        }
        let asked = amount.map_or(self.amount.minor_units(), |a| a.minor_units());
        let free = self.refundable_minor().max(0);
        let minor = asked.clamp(0, free);
        self.chargebacks.push(Chargeback {
            id: id.to_owned(),
            network: network.to_owned(),
            status: ChargebackStatus::Pending,
            amount: self.amount.less(self.amount.minor_units() - minor),
            claimed: claimed_ms,
            created: now_ms,
        });
        self.events.record(EventType::ChargebackOpened, now_ms);
        self.touch(now_ms);
        EventEffect::Applied
    }

    /// PENDING → SUCCEEDED (`stood`) or FAILED. An outcome never moves a chargeback back, and
    /// one for a chargeback not opened yet is for later.
    pub fn settle_chargeback(&mut self, id: &str, stood: bool, now_ms: i64) -> EventEffect {
        let Some(chargeback) = self.chargebacks.iter_mut().find(|c| c.id == id) else {
            return EventEffect::NotYet;
        };
        if chargeback.status != ChargebackStatus::Pending {
            return EventEffect::AlreadyApplied;
        }
        let (status, event_type) = if stood {
            (ChargebackStatus::Succeeded, EventType::ChargebackSucceeded)
        } else {
            (ChargebackStatus::Failed, EventType::ChargebackFailed)
        };
        chargeback.status = status;
        self.events.record(event_type, now_ms);
        self.touch(now_ms);
        EventEffect::Applied
    }

    /// Adds a PENDING refund of `amount` (already in the transaction's currency), refused when
    /// the transaction did not succeed or pending and completed refunds would exceed it.
    pub fn request_refund(
        &mut self,
        amount: Money,
        reason: Option<Secret<String>>,
        now_ms: i64,
    ) -> Result<RefundId, Error> {
        if self.status != TransactionStatus::Success {
            return Err(Error::invalid(
                Violation::new(ErrorCode::TRANSACTION_NOT_REFUNDABLE)
                    .with("transactionId", self.id.to_string()),
            ));
        }
        let refundable = self.refundable_minor();
        if amount.minor_units() > refundable {
            return Err(Error::invalid(
                Violation::new(ErrorCode::REFUND_AMOUNT_EXCEEDS_REFUNDABLE).with(
                    "refundable",
                    self.amount
                        .less(self.amount.minor_units() - refundable)
                        .to_json(),
                ),
            ));
        }
        let refund_id = RefundId::new_random();
        self.refunds.push(Refund {
            refund_id,
            amount,
            status: RefundStatus::Pending,
            reason,
            created_timestamp: now_ms,
            last_updated_timestamp: now_ms,
            app_refund_id: None,
            failure_reason_code: None,
            failure_description: None,
            attempts: 0,
            waiting: false,
            checks: 0,
        });
        self.touch(now_ms);
        Ok(refund_id)
    }

    /// From when pending refunds need the refund worker: the earliest moment any pending
    /// refund does (its last change; later, and less often each time, for one waiting on its
    /// app). `None` when none is pending.
    pub fn refunds_need_worker_from(&self) -> Option<i64> {
        self.refunds
            .iter()
            .filter(|r| r.status == RefundStatus::Pending)
            .map(|r| {
                let wait = if r.waiting {
                    crate::work::provider_wait_ms(r.checks)
                } else {
                    0
                };
                r.last_updated_timestamp + wait
            })
            .min()
    }

    /// Whether a refund reason is kept: personal data of the customer, refused once they are
    /// forgotten.
    pub fn carries_personal_data(&self) -> bool {
        self.refunds.iter().any(|r| r.reason.is_some())
    }

    /// Since when the oldest pending refund that waits on its app for an outcome was asked
    /// for, if one does.
    pub fn refunds_waiting_on_provider_since(&self) -> Option<i64> {
        self.refunds
            .iter()
            .filter(|r| r.status == RefundStatus::Pending && r.waiting)
            .map(|r| r.created_timestamp)
            .min()
    }

    /// PROCESSING → SUCCESS (settled today) or FAILED; `false` when it has already left
    /// PROCESSING: a late or repeated answer changes nothing.
    pub fn settle_payment(&mut self, outcome: Settlement, today: NaiveDate, now_ms: i64) -> bool {
        if self.status != TransactionStatus::Processing {
            return false;
        }
        match outcome {
            Ok(app_transaction_id) => {
                self.status = TransactionStatus::Success;
                self.app_transaction_id = Some(app_transaction_id);
                self.settlement_date = Some(today);
            }
            Err((code, reason)) => {
                self.status = TransactionStatus::Failed;
                self.failed_error_code = Some(code);
                self.failed_reason = Some(reason);
            }
        }
        self.touch(now_ms);
        true
    }

    /// Refund reasons are free text: forget removes them.
    pub fn forget_personal_data(&mut self, now_ms: i64) {
        for refund in &mut self.refunds {
            refund.reason = None;
        }
        self.touch(now_ms);
    }

    pub fn refund(&self, id: RefundId) -> Option<&Refund> {
        self.refunds.iter().find(|r| r.refund_id == id)
    }

    pub fn pending_refunds(&self) -> Vec<RefundId> {
        self.refunds
            .iter()
            .filter(|r| r.status == RefundStatus::Pending)
            .map(|r| r.refund_id)
            .collect()
    }

    /// Counts an attempt at a pending refund; `None` when it is no longer pending.
    pub fn record_refund_attempt(&mut self, id: RefundId, now_ms: i64) -> Option<u32> {
        let refund = self
            .refunds
            .iter_mut()
            .find(|r| r.refund_id == id && r.status == RefundStatus::Pending)?;
        refund.attempts += 1;
        refund.waiting = false;
        let attempts = refund.attempts;
        self.touch(now_ms);
        Some(attempts)
    }

    /// The refund waits on its app: pending (with the app's id of it) or in doubt. `checked`
    /// counts a status query. `None` when it is no longer pending.
    pub fn await_refund(
        &mut self,
        id: RefundId,
        app_refund_id: Option<String>,
        checked: bool,
        now_ms: i64,
    ) -> Option<()> {
        let refund = self
            .refunds
            .iter_mut()
            .find(|r| r.refund_id == id && r.status == RefundStatus::Pending)?;
        refund.waiting = true;
        if checked {
            refund.checks += 1;
        }
        if app_refund_id.is_some() {
            refund.app_refund_id = app_refund_id;
        }
        refund.last_updated_timestamp = now_ms;
        self.touch(now_ms);
        Some(())
    }

    /// PENDING → COMPLETED (the net amount drops) or FAILED (its amount is free again).
    pub fn settle_refund(&mut self, id: RefundId, outcome: Settlement, now_ms: i64) {
        let Some(refund) = self
            .refunds
            .iter_mut()
            .find(|r| r.refund_id == id && r.status == RefundStatus::Pending)
        else {
            return;
        };
        refund.last_updated_timestamp = now_ms;
        match outcome {
            Ok(app_refund_id) => {
                refund.status = RefundStatus::Completed;
                refund.app_refund_id = Some(app_refund_id);
                self.refunded_minor += refund.amount.minor_units();
                self.events.record(EventType::RefundCompleted, now_ms);
            }
            Err((code, description)) => {
                refund.status = RefundStatus::Failed;
                refund.failure_reason_code = Some(code);
                refund.failure_description = Some(description);
                self.events.record(EventType::RefundFailed, now_ms);
            }
        }
        self.touch(now_ms);
    }

    /// Marks a change: a new version, so every write of it is conditional on the one read.
    pub fn touch(&mut self, now_ms: i64) {
        self.last_updated_timestamp = now_ms;
        self.version += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use crate::payments::Amount;

    /// `minor` euro cents, read as a client would send them.
    fn euros(minor: i64) -> Money {
        let cents = serde_json::from_str::<serde_json::Value>(&format!(
            "{}.{:02}",
            minor / 100,
            minor % 100
        ))
        .unwrap();
        Amount::from_json(&cents)
            .unwrap()
            .in_currency(Currency::parse("EUR").unwrap())
            .unwrap()
    }

    fn transaction(minor: i64) -> Transaction {
        Transaction {
            id: TransactionId::new_random(),
            financial_instrument_id: FinancialInstrumentId::new_random(),
            customer_ref: CustomerRef::parse("c").unwrap(),
            order_ref: OrderRef::parse("o").unwrap(),
            instruction_ref: InstructionRef::parse("i").unwrap(),
            app_id: "SANDBOX".into(),
            app_transaction_id: None,
            amount: euros(minor),
            status: TransactionStatus::Success,
            failed_error_code: None,
            failed_reason: None,
            settlement_date: None,
            created_timestamp: 0,
            last_updated_timestamp: 0,
            refunded_minor: 0,
            refunds: Vec::new(),
            chargebacks: Vec::new(),
            version: 1,
            events: Default::default(),
        }
    }

    #[derive(Debug, Clone)]
    enum Step {
        Request(i64),
        Complete(usize),
        Fail(usize),
        /// The app's answer to a pending refund is in doubt.
        Doubt(usize),
        /// A chargeback opened for `Some(minor)` or, without an amount, the whole payment.
        Open(usize, Option<i64>),
        Stood(usize),
        Rejected(usize),
    }

    /// One random history: an amount and up to 40 refund requests, refund answers and
    /// chargeback events (ids drawn from a few, so repeats and unknown ids happen).
    fn history(rng: &mut fastrand::Rng) -> (i64, Vec<Step>) {
        let amount = rng.i64(1..10_000);
        let steps = (0..rng.usize(1..40))
            .map(|_| match rng.u8(0..7) {
                0 => Step::Request(rng.i64(1..3_000)),
                1 => Step::Complete(rng.usize(..)),
                2 => Step::Fail(rng.usize(..)),
                3 => Step::Doubt(rng.usize(..)),
                4 => Step::Open(rng.usize(0..4), rng.bool().then(|| rng.i64(1..12_000))),
                5 => Step::Stood(rng.usize(0..4)),
                _ => Step::Rejected(rng.usize(0..4)),
            })
            .collect();
        (amount, steps)
    }

    fn sum(tx: &Transaction, refunds: &[RefundStatus], chargebacks: &[ChargebackStatus]) -> i64 {
        let refunded: i64 = tx
            .refunds
            .iter()
            .filter(|r| refunds.contains(&r.status))
            .map(|r| r.amount.minor_units())
            .sum();
        let charged: i64 = tx
            .chargebacks
            .iter()
            .filter(|c| chargebacks.contains(&c.status))
            .map(|c| c.amount.minor_units())
            .sum();
        refunded + charged
    }

    /// At every step: pending and completed refunds plus pending and succeeded chargebacks
    /// never exceed the amount; netAmount = amount - completed refunds - succeeded
    /// chargebacks; a refund is accepted exactly when it fits what is refundable, and a refund
    /// whose answer is in doubt keeps its amount reserved.
    fn check_history(amount: i64, steps: &[Step]) -> Result<(), String> {
        use ChargebackStatus::{Pending as Open, Succeeded as Stood};
        use RefundStatus::{Completed, Pending};
        let mut tx = transaction(amount);
        for (index, step) in steps.iter().enumerate() {
            let before = tx.refundable_minor();
            match *step {
                Step::Request(minor) => {
                    let accepted = tx.request_refund(euros(minor), None, 1).is_ok();
                    if accepted != (minor <= before) {
                        return Err(format!(
                            "step {index}: {minor} of {before} refundable, accepted: {accepted}"
                        ));
                    }
                }
                Step::Complete(pick) | Step::Fail(pick) | Step::Doubt(pick) => {
                    let pending = tx.pending_refunds();
                    if !pending.is_empty() {
                        let id = pending[pick % pending.len()];
                        match step {
                            Step::Complete(_) => tx.settle_refund(id, Ok("app".to_owned()), 2),
                            Step::Fail(_) => tx.settle_refund(
                                id,
                                Err(("REFUND_DECLINED".to_owned(), "no".to_owned())),
                                2,
                            ),
                            _ => {
                                tx.await_refund(id, None, true, 2);
                                if tx.refundable_minor() != before {
                                    return Err(format!("step {index}: a doubt freed an amount"));
                                }
                            }
                        }
                    }
                }
                Step::Open(id, minor) => {
                    tx.open_chargeback(&format!("cb{id}"), "SANDBOX", minor.map(euros), 1, 2);
                }
                Step::Stood(id) => {
                    tx.settle_chargeback(&format!("cb{id}"), true, 2);
                }
                Step::Rejected(id) => {
                    tx.settle_chargeback(&format!("cb{id}"), false, 2);
                }
            }
            let reserved = sum(&tx, &[Pending, Completed], &[Open, Stood]);
            let deducted = sum(&tx, &[Completed], &[Stood]);
            let completed = sum(&tx, &[Completed], &[]);
            let holds = reserved <= amount
                && tx.refundable_minor() == amount - reserved
                && tx.refunded_minor == completed
                && tx.net_amount().minor_units() == amount - deducted;
            if !holds {
                return Err(format!(
                    "step {index}: reserved {reserved}, refundable {}, refunded {}, completed \
                     {completed}, net {}",
                    tx.refundable_minor(),
                    tx.refunded_minor,
                    tx.net_amount().minor_units()
                ));
            }
        }
        Ok(())
    }

    /// A property over 500 random histories; a failure prints its seed and the history.
    #[test]
    fn refunds_never_exceed_the_amount() {
        let seed = fastrand::u64(..);
        let mut rng = fastrand::Rng::with_seed(seed);
        for case in 0..500 {
            let (amount, steps) = history(&mut rng);
            if let Err(failure) = check_history(amount, &steps) {
                panic!("seed {seed}, case {case}, amount {amount}, steps {steps:?}: {failure}");
            }
        }
    }

    #[test]
    fn a_failed_transaction_cannot_be_refunded() {
        let mut tx = transaction(1000);
        tx.status = TransactionStatus::Failed;
        assert!(
            matches!(tx.request_refund(euros(1), None, 1), Err(Error::Invalid(v)) if v[0].code == ErrorCode::TRANSACTION_NOT_REFUNDABLE)
        );
    }

    #[test]
    fn the_oldest_refund_waiting_on_its_app_is_measured_until_it_settles() {
        let mut tx = transaction(1_000);
        let first = tx.request_refund(euros(100), None, 10).unwrap();
        let second = tx.request_refund(euros(100), None, 20).unwrap();
        assert_eq!(
            tx.refunds_waiting_on_provider_since(),
            None,
            "not asked yet"
        );
        tx.await_refund(second, None, false, 30);
        assert_eq!(tx.refunds_waiting_on_provider_since(), Some(20));
        tx.await_refund(first, Some("app_1".into()), true, 40);
        assert_eq!(tx.refunds_waiting_on_provider_since(), Some(10));
        tx.settle_refund(first, Ok("app_1".into()), 50);
        assert_eq!(tx.refunds_waiting_on_provider_since(), Some(20));
        tx.settle_refund(second, Err(("DECLINED".into(), "no".into())), 60);
        assert_eq!(tx.refunds_waiting_on_provider_since(), None);
    }
}
