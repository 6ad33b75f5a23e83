//! Tenant webhook bodies (docs/api.md §9): an endpoint's settings read with every problem
//! named, and the endpoint as the `notifications` routes show it (never its secrets, but for
//! the one answer that creates or rotates one).

use crate::json::{self, Field, JsonObject};
use payments_domain::dispatch::{Delivery, DeliveryStatus};
use payments_domain::error::{ErrorCode, Violation, Violations};
use payments_domain::notifications::{
    EndpointSettings, EndpointStatus, EndpointUrl, EventFilter, UrlPolicy, UrlRefusal,
    WebhookEndpoint, MAX_URL_LENGTH,
};
use payments_domain::outbox::{EventSubject, RecordedEvent};
use payments_domain::Secret;
use serde_json::{json, Value};

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
pub fn endpoint_body(endpoint: &WebhookEndpoint) -> Value {
    json!({
        "webhookId": endpoint.webhook_id,
        "url": endpoint.url,
        "events": endpoint.events.names(),
        "description": endpoint.description,
        "status": endpoint.status.as_str(),
        "created": endpoint.created,
    })
}

/// POST's 201: the endpoint and, this once, its secret.
pub fn created_body(endpoint: &WebhookEndpoint, secret: &Secret<String>) -> Value {
    let mut body = endpoint_body(endpoint);
    body["secret"] = Value::String(secret.expose().clone());
    body
}

/// GET list: `{results: [...]}`.
pub fn endpoints_body(endpoints: &[WebhookEndpoint]) -> Value {
    json!({ "results": endpoints.iter().map(endpoint_body).collect::<Vec<_>>() })
}

/// Rotate's 200: `{secret}`.
pub fn secret_body(secret: &Secret<String>) -> Value {
    json!({ "secret": secret.expose() })
}

/// A delivery as the delivery log shows it.
pub fn delivery_body(delivery: &Delivery) -> Value {
    let last_attempt = delivery.last_attempt.as_ref().map(|attempt| {
        json!({
            "timestamp": attempt.timestamp,
            "responseStatus": attempt.response_status,
            "durationMs": attempt.duration_ms,
            "error": attempt.error,
        })
    });
    let status = match delivery.status {
        DeliveryStatus::Pending => "PENDING",
        DeliveryStatus::Delivered => "DELIVERED",
        DeliveryStatus::Failed => "FAILED",
    };
    json!({
        "deliveryId": delivery.delivery_id,
        "eventId": delivery.event_id,
        "eventType": delivery.event_type.as_str(),
        "status": status,
        "attempts": delivery.attempts,
        "lastAttempt": last_attempt,
        "nextAttemptTimestamp": delivery.next_attempt,
    })
}

/// GET deliveries: `{results: [...]}`, newest first.
pub fn deliveries_body(deliveries: &[Delivery]) -> Value {
    json!({ "results": deliveries.iter().map(delivery_body).collect::<Vec<_>>() })
}

/// A recorded event as tenants receive it: `{id, type, createdAt, tenantId, accountId, data}`,
/// `data` the object's GET body as it was when the change committed (the transaction's, for
/// refund and chargeback events).
pub fn event_payload(recorded: &RecordedEvent) -> Value {
    let data = match &recorded.subject {
        EventSubject::Instruction(instruction) => crate::orders::instruction_body(instruction),
        EventSubject::Transaction(transaction) => crate::vault::transaction_body(transaction),
        EventSubject::Mandate(mandate) => crate::mandates::mandate_body(mandate),
        EventSubject::Reward(reward) => crate::rewards::reward_transaction_body(reward),
        EventSubject::Webhook(endpoint) => endpoint_body(endpoint),
    };
    json!({
        "id": recorded.event.event_id,
        "type": recorded.event.event_type.as_str(),
        "createdAt": payments_domain::clock::iso_timestamp(recorded.event.created),
        "tenantId": recorded.tenant_id,
        "accountId": recorded.account_id,
        "data": data,
    })
}
