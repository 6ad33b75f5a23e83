//! A transaction: one execution of an instruction against a financial instrument, kept in the
//! customer's vault partition (`SK = TX#{transactionId}`).

use crate::http::Link;
use crate::ids::{FinancialInstrumentId, TransactionId};
use crate::payments::Money;
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionStatus {
    Processing,
    Success,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: TransactionId,
    pub financial_instrument_id: FinancialInstrumentId,
    pub customer_ref: CustomerRef,
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
    pub app_id: String,
    pub app_transaction_id: Option<String>,
    pub amount: Money,
    pub status: TransactionStatus,
    pub failed_error_code: Option<String>,
    pub failed_reason: Option<String>,
    pub settlement_date: Option<NaiveDate>,
    pub created_timestamp: i64,
    pub last_updated_timestamp: i64,
    /// Minor units refunded so far (completed refunds).
    #[serde(default)]
    pub refunded_minor: i64,
}

impl Transaction {
    /// Amount less completed refunds (and, when they exist, lost chargebacks).
    pub fn net_amount(&self) -> Money {
        self.amount.less(self.refunded_minor)
    }

    pub fn is_refundable(&self) -> bool {
        self.status == TransactionStatus::Success && self.net_amount().minor_units() > 0
    }

    pub fn href(&self) -> String {
        format!(
            "/v1/customer-vault/{}/financial-instrument/{}/transaction/{}",
            self.customer_ref, self.financial_instrument_id, self.id
        )
    }

    fn app(&self) -> Value {
        json!({
            "appId": self.app_id,
            "appTransactionId": self.app_transaction_id,
            "appBatchId": null,
            "supportDetails": {},
        })
    }

    /// GET transaction (seed 000).
    pub fn body(&self) -> Value {
        json!({
            "_links": {
                "self": Link::named(self.href(), self.id.to_string()),
                "instruction": Link::named(
                    format!("/v1/order-management/{}/instruction/{}", self.order_ref, self.instruction_ref),
                    self.instruction_ref.to_string(),
                ),
            },
            "id": self.id,
            "type": self.app_id,
            "createdTimestamp": self.created_timestamp,
            "settlementDate": self.settlement_date.map(|d| d.to_string()),
            "lastUpdatedTimestamp": self.last_updated_timestamp,
            "status": self.status,
            "app": self.app(),
            "orderRef": self.order_ref,
            "instructionRef": self.instruction_ref,
            "amount": self.amount.to_json(),
            "currency": self.amount.currency().code(),
            "failedErrorCode": self.failed_error_code,
            "failedReason": self.failed_reason,
            "netAmount": self.net_amount().to_json(),
            "capabilities": { "isRefundable": self.is_refundable() },
            "refunds": [],
            "chargebacks": [],
        })
    }

    /// The `transaction {…}` summary inside GET instruction (seeds 001 and 003).
    pub fn summary(&self) -> Value {
        json!({
            "transactionId": self.id,
            "financialInstrumentId": self.financial_instrument_id,
            "createdTimestamp": self.created_timestamp,
            "lastUpdatedTimestamp": self.last_updated_timestamp,
            "amount": self.amount.to_json(),
            "netAmount": self.net_amount().to_json(),
            "status": self.status,
            "additionalInformation": "",
            "app": self.app(),
            "refunds": [],
            "chargebacks": [],
        })
    }
}
