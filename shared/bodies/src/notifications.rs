//! Tenant webhook bodies (docs/api.md §9): an endpoint's settings read with every problem
//! named, and the endpoint as the `notifications` routes show it (never its secrets, but for
//! the one answer that creates or rotates one).

use crate::json::{self, Field, JsonObject};
use crate::mandates::MandateBody;
use crate::orders::InstructionBody;
use crate::rewards::RewardTransactionBody;
use crate::vault::TransactionBody;
use payments_domain::dispatch::{Delivery, DeliveryStatus};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::ids::{AccountId, TenantId, WebhookId};
use payments_domain::notifications::{
    EndpointSettings, EndpointStatus, EndpointUrl, EventFilter, UrlPolicy, UrlRefusal,
    WebhookEndpoint, MAX_URL_LENGTH,
};
use payments_domain::outbox::{EventSubject, RecordedEvent};
use payments_domain::Secret;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Longest endpoint description.
pub const MAX_DESCRIPTION_LENGTH: usize = 500;

const URL: Field = Field {
    name: "url",
    property: "Url",
    required: ErrorCode::URL_IS_REQUIRED,
    invalid: ErrorCode::URL_IS_INVALID,
};
const DESCRIPTION: Field = Field {
    name: "description",
    property: "Description",
    required: ErrorCode::DESCRIPTION_IS_INVALID,
    invalid: ErrorCode::DESCRIPTION_IS_INVALID,
};
const STATUS: Field = Field {
    name: "status",
    property: "Status",
    required: ErrorCode::STATUS_IS_INVALID,
    invalid: ErrorCode::STATUS_IS_INVALID,
};

/// Whether the body may set the endpoint's status: PUT may, POST may not (it starts enabled).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsFor {
    Create,
    Replace,
}

/// POST webhooks, for the OpenAPI document; read by [`endpoint_settings`].
#[derive(ToSchema)]
#[schema(example = json!({
    "url": "https://hooks.example.com/payments", "events": ["instruction.completed", "refund.completed"],
    "description": "Payments team"
}))]
pub struct EndpointRequest {
    /// HTTPS, reachable from the internet.
    pub url: String,
    /// Event types, or `["*"]` for all.
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// PUT webhooks/{webhookId}, for the OpenAPI document; read by [`endpoint_settings`].
#[derive(ToSchema)]
pub struct EndpointReplacement {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub status: Option<EndpointStatus>,
}

/// POST `{url, events, description?}` and PUT (also `status?`): every problem, together.
pub fn endpoint_settings(
    body: Option<Value>,
    policy: UrlPolicy,
    purpose: SettingsFor,
) -> Result<EndpointSettings, Vec<Violation>> {
    let object = json::required_object(body)?;
    let mut violations = Violations::new();
    let url = violations.check(url(&object, policy));
    let events = violations.check(events(&object));
    let description = violations.check(description(&object));
    let status = match purpose {
        SettingsFor::Create => Some(None),
        SettingsFor::Replace => violations.check(status(&object)),
    };
    let settings = match (url, events, description, status) {
        (Some(url), Some(events), Some(description), Some(status)) => Some(EndpointSettings {
            url,
            events,
            description,
            status,
        }),
        _ => None,
    };
    violations.collect(settings)
}

fn url(object: &JsonObject, policy: UrlPolicy) -> Result<String, Violation> {
    let text = object.required_text(&URL)?;
    match EndpointUrl::parse(text, policy) {
        Ok(url) => Ok(url.as_str().to_owned()),
        Err(UrlRefusal::Malformed) => Err(Violation::new(ErrorCode::URL_IS_INVALID)
            .with("maxLength", MAX_URL_LENGTH)
            .on_property(URL.property, Some(text))),
        Err(UrlRefusal::NotAllowed) => Err(Violation::new(ErrorCode::WEBHOOK_URL_NOT_ALLOWED)
            .on_property(URL.property, Some(text))),
    }
}

fn events(object: &JsonObject) -> Result<EventFilter, Violation> {
    let required = || Violation::new(ErrorCode::EVENTS_IS_REQUIRED).on_property("Events", None);
    let Some(Value::Array(items)) = object.value("events") else {
        return Err(required());
    };
    let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
    match names {
        Some(names) if !names.is_empty() => EventFilter::parse(names).map_err(|unknown| {
            Violation::new(ErrorCode::EVENT_TYPE_NOT_RECOGNISED)
                .with("type", unknown.as_str())
                .on_property("Events", Some(&unknown))
        }),
        _ => Err(required()),
    }
}

fn description(object: &JsonObject) -> Result<Option<String>, Violation> {
    let Some(text) = object.text(&DESCRIPTION)? else {
        return Ok(None);
    };
    if text.chars().any(char::is_control) {
        return Err(Violation::new(ErrorCode::DESCRIPTION_IS_INVALID)
            .on_property(DESCRIPTION.property, None));
    }
    if text.chars().count() > MAX_DESCRIPTION_LENGTH {
        return Err(Violation::new(ErrorCode::DESCRIPTION_LENGTH_OUT_OF_RANGE)
            .with("minLength", 0)
            .with("maxLength", MAX_DESCRIPTION_LENGTH)
            .on_property(DESCRIPTION.property, None));
    }
    Ok(Some(text.to_owned()))
}

fn status(object: &JsonObject) -> Result<Option<EndpointStatus>, Violation> {
    match object.text(&STATUS)? {
        None => Ok(None),
        Some(text) => EndpointStatus::parse(text).map(Some).ok_or_else(|| {
            Violation::new(ErrorCode::STATUS_IS_INVALID).on_property(STATUS.property, Some(text))
        }),
    }
}

/// An endpoint as GET, PUT and the list show it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    webhook_id: WebhookId,
    url: String,
    /// Event types, or `["*"]` for all.
    events: Vec<&'static str>,
    description: Option<String>,
    status: EndpointStatus,
    /// Epoch milliseconds.
    created: i64,
}

pub fn endpoint_body(endpoint: &WebhookEndpoint) -> Endpoint {
    Endpoint {
        webhook_id: endpoint.webhook_id,
        url: endpoint.url.clone(),
        events: endpoint.events.names(),
        description: endpoint.description.clone(),
        status: endpoint.status,
        created: endpoint.created,
    }
}

/// POST's 201: the endpoint and, this once, its secret.
#[derive(Serialize, ToSchema)]
pub struct CreatedEndpoint {
    #[serde(flatten)]
    endpoint: Endpoint,
    /// `whsec_` and base64 of the key deliveries are signed with: shown only here.
    #[schema(value_type = String)]
    secret: Secret<String>,
}

pub fn created_body(endpoint: &WebhookEndpoint, secret: &Secret<String>) -> CreatedEndpoint {
    CreatedEndpoint {
        endpoint: endpoint_body(endpoint),
        secret: secret.clone(),
    }
}

/// GET list: `{results: [...]}`.
#[derive(Serialize, ToSchema)]
pub struct EndpointList {
    results: Vec<Endpoint>,
}

pub fn endpoints_body(endpoints: &[WebhookEndpoint]) -> EndpointList {
    EndpointList {
        results: endpoints.iter().map(endpoint_body).collect(),
    }
}

/// Rotate's 200: `{secret}`.
#[derive(Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret; the old one signs too for a day.
    #[schema(value_type = String)]
    secret: Secret<String>,
}

pub fn secret_body(secret: &Secret<String>) -> RotatedSecret {
    RotatedSecret {
        secret: secret.clone(),
    }
}

/// The last attempt at a delivery.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptBody {
    /// Epoch milliseconds.
    timestamp: i64,
    /// The receiver's status, if it answered.
    response_status: Option<u16>,
    duration_ms: u64,
    /// Why there was no answer.
    error: Option<String>,
}

/// A delivery as the delivery log shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryBody {
    delivery_id: String,
    event_id: String,
    event_type: String,
    status: DeliveryStatus,
    attempts: u32,
    last_attempt: Option<AttemptBody>,
    /// Epoch milliseconds.
    next_attempt_timestamp: Option<i64>,
}

pub fn delivery_body(delivery: &Delivery) -> DeliveryBody {
    DeliveryBody {
        delivery_id: delivery.delivery_id.clone(),
        event_id: delivery.event_id.clone(),
        event_type: delivery.event_type.as_str().to_owned(),
        status: delivery.status,
        attempts: delivery.attempts,
        last_attempt: delivery.last_attempt.as_ref().map(|attempt| AttemptBody {
            timestamp: attempt.timestamp,
            response_status: attempt.response_status,
            duration_ms: attempt.duration_ms,
            error: attempt.error.clone(),
        }),
        next_attempt_timestamp: delivery.next_attempt,
    }
}

/// GET deliveries: `{results: [...]}`, newest first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryLog {
    results: Vec<DeliveryBody>,
}

pub fn deliveries_body(deliveries: &[Delivery]) -> DeliveryLog {
    DeliveryLog {
        results: deliveries.iter().map(delivery_body).collect(),
    }
}

/// What an event reports: the object's GET body (the transaction's, for refund and chargeback
/// events).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Instruction(Box<InstructionBody>),
    Transaction(Box<TransactionBody>),
    Mandate(Box<MandateBody>),
    Reward(RewardTransactionBody),
    Webhook(Endpoint),
}

/// A recorded event as tenants receive it: `{id, type, createdAt, tenantId, accountId, data}`,
/// `data` as the object was when the change committed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventPayload {
    id: String,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    event_type: String,
    /// ISO-8601.
    created_at: Option<String>,
    tenant_id: TenantId,
    account_id: AccountId,
    data: EventData,
}

pub fn event_payload(recorded: &RecordedEvent) -> EventPayload {
    let data = match &recorded.subject {
        EventSubject::Instruction(instruction) => {
            EventData::Instruction(Box::new(crate::orders::instruction_body(instruction)))
        }
        EventSubject::Transaction(transaction) => {
            EventData::Transaction(Box::new(crate::vault::transaction_body(transaction)))
        }
        EventSubject::Mandate(mandate) => {
            EventData::Mandate(Box::new(crate::mandates::mandate_body(mandate)))
        }
        EventSubject::Reward(reward) => {
            EventData::Reward(crate::rewards::reward_transaction_body(reward))
        }
        EventSubject::Webhook(endpoint) => EventData::Webhook(endpoint_body(endpoint)),
    };
    EventPayload {
        id: recorded.event.event_id.clone(),
        event_type: recorded.event.event_type.as_str().to_owned(),
        created_at: payments_domain::clock::iso_timestamp(recorded.event.created),
        tenant_id: recorded.tenant_id,
        account_id: recorded.account_id,
        data,
    }
}
