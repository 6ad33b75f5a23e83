//! Customer vault and wallet bodies (docs/api.md §3): bank accounts, metadata and refunds read
//! from requests; customers, instruments, transactions and refunds written in the published
//! field names. Account numbers and IBANs are masked to their last four characters here, the
//! one place vault bodies are built.

use crate::json::{self, Field};
use crate::links::{customer_href, instrument_href, transaction_href, Link};
use payments_domain::bank::{
    bic_matches_iban, last_four, mask, AccountHolderName, Bic, BicError, Iban, IbanError, SortCode,
    UkAccountNumber, UkBankError,
};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::metadata::Metadata;
use payments_domain::payments::Amount;
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::vault::{
    AccountDetails, Capabilities, Chargeback, CustomerStatus, CustomerVault, FinancialInstrument,
    InstrumentStatus, InstrumentType, Refund, RefundRequest, Transaction, HOLDER_NAME_MAX_LENGTH,
    REFUND_REASON_MAX_LENGTH,
};
use payments_domain::Secret;
use serde::Serialize;
use serde_json::{json, Value};

const NAME: Field = Field {
    name: "name",
    property: "Name",
    required: ErrorCode::NAME_IS_INVALID,
    invalid: ErrorCode::NAME_IS_INVALID,
};
const IBAN: Field = Field {
    name: "iban",
    property: "Iban",
    required: ErrorCode::IBAN_IS_REQUIRED,
    invalid: ErrorCode::IBAN_IS_INVALID,
};
const BIC: Field = Field {
    name: "bic",
    property: "Bic",
    required: ErrorCode::BIC_IS_INVALID,
    invalid: ErrorCode::BIC_IS_INVALID,
};
const ACCOUNT_HOLDER_NAME: Field = Field {
    name: "accountHolderName",
    property: "AccountHolderName",
    required: ErrorCode::ACCOUNT_HOLDER_NAME_IS_REQUIRED,
    invalid: ErrorCode::ACCOUNT_HOLDER_NAME_IS_INVALID,
};
const ACCOUNT_NUMBER: Field = Field {
    name: "accountNumber",
    property: "AccountNumber",
    required: ErrorCode::ACCOUNT_NUMBER_IS_REQUIRED,
    invalid: ErrorCode::ACCOUNT_NUMBER_IS_INVALID,
};
const SORT_CODE: Field = Field {
    name: "sortCode",
    property: "SortCode",
    required: ErrorCode::SORT_CODE_IS_REQUIRED,
    invalid: ErrorCode::SORT_CODE_IS_INVALID,
};

/// The violation for an IBAN that does not parse, on the named property.
pub(crate) fn iban_violation(error: IbanError, property: &'static str) -> Violation {
    let violation = match error {
        IbanError::Empty => Violation::new(ErrorCode::IBAN_IS_REQUIRED),
        IbanError::InvalidCharacters | IbanError::Checksum => {
            Violation::new(ErrorCode::IBAN_IS_INVALID)
        }
        IbanError::UnknownCountry => Violation::new(ErrorCode::IBAN_COUNTRY_IS_INVALID),
        IbanError::WrongLength { expected } => {
            Violation::new(ErrorCode::IBAN_LENGTH_OUT_OF_RANGE).with("length", expected)
        }
    };
    violation.on_property(property, None)
}

/// The violation for a BIC that does not parse, on the named property.
pub(crate) fn bic_violation(error: BicError, property: &'static str) -> Violation {
    let code = match error {
        BicError::Empty | BicError::WrongLength => ErrorCode::BIC_LENGTH_OUT_OF_RANGE,
        BicError::InvalidFormat | BicError::UnknownCountry => ErrorCode::BIC_IS_INVALID,
    };
    Violation::new(code).on_property(property, None)
}

/// BIC_COUNTRY_MISMATCH when both are known and name different countries.
pub(crate) fn bic_mismatch(bic: &Bic, iban: &Iban, property: &'static str) -> Option<Violation> {
    (!bic_matches_iban(bic, iban)).then(|| {
        Violation::new(ErrorCode::BIC_COUNTRY_MISMATCH)
            .with("bicCountry", bic.country())
            .with("ibanCountry", iban.country())
            .on_property(property, None)
    })
}

fn holder_name(text: &str) -> Result<Secret<String>, Violation> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > HOLDER_NAME_MAX_LENGTH {
        return Err(Violation::new(ErrorCode::NAME_LENGTH_OUT_OF_RANGE)
            .with("minLength", 1)
            .with("maxLength", HOLDER_NAME_MAX_LENGTH)
            .on_property(NAME.property, None));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Violation::new(ErrorCode::NAME_IS_INVALID).on_property(NAME.property, None));
    }
    Ok(Secret::new(trimmed.to_owned()))
}

/// POST international-bank-account: `{name?, iban, bic?}`.
pub fn iban_account(body: Option<Value>) -> Result<AccountDetails, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut found = Violations::new();
    let name = found.check(
        object
            .text(&NAME)
            .and_then(|name| name.map(holder_name).transpose()),
    );
    let iban = found.check(
        object
            .required_text(&IBAN)
            .and_then(|text| Iban::parse(text).map_err(|e| iban_violation(e, IBAN.property))),
    );
    let bic = found.check(object.text(&BIC).and_then(|text| {
        text.map(|t| Bic::parse(t).map_err(|e| bic_violation(e, BIC.property)))
            .transpose()
    }));
    if let (Some(iban), Some(Some(bic))) = (&iban, &bic) {
        if let Some(mismatch) = bic_mismatch(bic, iban, BIC.property) {
            found.push(mismatch);
        }
    }
    let details = name
        .zip(iban)
        .zip(bic)
        .map(|((holder_name, iban), bic)| AccountDetails::Iban {
            holder_name,
            iban: Secret::new(iban),
            bic,
        });
    found.collect(details)
}

fn uk_violation(
    field: &Field,
    length_code: Option<ErrorCode>,
) -> impl Fn(UkBankError) -> Violation + '_ {
    move |error| match (error, length_code) {
        (UkBankError::WrongLength { min, max }, Some(code)) => Violation::new(code)
            .with("minLength", min)
            .with("maxLength", max)
            .on_property(field.property, None),
        _ => Violation::new(field.invalid).on_property(field.property, None),
    }
}

/// POST uk-bank-account: `{accountHolderName, accountNumber, sortCode}`.
pub fn uk_account(body: Option<Value>) -> Result<AccountDetails, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut found = Violations::new();
    let holder = found.check(object.required_text(&ACCOUNT_HOLDER_NAME).and_then(|text| {
        AccountHolderName::parse(text).map_err(uk_violation(
            &ACCOUNT_HOLDER_NAME,
            Some(ErrorCode::ACCOUNT_HOLDER_NAME_LENGTH_OUT_OF_RANGE),
        ))
    }));
    let number = found.check(object.required_text(&ACCOUNT_NUMBER).and_then(|text| {
        UkAccountNumber::parse(text).map_err(uk_violation(&ACCOUNT_NUMBER, None))
    }));
    let sort_code = found.check(
        object
            .required_text(&SORT_CODE)
            .and_then(|text| SortCode::parse(text).map_err(uk_violation(&SORT_CODE, None))),
    );
    let details = holder
        .zip(number)
        .zip(sort_code)
        .map(|((holder, number), sort_code)| AccountDetails::Uk {
            holder_name: Secret::new(holder),
            account_number: Secret::new(number),
            sort_code,
        });
    found.collect(details)
}

/// PUT customer: `{metadata}`; absent or null metadata clears it.
pub fn metadata_update(body: Option<Value>) -> Result<Metadata, Vec<Violation>> {
    let object = json::required_object(body)?;
    match object.value("metadata") {
        None => Ok(Metadata::default()),
        Some(value) => Metadata::from_json(value),
    }
}

/// POST refund: `{amount, reason?}`. The amount's decimals are checked against the
/// transaction's currency once it is loaded.
pub fn refund_request(body: Option<Value>) -> Result<RefundRequest, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut found = Violations::new();
    let amount = found.check(match object.value("amount") {
        None => Err(Violation::new(ErrorCode::AMOUNT_IS_REQUIRED).on_property("Amount", None)),
        Some(value) => Amount::from_json(value).map_err(|e| e.violation(None)),
    });
    let reason = found.check(json::reason_field(&object, REFUND_REASON_MAX_LENGTH));
    found.collect(
        amount
            .zip(reason)
            .map(|(amount, reason)| RefundRequest { amount, reason }),
    )
}

/// `****` and the last four characters: the display name of an account.
fn tail(number: &str) -> String {
    format!("****{}", last_four(number))
}

fn instrument_link(instrument: &FinancialInstrument) -> String {
    instrument_href(&instrument.customer_ref, instrument.id)
}

/// `_links` of a newly added instrument and of GET instrument.
pub fn instrument_links(instrument: &FinancialInstrument) -> Value {
    json!({
        "self": Link::named(instrument_link(instrument), instrument.id.to_string()),
        "customer": Link::to(customer_href(&instrument.customer_ref)),
    })
}

/// 201 of POST bank account: `{_links, id}`.
pub fn added_instrument_body(instrument: &FinancialInstrument) -> Value {
    json!({ "_links": instrument_links(instrument), "id": instrument.id.to_string() })
}

/// The `Location` of a new instrument.
pub fn instrument_location(instrument: &FinancialInstrument) -> String {
    instrument_link(instrument)
}

fn display_name(details: &AccountDetails) -> String {
    match details {
        AccountDetails::Iban { iban, .. } => {
            format!("Bank account {}", tail(iban.expose().as_str()))
        }
        AccountDetails::Uk { account_number, .. } => {
            format!("UK bank account {}", tail(account_number.expose().as_str()))
        }
        AccountDetails::SepaMandate { iban, .. } => {
            format!("SEPA Direct Debit mandate {}", tail(iban.expose().as_str()))
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
            "iban": mask(iban.expose().as_str()),
            "bic": bic,
            "country": iban.expose().country(),
        }),
        AccountDetails::Uk {
            holder_name,
            account_number,
            sort_code,
        } => json!({
            "financialInstrumentType": instrument_type,
            "accountHolderName": holder_name,
            "accountNumber": mask(account_number.expose().as_str()),
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
            "iban": mask(iban.expose().as_str()),
            "country": iban.expose().country(),
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

/// Which creation field a body uses: the customer body says `createdTimestamp`, the wallet
/// and instrument bodies `createdDate`, as published.
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
        .map(|i| Link::named(instrument_link(i), i.id.to_string()))
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

fn refund_entry(refund: &Refund) -> Value {
    json!({
        "refundId": refund.refund_id,
        "createdTimestamp": refund.created_timestamp,
        "lastUpdatedTimestamp": refund.last_updated_timestamp,
        "status": refund.status,
        "amount": refund.amount.to_json(),
    })
}

/// A chargeback as the seeds show it: `{id, network, status, amount, claimed, created}`.
fn chargeback_entry(chargeback: &Chargeback) -> Value {
    json!({
        "id": chargeback.id,
        "network": chargeback.network,
        "status": chargeback.status,
        "amount": chargeback.amount.to_json(),
        "claimed": payments_domain::clock::iso_timestamp(chargeback.claimed),
        "created": payments_domain::clock::iso_timestamp(chargeback.created),
    })
}

fn chargebacks(transaction: &Transaction) -> Vec<Value> {
    transaction
        .chargebacks
        .iter()
        .map(chargeback_entry)
        .collect()
}

fn app_body(transaction: &Transaction) -> Value {
    json!({
        "appId": transaction.app_id,
        "appTransactionId": transaction.app_transaction_id,
        "appBatchId": null,
        "supportDetails": {},
    })
}

fn instruction_link(order: &OrderRef, instruction: &InstructionRef) -> Link {
    Link::named(
        crate::links::instruction_href(order, instruction),
        instruction.to_string(),
    )
}

/// Where the transaction is read.
pub fn transaction_link(transaction: &Transaction) -> String {
    transaction_href(
        &transaction.customer_ref,
        transaction.financial_instrument_id,
        transaction.id,
    )
}

/// 200 of POST refund: `{refundId, status: "PENDING"}`.
pub fn requested_refund_body(refund_id: payments_domain::ids::RefundId) -> Value {
    json!({ "refundId": refund_id, "status": "PENDING" })
}

/// GET transaction.
pub fn transaction_body(transaction: &Transaction) -> Value {
    json!({
        "_links": {
            "self": Link::named(transaction_link(transaction), transaction.id.to_string()),
            "instruction": instruction_link(&transaction.order_ref, &transaction.instruction_ref),
        },
        "id": transaction.id,
        "type": transaction.app_id,
        "createdTimestamp": transaction.created_timestamp,
        "settlementDate": transaction.settlement_date.map(|d| d.to_string()),
        "lastUpdatedTimestamp": transaction.last_updated_timestamp,
        "status": transaction.status,
        "app": app_body(transaction),
        "orderRef": transaction.order_ref,
        "instructionRef": transaction.instruction_ref,
        "amount": transaction.amount.to_json(),
        "currency": transaction.amount.currency().code(),
        "failedErrorCode": transaction.failed_error_code,
        "failedReason": transaction.failed_reason,
        "netAmount": transaction.net_amount().to_json(),
        "capabilities": { "isRefundable": transaction.is_refundable() },
        "refunds": transaction.refunds.iter().map(refund_entry).collect::<Vec<_>>(),
        "chargebacks": chargebacks(transaction),
    })
}

/// The `transaction {…}` summary inside GET instruction.
pub fn transaction_summary(transaction: &Transaction) -> Value {
    json!({
        "transactionId": transaction.id,
        "financialInstrumentId": transaction.financial_instrument_id,
        "createdTimestamp": transaction.created_timestamp,
        "lastUpdatedTimestamp": transaction.last_updated_timestamp,
        "amount": transaction.amount.to_json(),
        "netAmount": transaction.net_amount().to_json(),
        "status": transaction.status,
        "additionalInformation": "",
        "app": app_body(transaction),
        "refunds": transaction.refunds.iter().map(|r| {
            let mut entry = refund_entry(r);
            entry["refundReason"] = json!(r.reason);
            entry["failureReasonCode"] = json!(r.failure_reason_code);
            entry["failureDescription"] = json!(r.failure_description);
            entry
        }).collect::<Vec<_>>(),
        "chargebacks": chargebacks(transaction),
    })
}

/// GET refund, timestamps as strings as the published refund sample shows them.
pub fn refund_body(transaction: &Transaction, refund: &Refund) -> Value {
    json!({
        "refundId": refund.refund_id,
        "status": refund.status,
        "amount": refund.amount.to_json(),
        "currency": refund.amount.currency().code(),
        "refundedTransactionId": transaction.id,
        "reason": refund.reason,
        "createdTimestamp": refund.created_timestamp.to_string(),
        "lastUpdatedTimestamp": refund.last_updated_timestamp.to_string(),
        "app": {
            "appId": transaction.app_id,
            "appTransactionId": refund.app_refund_id,
            "supportDetails": {},
        },
        "failedResponse": refund.failure_reason_code.as_ref().map(|code| json!({
            "errorCode": code,
            "reason": refund.failure_description,
        })),
    })
}
