//! Creating orders and instructions, and reading them. Creating an order with instructions is
//! one write of the order and all its instructions, or none of them; every instruction is
//! checked, its instrument and scheme included, before anything is written. Instructions that
//! are READY and due are queued once the write has committed.

use super::{
    instruction_not_found, order_not_found, refuse_unusable, ExecuteInstruction, Instruction,
    InstructionWrite, Order, OrderWrite, Orders, References,
};
use crate::clock::Now;
use crate::country::Country;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{FinancialInstrumentId, TenantScope};
use crate::metadata::Metadata;
use crate::payments::{Direction, Money, SchemeId};
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::work::{send_all_after_commit, Queue};
use chrono::NaiveDate;

/// Most items one DynamoDB transaction may hold. An order is written in one, with all its
/// instructions and a check on each of their customers (that none has been forgotten), so the
/// order and all its instructions are written or none.
const TRANSACTION_ITEMS: usize = 100;
/// Most instructions one create-order request may carry: with the order and the check on their
/// one customer they fill the transaction. Instructions for more customers leave room for
/// fewer ([`max_instructions_for`]).
pub const MAX_INSTRUCTIONS_PER_ORDER: usize = TRANSACTION_ITEMS - 2;

/// Most instructions of an order whose instructions name `customers` distinct customers.
pub fn max_instructions_for(customers: usize) -> usize {
    TRANSACTION_ITEMS.saturating_sub(1 + customers.max(1))
}
/// Longest cancellation reason (docs/api.md §3, order management).
pub const CANCEL_REASON_MAX_LENGTH: usize = 256;

/// An instruction as a create request describes it, every field checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewInstruction {
    pub instruction_ref: InstructionRef,
    pub customer_ref: CustomerRef,
    pub direction: Direction,
    pub financial_instrument_id: Option<FinancialInstrumentId>,
    pub money: Money,
    pub country: Country,
    pub settled_by_date: NaiveDate,
    pub scheme_id: Option<SchemeId>,
    pub metadata: Metadata,
}

/// POST order: `{orderRef, instructions?, metadata?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateOrder {
    pub order_ref: OrderRef,
    pub instructions: Vec<NewInstruction>,
    pub metadata: Metadata,
}

/// Queues the instructions that are READY and due today. Sent after the write has committed; a
/// failed send leaves the instruction READY, for the sweep to queue.
pub async fn queue_due(
    queue: &impl Queue<ExecuteInstruction>,
    scope: &TenantScope,
    instructions: &[Instruction],
    now: Now,
) {
    let due: Vec<ExecuteInstruction> = instructions
        .iter()
        .filter(|instruction| instruction.awaits_execution_on(now.today()))
        .map(|instruction| ExecuteInstruction::for_instruction(scope, instruction))
        .collect();
    send_all_after_commit(queue, &due).await;
}

/// POST order: the order and its instructions.
pub async fn create_order<S: Orders + References>(
    store: &S,
    queue: &impl Queue<ExecuteInstruction>,
    scope: &TenantScope,
    request: CreateOrder,
    now: Now,
) -> Result<(Order, Vec<Instruction>), Error> {
    let order = Order {
        order_ref: request.order_ref,
        created: now.epoch_ms(),
        metadata: request.metadata,
    };
    let instructions: Vec<Instruction> = request
        .instructions
        .into_iter()
        .map(|new| Instruction::new(order.order_ref.clone(), new, now.epoch_ms()))
        .collect();
    refuse_unusable(store, scope, &instructions).await?;
    match store.create_order(scope, &order, &instructions).await? {
        OrderWrite::Written => {}
        OrderWrite::AlreadyExists => {
            return Err(Error::invalid(
                Violation::new(ErrorCode::ORDER_ALREADY_EXISTS)
                    .with("orderRef", order.order_ref.as_str()),
            ))
        }
    }
    queue_due(queue, scope, &instructions, now).await;
    tracing::info!(instructions = instructions.len(), "order created");
    Ok((order, instructions))
}

/// POST instruction: one more instruction of an existing order.
pub async fn add_instruction<S: Orders + References>(
    store: &S,
    queue: &impl Queue<ExecuteInstruction>,
    scope: &TenantScope,
    order_ref: OrderRef,
    request: NewInstruction,
    now: Now,
) -> Result<Instruction, Error> {
    let instruction = Instruction::new(order_ref, request, now.epoch_ms());
    refuse_unusable(store, scope, std::slice::from_ref(&instruction)).await?;
    match store.add_instruction(scope, &instruction).await? {
        InstructionWrite::Written => {}
        InstructionWrite::NoSuchOrder => return Err(order_not_found(&instruction.order_ref)),
        InstructionWrite::AlreadyExists => {
            return Err(Error::invalid(
                Violation::new(ErrorCode::INSTRUCTION_ALREADY_EXISTS)
                    .with("instructionRef", instruction.instruction_ref.as_str()),
            ))
        }
    }
    queue_due(queue, scope, std::slice::from_ref(&instruction), now).await;
    tracing::info!(status = ?instruction.status, "instruction created");
    Ok(instruction)
}

/// GET order: the order and the refs of its instructions.
pub async fn order(
    orders: &impl Orders,
    scope: &TenantScope,
    order_ref: &OrderRef,
) -> Result<(Order, Vec<InstructionRef>), Error> {
    orders
        .order(scope, order_ref)
        .await?
        .ok_or_else(|| order_not_found(order_ref))
}

/// The error for an instruction that was not found: ORDER_NOT_FOUND when its order is missing
/// too, else INSTRUCTION_NOT_FOUND (both 400, as order management publishes them).
pub async fn instruction_missing(
    orders: &impl Orders,
    scope: &TenantScope,
    order_ref: &OrderRef,
    instruction_ref: &InstructionRef,
) -> Error {
    match orders.order_exists(scope, order_ref).await {
        Ok(false) => order_not_found(order_ref),
        Ok(true) => instruction_not_found(instruction_ref),
        Err(e) => e,
    }
}

/// GET instruction.
pub async fn instruction(
    orders: &impl Orders,
    scope: &TenantScope,
    order_ref: &OrderRef,
    instruction_ref: &InstructionRef,
) -> Result<Instruction, Error> {
    match orders
        .instruction(scope, order_ref, instruction_ref)
        .await?
    {
        Some(instruction) => Ok(instruction),
        None => Err(instruction_missing(orders, scope, order_ref, instruction_ref).await),
    }
}

/// PUT (or DELETE, with empty metadata) order metadata: replaces it.
pub async fn replace_order_metadata(
    orders: &impl Orders,
    scope: &TenantScope,
    order_ref: &OrderRef,
    metadata: &Metadata,
) -> Result<(), Error> {
    if orders
        .set_order_metadata(scope, order_ref, metadata)
        .await?
    {
        Ok(())
    } else {
        Err(order_not_found(order_ref))
    }
}
