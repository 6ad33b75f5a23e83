//! Where an instruction is executed: a due READY instruction is paid through its scheme's
//! payment app, once, however often its message arrives and however many workers race on it.
//! Every step is a conditional write on the instruction's `version`: claiming it
//! (READY → PROCESSING), counting an attempt before the app is called, and recording the answer
//! (the transaction, the instruction and the provider link in one write). A lost write means
//! another worker got there first, so it ends the message's work rather than being retried.
//!
//! An app that answers pending, or whose answer is in doubt, leaves the transaction PROCESSING;
//! the sweep hands the instruction back later and the worker then asks the app under the same
//! key instead of paying again (docs/decisions/0016). Only answers proving the app did nothing
//! count towards the attempts after which the instruction fails.

use super::references::problems_of;
use super::{Claim, Instruction, InstructionStatus, Orders, References};
use crate::clock::Now;
use crate::error::Error;
use crate::ids::{MessageScope, TenantScope, TransactionId};
use crate::payments::{
    Answer, LinkTarget, PaymentApp, PaymentApps, PaymentRequest, ProviderLink, Scheme, Schemes,
    Settlement, MAX_PAYMENT_ATTEMPTS,
};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::vault::{EventEffect, Transaction, TransactionStatus, Transactions};
use crate::versioned::{self, Updated, Versioned};
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
    let scheme = match (
        checked_scheme,
        &instruction.payment_app_id,
        &instruction.scheme_id,
    ) {
        (Some(scheme), _, _) => Some(scheme),
        // Attempted before: the app of the first attempt decides, not the scheme.
        (None, Some(_), _) => None,
        // A redelivered message for an instruction claimed earlier.
        (None, None, Some(id)) => store.scheme(&scope, id).await?,
        (None, None, None) => None,
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
fn transaction_of(instruction: &Instruction, app_id: &str, now: Now) -> Result<Transaction, Error> {
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
        status: TransactionStatus::Processing,
        failed_error_code: None,
        failed_reason: None,
        settlement_date: None,
        created_timestamp: now.epoch_ms(),
        last_updated_timestamp: now.epoch_ms(),
        refunded_minor: 0,
        refunds: Vec::new(),
        chargebacks: Vec::new(),
        version: 1,
        events: Default::default(),
    })
}

/// Pays a PROCESSING instruction through the app of its first attempt (else its scheme's), or,
/// when the payment waits on that app, asks it what became of it.
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
    let app_id = instruction
        .payment_app_id
        .clone()
        .or(scheme.map(|s| s.app_id))
        .unwrap_or_default();
    let waiting = instruction.awaited_transaction().cloned();
    let Some(app) = apps.find(&app_id) else {
        if waiting.is_some() {
            // It may have paid: only that app can say, so this is not the payment's failure.
            return Err(Error::bug(format!(
                "the payment app {app_id} a payment waits on is not deployed"
            )));
        }
        let failed = Err((
            "APP_UNAVAILABLE".to_owned(),
            "The scheme's payment app is not available".to_owned(),
        ));
        let transaction = transaction_of(&instruction, &app_id, now)?;
        return record(
            orders,
            scope,
            instruction,
            transaction,
            None,
            Answer::Final(failed),
            now,
        )
        .await;
    };
    let mut request = PaymentRequest {
        transaction_id,
        direction: instruction.direction,
        amount: instruction.amount,
        attempt: instruction.attempts,
    };
    if let Some(transaction) = waiting {
        let read = transaction.version;
        match Answer::from(app.payment_status(&request).await) {
            // No record of it at the app: the payment is made again, under the same key.
            Answer::Retryable(reason) => tracing::info!(%reason, "payment unknown to its app"),
            answer => {
                instruction.checks += 1;
                return record(
                    orders,
                    scope,
                    instruction,
                    transaction,
                    Some(read),
                    answer,
                    now,
                )
                .await;
            }
        }
    }
    if instruction.attempts >= MAX_PAYMENT_ATTEMPTS {
        let failed = Err((
            "PROVIDER_UNAVAILABLE".to_owned(),
            "The payment app could not be reached".to_owned(),
        ));
        return finish_unpaid(orders, scope, instruction, app, failed, now).await;
    }
    let read = instruction.version;
    request.attempt = instruction.record_attempt(app.app_id(), now.epoch_ms());
    if !orders.save_instruction(scope, &instruction, read).await? {
        return Ok(Step::Done);
    }
    match Answer::from(app.execute(&request).await) {
        Answer::Retryable(reason) => {
            tracing::warn!(attempt = request.attempt, %reason, "payment app asked to retry");
            Ok(Step::RetryLater)
        }
        answer => {
            let (transaction, read) = match instruction.transaction.clone() {
                // Paid again after the app had no record: its transaction is already stored.
                Some(stored) => {
                    let read = stored.version;
                    (stored, Some(read))
                }
                None => (transaction_of(&instruction, app.app_id(), now)?, None),
            };
            record(orders, scope, instruction, transaction, read, answer, now).await
        }
    }
}

/// Fails the instruction with a transaction that records no payment.
async fn finish_unpaid(
    orders: &impl Orders,
    scope: &TenantScope,
    instruction: Instruction,
    app: &dyn PaymentApp,
    failed: Settlement,
    now: Now,
) -> Result<Step, Error> {
    let (transaction, read) = match instruction.transaction.clone() {
        Some(stored) => {
            let read = stored.version;
            (stored, Some(read))
        }
        None => (transaction_of(&instruction, app.app_id(), now)?, None),
    };
    record(
        orders,
        scope,
        instruction,
        transaction,
        read,
        Answer::Final(failed),
        now,
    )
    .await
}

/// Records an answer: a final one settles the transaction and finishes the instruction; a
/// waiting one keeps both PROCESSING, with the app's id once known. One write, with the link
/// from the app's id.
async fn record(
    orders: &impl Orders,
    scope: &TenantScope,
    mut instruction: Instruction,
    mut transaction: Transaction,
    transaction_read: Option<u64>,
    answer: Answer,
    now: Now,
) -> Result<Step, Error> {
    let instruction_read = instruction.version;
    match answer {
        Answer::Final(settlement) => {
            if !transaction.settle_payment(settlement, now.today(), now.epoch_ms()) {
                return Ok(Step::Done);
            }
            instruction.finish(transaction.clone(), now.epoch_ms());
        }
        Answer::Waiting(app_transaction_id) => {
            if let Some(id) = app_transaction_id {
                transaction.app_transaction_id.get_or_insert(id);
            }
            if transaction_read.is_some() {
                transaction.touch(now.epoch_ms());
            }
            instruction.await_provider(transaction.clone(), now.epoch_ms());
        }
        Answer::Retryable(_) => return Err(Error::bug("a retryable answer has nothing to record")),
    }
    let link = transaction
        .app_transaction_id
        .clone()
        .map(|app_reference| ProviderLink {
            app_id: transaction.app_id.clone(),
            app_reference,
            target: LinkTarget::Transaction {
                scope: (*scope).into(),
                customer_ref: transaction.customer_ref.clone(),
                transaction_id: transaction.id,
            },
        });
    let recorded = orders
        .record_payment(
            scope,
            &instruction,
            instruction_read,
            &transaction,
            transaction_read,
            link.as_ref(),
        )
        .await?;
    if recorded && instruction.status == InstructionStatus::Processing {
        tracing::info!(checks = instruction.checks, "payment waits on its app");
    } else if recorded {
        tracing::info!(status = ?instruction.status, "instruction executed");
    }
    Ok(Step::Done)
}

/// A payment's transaction and its instruction, saved together.
#[derive(Clone)]
struct PaymentRecord {
    transaction: Transaction,
    instruction: Instruction,
}

impl Versioned for PaymentRecord {
    type Version = (u64, u64);

    fn version(&self) -> (u64, u64) {
        (self.transaction.version, self.instruction.version)
    }
}

/// A provider's word on a payment (a webhook): settles the transaction and finishes its
/// instruction in one write. A payment no longer PROCESSING is left as it is, so a late or
/// repeated event changes nothing; one not recorded yet is for later.
pub async fn settle_payment<S: Orders + Transactions>(
    store: &S,
    scope: &TenantScope,
    customer: &CustomerRef,
    transaction_id: TransactionId,
    settlement: Settlement,
    now: Now,
) -> Result<EventEffect, Error> {
    let load = || async {
        let Some(transaction) = store.transaction(scope, customer, transaction_id).await? else {
            return Ok(None);
        };
        let instruction = store
            .instruction(scope, &transaction.order_ref, &transaction.instruction_ref)
            .await?
            .ok_or_else(|| Error::bug("a transaction without its instruction"))?;
        Ok(Some(PaymentRecord {
            transaction,
            instruction,
        }))
    };
    let updated = versioned::update(
        "payment",
        None,
        load,
        |record| {
            let changed =
                record
                    .transaction
                    .settle_payment(settlement.clone(), now.today(), now.epoch_ms());
            if changed {
                record
                    .instruction
                    .finish(record.transaction.clone(), now.epoch_ms());
            }
            Ok(changed.then_some(()))
        },
        |record, (transaction_read, instruction_read)| async move {
            store
                .record_payment(
                    scope,
                    &record.instruction,
                    instruction_read,
                    &record.transaction,
                    Some(transaction_read),
                    None,
                )
                .await
        },
    )
    .await?;
    Ok(match updated {
        Updated::Saved(record, ()) => {
            tracing::info!(status = ?record.instruction.status, "instruction executed");
            EventEffect::Applied
        }
        Updated::Unchanged(_) => EventEffect::AlreadyApplied,
        Updated::Missing => EventEffect::NotYet,
    })
}
