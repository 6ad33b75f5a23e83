//! Where every object is read: the HAL `_links` of the bodies and the `Location` headers. Every
//! href resolves on this service (the `/v1` GET routes serve them, docs/api.md §1).

use payments_domain::ids::{FinancialInstrumentId, MandateId, TransactionId};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use serde::Serialize;

/// A HAL link: `{href, name}`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Link {
    pub href: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Link {
    pub fn to(href: String) -> Self {
        Link { href, name: None }
    }

    pub fn named(href: String, name: String) -> Self {
        Link {
            href,
            name: Some(name),
        }
    }
}

pub fn customer_href(customer: &CustomerRef) -> String {
    format!("/v1/customer-vault/{customer}")
}

pub fn instrument_href(customer: &CustomerRef, instrument: FinancialInstrumentId) -> String {
    format!(
        "{}/financial-instrument/{instrument}",
        customer_href(customer)
    )
}

pub fn transaction_href(
    customer: &CustomerRef,
    instrument: FinancialInstrumentId,
    transaction: TransactionId,
) -> String {
    format!(
        "{}/transaction/{transaction}",
        instrument_href(customer, instrument)
    )
}

/// Where a claimed reward's transaction is read (the claim's `Location`, after the base URL).
pub fn reward_transaction_href(
    customer: &CustomerRef,
    instrument: FinancialInstrumentId,
    transaction: TransactionId,
) -> String {
    format!(
        "{}/reward/{instrument}/transaction/{transaction}",
        customer_href(customer)
    )
}

pub fn order_href(order: &OrderRef) -> String {
    format!("/v1/order-management/{order}")
}

pub fn instruction_href(order: &OrderRef, instruction: &InstructionRef) -> String {
    format!("{}/instruction/{instruction}", order_href(order))
}

/// Where a mandate is read: a draft's `Location`.
pub fn mandate_href(mandate: MandateId) -> String {
    format!("/v2/mandates/sepa/{mandate}")
}
