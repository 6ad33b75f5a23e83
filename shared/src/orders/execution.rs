//! Executing a due READY instruction through its scheme's payment app, once, however often its
//! message arrives and however many workers race on it. Every step is a conditional write on
//! the instruction's `version`: claiming (READY → PROCESSING), counting an attempt before the
//! app is called, and finishing (the transaction and the final state in one transaction).

use super::{Instruction, InstructionStatus, OrderStore, References};
use crate::error::Error;
use crate::ids::{AccountId, TenantId, TenantScope};
use crate::payments::{PaymentApps, PaymentOutcome, PaymentRequest, Scheme, SchemeStore};
use crate::refs::{InstructionRef, OrderRef};
use crate::vault::{Transaction, TransactionStatus};
use crate::worker::Step;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Payment attempts before an instruction whose app keeps asking to retry is failed.
pub const MAX_PAYMENT_ATTEMPTS: u32 = 5;

/// The queue message asking for an instruction to be executed. Ids only: the worker reloads
/// the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteInstruction {
    pub tenant_id: TenantId,
    pub account_id: AccountId,
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
}

impl ExecuteInstruction {
    pub fn for_instruction(scope: &TenantScope, instruction: &Instruction) -> Self {
        ExecuteInstruction {
            tenant_id: scope.tenant,
            account_id: scope.account,
            order_ref: instruction.order_ref.clone(),
            instruction_ref: instruction.instruction_ref.clone(),
        }
    }

    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant_id,
            account: self.account_id,
        }
    }
}

#[derive(Clone)]
pub struct Executor {
    orders: OrderStore,
    references: References,
    schemes: SchemeStore,
    apps: Arc<PaymentApps>,
}

fn failed_transaction(
    instruction: &Instruction,
    app_id: &str,
    code: &str,
    reason: &str,
    now_ms: i64,
) -> Result<Transaction, Error> {
    Ok(Transaction {
        status: TransactionStatus::Failed,
        failed_error_code: Some(code.to_owned()),
        failed_reason: Some(reason.to_owned()),
        ..new_transaction(instruction, app_id, now_ms)?
    })
}

/// The transaction of a PROCESSING instruction, which always has an instrument and an id.
fn new_transaction(
    instruction: &Instruction,
    app_id: &str,
    now_ms: i64,
) -> Result<Transaction, Error> {
    let (Some(id), Some(financial_instrument_id)) = (
        instruction.transaction_id,
        instruction.financial_instrument_id,
    ) else {
        return Err(Error::Internal(
            "a processing instruction lacks its transaction id or instrument".into(),
        ));
    };
    Ok(Transaction {
        id,
        financial_instrument_id,
        customer_ref: instruction.customer_ref.clone(),
        order_ref: instruction.order_ref.clone(),
        instruction_ref: instruction.instruction_ref.clone(),
        app_id: app_id.to_owned(),
        app_transaction_id: None,
        amount: instruction.amount,
        status: TransactionStatus::Processing,
        failed_error_code: None,
        failed_reason: None,
        settlement_date: None,
        created_timestamp: now_ms,
        last_updated_timestamp: now_ms,
        refunded_minor: 0,
        refunds: Vec::new(),
        version: 1,
    })
}

impl Executor {
    pub fn new(
        orders: OrderStore,
        references: References,
        schemes: SchemeStore,
        apps: Arc<PaymentApps>,
    ) -> Self {
        Executor {
            orders,
            references,
            schemes,
            apps,
        }
    }

    pub async fn execute(
        &self,
        message: &ExecuteInstruction,
        today: NaiveDate,
        now_ms: i64,
    ) -> Result<Step, Error> {
        let scope = message.scope();
        let mut instruction = match self
            .orders
            .load_instruction(&scope, &message.order_ref, &message.instruction_ref)
            .await
        {
            Ok(instruction) => instruction,
            // An order or instruction that does not exist never will: retrying cannot help.
            Err(Error::Invalid(_)) => {
                tracing::warn!("message names an instruction that does not exist");
                return Ok(Step::Done);
            }
            Err(other) => return Err(other),
        };
        // The scheme the claim's reference check read, so paying need not read it again.
        let mut checked_scheme = None;
        if instruction.status == InstructionStatus::Ready {
            match self.claim(&scope, &mut instruction, today, now_ms).await? {
                Some(scheme) => checked_scheme = scheme,
                None => return Ok(Step::Done),
            }
        }
        if instruction.status != InstructionStatus::Processing {
            return Ok(Step::Done);
        }
        self.pay(&scope, instruction, checked_scheme, today, now_ms)
            .await
    }

    /// READY → PROCESSING, when due and still pointing at a usable instrument and scheme:
    /// `Some` with the scheme it checked. `None` when there is nothing to do now or another
    /// worker claimed it first.
    async fn claim(
        &self,
        scope: &TenantScope,
        instruction: &mut Instruction,
        today: NaiveDate,
        now_ms: i64,
    ) -> Result<Option<Option<Scheme>>, Error> {
        if !instruction.awaits_execution_on(today) {
            return Ok(None);
        }
        let read = instruction.version;
        let checked = self.references.check(scope, instruction).await?;
        if !checked.problems.is_empty() {
            instruction.mark_incomplete(now_ms);
            self.orders
                .save_instruction(scope, instruction, read)
                .await?;
            tracing::info!("instruction no longer usable: back to INCOMPLETE");
            return Ok(None);
        }
        instruction.start_processing(now_ms)?;
        let claimed = self
            .orders
            .save_instruction(scope, instruction, read)
            .await?;
        Ok(claimed.then_some(checked.scheme))
    }

    /// Pays a PROCESSING instruction through its scheme's app: `scheme` when the claim just
    /// read it, else read now (a redelivered message for an instruction claimed earlier).
    async fn pay(
        &self,
        scope: &TenantScope,
        mut instruction: Instruction,
        scheme: Option<Scheme>,
        today: NaiveDate,
        now_ms: i64,
    ) -> Result<Step, Error> {
        let scheme = match (scheme, &instruction.scheme_id) {
            (Some(scheme), _) => Some(scheme),
            (None, Some(id)) => self.schemes.find(scope, id).await?,
            (None, None) => None,
        };
        let transaction_id = instruction.transaction_id.ok_or_else(|| {
            Error::Internal("a processing instruction lacks its transaction id".into())
        })?;
        let Some(app) = scheme.as_ref().and_then(|s| self.apps.find(&s.app_id)) else {
            let app_id = scheme.map(|s| s.app_id).unwrap_or_default();
            let transaction = failed_transaction(
                &instruction,
                &app_id,
                "APP_UNAVAILABLE",
                "The scheme's payment app is not available",
                now_ms,
            )?;
            return self.finish(scope, instruction, transaction, now_ms).await;
        };
        if instruction.attempts >= MAX_PAYMENT_ATTEMPTS {
            let transaction = failed_transaction(
                &instruction,
                app.app_id(),
                "PROVIDER_UNAVAILABLE",
                "The payment app could not be reached",
                now_ms,
            )?;
            return self.finish(scope, instruction, transaction, now_ms).await;
        }
        let read = instruction.version;
        let attempt = instruction.record_attempt(now_ms);
        if !self
            .orders
            .save_instruction(scope, &instruction, read)
            .await?
        {
            return Ok(Step::Done);
        }
        let request = PaymentRequest {
            transaction_id,
            direction: instruction.direction,
            amount: instruction.amount,
            attempt,
        };
        let transaction = match app.execute(&request).await {
            PaymentOutcome::Retryable { reason } => {
                tracing::warn!(attempt, %reason, "payment app asked to retry");
                return Ok(Step::RetryLater);
            }
            PaymentOutcome::Declined { error_code, reason } => {
                failed_transaction(&instruction, app.app_id(), &error_code, &reason, now_ms)?
            }
            PaymentOutcome::Succeeded { app_transaction_id } => Transaction {
                status: TransactionStatus::Success,
                app_transaction_id: Some(app_transaction_id),
                settlement_date: Some(today),
                ..new_transaction(&instruction, app.app_id(), now_ms)?
            },
        };
        self.finish(scope, instruction, transaction, now_ms).await
    }

    async fn finish(
        &self,
        scope: &TenantScope,
        mut instruction: Instruction,
        transaction: Transaction,
        now_ms: i64,
    ) -> Result<Step, Error> {
        let read = instruction.version;
        instruction.finish(transaction.clone(), now_ms);
        if self
            .orders
            .finish_execution(scope, &instruction, read, &transaction)
            .await?
        {
            tracing::info!(status = ?instruction.status, "instruction executed");
        }
        Ok(Step::Done)
    }
}
