//! Order management bodies (docs/api.md §3): orders and instructions read from requests, every
//! problem reported with the published codes and messages; orders and instructions written in
//! the published field names and order.

use crate::json::{self, Field, JsonObject};
use crate::links::{instruction_href, instrument_href, order_href, reward_transaction_href, Link};
use crate::vault::{transaction_link, transaction_summary, TransactionSummary};
use chrono::NaiveDate;
use payments_domain::country::{Country, CountryError};
use payments_domain::currency::{Currency, CurrencyError};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::ids::FinancialInstrumentId;
use payments_domain::metadata::Metadata;
use payments_domain::orders::{
    max_instructions_for, Cancellation, CreateOrder, Failure, Instruction, InstructionStatus,
    InstructionUpdate, NewInstruction, Order, Source, CANCEL_REASON_MAX_LENGTH,
    MAX_INSTRUCTIONS_PER_ORDER,
};
use payments_domain::payments::{Amount, Direction, Money, SchemeId};
use payments_domain::refs::{CustomerRef, InstructionRef, OrderRef};
use payments_domain::Secret;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;
use utoipa::ToSchema;

const INSTRUCTION_REF: Field = Field {
    name: "instructionRef",
    property: "InstructionRef",
    required: ErrorCode::INSTRUCTION_REF_IS_REQUIRED,
    invalid: ErrorCode::INSTRUCTION_REF_IS_INVALID,
};
const CUSTOMER_REF: Field = Field {
    name: "customerRef",
    property: "CustomerRef",
    required: ErrorCode::CUSTOMER_REF_IS_REQUIRED,
    invalid: ErrorCode::CUSTOMER_REF_IS_INVALID,
};
const DIRECTION: Field = Field {
    name: "direction",
    property: "Direction",
    required: ErrorCode::DIRECTION_IS_REQUIRED,
    invalid: ErrorCode::DIRECTION_IS_INVALID,
};
const FINANCIAL_INSTRUMENT_ID: Field = Field {
    name: "financialInstrumentId",
    property: "FinancialInstrumentId",
    required: ErrorCode::FINANCIAL_INSTRUMENT_ID_IS_INVALID,
    invalid: ErrorCode::FINANCIAL_INSTRUMENT_ID_IS_INVALID,
};
const CURRENCY: Field = Field {
    name: "currency",
    property: "Currency",
    required: ErrorCode::CURRENCY_IS_REQUIRED,
    invalid: ErrorCode::CURRENCY_IS_INVALID,
};
const COUNTRY: Field = Field {
    name: "country",
    property: "Country",
    required: ErrorCode::COUNTRY_IS_REQUIRED,
    invalid: ErrorCode::COUNTRY_IS_INVALID,
};
const SETTLED_BY_DATE: Field = Field {
    name: "settledByDate",
    property: "SettledByDate",
    required: ErrorCode::SETTLED_BY_DATE_IS_REQUIRED,
    invalid: ErrorCode::SETTLED_BY_DATE_IS_INVALID,
};
const SCHEME_ID: Field = Field {
    name: "schemeId",
    property: "SchemeId",
    required: ErrorCode::SCHEME_ID_IS_INVALID,
    invalid: ErrorCode::SCHEME_ID_IS_INVALID,
};

fn violation(field: &Field, code: ErrorCode) -> Violation {
    Violation::new(code).on_property(field.property, None)
}

fn currency(text: &str) -> Result<Currency, Violation> {
    Currency::parse(text).map_err(|e| match e {
        CurrencyError::WrongLength => violation(&CURRENCY, ErrorCode::CURRENCY_LENGTH_OUT_OF_RANGE),
        CurrencyError::Unknown => violation(&CURRENCY, ErrorCode::CURRENCY_IS_INVALID),
    })
}

fn country(text: &str) -> Result<Country, Violation> {
    Country::parse(text).map_err(|e| match e {
        CountryError::WrongLength => violation(&COUNTRY, ErrorCode::COUNTRY_LENGTH_OUT_OF_RANGE),
        CountryError::Unknown => violation(&COUNTRY, ErrorCode::COUNTRY_IS_INVALID),
    })
}

/// `YYYY-MM-DD` exactly (zero-padded), and a real calendar date.
fn date(text: &str) -> Result<NaiveDate, Violation> {
    let shaped = text.len() == 10
        && text.char_indices().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    shaped
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| violation(&SETTLED_BY_DATE, ErrorCode::SETTLED_BY_DATE_IS_INVALID))
}

/// The amount, checked against the currency's minor unit when the currency itself is valid.
fn money(object: &JsonObject, currency: Option<Currency>) -> Result<Option<Money>, Violation> {
    let value = object
        .value("amount")
        .ok_or_else(|| Violation::new(ErrorCode::AMOUNT_IS_REQUIRED).on_property("Amount", None))?;
    let amount = Amount::from_json(value).map_err(|e| e.violation(currency))?;
    currency
        .map(|currency| {
            amount
                .in_currency(currency)
                .map_err(|e| e.violation(Some(currency)))
        })
        .transpose()
}

/// One instruction of a create request (POST order's `instructions[]`).
/// An instruction in POST order or POST instruction, for the OpenAPI document; read by
/// [`new_instruction`]. The example is seed 001's.
#[derive(ToSchema)]
#[schema(example = json!({
    "instructionRef": "instruction1", "customerRef": "customer1", "direction": "DEBIT",
    "financialInstrumentId": "6105540a-1f16-46e0-b16d-0d3cdfe79411", "amount": 10,
    "currency": "EUR", "country": "AT", "settledByDate": "2030-12-15",
    "schemeId": "EEAB9BBF6F8FA16D711798D14B65E066", "metadata": { "customKey1": "custom string 1" }
}))]
#[schema(rename_all = "camelCase")]
pub struct NewInstructionRequest {
    pub instruction_ref: InstructionRef,
    pub customer_ref: CustomerRef,
    /// `DEBIT` or `CREDIT`, in any case.
    #[schema(pattern = "^([Dd][Ee][Bb][Ii][Tt]|[Cc][Rr][Ee][Dd][Ii][Tt])$")]
    pub direction: String,
    pub financial_instrument_id: Option<FinancialInstrumentId>,
    /// In the currency's decimals.
    pub amount: f64,
    pub currency: Currency,
    pub country: Country,
    /// `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub settled_by_date: String,
    pub scheme_id: Option<SchemeId>,
    pub metadata: Option<Metadata>,
}

/// POST order, for the OpenAPI document; read by [`create_order`]. The example is seed 001's.
#[derive(ToSchema)]
#[schema(example = json!({
    "orderRef": "order1",
    "metadata": { "customKey1": "custom string 1" },
    "instructions": [{
        "instructionRef": "instruction1", "customerRef": "customer1", "direction": "CREDIT",
        "amount": 10, "currency": "EUR", "country": "AT", "settledByDate": "2030-12-15"
    }]
}))]
#[schema(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    pub order_ref: OrderRef,
    #[schema(max_items = 99)]
    pub instructions: Option<Vec<NewInstructionRequest>>,
    pub metadata: Option<Metadata>,
}

/// PUT instruction, for the OpenAPI document; read by [`instruction_update`]: what is
/// present changes.
#[derive(ToSchema)]
#[schema(example = json!({ "amount": 12.5, "currency": "EUR", "settledByDate": "2030-12-20" }))]
#[schema(rename_all = "camelCase")]
pub struct InstructionUpdateRequest {
    pub financial_instrument_id: Option<FinancialInstrumentId>,
    pub amount: Option<f64>,
    pub currency: Option<Currency>,
    pub country: Option<Country>,
    #[schema(format = Date)]
    pub settled_by_date: Option<String>,
    pub scheme_id: Option<SchemeId>,
    pub metadata: Option<Metadata>,
}

pub fn new_instruction(object: &JsonObject) -> Result<NewInstruction, Vec<Violation>> {
    let mut found = Violations::new();
    let instruction_ref = found.check(
        object
            .required_text(&INSTRUCTION_REF)
            .and_then(InstructionRef::parse),
    );
    let customer_ref = found.check(
        object
            .required_text(&CUSTOMER_REF)
            .and_then(CustomerRef::parse),
    );
    let direction = found.check(object.required_text(&DIRECTION).and_then(|text| {
        Direction::parse(text).ok_or_else(|| violation(&DIRECTION, ErrorCode::DIRECTION_IS_INVALID))
    }));
    let financial_instrument_id = found.check(
        object
            .text(&FINANCIAL_INSTRUMENT_ID)
            .and_then(|id| id.map(FinancialInstrumentId::parse).transpose()),
    );
    let currency = found.check(object.required_text(&CURRENCY).and_then(currency));
    let money = found.check(money(object, currency)).flatten();
    let country = found.check(object.required_text(&COUNTRY).and_then(country));
    let settled_by_date = found.check(object.required_text(&SETTLED_BY_DATE).and_then(date));
    let scheme_id = found.check(object.text(&SCHEME_ID).and_then(|id| {
        id.map(|id| {
            SchemeId::parse(id).map_err(|_| violation(&SCHEME_ID, ErrorCode::SCHEME_ID_IS_INVALID))
        })
        .transpose()
    }));
    let metadata = found.check(
        object
            .value("metadata")
            .map_or(Ok(Metadata::default()), Metadata::from_json),
    );
    let parsed = (|| {
        Some(NewInstruction {
            instruction_ref: instruction_ref?,
            customer_ref: customer_ref?,
            direction: direction?,
            financial_instrument_id: financial_instrument_id?,
            money: money?,
            country: country?,
            settled_by_date: settled_by_date?,
            scheme_id: scheme_id?,
            metadata: metadata?,
        })
    })();
    found.collect(parsed)
}

/// POST instruction: the body is one instruction.
pub fn instruction_request(body: Option<Value>) -> Result<NewInstruction, Vec<Violation>> {
    new_instruction(&json::required_object(body)?)
}

const ORDER_REF: Field = Field {
    name: "orderRef",
    property: "OrderRef",
    required: ErrorCode::ORDER_REF_IS_REQUIRED,
    invalid: ErrorCode::ORDER_REF_IS_INVALID,
};

fn metadata_field(object: &JsonObject) -> Result<Metadata, Vec<Violation>> {
    object
        .value("metadata")
        .map_or(Ok(Metadata::default()), Metadata::from_json)
}

/// Each instruction's problems carry its position in `instructions[]` (`instructionIndex`);
/// two instructions with one ref are refused before anything is written.
fn instructions_field(object: &JsonObject, found: &mut Violations) -> Option<Vec<NewInstruction>> {
    let items = match object.value("instructions") {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            found.push(
                Violation::new(ErrorCode::INSTRUCTIONS_IS_INVALID)
                    .on_property("Instructions", None),
            );
            return None;
        }
    };
    if items.len() > MAX_INSTRUCTIONS_PER_ORDER {
        found.push(too_many_instructions(MAX_INSTRUCTIONS_PER_ORDER));
        return None;
    }
    let mut parsed = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    for (index, item) in items.iter().enumerate() {
        let result = JsonObject::from_value(item.clone())
            .map_err(Vec::from)
            .and_then(|object| new_instruction(&object));
        match result {
            Ok(instruction) if !seen.insert(instruction.instruction_ref.clone()) => found.push(
                Violation::new(ErrorCode::INSTRUCTION_ALREADY_EXISTS)
                    .with("instructionRef", instruction.instruction_ref.as_str())
                    .with("instructionIndex", index),
            ),
            Ok(instruction) => parsed.push(instruction),
            Err(problems) => problems
                .into_iter()
                .for_each(|problem| found.push(problem.with("instructionIndex", index))),
        }
    }
    // The order, its instructions and a check per customer share one transaction.
    let customers: HashSet<&CustomerRef> = parsed.iter().map(|i| &i.customer_ref).collect();
    let most = max_instructions_for(customers.len());
    if parsed.len() > most {
        found.push(too_many_instructions(most));
        return None;
    }
    Some(parsed)
}

fn too_many_instructions(most: usize) -> Violation {
    Violation::new(ErrorCode::INSTRUCTIONS_COUNT_OUT_OF_RANGE)
        .with("maxCount", most)
        .on_property("Instructions", None)
}

/// POST order: `{orderRef, instructions?, metadata?}`.
pub fn create_order(body: Option<Value>) -> Result<CreateOrder, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut found = Violations::new();
    let order_ref = found.check(object.required_text(&ORDER_REF).and_then(OrderRef::parse));
    let instructions = instructions_field(&object, &mut found);
    let metadata = found.check(metadata_field(&object));
    let parsed = (|| {
        Some(CreateOrder {
            order_ref: order_ref?,
            instructions: instructions?,
            metadata: metadata?,
        })
    })();
    found.collect(parsed)
}

/// PUT instruction: every field optional; absent fields keep their value.
pub fn instruction_update(body: Option<Value>) -> Result<InstructionUpdate, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut found = Violations::new();
    let financial_instrument_id = found.check(
        object
            .text(&FINANCIAL_INSTRUMENT_ID)
            .and_then(|id| id.map(FinancialInstrumentId::parse).transpose()),
    );
    let amount = found.check(
        object
            .value("amount")
            .map(|value| Amount::from_json(value).map_err(|e| e.violation(None)))
            .transpose(),
    );
    let currency = found.check(
        object
            .text(&CURRENCY)
            .and_then(|text| text.map(currency).transpose()),
    );
    let country = found.check(
        object
            .text(&COUNTRY)
            .and_then(|text| text.map(country).transpose()),
    );
    let settled_by_date = found.check(
        object
            .text(&SETTLED_BY_DATE)
            .and_then(|text| text.map(date).transpose()),
    );
    let scheme_id = found.check(object.text(&SCHEME_ID).and_then(|id| {
        id.map(|id| {
            SchemeId::parse(id).map_err(|_| violation(&SCHEME_ID, ErrorCode::SCHEME_ID_IS_INVALID))
        })
        .transpose()
    }));
    let metadata = found.check(if object.has("metadata") {
        metadata_field(&object).map(Some)
    } else {
        Ok(None)
    });
    let parsed = (|| {
        Some(InstructionUpdate {
            financial_instrument_id: financial_instrument_id?,
            amount: amount?,
            currency: currency?,
            country: country?,
            settled_by_date: settled_by_date?,
            scheme_id: scheme_id?,
            metadata: metadata?,
        })
    })();
    found.collect(parsed)
}

/// POST cancel: an optional body `{reason?}` of at most 256 characters.
pub fn cancel(body: Option<Value>) -> Result<Option<Secret<String>>, Vec<Violation>> {
    json::reason_body(body, CANCEL_REASON_MAX_LENGTH)
}

/// PUT order metadata: the body is the metadata object itself; `null` or anything else that
/// is not an object is refused (DELETE is how metadata is removed).
pub fn order_metadata(body: Option<Value>) -> Result<Metadata, Vec<Violation>> {
    Metadata::from_json(&json::required_object(body)?.into_value())
}

/// The `Location` of a new order.
pub fn order_location(order: &Order) -> String {
    order_href(&order.order_ref)
}

#[derive(Serialize, ToSchema)]
pub struct OrderLinks {
    #[serde(rename = "self")]
    #[schema(rename = "self")]
    own: Link,
    instructions: Vec<Link>,
}

/// GET order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "_links": {
        "self": { "href": "/v1/order-management/order1" },
        "instructions": [{ "href": "/v1/order-management/order1/instruction/instruction1", "name": "instruction1" }]
    },
    "created": 1662105575226_i64,
    "instructionRefs": ["instruction1"],
    "metadata": { "customKey1": "custom string 1" }
}))]
pub struct OrderBody {
    #[serde(rename = "_links")]
    #[schema(rename = "_links")]
    links: OrderLinks,
    /// Epoch milliseconds.
    created: i64,
    instruction_refs: Vec<InstructionRef>,
    metadata: Metadata,
}

pub fn order_body(order: &Order, instructions: &[InstructionRef]) -> OrderBody {
    let links: Vec<Link> = instructions
        .iter()
        .map(|i| Link::named(instruction_href(&order.order_ref, i), i.to_string()))
        .collect();
    OrderBody {
        links: OrderLinks {
            own: Link::to(order_href(&order.order_ref)),
            instructions: links,
        },
        created: order.created,
        instruction_refs: instructions.to_vec(),
        metadata: order.metadata.clone(),
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstructionLinks {
    #[serde(rename = "self")]
    #[schema(rename = "self")]
    own: Link,
    financial_instruments: Vec<Link>,
    /// The bank transaction, or the reward transaction of a claimed reward.
    transactions: Vec<Link>,
}

/// The instruction's instrument, how it was set, and whether it may still change.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstructionInstrument {
    financial_instrument_id: Option<FinancialInstrumentId>,
    source: Source,
    can_update: bool,
}

/// The instruction's scheme, how it was set, and whether it may still change.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstructionScheme {
    scheme_id: Option<SchemeId>,
    source: Source,
    can_update: bool,
}

/// GET instruction. The example is seed 001's, as this service answers it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = json!({
    "_links": {
        "self": { "href": "/v1/order-management/order1/instruction/instruction1" },
        "financialInstruments": [{
            "href": "/v1/customer-vault/customer1/financial-instrument/6105540a-1f16-46e0-b16d-0d3cdfe79411",
            "name": "6105540a-1f16-46e0-b16d-0d3cdfe79411"
        }],
        "transactions": [{
            "href": "/v1/customer-vault/customer1/financial-instrument/6105540a-1f16-46e0-b16d-0d3cdfe79411/transaction/a16699d2-454d-4bec-985d-0823cb79e86a",
            "name": "a16699d2-454d-4bec-985d-0823cb79e86a"
        }]
    },
    "created": 1662105575226_i64, "lastUpdated": 1662105912747_i64,
    "direction": "DEBIT", "status": "PROCESSING", "customerRef": "customer1",
    "amount": 12.34, "currency": "EUR", "country": "AT", "settledByDate": "2023-12-15",
    "forecastedSettlementDate": "2023-12-15", "actualSettlementDate": null,
    "executionTimestamp": 1662543264053_i64,
    "financialInstrument": {
        "financialInstrumentId": "6105540a-1f16-46e0-b16d-0d3cdfe79411",
        "source": "MANUALLY_SET", "canUpdate": false
    },
    "scheme": { "schemeId": "EEAB9BBF6F8FA16D711798D14B65E066", "source": "MANUALLY_SET", "canUpdate": false },
    "metadata": { "key1": "payment/1", "key2": "payment/2" },
    "transaction": {
        "transactionId": "a16699d2-454d-4bec-985d-0823cb79e86a",
        "financialInstrumentId": "6105540a-1f16-46e0-b16d-0d3cdfe79411",
        "createdTimestamp": 1662543264053_i64, "lastUpdatedTimestamp": 1662543264006_i64,
        "amount": 12.34, "netAmount": 10, "status": "PROCESSING", "additionalInformation": "",
        "app": {
            "appId": "SANDBOX", "appTransactionId": "sbx_a16699d2454d4bec985d0823cb79e86a",
            "appBatchId": null, "supportDetails": {}
        },
        "refunds": [{
            "refundId": "07924e91-3470-442d-8c8a-81282b41b74e", "createdTimestamp": 1662543387150_i64,
            "lastUpdatedTimestamp": 1662543388793_i64, "status": "COMPLETED", "amount": 2.34,
            "refundReason": null, "failureReasonCode": null, "failureDescription": null
        }],
        "chargebacks": []
    },
    "failed": null,
    "cancelled": null
}))]
pub struct InstructionBody {
    #[serde(rename = "_links")]
    #[schema(rename = "_links")]
    links: InstructionLinks,
    /// Epoch milliseconds.
    created: i64,
    /// Epoch milliseconds.
    last_updated: i64,
    direction: Direction,
    status: InstructionStatus,
    customer_ref: CustomerRef,
    #[schema(value_type = f64)]
    amount: Value,
    currency: String,
    country: Country,
    /// `YYYY-MM-DD`.
    settled_by_date: String,
    /// `YYYY-MM-DD`, once execution has started.
    forecasted_settlement_date: Option<String>,
    /// `YYYY-MM-DD`, once settled.
    actual_settlement_date: Option<String>,
    /// Epoch milliseconds.
    execution_timestamp: Option<i64>,
    financial_instrument: InstructionInstrument,
    scheme: InstructionScheme,
    metadata: Metadata,
    transaction: Option<TransactionSummary>,
    failed: Option<Failure>,
    cancelled: Option<Cancellation>,
}

pub fn instruction_body(instruction: &Instruction) -> InstructionBody {
    let can_update = instruction.status.is_editable();
    let instruments: Vec<Link> = instruction
        .financial_instrument_id
        .iter()
        .map(|id| {
            Link::named(
                instrument_href(&instruction.customer_ref, *id),
                id.to_string(),
            )
        })
        .collect();
    let reward_transactions = instruction.reward_claim.iter().map(|claim| {
        Link::named(
            reward_transaction_href(
                &instruction.customer_ref,
                claim.financial_instrument_id,
                claim.transaction_id,
            ),
            claim.transaction_id.to_string(),
        )
    });
    let transactions: Vec<Link> = instruction
        .transaction
        .iter()
        .map(|t| Link::named(transaction_link(t), t.id.to_string()))
        .chain(reward_transactions)
        .collect();
    InstructionBody {
        links: InstructionLinks {
            own: Link::to(instruction_href(
                &instruction.order_ref,
                &instruction.instruction_ref,
            )),
            financial_instruments: instruments,
            transactions,
        },
        created: instruction.created,
        last_updated: instruction.last_updated,
        direction: instruction.direction,
        status: instruction.status,
        customer_ref: instruction.customer_ref.clone(),
        amount: instruction.amount.to_json(),
        currency: instruction.amount.currency().code().to_owned(),
        country: instruction.country,
        settled_by_date: instruction.settled_by_date.to_string(),
        // Forecast once execution has started: the sandbox settles on the settle-by date.
        forecasted_settlement_date: instruction
            .execution_timestamp
            .map(|_| instruction.settled_by_date.to_string()),
        actual_settlement_date: instruction.actual_settlement_date.map(|d| d.to_string()),
        execution_timestamp: instruction.execution_timestamp,
        financial_instrument: InstructionInstrument {
            financial_instrument_id: instruction.financial_instrument_id,
            source: instruction.financial_instrument_source,
            can_update,
        },
        scheme: InstructionScheme {
            scheme_id: instruction.scheme_id.clone(),
            source: instruction.scheme_source,
            can_update,
        },
        metadata: instruction.metadata.clone(),
        transaction: instruction.transaction.as_ref().map(transaction_summary),
        failed: instruction.failed.clone(),
        cancelled: instruction.cancelled.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The seed's request sample.
    fn sample() -> Value {
        json!({
            "instructionRef": "instruction1",
            "customerRef": "customer1",
            "direction": "DEBIT",
            "financialInstrumentId": "35596f91-fea9-4297-b70b-01fdad24e25a",
            "amount": 20,
            "currency": "GBP",
            "country": "GB",
            "settledByDate": "2019-08-24",
            "schemeId": "ef1c9dbe-017b-4011-8bd1-352897f8dfef",
            "metadata": { "customKey1": "custom string 1" }
        })
    }

    fn parse(value: Value) -> Result<NewInstruction, Vec<String>> {
        let object = JsonObject::from_value(value).map_err(|v| vec![v.code.as_str().to_owned()])?;
        new_instruction(&object)
            .map_err(|all| all.iter().map(|v| v.code.as_str().to_owned()).collect())
    }

    fn with(changes: Value) -> Value {
        let mut body = sample();
        for (key, value) in changes.as_object().cloned().unwrap_or_default() {
            match value {
                Value::Null if key.starts_with('-') => {
                    body.as_object_mut().map(|o| o.remove(&key[1..]));
                }
                value => body[key] = value,
            }
        }
        body
    }

    /// An order with `count` instructions over `customers` customers.
    fn order_of(count: usize, customers: usize) -> Value {
        let instructions: Vec<Value> = (0..count)
            .map(|n| {
                with(json!({
                    "instructionRef": format!("i{n}"),
                    "customerRef": format!("c{}", n % customers),
                }))
            })
            .collect();
        json!({ "orderRef": "o", "instructions": instructions })
    }

    /// `maxCount` when the order is refused for its size.
    fn refused_max_count(order: Value) -> Option<Value> {
        let violations = create_order(Some(order)).err()?;
        let violation = violations
            .iter()
            .find(|v| v.code == ErrorCode::INSTRUCTIONS_COUNT_OUT_OF_RANGE)?;
        violation.params.expose().get("maxCount").cloned()
    }

    #[test]
    fn an_order_fits_one_transaction_with_a_check_per_customer() {
        // 1 order + 98 instructions + 1 customer check = 100 items.
        assert!(create_order(Some(order_of(98, 1))).is_ok());
        assert_eq!(refused_max_count(order_of(99, 1)), Some(json!(98)));
        // 1 + 97 + 2.
        assert!(create_order(Some(order_of(97, 2))).is_ok());
        assert_eq!(refused_max_count(order_of(98, 2)), Some(json!(97)));
        // Each instruction for its own customer: 1 + 49 + 49.
        assert!(create_order(Some(order_of(49, 49))).is_ok());
        assert_eq!(refused_max_count(order_of(50, 50)), Some(json!(49)));
    }

    #[test]
    fn the_published_sample_parses() {
        let parsed = parse(sample()).unwrap();
        assert_eq!(parsed.instruction_ref.as_str(), "instruction1");
        assert_eq!(parsed.direction, Direction::Debit);
        assert_eq!(parsed.money.minor_units(), 2000);
        assert_eq!(parsed.money.currency().code(), "GBP");
        assert_eq!(parsed.settled_by_date.to_string(), "2019-08-24");
        assert_eq!(
            parsed.scheme_id.map(|s| s.to_string()).as_deref(),
            Some("ef1c9dbe-017b-4011-8bd1-352897f8dfef")
        );
        for direction in ["Debit", "debit", "CREDIT", "Credit"] {
            assert!(
                parse(with(json!({ "direction": direction }))).is_ok(),
                "{direction}"
            );
        }
        let optional_absent =
            with(json!({ "-financialInstrumentId": null, "-schemeId": null, "-metadata": null }));
        let parsed = parse(optional_absent).unwrap();
        assert_eq!(
            (parsed.financial_instrument_id, parsed.scheme_id),
            (None, None)
        );
    }

    /// Every validation message seed 001 lists for an instruction, and the rest of the rules.
    #[test]
    fn every_published_validation_is_triggered() {
        let cases: Vec<(Value, Vec<&str>)> = vec![
            (
                json!({ "-instructionRef": null }),
                vec!["INSTRUCTION_REF_IS_REQUIRED"],
            ),
            (
                json!({ "instructionRef": "has space" }),
                vec!["INSTRUCTION_REF_IS_INVALID"],
            ),
            (
                json!({ "instructionRef": "i".repeat(51) }),
                vec!["INSTRUCTION_REF_LENGTH_OUT_OF_RANGE"],
            ),
            (
                json!({ "-customerRef": null }),
                vec!["CUSTOMER_REF_IS_REQUIRED"],
            ),
            (
                json!({ "customerRef": null }),
                vec!["CUSTOMER_REF_IS_REQUIRED"],
            ),
            (
                json!({ "customerRef": 12 }),
                vec!["CUSTOMER_REF_IS_INVALID"],
            ),
            (json!({ "-direction": null }), vec!["DIRECTION_IS_REQUIRED"]),
            (
                json!({ "direction": "sideways" }),
                vec!["DIRECTION_IS_INVALID"],
            ),
            (json!({ "-amount": null }), vec!["AMOUNT_IS_REQUIRED"]),
            (json!({ "amount": 0 }), vec!["AMOUNT_OUT_OF_RANGE"]),
            (json!({ "amount": -1.5 }), vec!["AMOUNT_OUT_OF_RANGE"]),
            (json!({ "amount": "20" }), vec!["AMOUNT_IS_INVALID"]),
            (json!({ "amount": 20.001 }), vec!["AMOUNT_IS_INVALID"]),
            (
                json!({ "amount": 1_000_000_000_000_i64 }),
                vec!["AMOUNT_IS_INVALID"],
            ),
            (
                json!({ "amount": 100.5, "currency": "JPY" }),
                vec!["AMOUNT_IS_INVALID"],
            ),
            (
                json!({ "amount": 1.2345, "currency": "BHD" }),
                vec!["AMOUNT_IS_INVALID"],
            ),
            (json!({ "amount": 1.234, "currency": "BHD" }), vec![]),
            (json!({ "-currency": null }), vec!["CURRENCY_IS_REQUIRED"]),
            (
                json!({ "currency": "GBPX" }),
                vec!["CURRENCY_LENGTH_OUT_OF_RANGE"],
            ),
            (json!({ "currency": "ZZZ" }), vec!["CURRENCY_IS_INVALID"]),
            (json!({ "-country": null }), vec!["COUNTRY_IS_REQUIRED"]),
            (
                json!({ "country": "GBR" }),
                vec!["COUNTRY_LENGTH_OUT_OF_RANGE"],
            ),
            (json!({ "country": "ZZ" }), vec!["COUNTRY_IS_INVALID"]),
            (
                json!({ "-settledByDate": null }),
                vec!["SETTLED_BY_DATE_IS_REQUIRED"],
            ),
            (
                json!({ "settledByDate": "24/08/2019" }),
                vec!["SETTLED_BY_DATE_IS_INVALID"],
            ),
            (
                json!({ "settledByDate": "2019-8-24" }),
                vec!["SETTLED_BY_DATE_IS_INVALID"],
            ),
            (
                json!({ "settledByDate": "2019-02-30" }),
                vec!["SETTLED_BY_DATE_IS_INVALID"],
            ),
            (json!({ "settledByDate": "2024-02-29" }), vec![]),
            (
                json!({ "financialInstrumentId": "not-a-uuid" }),
                vec!["FINANCIAL_INSTRUMENT_ID_IS_INVALID"],
            ),
            (
                json!({ "schemeId": "bad scheme!" }),
                vec!["SCHEME_ID_IS_INVALID"],
            ),
            (
                json!({ "metadata": { "k": 1 } }),
                vec!["METADATA_VALUE_IS_INVALID"],
            ),
            (
                json!({ "-instructionRef": null, "direction": 1, "amount": 0, "currency": "EURO", "country": null }),
                vec![
                    "INSTRUCTION_REF_IS_REQUIRED",
                    "DIRECTION_IS_INVALID",
                    "CURRENCY_LENGTH_OUT_OF_RANGE",
                    "AMOUNT_OUT_OF_RANGE",
                    "COUNTRY_IS_REQUIRED",
                ],
            ),
        ];
        for (changes, expected) in cases {
            let codes = parse(with(changes.clone())).err().unwrap_or_default();
            assert_eq!(codes, expected, "{changes}");
        }
    }

    #[test]
    fn decimal_place_errors_name_the_currency_and_its_minor_unit() {
        let object =
            JsonObject::from_value(with(json!({ "amount": 100.5, "currency": "JPY" }))).unwrap();
        let errors = new_instruction(&object).err().unwrap_or_default();
        assert_eq!(errors[0].message(), "Amount is invalid.");
        assert_eq!(
            errors[0].params.expose(),
            json!({ "maxDecimalPlaces": 0, "currency": "JPY" })
                .as_object()
                .unwrap()
        );
    }
}
