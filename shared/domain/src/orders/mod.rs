//! Orders and their payment instructions: what an instruction holds, the states it moves
//! through (docs/api.md §5), and which changes each state allows.

mod change;
mod create;
mod execution;
mod ports;
mod references;
mod vault_changes;

pub use change::{cancel_instruction, update_instruction, InstructionUpdate};
pub use create::{
    add_instruction, create_order, instruction, instruction_missing, max_instructions_for, order,
    queue_due, replace_order_metadata, CreateOrder, NewInstruction, CANCEL_REASON_MAX_LENGTH,
    MAX_INSTRUCTIONS_PER_ORDER,
};
pub use execution::{execute_instruction, settle_payment, ExecuteInstruction};
pub use ports::{Claim, InstructionWrite, OrderWrite, Orders, Referenced, References};
pub use references::{check_references, refuse_unusable, Checked};
pub use vault_changes::{change_linked_instruction, close_instrument};

use crate::country::Country;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, RewardId, TransactionId};
use crate::metadata::Metadata;
use crate::notifications::EventType;
use crate::payments::{Direction, Money, SchemeId};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::secret::Secret;
use crate::vault::{Transaction, TransactionStatus};
use crate::versioned::Versioned;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub order_ref: OrderRef,
    /// Epoch milliseconds.
    pub created: i64,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstructionStatus {
    /// No usable financial instrument or scheme yet.
    Incomplete,
    /// Both set: executed once its settle date is due.
    Ready,
    Processing,
    Completed,
    Failed,
    Cancelled,
}

impl InstructionStatus {
    /// Only instructions not yet handed to a payment app may change.
    pub fn is_editable(self) -> bool {
        matches!(
            self,
            InstructionStatus::Incomplete | InstructionStatus::Ready
        )
    }
}

/// How an instruction's instrument or scheme was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    None,
    ManuallySet,
    Transaction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    pub cancelled_timestamp: i64,
    /// The account that cancelled it.
    pub identity: String,
    #[schema(value_type = Option<String>)]
    pub reason: Option<Secret<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instruction {
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
    pub customer_ref: CustomerRef,
    pub direction: Direction,
    pub amount: Money,
    pub country: Country,
    pub settled_by_date: NaiveDate,
    pub financial_instrument_id: Option<FinancialInstrumentId>,
    pub financial_instrument_source: Source,
    pub scheme_id: Option<SchemeId>,
    pub scheme_source: Source,
    #[serde(default)]
    pub metadata: Metadata,
    pub status: InstructionStatus,
    pub created: i64,
    pub last_updated: i64,
    /// Bumped by every change; writes are conditional on it, so concurrent edits cannot
    /// overwrite each other.
    pub version: u64,
    /// What this change reports to the tenant's webhooks: written with it, never stored in it.
    #[serde(skip)]
    pub events: crate::notifications::PendingEvents,
    pub cancelled: Option<Cancellation>,
    /// When execution started (epoch milliseconds).
    #[serde(default)]
    pub execution_timestamp: Option<i64>,
    /// Payment attempts made for the current transaction.
    #[serde(default)]
    pub attempts: u32,
    /// The payment app of the first attempt: every retry and status query goes to it, under
    /// the same key, whatever the scheme says since.
    #[serde(default)]
    pub payment_app_id: Option<String>,
    /// Status queries made while the payment waits on its app (pending, or in doubt).
    #[serde(default)]
    pub checks: u32,
    /// The instruction's transaction: its id from the start of processing, its full state once
    /// executed (the instruction's view of it, kept in step by the workers).
    #[serde(default)]
    pub transaction_id: Option<TransactionId>,
    #[serde(default)]
    pub transaction: Option<Transaction>,
    #[serde(default)]
    pub failed: Option<Failure>,
    #[serde(default)]
    pub actual_settlement_date: Option<NaiveDate>,
    /// The tenant allowed the customer to take this payout as a reward: it is not paid by bank
    /// transfer, and waits for the claim.
    #[serde(default)]
    pub reward_authorized: bool,
    #[serde(default)]
    pub reward_claim: Option<RewardClaim>,
}

/// The reward a customer claimed for an instruction, and where its transaction is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardClaim {
    pub reward_id: RewardId,
    pub financial_instrument_id: FinancialInstrumentId,
    pub transaction_id: TransactionId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub failed_timestamp: i64,
    pub error_code: String,
    pub reason: String,
}

fn source_of<T>(value: &Option<T>) -> Source {
    if value.is_some() {
        Source::ManuallySet
    } else {
        Source::None
    }
}

impl Versioned for Instruction {
    type Version = u64;

    fn version(&self) -> u64 {
        self.version
    }
}

impl Instruction {
    /// A new instruction; its instrument and scheme have already been checked.
    pub fn new(order_ref: OrderRef, request: NewInstruction, now_ms: i64) -> Instruction {
        let mut instruction = Instruction {
            order_ref,
            instruction_ref: request.instruction_ref,
            customer_ref: request.customer_ref,
            direction: request.direction,
            amount: request.money,
            country: request.country,
            settled_by_date: request.settled_by_date,
            financial_instrument_source: source_of(&request.financial_instrument_id),
            financial_instrument_id: request.financial_instrument_id,
            scheme_source: source_of(&request.scheme_id),
            scheme_id: request.scheme_id,
            metadata: request.metadata,
            status: InstructionStatus::Incomplete,
            created: now_ms,
            last_updated: now_ms,
            version: 1,
            events: Default::default(),
            cancelled: None,
            execution_timestamp: None,
            attempts: 0,
            payment_app_id: None,
            checks: 0,
            transaction_id: None,
            transaction: None,
            failed: None,
            actual_settlement_date: None,
            reward_authorized: false,
            reward_claim: None,
        };
        instruction.status = instruction.derived_status();
        instruction
    }

    /// READY once both an instrument and a scheme are set (each was checked when set).
    fn derived_status(&self) -> InstructionStatus {
        if self.financial_instrument_id.is_some() && self.scheme_id.is_some() {
            InstructionStatus::Ready
        } else {
            InstructionStatus::Incomplete
        }
    }

    /// Refuses any change once the instruction has left INCOMPLETE/READY, with the error the
    /// seeds name for its state.
    pub fn ensure_editable(&self) -> Result<(), Error> {
        let code = match self.status {
            InstructionStatus::Incomplete | InstructionStatus::Ready => return Ok(()),
            InstructionStatus::Processing => ErrorCode::INSTRUCTION_PROCESSING,
            InstructionStatus::Completed => ErrorCode::INSTRUCTION_COMPLETED,
            InstructionStatus::Failed => ErrorCode::INSTRUCTION_FAILED,
            InstructionStatus::Cancelled => ErrorCode::INSTRUCTION_CANCELLED,
        };
        Err(Error::invalid(
            Violation::new(code).with("instructionRef", self.instruction_ref.as_str()),
        ))
    }

    /// Applies a checked partial update and re-derives the status. A new amount or currency is
    /// checked against the other (a JPY amount has no decimals).
    pub fn apply(&mut self, update: InstructionUpdate, now_ms: i64) -> Result<(), Error> {
        self.ensure_editable()?;
        if update.amount.is_some() || update.currency.is_some() {
            let amount = update.amount.unwrap_or_else(|| self.amount.amount());
            let currency = update.currency.unwrap_or_else(|| self.amount.currency());
            self.amount = amount
                .in_currency(currency)
                .map_err(|e| Error::invalid(e.violation(Some(currency))))?;
        }
        if let Some(country) = update.country {
            self.country = country;
        }
        if let Some(date) = update.settled_by_date {
            self.settled_by_date = date;
        }
        if let Some(id) = update.financial_instrument_id {
            self.financial_instrument_id = Some(id);
            self.financial_instrument_source = Source::ManuallySet;
        }
        if let Some(id) = update.scheme_id {
            self.scheme_id = Some(id);
            self.scheme_source = Source::ManuallySet;
        }
        if let Some(metadata) = update.metadata {
            self.metadata = metadata;
        }
        self.status = self.derived_status();
        self.touch(now_ms);
        Ok(())
    }

    pub fn cancel(
        &mut self,
        identity: String,
        reason: Option<Secret<String>>,
        now_ms: i64,
    ) -> Result<(), Error> {
        self.ensure_editable()?;
        self.status = InstructionStatus::Cancelled;
        self.cancelled = Some(Cancellation {
            cancelled_timestamp: now_ms,
            identity,
            reason,
        });
        self.events.record(EventType::InstructionCancelled, now_ms);
        self.touch(now_ms);
        Ok(())
    }

    /// Whether the instruction worker should pay it by bank transfer on `today`: READY, due, and
    /// not waiting for a reward claim instead.
    pub fn awaits_execution_on(&self, today: NaiveDate) -> bool {
        self.status == InstructionStatus::Ready
            && !self.reward_authorized
            && self.settled_by_date <= today
    }

    fn refusal(&self, code: ErrorCode) -> Error {
        Error::invalid(Violation::new(code).with("instructionRef", self.instruction_ref.as_str()))
    }

    /// Lets the customer take this payout as a reward. Only a CREDIT instruction still
    /// INCOMPLETE or READY; `Ok(false)` when it already was authorized.
    pub fn authorize_reward(&mut self, now_ms: i64) -> Result<bool, Error> {
        self.ensure_editable()?;
        if self.direction != Direction::Credit {
            return Err(self.refusal(ErrorCode::REWARD_DIRECTION_UNSUPPORTED));
        }
        if self.reward_authorized {
            return Ok(false);
        }
        self.reward_authorized = true;
        self.touch(now_ms);
        Ok(true)
    }

    /// INCOMPLETE/READY → PROCESSING with the customer's reward: the payout is now settled by
    /// the reward provider, through a new `REWARD` instrument and transaction.
    pub fn claim_reward(&mut self, reward_id: RewardId, now_ms: i64) -> Result<RewardClaim, Error> {
        if self.reward_claim.is_some() {
            return Err(self.refusal(ErrorCode::TRANSACTION_ALREADY_EXISTS));
        }
        self.ensure_editable()?;
        if !self.reward_authorized {
            return Err(self.refusal(ErrorCode::REWARD_NOT_AUTHORIZED));
        }
        let claim = RewardClaim {
            reward_id,
            financial_instrument_id: FinancialInstrumentId::new_random(),
            transaction_id: TransactionId::new_random(),
        };
        self.status = InstructionStatus::Processing;
        self.execution_timestamp = Some(now_ms);
        self.transaction_id = Some(claim.transaction_id);
        self.financial_instrument_id = Some(claim.financial_instrument_id);
        self.financial_instrument_source = Source::Transaction;
        self.reward_claim = Some(claim.clone());
        self.touch(now_ms);
        Ok(claim)
    }

    /// PROCESSING → COMPLETED or FAILED once the reward provider has answered.
    pub fn finish_reward(
        &mut self,
        failure: Option<(String, String)>,
        today: NaiveDate,
        now_ms: i64,
    ) {
        if self.status != InstructionStatus::Processing || self.reward_claim.is_none() {
            return;
        }
        match failure {
            None => {
                self.status = InstructionStatus::Completed;
                self.actual_settlement_date = Some(today);
            }
            Some((error_code, reason)) => {
                self.status = InstructionStatus::Failed;
                self.failed = Some(Failure {
                    failed_timestamp: now_ms,
                    error_code,
                    reason,
                });
            }
        }
        self.record_outcome(now_ms);
        self.touch(now_ms);
    }

    /// READY → PROCESSING: the instruction is claimed for execution under a new transaction id.
    pub fn start_processing(&mut self, now_ms: i64) -> Result<TransactionId, Error> {
        if self.status != InstructionStatus::Ready {
            return Err(Error::bug(format!(
                "cannot start processing from {:?}",
                self.status
            )));
        }
        let id = TransactionId::new_random();
        self.status = InstructionStatus::Processing;
        self.execution_timestamp = Some(now_ms);
        self.transaction_id = Some(id);
        self.attempts = 0;
        self.payment_app_id = None;
        self.checks = 0;
        self.touch(now_ms);
        Ok(id)
    }

    /// READY → INCOMPLETE: what it points at is no longer usable (e.g. the instrument closed).
    pub fn mark_incomplete(&mut self, now_ms: i64) {
        if self.status == InstructionStatus::Ready {
            self.status = InstructionStatus::Incomplete;
            self.touch(now_ms);
        }
    }

    /// Counts a payment attempt with `app_id` (kept from the first attempt on); saved before
    /// the app is called, so a crash or a redelivery never repeats an attempt number.
    pub fn record_attempt(&mut self, app_id: &str, now_ms: i64) -> u32 {
        self.attempts += 1;
        self.payment_app_id.get_or_insert_with(|| app_id.to_owned());
        self.touch(now_ms);
        self.attempts
    }

    /// The payment waits on its app (it answered pending, or in doubt): the instruction stays
    /// PROCESSING and shows the PROCESSING transaction.
    pub fn await_provider(&mut self, transaction: Transaction, now_ms: i64) {
        self.transaction = Some(transaction);
        self.touch(now_ms);
    }

    /// The transaction the payment waits on, if it does.
    /// Reports a finished instruction: `instruction.completed` or `instruction.failed`.
    fn record_outcome(&mut self, now_ms: i64) {
        let event_type = match self.status {
            InstructionStatus::Completed => EventType::InstructionCompleted,
            InstructionStatus::Failed => EventType::InstructionFailed,
            _ => return,
        };
        self.events.record(event_type, now_ms);
    }

    pub fn awaited_transaction(&self) -> Option<&Transaction> {
        self.transaction.as_ref().filter(|t| {
            self.status == InstructionStatus::Processing
                && t.status == TransactionStatus::Processing
        })
    }

    /// PROCESSING → COMPLETED or FAILED, with the transaction that says which. From then on
    /// the transaction is what fixes the instrument and scheme (`source: TRANSACTION`, as the
    /// seeds show an executed instruction).
    pub fn finish(&mut self, transaction: Transaction, now_ms: i64) {
        self.financial_instrument_source = Source::Transaction;
        self.scheme_source = Source::Transaction;
        match transaction.status {
            TransactionStatus::Success => {
                self.status = InstructionStatus::Completed;
                self.actual_settlement_date = transaction.settlement_date;
            }
            TransactionStatus::Failed | TransactionStatus::Processing => {
                self.status = InstructionStatus::Failed;
                self.failed = Some(Failure {
                    failed_timestamp: now_ms,
                    error_code: transaction.failed_error_code.clone().unwrap_or_default(),
                    reason: transaction.failed_reason.clone().unwrap_or_default(),
                });
            }
        }
        self.transaction = Some(transaction);
        self.record_outcome(now_ms);
        self.touch(now_ms);
    }

    /// From when the instruction needs a worker, if it does: a READY one from its settle date
    /// (or its last change, if later), a PROCESSING one from its last change. The sweep queues
    /// it once that moment is older than its re-queue delay: a due instruction whose message was
    /// lost, or one whose worker stopped midway, is picked up again.
    pub fn needs_worker_from(&self) -> Option<i64> {
        // A reward's instruction waits for the claim; the claim's transaction is the work.
        if self.reward_authorized {
            return None;
        }
        match self.status {
            InstructionStatus::Ready => {
                let due = self
                    .settled_by_date
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc()
                    .timestamp_millis();
                Some(due.max(self.last_updated))
            }
            // Waiting on the app: the sweep hands it back for a status query, less often each
            // time.
            InstructionStatus::Processing if self.awaited_transaction().is_some() => {
                Some(self.last_updated + crate::work::provider_wait_ms(self.checks))
            }
            InstructionStatus::Processing => Some(self.last_updated),
            _ => None,
        }
    }

    /// Whether the instruction holds personal data of its customer (metadata, a cancellation
    /// reason, refund reasons in its copy of the transaction): such a write is refused once the
    /// customer is forgotten.
    pub fn carries_personal_data(&self) -> bool {
        !self.metadata.is_empty()
            || self.cancelled.as_ref().is_some_and(|c| c.reason.is_some())
            || self
                .transaction
                .as_ref()
                .is_some_and(Transaction::carries_personal_data)
    }

    /// Since when the instruction has waited on its app for an outcome (its transaction began),
    /// while it does.
    pub fn waiting_on_provider_since(&self) -> Option<i64> {
        self.awaited_transaction().map(|t| t.created_timestamp)
    }

    /// Forget: no metadata, no cancellation reason, no refund reasons; amounts, ids, dates and
    /// statuses stay.
    pub fn forget_personal_data(&mut self, now_ms: i64) {
        self.metadata = Metadata::default();
        if let Some(cancelled) = &mut self.cancelled {
            cancelled.reason = None;
        }
        if let Some(transaction) = &mut self.transaction {
            transaction.forget_personal_data(now_ms);
        }
        self.touch(now_ms);
    }

    fn touch(&mut self, now_ms: i64) {
        self.last_updated = now_ms;
        self.version += 1;
    }
}

pub fn order_not_found(order: &OrderRef) -> Error {
    Error::invalid(Violation::new(ErrorCode::ORDER_NOT_FOUND).with("orderRef", order.as_str()))
}

pub fn instruction_not_found(instruction: &InstructionRef) -> Error {
    Error::invalid(
        Violation::new(ErrorCode::INSTRUCTION_NOT_FOUND)
            .with("instructionRef", instruction.as_str()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::currency::Currency;
    use crate::payments::Amount;

    fn payout(direction: &str) -> Instruction {
        let request = NewInstruction {
            instruction_ref: InstructionRef::parse("i1").unwrap(),
            customer_ref: CustomerRef::parse("c1").unwrap(),
            direction: Direction::parse(direction).unwrap(),
            financial_instrument_id: None,
            money: Amount::from_json(&serde_json::json!(10))
                .unwrap()
                .in_currency(Currency::parse("EUR").unwrap())
                .unwrap(),
            country: Country::parse("DE").unwrap(),
            settled_by_date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
            scheme_id: None,
            metadata: Metadata::default(),
        };
        Instruction::new(OrderRef::parse("o1").unwrap(), request, 0)
    }

    fn code(result: Result<impl std::fmt::Debug, Error>) -> Option<ErrorCode> {
        match result {
            Err(Error::Invalid(all)) => all.first().map(|v| v.code),
            _ => None,
        }
    }

    #[test]
    fn a_reward_is_authorized_once_then_claimed_once() {
        let mut instruction = payout("Credit");
        let reward = RewardId::new_random();
        assert_eq!(
            code(instruction.claim_reward(reward, 1)),
            Some(ErrorCode::REWARD_NOT_AUTHORIZED)
        );
        assert!(matches!(instruction.authorize_reward(1), Ok(true)));
        assert!(matches!(instruction.authorize_reward(2), Ok(false)));
        let today = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        assert!(!instruction.awaits_execution_on(today));
        assert_eq!(instruction.needs_worker_from(), None);
        let claim = instruction.claim_reward(reward, 3).unwrap();
        assert_eq!(instruction.status, InstructionStatus::Processing);
        assert_eq!(
            instruction.financial_instrument_id,
            Some(claim.financial_instrument_id)
        );
        assert_eq!(
            code(instruction.claim_reward(reward, 4)),
            Some(ErrorCode::TRANSACTION_ALREADY_EXISTS)
        );
        assert_eq!(
            code(instruction.authorize_reward(4)),
            Some(ErrorCode::INSTRUCTION_PROCESSING)
        );
        instruction.finish_reward(None, today, 5);
        assert_eq!(instruction.status, InstructionStatus::Completed);
        assert_eq!(instruction.actual_settlement_date, Some(today));
    }

    #[test]
    fn only_payouts_become_rewards() {
        let mut collection = payout("Debit");
        assert_eq!(
            code(collection.authorize_reward(1)),
            Some(ErrorCode::REWARD_DIRECTION_UNSUPPORTED)
        );
        let mut cancelled = payout("Credit");
        assert!(cancelled.cancel("me".into(), None, 1).is_ok());
        assert_eq!(
            code(cancelled.authorize_reward(2)),
            Some(ErrorCode::INSTRUCTION_CANCELLED)
        );
    }

    #[test]
    fn a_refused_reward_fails_the_instruction() {
        let mut instruction = payout("Credit");
        assert!(instruction.authorize_reward(1).is_ok());
        assert!(instruction.claim_reward(RewardId::new_random(), 2).is_ok());
        let today = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        instruction.finish_reward(Some(("REWARD_UNAVAILABLE".into(), "no".into())), today, 3);
        assert_eq!(instruction.status, InstructionStatus::Failed);
        assert_eq!(
            instruction.failed.as_ref().map(|f| f.error_code.as_str()),
            Some("REWARD_UNAVAILABLE")
        );
    }
}
