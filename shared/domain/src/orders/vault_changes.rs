//! What changes in the vault do to a customer's instructions, found through the customer's
//! instruction links: closing an instrument sends the READY instructions that use it back to
//! INCOMPLETE (and forget, in `crate::forget`, erases what they hold). A link to an instruction
//! that was never written, or that belongs to someone else, is ignored.

use super::{Instruction, InstructionStatus, Orders};
use crate::clock::Now;
use crate::error::Error;
use crate::ids::{FinancialInstrumentId, TenantScope};
use crate::refs::CustomerRef;
use crate::vault::{instrument_not_found, Customers, InstructionLink};
use crate::versioned;

/// PUT close: the instrument turns INACTIVE and leaves the wallet, and every READY instruction
/// that uses it goes back to INCOMPLETE. Closing twice is harmless.
pub async fn close_instrument<S: Customers + Orders>(
    store: &S,
    scope: &TenantScope,
    customer: &CustomerRef,
    id: FinancialInstrumentId,
    now: Now,
) -> Result<(), Error> {
    if !store.close_instrument(scope, customer, id, now).await? {
        return Err(instrument_not_found(id));
    }
    for link in store.instruction_links(scope, customer).await? {
        if link.financial_instrument_id != Some(id) {
            continue;
        }
        change_linked_instruction(store, scope, &link, |instruction| {
            let uses_it = instruction.financial_instrument_id == Some(id)
                && instruction.status == InstructionStatus::Ready;
            uses_it.then(|| instruction.mark_incomplete(now.epoch_ms()))
        })
        .await?;
    }
    tracing::info!(%id, "instrument closed");
    Ok(())
}

/// Applies `change` to the linked instruction if it is the customer's; `None` from `change`
/// means there is nothing to do.
pub async fn change_linked_instruction(
    orders: &impl Orders,
    scope: &TenantScope,
    link: &InstructionLink,
    change: impl FnMut(&mut Instruction) -> Option<()>,
) -> Result<(), Error> {
    let mut change = change;
    versioned::update(
        "instruction",
        None,
        || async {
            Ok(orders
                .instruction(scope, &link.order_ref, &link.instruction_ref)
                .await?
                .filter(|instruction| instruction.customer_ref == link.customer_ref))
        },
        |instruction| Ok(change(instruction)),
        |instruction, read| async move { orders.save_instruction(scope, &instruction, read).await },
    )
    .await?;
    Ok(())
}
