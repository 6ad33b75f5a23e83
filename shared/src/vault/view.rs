//! Response bodies of the vault and wallet, in the seeds' field names. Account numbers and
//! IBANs are masked to their last four characters here, the one place bodies are built.

use super::{
    AccountDetails, Capabilities, CustomerStatus, CustomerVault, FinancialInstrument,
    InstrumentStatus, InstrumentType,
};
use crate::bank::{last_four, mask as masked};
use crate::http::Link;
use crate::metadata::Metadata;
use crate::refs::CustomerRef;
use serde::Serialize;
use serde_json::{json, Value};

/// `****` and the last four characters: the display name of an account.
fn tail(number: &str) -> String {
    format!("****{}", last_four(number))
}

fn customer_href(customer: &CustomerRef) -> String {
    format!("/v1/customer-vault/{customer}")
}

/// The `/v1` link target of an instrument.
pub fn instrument_href(instrument: &FinancialInstrument) -> String {
    format!(
        "{}/financial-instrument/{}",
        customer_href(&instrument.customer_ref),
        instrument.id
    )
}

/// `_links` of a newly added instrument and of GET instrument.
pub fn instrument_links(instrument: &FinancialInstrument) -> Value {
    json!({
        "self": Link::named(instrument_href(instrument), instrument.id.to_string()),
        "customer": Link::to(customer_href(&instrument.customer_ref)),
    })
}

fn display_name(details: &AccountDetails) -> String {
    match details {
        AccountDetails::Iban { iban, .. } => format!("Bank account {}", tail(iban)),
        AccountDetails::Uk { account_number, .. } => {
            format!("UK bank account {}", tail(account_number))
        }
        AccountDetails::SepaMandate { iban, .. } => {
            format!("SEPA Direct Debit mandate {}", tail(iban))
        }
        AccountDetails::Reward { name, .. } => format!("Reward {name}"),
    }
}

fn details_body(instrument_type: InstrumentType, details: &AccountDetails) -> Value {
    match details {
        AccountDetails::Iban {
            holder_name,
            iban,
            bic,
        } => json!({
            "financialInstrumentType": instrument_type,
            "accountHolderName": holder_name,
            "iban": masked(iban),
            "bic": bic,
            "country": iban.get(..2),
        }),
        AccountDetails::Uk {
            holder_name,
            account_number,
            sort_code,
        } => json!({
            "financialInstrumentType": instrument_type,
            "accountHolderName": holder_name,
            "accountNumber": masked(account_number),
            "sortCode": sort_code,
        }),
        AccountDetails::SepaMandate {
            mandate_ref,
            creditor_name,
            creditor_identifier,
            holder_name,
            iban,
        } => json!({
            "financialInstrumentType": instrument_type,
            "mandateRef": mandate_ref,
            "creditorName": creditor_name,
            "creditorIdentifier": creditor_identifier,
            "accountHolderName": holder_name,
            "iban": masked(iban),
            "country": iban.get(..2),
        }),
        AccountDetails::Reward {
            reward_id,
            name,
            provider,
        } => json!({
            "financialInstrumentType": instrument_type,
            "rewardId": reward_id,
            "name": name,
            "provider": provider,
        }),
    }
}

#[derive(Serialize)]
struct Wallet {
    enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstrumentBody {
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    links: Option<Value>,
    id: String,
    #[serde(rename = "type")]
    instrument_type: InstrumentType,
    status: InstrumentStatus,
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_date: Option<i64>,
    capabilities: Capabilities,
    wallet: Wallet,
    details: Option<Value>,
}

/// Which creation field a body uses: the customer seed says `createdTimestamp`, the wallet and
/// instrument seeds `createdDate`.
#[derive(Clone, Copy)]
enum CreatedField {
    Timestamp,
    Date,
}

fn instrument_view(
    instrument: &FinancialInstrument,
    created: CreatedField,
    links: Option<Value>,
) -> InstrumentBody {
    InstrumentBody {
        links,
        id: instrument.id.to_string(),
        instrument_type: instrument.instrument_type,
        status: instrument.status,
        display_name: instrument.details.as_ref().map(display_name),
        created_timestamp: matches!(created, CreatedField::Timestamp)
            .then_some(instrument.created_timestamp),
        created_date: matches!(created, CreatedField::Date).then_some(instrument.created_timestamp),
        capabilities: instrument.capabilities(),
        wallet: Wallet {
            enabled: instrument.wallet_enabled,
        },
        details: instrument
            .details
            .as_ref()
            .map(|d| details_body(instrument.instrument_type, d)),
    }
}

/// GET financial instrument.
pub fn instrument_body(instrument: &FinancialInstrument) -> Value {
    json!(instrument_view(
        instrument,
        CreatedField::Date,
        Some(instrument_links(instrument))
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CustomerBody {
    #[serde(rename = "_links")]
    links: Value,
    status: CustomerStatus,
    metadata: Metadata,
    financial_instruments: Vec<InstrumentBody>,
}

fn customer_view(
    customer: &CustomerRef,
    vault: &CustomerVault,
    instruments: Vec<&FinancialInstrument>,
    created: CreatedField,
) -> Value {
    let links: Vec<Link> = instruments
        .iter()
        .map(|i| Link::named(instrument_href(i), i.id.to_string()))
        .collect();
    json!(CustomerBody {
        links: json!({ "self": Link::to(customer_href(customer)), "financialInstruments": links }),
        status: vault.status(),
        metadata: vault.metadata(),
        financial_instruments: instruments
            .into_iter()
            .map(|i| instrument_view(i, created, None))
            .collect(),
    })
}

/// GET customer: every instrument.
pub fn customer_body(customer: &CustomerRef, vault: &CustomerVault) -> Value {
    customer_view(
        customer,
        vault,
        vault.instruments.iter().collect(),
        CreatedField::Timestamp,
    )
}

/// GET wallet: only the instruments in the wallet.
pub fn wallet_body(customer: &CustomerRef, vault: &CustomerVault) -> Value {
    let in_wallet = vault
        .instruments
        .iter()
        .filter(|i| i.wallet_enabled)
        .collect();
    customer_view(customer, vault, in_wallet, CreatedField::Date)
}
