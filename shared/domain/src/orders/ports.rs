//! What order management's use cases need from storage. One partition per order holds the
//! order and its instructions (docs/data-model.md).

use super::{Instruction, Order};
use crate::error::Error;
use crate::ids::TenantScope;
use crate::metadata::Metadata;
use crate::payments::{ProviderLink, Scheme};
use crate::refs::{InstructionRef, OrderRef};
use crate::vault::{FinancialInstrument, Transaction};
use std::future::Future;

/// What creating an order found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderWrite {
    Written,
    /// The order (or one of its instructions) already exists: nothing was written.
    AlreadyExists,
}

/// What adding an instruction to an order found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstructionWrite {
    Written,
    NoSuchOrder,
    AlreadyExists,
}

/// What claiming an instruction for execution found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Claimed,
    /// Someone changed the instruction since it was read.
    InstructionChanged,
    /// Its instrument is no longer ACTIVE (a close came first).
    InstrumentInactive,
}

pub trait Orders: Sync {
    /// The order and the refs of its instructions, in ref order.
    fn order(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
    ) -> impl Future<Output = Result<Option<(Order, Vec<InstructionRef>)>, Error>> + Send;

    fn order_exists(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    fn instruction(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
        instruction: &InstructionRef,
    ) -> impl Future<Output = Result<Option<Instruction>, Error>> + Send;

    /// Writes the order and all its instructions, or nothing; an existing order or instruction
    /// is never overwritten. Each instruction is linked to its customer first.
    fn create_order(
        &self,
        scope: &TenantScope,
        order: &Order,
        instructions: &[Instruction],
    ) -> impl Future<Output = Result<OrderWrite, Error>> + Send;

    /// Adds an instruction to an existing order, linked to its customer first.
    fn add_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> impl Future<Output = Result<InstructionWrite, Error>> + Send;

    /// Records the instruction, and the instrument it uses, in its customer's partition
    /// ([`crate::vault::InstructionLink`]). Written before the instruction itself: a link to an
    /// instruction never written is ignored by its readers, while an instruction without a
    /// link would escape forget.
    fn link_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Stores a changed instruction if it still has `read_version`; `false` when someone
    /// changed it since.
    fn save_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Saves the instruction, just moved to PROCESSING, if it still has `read_version` and its
    /// financial instrument is still ACTIVE, in one write: a close of the instrument that
    /// lands between the worker's check and this save wins.
    fn claim_instruction(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        read_version: u64,
    ) -> impl Future<Output = Result<Claim, Error>> + Send;

    /// Replaces the order's metadata; `false` when there is no such order.
    fn set_order_metadata(
        &self,
        scope: &TenantScope,
        order: &OrderRef,
        metadata: &Metadata,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Records what the payment app answered, in one write: the transaction (new when
    /// `transaction_read` is `None`, else changed from that version), the instruction's state
    /// and its copy of the transaction (if it still has `instruction_read`), and the link from
    /// the provider's id, when there is one. `false` when a condition failed: another worker,
    /// or a webhook, got there first.
    fn record_payment(
        &self,
        scope: &TenantScope,
        instruction: &Instruction,
        instruction_read: u64,
        transaction: &Transaction,
        transaction_read: Option<u64>,
        link: Option<&ProviderLink>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
}

/// What one instruction names, as read: its instrument and its scheme, `None` where it names
/// none or the named one does not exist.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Referenced {
    pub instrument: Option<FinancialInstrument>,
    pub scheme: Option<Scheme>,
}

pub trait References: Sync {
    /// What each instruction names, in order, read in one round trip however many there are.
    fn referenced(
        &self,
        scope: &TenantScope,
        instructions: &[Instruction],
    ) -> impl Future<Output = Result<Vec<Referenced>, Error>> + Send;
}
