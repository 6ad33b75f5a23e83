//! Changing an instruction that has not been handed to a payment app yet: a partial update, or
//! a cancel. Each is a versioned update of the instruction; an update must leave the instrument
//! and scheme it names usable, a cancel names neither, so a closed instrument cannot stop it.

use super::create::instruction_missing;
use super::{queue_due, refuse_unusable, ExecuteInstruction, Instruction, Orders, References};
use crate::clock::Now;
use crate::country::Country;
use crate::currency::Currency;
use crate::error::Error;
use crate::ids::{FinancialInstrumentId, TenantScope};
use crate::metadata::Metadata;
use crate::payments::{Amount, SchemeId};
use crate::refs::{InstructionRef, OrderRef};
use crate::secret::Secret;
use crate::versioned::{self, Updated};
use crate::work::Queue;
use chrono::NaiveDate;

/// PUT instruction: every field optional; absent fields keep their value. Amount and currency
/// are checked against each other when applied, since either may come alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstructionUpdate {
    pub financial_instrument_id: Option<FinancialInstrumentId>,
    pub amount: Option<Amount>,
    pub currency: Option<Currency>,
    pub country: Option<Country>,
    pub settled_by_date: Option<NaiveDate>,
    pub scheme_id: Option<SchemeId>,
    /// `Some(empty)` when the body sets `metadata: null`.
    pub metadata: Option<Metadata>,
}

/// Whether a change must find the instruction's instrument and scheme usable afterwards.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReferenceCheck {
    Check,
    Ignore,
}

/// Reads the instruction, changes it, checks what it now points at, and writes it back only if
/// nobody changed it meanwhile; a lost race starts over from a fresh read.
async fn change_instruction<S: Orders + References>(
    store: &S,
    scope: &TenantScope,
    order_ref: &OrderRef,
    instruction_ref: &InstructionRef,
    references: ReferenceCheck,
    change: impl FnMut(&mut Instruction) -> Result<(), Error>,
) -> Result<Instruction, Error> {
    let mut change = change;
    let updated = versioned::update(
        "instruction",
        None,
        || store.instruction(scope, order_ref, instruction_ref),
        |instruction| change(instruction).map(Some),
        |instruction, read| async move {
            if references == ReferenceCheck::Check {
                refuse_unusable(store, scope, std::slice::from_ref(&instruction)).await?;
            }
            store.link_instruction(scope, &instruction).await?;
            store.save_instruction(scope, &instruction, read).await
        },
    )
    .await?;
    match updated {
        Updated::Saved(instruction, ()) => {
            tracing::info!(status = ?instruction.status, "instruction changed");
            Ok(instruction)
        }
        Updated::Unchanged(_) | Updated::Missing => {
            Err(instruction_missing(store, scope, order_ref, instruction_ref).await)
        }
    }
}

/// PUT instruction: a partial update, queued at once when it makes the instruction due.
pub async fn update_instruction<S: Orders + References>(
    store: &S,
    queue: &impl Queue<ExecuteInstruction>,
    scope: &TenantScope,
    order_ref: &OrderRef,
    instruction_ref: &InstructionRef,
    update: InstructionUpdate,
    now: Now,
) -> Result<(), Error> {
    let changed = change_instruction(
        store,
        scope,
        order_ref,
        instruction_ref,
        ReferenceCheck::Check,
        |instruction| instruction.apply(update.clone(), now.epoch_ms()),
    )
    .await?;
    queue_due(queue, scope, std::slice::from_ref(&changed), now).await;
    Ok(())
}

/// POST cancel, by the account that asks.
pub async fn cancel_instruction<S: Orders + References>(
    store: &S,
    scope: &TenantScope,
    order_ref: &OrderRef,
    instruction_ref: &InstructionRef,
    reason: Option<Secret<String>>,
    now: Now,
) -> Result<(), Error> {
    let identity = scope.account.to_string();
    change_instruction(
        store,
        scope,
        order_ref,
        instruction_ref,
        ReferenceCheck::Ignore,
        |instruction| instruction.cancel(identity.clone(), reason.clone(), now.epoch_ms()),
    )
    .await?;
    Ok(())
}
