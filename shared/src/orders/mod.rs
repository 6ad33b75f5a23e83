//! Orders and their payment instructions: what an instruction holds, the states it moves
//! through (API.md section 5), and which changes each state allows.

mod execution;
mod references;
mod requests;
mod store;
mod vault_changes;
mod view;

pub use execution::{ExecuteInstruction, Executor, MAX_PAYMENT_ATTEMPTS};
pub use references::References;
pub use requests::{
    parse_cancel, parse_create_order, parse_new_instruction, parse_order_metadata, parse_update,
    CreateOrder, InstructionUpdate, NewInstruction, MAX_INSTRUCTIONS_PER_ORDER,
};
pub use store::OrderStore;
pub use vault_changes::VaultChanges;
pub use view::{instruction_body, order_body};

use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, TransactionId};
use crate::metadata::Metadata;
use crate::payments::{Direction, Money, SchemeId};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::vault::{Transaction, TransactionStatus};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    None,
    ManuallySet,
    Transaction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    pub cancelled_timestamp: i64,
    /// The account that cancelled it.
    pub identity: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instruction {
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
    pub customer_ref: CustomerRef,
    pub direction: Direction,
    pub amount: Money,
    pub country: String,
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
    pub cancelled: Option<Cancellation>,
    /// When execution started (epoch milliseconds).
    #[serde(default)]
    pub execution_timestamp: Option<i64>,
    /// Payment attempts made for the current transaction.
    #[serde(default)]
    pub attempts: u32,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

impl Instruction {
    /// A new instruction; its instrument and scheme have already been checked.
    pub fn new(order_ref: OrderRef, request: NewInstruction, now_ms: i64) -> Instruction {
        let mut instruction = Instruction {
            order_ref,
            instruction_ref: request.instruction_ref,
            customer_ref: request.customer_ref,
            direction: request.direction,
            amount: request.money,
            country: request.country.code().to_owned(),
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
            cancelled: None,
            execution_timestamp: None,
            attempts: 0,
            transaction_id: None,
            transaction: None,
            failed: None,
            actual_settlement_date: None,
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
            self.country = country.code().to_owned();
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
        reason: Option<String>,
        now_ms: i64,
    ) -> Result<(), Error> {
        self.ensure_editable()?;
        self.status = InstructionStatus::Cancelled;
        self.cancelled = Some(Cancellation {
            cancelled_timestamp: now_ms,
            identity,
            reason,
        });
        self.touch(now_ms);
        Ok(())
    }

    /// READY → PROCESSING: the instruction is claimed for execution under a new transaction id.
    pub fn start_processing(&mut self, now_ms: i64) -> Result<TransactionId, Error> {
        if self.status != InstructionStatus::Ready {
            return Err(Error::Internal(format!(
                "cannot start processing from {:?}",
                self.status
            )));
        }
        let id = TransactionId::new_random();
        self.status = InstructionStatus::Processing;
        self.execution_timestamp = Some(now_ms);
        self.transaction_id = Some(id);
        self.attempts = 0;
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

    /// Counts a payment attempt; the count is saved before the app is called, so a crash or a
    /// redelivery never repeats an attempt number.
    pub fn record_attempt(&mut self, now_ms: i64) -> u32 {
        self.attempts += 1;
        self.touch(now_ms);
        self.attempts
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
        self.touch(now_ms);
    }

    /// From when the instruction needs a worker, if it does: a READY one from its settle date
    /// (or its last change, if later), a PROCESSING one from its last change. The sweep queues
    /// it once that moment is older than its re-queue delay: a due instruction whose message was
    /// lost, or one whose worker stopped midway, is picked up again.
    pub fn needs_worker_from(&self) -> Option<i64> {
        match self.status {
            InstructionStatus::Ready => {
                let due = self
                    .settled_by_date
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc()
                    .timestamp_millis();
                Some(due.max(self.last_updated))
            }
            InstructionStatus::Processing => Some(self.last_updated),
            _ => None,
        }
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

/// The key of an instruction's item, for writes made from the vault (a transaction's changes
/// are mirrored into its instruction).
pub(crate) fn instruction_key(
    scope: &crate::ids::TenantScope,
    order: &OrderRef,
    instruction: &InstructionRef,
) -> (String, String) {
    store::instruction_key_of(scope, order, instruction)
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
