//! Response bodies of order management, in the seeds' field names and order.

use super::{Instruction, Order};
use crate::http::Link;
use crate::refs::{InstructionRef, OrderRef};
use serde_json::{json, Value};

fn order_href(order: &OrderRef) -> String {
    format!("/v1/order-management/{order}")
}

fn instruction_href(order: &OrderRef, instruction: &InstructionRef) -> String {
    format!("{}/instruction/{instruction}", order_href(order))
}

/// GET order.
pub fn order_body(order: &Order, instructions: &[InstructionRef]) -> Value {
    let links: Vec<Link> = instructions
        .iter()
        .map(|i| Link::named(instruction_href(&order.order_ref, i), i.to_string()))
        .collect();
    json!({
        "_links": { "self": Link::to(order_href(&order.order_ref)), "instructions": links },
        "created": order.created,
        "instructionRefs": instructions,
        "metadata": order.metadata,
    })
}

/// GET instruction.
pub fn instruction_body(instruction: &Instruction) -> Value {
    let can_update = instruction.status.is_editable();
    let instruments: Vec<Link> = instruction
        .financial_instrument_id
        .iter()
        .map(|id| {
            Link::named(
                format!(
                    "/v1/customer-vault/{}/financial-instrument/{id}",
                    instruction.customer_ref
                ),
                id.to_string(),
            )
        })
        .collect();
    let reward_transactions = instruction.reward_claim.iter().map(|claim| {
        Link::named(
            crate::rewards::reward_transaction_href(&instruction.customer_ref, claim),
            claim.transaction_id.to_string(),
        )
    });
    let transactions: Vec<Link> = instruction
        .transaction
        .iter()
        .map(|t| Link::named(t.href(), t.id.to_string()))
        .chain(reward_transactions)
        .collect();
    json!({
        "_links": {
            "self": Link::to(instruction_href(&instruction.order_ref, &instruction.instruction_ref)),
            "financialInstruments": instruments,
            "transactions": transactions,
        },
        "created": instruction.created,
        "lastUpdated": instruction.last_updated,
        "direction": instruction.direction,
        "status": instruction.status,
        "customerRef": instruction.customer_ref,
        "amount": instruction.amount.to_json(),
        "currency": instruction.amount.currency().code(),
        "country": instruction.country,
        "settledByDate": instruction.settled_by_date.to_string(),
        // Forecast once execution has started: the sandbox settles on the settle-by date.
        "forecastedSettlementDate": instruction.execution_timestamp.map(|_| instruction.settled_by_date.to_string()),
        "actualSettlementDate": instruction.actual_settlement_date.map(|d| d.to_string()),
        "executionTimestamp": instruction.execution_timestamp,
        "financialInstrument": {
            "financialInstrumentId": instruction.financial_instrument_id,
            "source": instruction.financial_instrument_source,
            "canUpdate": can_update,
        },
        "scheme": {
            "schemeId": instruction.scheme_id,
            "source": instruction.scheme_source,
            "canUpdate": can_update,
        },
        "metadata": instruction.metadata,
        "transaction": instruction.transaction.as_ref().map(|t| t.summary()),
        "failed": instruction.failed,
        "cancelled": instruction.cancelled,
    })
}
