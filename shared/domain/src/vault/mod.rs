//! The customer vault: a customer's profile, financial instruments and transactions, and what
//! may happen to them (docs/api.md §3, §5). Closing an instrument also concerns the customer's
//! instructions (`orders::vault_changes`); forgetting a customer concerns every area
//! (`crate::forget`).

mod customers;
mod ports;
mod refunds;
mod transaction;

pub use customers::{
    add_instrument, customer_forgotten, instrument, instrument_not_found, replace_metadata,
    set_in_wallet, CLOSE_REASON_MAX_LENGTH, HOLDER_NAME_MAX_LENGTH, WALLET_REASON_MAX_LENGTH,
};
pub use ports::{Customers, PersonalWrite, Transactions, WalletChange};
pub use refunds::{
    apply_to_transaction, refund, request_refund, settle_refund_event, settle_refunds, transaction,
    transaction_not_found, ExecuteRefunds, RefundRequest, TransactionPath,
    REFUND_REASON_MAX_LENGTH,
};
pub use transaction::{
    Chargeback, ChargebackStatus, EventEffect, Refund, RefundStatus, Transaction, TransactionStatus,
};

use crate::bank::{AccountHolderName, Bic, CreditorIdentifier, Iban, SortCode, UkAccountNumber};
use crate::currency::Currency;
use crate::ids::{FinancialInstrumentId, MandateId, RewardId};
use crate::metadata::Metadata;
use crate::refs::{CustomerRef, InstructionRef, OrderRef};
use crate::secret::Secret;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstrumentStatus {
    Active,
    Inactive,
}

/// The account behind an instrument: stored in full (payments need it), shown masked, erased
/// by forget. Whatever identifies the customer or their account is a `Secret`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AccountDetails {
    #[serde(rename_all = "camelCase")]
    Iban {
        holder_name: Option<Secret<String>>,
        iban: Secret<Iban>,
        bic: Option<Bic>,
    },
    #[serde(rename_all = "camelCase")]
    Uk {
        holder_name: Secret<AccountHolderName>,
        account_number: Secret<UkAccountNumber>,
        sort_code: SortCode,
    },
    /// An active SEPA mandate: the creditor may collect from the debtor's IBAN.
    #[serde(rename_all = "camelCase")]
    SepaMandate {
        mandate_ref: String,
        creditor_name: String,
        creditor_identifier: CreditorIdentifier,
        holder_name: Secret<String>,
        iban: Secret<Iban>,
    },
    /// A claimed reward: which one, and who issues it.
    #[serde(rename_all = "camelCase")]
    Reward {
        reward_id: RewardId,
        name: String,
        provider: String,
    },
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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
    pub fn accepts_currency(&self, currency: Currency) -> bool {
        match self.instrument_type {
            InstrumentType::SepaDirectDebitMandate => currency.code() == "EUR",
            InstrumentType::BankAccountIban
            | InstrumentType::BankAccountUk
            | InstrumentType::Reward => true,
        }
    }
}

/// An instruction of the customer, and the instrument it uses: the customer's partition holds
/// one per instruction, so closing an instrument and forgetting the customer reach them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstructionLink {
    pub customer_ref: CustomerRef,
    pub order_ref: OrderRef,
    pub instruction_ref: InstructionRef,
    pub financial_instrument_id: Option<FinancialInstrumentId>,
}

/// A mandate that names (or named) the customer, so forgetting the customer reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MandateLink {
    pub customer_ref: CustomerRef,
    pub mandate_id: MandateId,
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
