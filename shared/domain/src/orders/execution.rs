//! Where an instruction is executed: a due READY instruction is paid through its scheme's
//! payment app, once, however often its message arrives and however many workers race on it.
//! Every step is a conditional write on the instruction's `version`: claiming it
//! (READY → PROCESSING), counting an attempt before the app is called, and finishing (the
//! transaction and the final state in one write). A lost write means another worker got there
//! first, so it ends the message's work rather than being retried.

use super::references::problems_of;
use super::{Claim, Instruction, InstructionStatus, Orders, References};
use crate::clock::Now;
use crate::error::Error;
use crate::ids::{MessageScope, TenantScope};
use crate::payments::{
    PaymentApps, PaymentOutcome, PaymentRequest, Scheme, Schemes, MAX_PAYMENT_ATTEMPTS,
};
use crate::refs::{InstructionRef, OrderRef};
use crate::vault::{Transaction, TransactionStatus};
use crate::work::{Step, WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};

/// The queue message asking for an instruction to be executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteInstruction {
    #[serde(flatten)]
    pub scope: MessageScope,
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
}

impl WorkMessage for ExecuteInstruction {
    const KIND: WorkKind = WorkKind::Instruction;
}

impl ExecuteInstruction {
    pub fn for_instruction(scope: &TenantScope, instruction: &Instruction) -> Self {
        ExecuteInstruction {
            scope: (*scope).into(),
            order_ref: instruction.order_ref.clone(),
            instruction_ref: instruction.instruction_ref.clone(),
        }
    }
}

/// The instruction worker: executes the instruction the message names, if it is due.
pub async fn execute_instruction<S: Orders + References + Schemes>(
    store: &S,
    apps: &PaymentApps,
    message: &ExecuteInstruction,
    now: Now,
) -> Result<Step, Error> {
    let scope: TenantScope = message.scope.into();
    let Some(mut instruction) = store
        .instruction(&scope, &message.order_ref, &message.instruction_ref)
        .await?
    else {
        // An instruction that does not exist never will: retrying cannot help.
        tracing::warn!("message names an instruction that does not exist");
        return Ok(Step::Done);
    };
    // The scheme the claim's reference check read, so paying need not read it again.
    let mut checked_scheme = None;
    if instruction.status == InstructionStatus::Ready {
        match claim(store, &scope, &mut instruction, now).await? {
            Some(scheme) => checked_scheme = scheme,
            None => return Ok(Step::Done),
        }
    }
    if instruction.status != InstructionStatus::Processing {
        return Ok(Step::Done);
    }
    let scheme = match (checked_scheme, &instruction.scheme_id) {
        (Some(scheme), _) => Some(scheme),
        // A redelivered message for an instruction claimed earlier.
        (None, Some(id)) => store.scheme(&scope, id).await?,
        (None, None) => None,
    };
    pay(store, apps, &scope, instruction, scheme, now).await
}

/// READY → PROCESSING, when due and still pointing at a usable instrument and scheme: `Some`
/// with the scheme it checked. `None` when there is nothing to do now or another worker
/// claimed it first.
async fn claim<S: Orders + References>(
    store: &S,
    scope: &TenantScope,
    instruction: &mut Instruction,
    now: Now,
) -> Result<Option<Option<Scheme>>, Error> {
    if !instruction.awaits_execution_on(now.today()) {
        return Ok(None);
    }
    let read = instruction.version;
    let referenced = store
        .referenced(scope, std::slice::from_ref(instruction))
        .await?
        .pop()
        .unwrap_or_default();
    if problems_of(instruction, &referenced).is_empty() {
        let ready = instruction.clone();
        instruction.start_processing(now.epoch_ms())?;
        match store.claim_instruction(scope, instruction, read).await? {
            Claim::Claimed => return Ok(Some(referenced.scheme)),
            Claim::InstructionChanged => return Ok(None),
            // Closed since it was checked: the close wins.
            Claim::InstrumentInactive => *instruction = ready,
        }
    }
    instruction.mark_incomplete(now.epoch_ms());
    store.save_instruction(scope, instruction, read).await?;
    tracing::info!("instruction no longer usable: back to INCOMPLETE");
    Ok(None)
}

/// A transaction of the PROCESSING instruction, which always has an instrument and an id.
fn transaction_of(
    instruction: &Instruction,
    app_id: &str,
    status: TransactionStatus,
    now: Now,
) -> Result<Transaction, Error> {
    let (Some(id), Some(financial_instrument_id)) = (
        instruction.transaction_id,
        instruction.financial_instrument_id,
    ) else {
        return Err(Error::bug(
            "a processing instruction lacks its transaction id or instrument",
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
        status,
        failed_error_code: None,
        failed_reason: None,
        settlement_date: None,
        created_timestamp: now.epoch_ms(),
        last_updated_timestamp: now.epoch_ms(),
        refunded_minor: 0,
        refunds: Vec::new(),
        version: 1,
    })
}

fn failed_transaction(
    instruction: &Instruction,
    app_id: &str,
    code: &str,
    reason: &str,
    now: Now,
) -> Result<Transaction, Error> {
    Ok(Transaction {
        failed_error_code: Some(code.to_owned()),
        failed_reason: Some(reason.to_owned()),
        ..transaction_of(instruction, app_id, TransactionStatus::Failed, now)?
    })
}

/// Pays a PROCESSING instruction through its scheme's app.
async fn pay(
    orders: &impl Orders,
    apps: &PaymentApps,
    scope: &TenantScope,
    mut instruction: Instruction,
    scheme: Option<Scheme>,
    now: Now,
) -> Result<Step, Error> {
    let transaction_id = instruction
        .transaction_id
        .ok_or_else(|| Error::bug("a processing instruction lacks its transaction id"))?;
    let Some(app) = scheme.as_ref().and_then(|s| apps.find(&s.app_id)) else {
        let app_id = scheme.map(|s| s.app_id).unwrap_or_default();
        let transaction = failed_transaction(
            &instruction,
            &app_id,
            "APP_UNAVAILABLE",
            "The scheme's payment app is not available",
            now,
        )?;
        return finish(orders, scope, instruction, transaction, now).await;
    };
    if instruction.attempts >= MAX_PAYMENT_ATTEMPTS {
        let transaction = failed_transaction(
            &instruction,
            app.app_id(),
            "PROVIDER_UNAVAILABLE",
            "The payment app could not be reached",
            now,
        )?;
        return finish(orders, scope, instruction, transaction, now).await;
    }
    let read = instruction.version;
    let attempt = instruction.record_attempt(now.epoch_ms());
    if !orders.save_instruction(scope, &instruction, read).await? {
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
            failed_transaction(&instruction, app.app_id(), &error_code, &reason, now)?
        }
        PaymentOutcome::Succeeded { app_transaction_id } => Transaction {
            app_transaction_id: Some(app_transaction_id),
            settlement_date: Some(now.today()),
            ..transaction_of(&instruction, app.app_id(), TransactionStatus::Success, now)?
        },
    };
    finish(orders, scope, instruction, transaction, now).await
}

async fn finish(
    orders: &impl Orders,
    scope: &TenantScope,
    mut instruction: Instruction,
    transaction: Transaction,
    now: Now,
) -> Result<Step, Error> {
    let read = instruction.version;
    instruction.finish(transaction.clone(), now.epoch_ms());
    if orders
        .finish_execution(scope, &instruction, read, &transaction)
        .await?
    {
        tracing::info!(status = ?instruction.status, "instruction executed");
    }
    Ok(Step::Done)
}
