//! Customer vault and wallet bodies (docs/api.md §3): bank accounts, metadata and refunds read
//! from requests; customers, instruments, transactions and refunds written in the published
//! field names. Account numbers and IBANs are masked to their last four characters here, the
//! one place vault bodies are built.

use crate::json::{self, Field};
use crate::links::{customer_href, instrument_href, transaction_href, Link};
use payments_domain::bank::CreditorIdentifier;
use payments_domain::bank::{
    bic_matches_iban, last_four, mask, AccountHolderName, Bic, BicError, Iban, IbanError, SortCode,
    UkAccountNumber, UkBankError,
};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::ids::{FinancialInstrumentId, RefundId, RewardId, TransactionId};
use payments_domain::metadata::Metadata;
use payments_domain::payments::Amount;
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::vault::{
    AccountDetails, Capabilities, ChargebackStatus, CustomerStatus, CustomerVault,
    FinancialInstrument, InstrumentStatus, InstrumentType, Refund, RefundRequest, RefundStatus,
    Transaction, TransactionStatus, HOLDER_NAME_MAX_LENGTH, REFUND_REASON_MAX_LENGTH,
};
use payments_domain::Secret;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

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

/// POST international-bank-account, for the OpenAPI document; read by [`iban_account`].
#[derive(ToSchema)]
#[schema(example = json!({ "name": "John Doe", "iban": "GB29NWBK60161331926819", "bic": "NWBKGB2L" }))]
pub struct IbanAccountRequest {
    /// The account holder's name.
    pub name: Option<String>,
    pub iban: String,
    pub bic: Option<String>,
}

/// POST uk-bank-account, for the OpenAPI document; read by [`uk_account`].
#[derive(ToSchema)]
#[schema(example = json!({ "accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211" }))]
#[schema(rename_all = "camelCase")]
pub struct UkAccountRequest {
    pub account_holder_name: String,
    /// 8 digits.
    pub account_number: String,
    /// 6 digits.
    pub sort_code: String,
}

/// PUT customer, for the OpenAPI document; read by [`metadata_update`].
#[derive(ToSchema)]
#[schema(example = json!({ "metadata": { "property1": "string", "property2": "string" } }))]
pub struct MetadataRequest {
    /// Absent or null clears it.
    pub metadata: Option<Metadata>,
}

/// POST refund, for the OpenAPI document; read by [`refund_request`].
#[derive(ToSchema)]
#[schema(example = json!({ "amount": 5, "reason": "Duplicate payment" }))]
pub struct RefundRequestBody {
    /// At most what is left to refund, in the transaction's currency's decimals.
    pub amount: f64,
    pub reason: Option<String>,
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
#[derive(Serialize, ToSchema)]
pub struct InstrumentLinks {
    #[serde(rename = "self")]
    #[schema(rename = "self")]
    own: Link,
    customer: Link,
}

fn instrument_links(instrument: &FinancialInstrument) -> InstrumentLinks {
    InstrumentLinks {
        own: Link::named(instrument_link(instrument), instrument.id.to_string()),
        customer: Link::to(customer_href(&instrument.customer_ref)),
    }
}

/// 201 of POST bank account: `{_links, id}`.
#[derive(Serialize, ToSchema)]
pub struct AddedInstrument {
    #[serde(rename = "_links")]
    #[schema(rename = "_links")]
    links: InstrumentLinks,
    id: FinancialInstrumentId,
}

pub fn added_instrument_body(instrument: &FinancialInstrument) -> AddedInstrument {
    AddedInstrument {
        links: instrument_links(instrument),
        id: instrument.id,
    }
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

/// An instrument's account, by type: numbers masked to their last four characters. Each type
/// has exactly its own fields, so a body matches one of them.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum InstrumentDetails {
    Iban(IbanDetails),
    Uk(UkDetails),
    SepaMandate(SepaMandateDetails),
    Reward(RewardDetails),
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IbanDetails {
    financial_instrument_type: InstrumentType,
    #[schema(value_type = Option<String>)]
    account_holder_name: Option<Secret<String>>,
    /// Masked: `****` and the last four characters.
    iban: String,
    bic: Option<Bic>,
    country: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UkDetails {
    financial_instrument_type: InstrumentType,
    #[schema(value_type = String)]
    account_holder_name: Secret<AccountHolderName>,
    /// Masked: `****` and the last four digits.
    account_number: String,
    sort_code: SortCode,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SepaMandateDetails {
    financial_instrument_type: InstrumentType,
    mandate_ref: String,
    creditor_name: String,
    creditor_identifier: CreditorIdentifier,
    #[schema(value_type = String)]
    account_holder_name: Secret<String>,
    /// Masked: `****` and the last four characters.
    iban: String,
    country: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RewardDetails {
    financial_instrument_type: InstrumentType,
    reward_id: RewardId,
    name: String,
    provider: String,
}

fn details_body(instrument_type: InstrumentType, details: &AccountDetails) -> InstrumentDetails {
    match details {
        AccountDetails::Iban {
            holder_name,
            iban,
            bic,
        } => InstrumentDetails::Iban(IbanDetails {
            financial_instrument_type: instrument_type,
            account_holder_name: holder_name.clone(),
            iban: mask(iban.expose().as_str()),
            bic: bic.clone(),
            country: iban.expose().country().to_owned(),
        }),
        AccountDetails::Uk {
            holder_name,
            account_number,
            sort_code,
        } => InstrumentDetails::Uk(UkDetails {
            financial_instrument_type: instrument_type,
            account_holder_name: holder_name.clone(),
            account_number: mask(account_number.expose().as_str()),
            sort_code: sort_code.clone(),
        }),
        AccountDetails::SepaMandate {
            mandate_ref,
            creditor_name,
            creditor_identifier,
            holder_name,
            iban,
        } => InstrumentDetails::SepaMandate(SepaMandateDetails {
            financial_instrument_type: instrument_type,
            mandate_ref: mandate_ref.clone(),
            creditor_name: creditor_name.clone(),
            creditor_identifier: creditor_identifier.clone(),
            account_holder_name: holder_name.clone(),
            iban: mask(iban.expose().as_str()),
            country: iban.expose().country().to_owned(),
        }),
        AccountDetails::Reward {
            reward_id,
            name,
            provider,
        } => InstrumentDetails::Reward(RewardDetails {
            financial_instrument_type: instrument_type,
            reward_id: *reward_id,
            name: name.clone(),
            provider: provider.clone(),
        }),
    }
}

#[derive(Serialize, ToSchema)]
pub struct Wallet {
    enabled: bool,
}

/// An instrument: in GET instrument (with `_links` and `createdDate`), in GET customer (with
/// `createdTimestamp`) and in GET wallet (with `createdDate`), as published.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Instrument {
    #[serde(rename = "_links", skip_serializing_if = "Option::is_none")]
    #[schema(rename = "_links")]
    links: Option<InstrumentLinks>,
    id: FinancialInstrumentId,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    instrument_type: InstrumentType,
    status: InstrumentStatus,
    display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created_date: Option<i64>,
    capabilities: Capabilities,
    wallet: Wallet,
    /// Absent (null) once the customer is forgotten.
    details: Option<InstrumentDetails>,
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
    links: Option<InstrumentLinks>,
) -> Instrument {
    Instrument {
        links,
        id: instrument.id,
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
pub fn instrument_body(instrument: &FinancialInstrument) -> Instrument {
    instrument_view(
        instrument,
        CreatedField::Date,
        Some(instrument_links(instrument)),
    )
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerLinks {
    #[serde(rename = "self")]
    #[schema(rename = "self")]
    own: Link,
    financial_instruments: Vec<Link>,
}

/// GET customer and GET wallet.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "_links": {
        "self": { "href": "/v1/customer-vault/customer1" },
        "financialInstruments": [{
            "href": "/v1/customer-vault/customer1/financial-instrument/be4bc9c1-c3fb-43c8-ab1a-908a86123682",
            "name": "be4bc9c1-c3fb-43c8-ab1a-908a86123682"
        }]
    },
    "status": "ACTIVE",
    "metadata": { "property1": "string" },
    "financialInstruments": [{
        "id": "be4bc9c1-c3fb-43c8-ab1a-908a86123682", "type": "BANK_ACCOUNT:UK", "status": "ACTIVE",
        "displayName": "UK bank account ****9911", "createdTimestamp": 1662106155297_i64,
        "capabilities": { "valueType": "VARIABLE", "usageType": "MULTIPLE", "canCredit": true, "canDebit": false },
        "wallet": { "enabled": false },
        "details": {
            "financialInstrumentType": "BANK_ACCOUNT:UK", "accountHolderName": "JOHN DOE",
            "accountNumber": "****9911", "sortCode": "111211"
        }
    }]
}))]
pub struct Customer {
    #[serde(rename = "_links")]
    #[schema(rename = "_links")]
    links: CustomerLinks,
    status: CustomerStatus,
    metadata: Metadata,
    financial_instruments: Vec<Instrument>,
}

fn customer_view(
    customer: &CustomerRef,
    vault: &CustomerVault,
    instruments: Vec<&FinancialInstrument>,
    created: CreatedField,
) -> Customer {
    let links: Vec<Link> = instruments
        .iter()
        .map(|i| Link::named(instrument_link(i), i.id.to_string()))
        .collect();
    Customer {
        links: CustomerLinks {
            own: Link::to(customer_href(customer)),
            financial_instruments: links,
        },
        status: vault.status(),
        metadata: vault.metadata(),
        financial_instruments: instruments
            .into_iter()
            .map(|i| instrument_view(i, created, None))
            .collect(),
    }
}

/// GET customer: every instrument.
pub fn customer_body(customer: &CustomerRef, vault: &CustomerVault) -> Customer {
    customer_view(
        customer,
        vault,
        vault.instruments.iter().collect(),
        CreatedField::Timestamp,
    )
}

/// GET wallet: only the instruments in the wallet.
pub fn wallet_body(customer: &CustomerRef, vault: &CustomerVault) -> Customer {
    let in_wallet = vault
        .instruments
        .iter()
        .filter(|i| i.wallet_enabled)
        .collect();
    customer_view(customer, vault, in_wallet, CreatedField::Date)
}

/// A refund in a transaction's `refunds[]`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundEntry {
    refund_id: RefundId,
    created_timestamp: i64,
    last_updated_timestamp: i64,
    status: RefundStatus,
    #[schema(value_type = f64)]
    amount: Value,
}

fn refund_entry(refund: &Refund) -> RefundEntry {
    RefundEntry {
        refund_id: refund.refund_id,
        created_timestamp: refund.created_timestamp,
        last_updated_timestamp: refund.last_updated_timestamp,
        status: refund.status,
        amount: refund.amount.to_json(),
    }
}

/// A chargeback as the seeds show it: `{id, network, status, amount, claimed, created}`.
#[derive(Serialize, ToSchema)]
pub struct ChargebackEntry {
    id: String,
    network: String,
    status: ChargebackStatus,
    #[schema(value_type = f64)]
    amount: Value,
    /// ISO-8601.
    claimed: Option<String>,
    /// ISO-8601.
    created: Option<String>,
}

fn chargebacks(transaction: &Transaction) -> Vec<ChargebackEntry> {
    transaction
        .chargebacks
        .iter()
        .map(|chargeback| ChargebackEntry {
            id: chargeback.id.clone(),
            network: chargeback.network.clone(),
            status: chargeback.status,
            amount: chargeback.amount.to_json(),
            claimed: payments_domain::clock::iso_timestamp(chargeback.claimed),
            created: payments_domain::clock::iso_timestamp(chargeback.created),
        })
        .collect()
}

/// The provider's support details: none are kept.
#[derive(Serialize, ToSchema)]
pub struct SupportDetails {}

/// The payment app that moved a transaction's money.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionApp {
    app_id: String,
    app_transaction_id: Option<String>,
    /// Always null: no app batches.
    app_batch_id: Option<String>,
    support_details: SupportDetails,
}

fn app_body(transaction: &Transaction) -> TransactionApp {
    TransactionApp {
        app_id: transaction.app_id.clone(),
        app_transaction_id: transaction.app_transaction_id.clone(),
        app_batch_id: None,
        support_details: SupportDetails {},
    }
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
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequestedRefund {
    refund_id: RefundId,
    status: RefundStatus,
}

pub fn requested_refund_body(refund_id: RefundId) -> RequestedRefund {
    RequestedRefund {
        refund_id,
        status: RefundStatus::Pending,
    }
}

#[derive(Serialize, ToSchema)]
pub struct TransactionLinks {
    #[serde(rename = "self")]
    #[schema(rename = "self")]
    own: Link,
    instruction: Link,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionCapabilities {
    is_refundable: bool,
}

/// GET transaction.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionBody {
    #[serde(rename = "_links")]
    #[schema(rename = "_links")]
    links: TransactionLinks,
    id: TransactionId,
    /// The payment app's id.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    transaction_type: String,
    created_timestamp: i64,
    /// `YYYY-MM-DD`, once settled.
    settlement_date: Option<String>,
    last_updated_timestamp: i64,
    status: TransactionStatus,
    app: TransactionApp,
    order_ref: OrderRef,
    instruction_ref: InstructionRef,
    #[schema(value_type = f64)]
    amount: Value,
    currency: String,
    failed_error_code: Option<String>,
    failed_reason: Option<String>,
    #[schema(value_type = f64)]
    net_amount: Value,
    capabilities: TransactionCapabilities,
    refunds: Vec<RefundEntry>,
    chargebacks: Vec<ChargebackEntry>,
}

pub fn transaction_body(transaction: &Transaction) -> TransactionBody {
    TransactionBody {
        links: TransactionLinks {
            own: Link::named(transaction_link(transaction), transaction.id.to_string()),
            instruction: instruction_link(&transaction.order_ref, &transaction.instruction_ref),
        },
        id: transaction.id,
        transaction_type: transaction.app_id.clone(),
        created_timestamp: transaction.created_timestamp,
        settlement_date: transaction.settlement_date.map(|d| d.to_string()),
        last_updated_timestamp: transaction.last_updated_timestamp,
        status: transaction.status,
        app: app_body(transaction),
        order_ref: transaction.order_ref.clone(),
        instruction_ref: transaction.instruction_ref.clone(),
        amount: transaction.amount.to_json(),
        currency: transaction.amount.currency().code().to_owned(),
        failed_error_code: transaction.failed_error_code.clone(),
        failed_reason: transaction.failed_reason.clone(),
        net_amount: transaction.net_amount().to_json(),
        capabilities: TransactionCapabilities {
            is_refundable: transaction.is_refundable(),
        },
        refunds: transaction.refunds.iter().map(refund_entry).collect(),
        chargebacks: chargebacks(transaction),
    }
}

/// A refund in the `transaction` summary of GET instruction: with its reason and failure.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstructionRefundEntry {
    #[serde(flatten)]
    entry: RefundEntry,
    #[schema(value_type = Option<String>)]
    refund_reason: Option<Secret<String>>,
    failure_reason_code: Option<String>,
    failure_description: Option<String>,
}

/// The `transaction {…}` summary inside GET instruction.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionSummary {
    transaction_id: TransactionId,
    financial_instrument_id: FinancialInstrumentId,
    created_timestamp: i64,
    last_updated_timestamp: i64,
    #[schema(value_type = f64)]
    amount: Value,
    #[schema(value_type = f64)]
    net_amount: Value,
    status: TransactionStatus,
    /// Always empty.
    additional_information: String,
    app: TransactionApp,
    refunds: Vec<InstructionRefundEntry>,
    chargebacks: Vec<ChargebackEntry>,
}

pub fn transaction_summary(transaction: &Transaction) -> TransactionSummary {
    TransactionSummary {
        transaction_id: transaction.id,
        financial_instrument_id: transaction.financial_instrument_id,
        created_timestamp: transaction.created_timestamp,
        last_updated_timestamp: transaction.last_updated_timestamp,
        amount: transaction.amount.to_json(),
        net_amount: transaction.net_amount().to_json(),
        status: transaction.status,
        additional_information: String::new(),
        app: app_body(transaction),
        refunds: transaction
            .refunds
            .iter()
            .map(|r| InstructionRefundEntry {
                entry: refund_entry(r),
                refund_reason: r.reason.clone(),
                failure_reason_code: r.failure_reason_code.clone(),
                failure_description: r.failure_description.clone(),
            })
            .collect(),
        chargebacks: chargebacks(transaction),
    }
}

/// The payment app of a refund: the app's own id for it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundApp {
    app_id: String,
    app_transaction_id: Option<String>,
    support_details: SupportDetails,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FailedResponse {
    error_code: String,
    reason: Option<String>,
}

/// GET refund, timestamps as strings as the published refund sample shows them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundBody {
    refund_id: RefundId,
    status: RefundStatus,
    #[schema(value_type = f64)]
    amount: Value,
    currency: String,
    refunded_transaction_id: TransactionId,
    #[schema(value_type = Option<String>)]
    reason: Option<Secret<String>>,
    /// Epoch milliseconds, as a string.
    created_timestamp: String,
    /// Epoch milliseconds, as a string.
    last_updated_timestamp: String,
    app: RefundApp,
    failed_response: Option<FailedResponse>,
}

pub fn refund_body(transaction: &Transaction, refund: &Refund) -> RefundBody {
    RefundBody {
        refund_id: refund.refund_id,
        status: refund.status,
        amount: refund.amount.to_json(),
        currency: refund.amount.currency().code().to_owned(),
        refunded_transaction_id: transaction.id,
        reason: refund.reason.clone(),
        created_timestamp: refund.created_timestamp.to_string(),
        last_updated_timestamp: refund.last_updated_timestamp.to_string(),
        app: RefundApp {
            app_id: transaction.app_id.clone(),
            app_transaction_id: refund.app_refund_id.clone(),
            support_details: SupportDetails {},
        },
        failed_response: refund
            .failure_reason_code
            .as_ref()
            .map(|code| FailedResponse {
                error_code: code.clone(),
                reason: refund.failure_description.clone(),
            }),
    }
}
