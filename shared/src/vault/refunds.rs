//! Refund requests: what a POST refund carries, and the queue message that asks the refund
//! worker to execute a transaction's pending refunds.

use crate::error::{ErrorCode, Violation, Violations};
use crate::http::{reason_field, JsonBody};
use crate::ids::{AccountId, FinancialInstrumentId, TenantId, TenantScope, TransactionId};
use crate::payments::Amount;
use crate::refs::CustomerRef;
use serde::{Deserialize, Serialize};

/// Longest refund reason (seed 000).
pub const REFUND_REASON_MAX_LENGTH: usize = 100;

/// Asks for a transaction's pending refunds to be executed. Ids only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteRefunds {
    pub tenant_id: TenantId,
    pub account_id: AccountId,
    pub customer_ref: CustomerRef,
    pub financial_instrument_id: FinancialInstrumentId,
    pub transaction_id: TransactionId,
}

impl ExecuteRefunds {
    pub fn scope(&self) -> TenantScope {
        TenantScope {
            tenant: self.tenant_id,
            account: self.account_id,
        }
    }
}

/// POST refund: `{amount, reason?}`. The amount's decimals are checked against the
/// transaction's currency once it is loaded.
pub fn parse_refund_request(body: JsonBody) -> Result<(Amount, Option<String>), Vec<Violation>> {
    let object = body.required_object()?;
    let mut found = Violations::new();
    let amount = found.check(match object.value("amount") {
        None => Err(Violation::new(ErrorCode::AMOUNT_IS_REQUIRED).on_property("Amount", None)),
        Some(value) => Amount::from_json(value).map_err(|e| e.violation(None)),
    });
    let reason = found.check(reason_field(&object, REFUND_REASON_MAX_LENGTH));
    found.collect(amount.zip(reason))
}
