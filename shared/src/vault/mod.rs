//! The customer vault: a customer's profile and financial instruments, and what may happen to
//! them (close, wallet membership, forget).

mod refund_execution;
mod refunds;
mod requests;
mod store;
mod transaction;
mod view;

pub use refund_execution::RefundExecutor;
pub use refunds::{parse_refund_request, ExecuteRefunds, REFUND_REASON_MAX_LENGTH};
pub(crate) use requests::{bic_mismatch, bic_violation, iban_violation};
pub use requests::{
    parse_iban_account, parse_metadata_update, parse_uk_account, CLOSE_REASON_MAX_LENGTH,
    WALLET_REASON_MAX_LENGTH,
};
pub(crate) use store::partition as customer_partition;
pub use store::VaultStore;
pub(crate) use store::{
    customer_not_forgotten, instruction_link_item, instrument_item, instrument_item_key,
    instrument_key_of, mandate_link_item, transaction_item,
};

pub use store::{customer_forgotten, instrument_not_found, transaction_not_found};
pub use transaction::{Refund, RefundStatus, Transaction, TransactionStatus};
pub use view::{customer_body, instrument_body, instrument_href, instrument_links, wallet_body};

use crate::ids::FinancialInstrumentId;
use crate::metadata::Metadata;
use crate::refs::CustomerRef;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerStatus {
    Active,
    Forgotten,
}

/// The stored profile item of a customer. A customer without one reads as empty and ACTIVE.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerProfile {
    pub status: CustomerStatus,
    #[serde(default)]
    pub metadata: Metadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InstrumentType {
    #[serde(rename = "BANK_ACCOUNT:IBAN")]
    BankAccountIban,
    #[serde(rename = "BANK_ACCOUNT:UK")]
    BankAccountUk,
    #[serde(rename = "MANDATE:SEPA_DIRECT_DEBIT")]
    SepaDirectDebitMandate,
    /// A reward the customer claimed in place of a payout: it moves no further money.
    #[serde(rename = "REWARD")]
    Reward,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstrumentStatus {
    Active,
    Inactive,
}

/// The account behind an instrument: personal data, stored in full (payments need it), shown
/// masked, erased by forget.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AccountDetails {
    #[serde(rename_all = "camelCase")]
    Iban {
        holder_name: Option<String>,
        iban: String,
        bic: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Uk {
        holder_name: String,
        account_number: String,
        sort_code: String,
    },
    /// An active SEPA mandate: the creditor may collect from the debtor's IBAN.
    #[serde(rename_all = "camelCase")]
    SepaMandate {
        mandate_ref: String,
        creditor_name: String,
        creditor_identifier: String,
        holder_name: String,
        iban: String,
    },
    /// A claimed reward: which one, and who issues it.
    #[serde(rename_all = "camelCase")]
    Reward {
        reward_id: crate::ids::RewardId,
        name: String,
        provider: String,
    },
}

impl std::fmt::Debug for AccountDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountDetails(redacted)")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinancialInstrument {
    pub id: FinancialInstrumentId,
    pub customer_ref: CustomerRef,
    #[serde(rename = "type")]
    pub instrument_type: InstrumentType,
    pub status: InstrumentStatus,
    /// Epoch milliseconds.
    pub created_timestamp: i64,
    pub wallet_enabled: bool,
    /// `None` once the customer has been forgotten.
    pub details: Option<AccountDetails>,
}

/// What an instrument can be used for: bank accounts receive payouts; collecting from them
/// needs a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    pub value_type: &'static str,
    pub usage_type: &'static str,
    pub can_credit: bool,
    pub can_debit: bool,
}

impl FinancialInstrument {
    pub fn new(customer_ref: CustomerRef, details: AccountDetails, now_ms: i64) -> Self {
        Self::with_id(
            FinancialInstrumentId::new_random(),
            customer_ref,
            details,
            now_ms,
        )
    }

    /// An instrument whose id was handed out before it existed (a mandate's, at creation).
    pub fn with_id(
        id: FinancialInstrumentId,
        customer_ref: CustomerRef,
        details: AccountDetails,
        now_ms: i64,
    ) -> Self {
        let instrument_type = match details {
            AccountDetails::Iban { .. } => InstrumentType::BankAccountIban,
            AccountDetails::Uk { .. } => InstrumentType::BankAccountUk,
            AccountDetails::SepaMandate { .. } => InstrumentType::SepaDirectDebitMandate,
            AccountDetails::Reward { .. } => InstrumentType::Reward,
        };
        FinancialInstrument {
            id,
            customer_ref,
            instrument_type,
            status: InstrumentStatus::Active,
            created_timestamp: now_ms,
            wallet_enabled: false,
            details: Some(details),
        }
    }

    pub fn capabilities(&self) -> Capabilities {
        match self.instrument_type {
            InstrumentType::BankAccountIban | InstrumentType::BankAccountUk => Capabilities {
                value_type: "VARIABLE",
                usage_type: "MULTIPLE",
                can_credit: true,
                can_debit: false,
            },
            InstrumentType::SepaDirectDebitMandate => Capabilities {
                value_type: "VARIABLE",
                usage_type: "MULTIPLE",
                can_credit: false,
                can_debit: true,
            },
            InstrumentType::Reward => Capabilities {
                value_type: "FIXED",
                usage_type: "SINGLE",
                can_credit: false,
                can_debit: false,
            },
        }
    }

    /// Whether the instrument can move money in this currency: a SEPA mandate collects euros
    /// only; bank accounts leave the choice to the scheme.
    pub fn accepts_currency(&self, currency: &str) -> bool {
        match self.instrument_type {
            InstrumentType::SepaDirectDebitMandate => currency == "EUR",
            InstrumentType::BankAccountIban
            | InstrumentType::BankAccountUk
            | InstrumentType::Reward => true,
        }
    }
}

/// An instruction of the customer, and the instrument it uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstructionLink {
    pub customer_ref: CustomerRef,
    pub order_ref: crate::refs::OrderRef,
    pub instruction_ref: crate::refs::InstructionRef,
    pub financial_instrument_id: Option<FinancialInstrumentId>,
}

/// A customer as stored: the profile (if one was ever written) and every instrument.
#[derive(Debug, Clone, Default)]
pub struct CustomerVault {
    pub profile: Option<CustomerProfile>,
    pub instruments: Vec<FinancialInstrument>,
}

impl CustomerVault {
    pub fn status(&self) -> CustomerStatus {
        self.profile
            .as_ref()
            .map_or(CustomerStatus::Active, |p| p.status)
    }

    pub fn metadata(&self) -> Metadata {
        self.profile
            .as_ref()
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }
}

/// Epoch milliseconds now.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
