//! What changes in the vault do to a customer's instructions, found through the customer's
//! instruction links: closing an instrument sends the READY instructions that use it back to
//! INCOMPLETE, and forgetting the customer removes the personal data they hold. Each change is
//! a read-modify-write on the instruction's `version`; a link to an instruction that was never
//! written, or that belongs to someone else, is ignored.

use super::{Instruction, InstructionStatus, OrderStore};
use crate::error::Error;
use crate::ids::{FinancialInstrumentId, TenantScope};
use crate::refs::CustomerRef;
use crate::vault::{InstructionLink, VaultStore};

/// Attempts at one read-modify-write before giving up on a busy item.
const MAX_WRITE_ATTEMPTS: usize = 20;

#[derive(Clone)]
pub struct VaultChanges {
    orders: OrderStore,
    vault: VaultStore,
}

impl VaultChanges {
    pub fn new(orders: OrderStore, vault: VaultStore) -> Self {
        VaultChanges { orders, vault }
    }

    pub async fn instrument_closed(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        instrument: FinancialInstrumentId,
        now_ms: i64,
    ) -> Result<(), Error> {
        for link in self.vault.instruction_links(scope, customer).await? {
            if link.financial_instrument_id != Some(instrument) {
                continue;
            }
            self.change(scope, &link, |instruction| {
                let uses_it = instruction.financial_instrument_id == Some(instrument)
                    && instruction.status == InstructionStatus::Ready;
                uses_it.then(|| instruction.mark_incomplete(now_ms))
            })
            .await?;
        }
        Ok(())
    }

    /// Refund reasons in the customer's transactions (and their copies in the instructions),
    /// then the instructions' metadata and cancellation reasons.
    pub async fn customer_forgotten(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        now_ms: i64,
    ) -> Result<(), Error> {
        for transaction in self.vault.transactions(scope, customer).await? {
            for _ in 0..MAX_WRITE_ATTEMPTS {
                let mut fresh = self
                    .vault
                    .load_transaction(
                        scope,
                        customer,
                        transaction.financial_instrument_id,
                        transaction.id,
                    )
                    .await?;
                let read = fresh.version;
                fresh.forget_personal_data(now_ms);
                if self.vault.save_transaction(scope, &fresh, read).await? {
                    break;
                }
            }
        }
        for link in self.vault.instruction_links(scope, customer).await? {
            self.change(scope, &link, |instruction| {
                instruction.forget_personal_data(now_ms);
                Some(())
            })
            .await?;
        }
        Ok(())
    }

    /// Applies `change` to the linked instruction if it is the customer's; `None` from `change`
    /// means there is nothing to do.
    async fn change(
        &self,
        scope: &TenantScope,
        link: &InstructionLink,
        change: impl Fn(&mut Instruction) -> Option<()>,
    ) -> Result<(), Error> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let mut instruction = match self
                .orders
                .load_instruction(scope, &link.order_ref, &link.instruction_ref)
                .await
            {
                Ok(instruction) if instruction.customer_ref == link.customer_ref => instruction,
                Ok(_) | Err(Error::Invalid(_)) => return Ok(()),
                Err(other) => return Err(other),
            };
            let read = instruction.version;
            if change(&mut instruction).is_none() {
                return Ok(());
            }
            if self
                .orders
                .save_instruction(scope, &instruction, read)
                .await?
            {
                return Ok(());
            }
        }
        Err(Error::Internal(
            "the instruction changed on every attempt".into(),
        ))
    }
}
