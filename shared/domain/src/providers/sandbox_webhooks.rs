//! SANDBOX's webhooks, both ways (docs/api.md §8): Standard Webhooks signatures over a JSON
//! body `{type, occurredAt, data: {appTransactionId, amount?, appRefundId?, chargebackId?,
//! reason?}}`. The service reads them on SANDBOX's route; SANDBOX's sender writes them.

use super::events::ProviderEvent;
use super::sources::{WebhookRequest, WebhookSource};
use crate::clock::Now;
use crate::error::{ErrorCode, Violation, Violations};
use crate::ids::{MandateId, RefundId};
use crate::payments::{Amount, SANDBOX_APP_ID};
use crate::standard_webhooks::{
    Refusal, WebhookHeaders, WebhookSecret, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use serde_json::{json, Map, Value};

/// Longest provider id (`appTransactionId`, `chargebackId`) accepted.
const MAX_ID_LENGTH: usize = 200;

pub struct SandboxWebhooks {
    secret: WebhookSecret,
}

impl SandboxWebhooks {
    pub fn new(secret: WebhookSecret) -> Self {
        SandboxWebhooks { secret }
    }
}

impl WebhookSource for SandboxWebhooks {
    fn app_id(&self) -> &'static str {
        SANDBOX_APP_ID
    }

    fn verify(&self, request: &WebhookRequest<'_>, now: Now) -> Result<(), Refusal> {
        let headers = WebhookHeaders {
            id: request.header(ID_HEADER),
            timestamp: request.header(TIMESTAMP_HEADER),
            signature: request.header(SIGNATURE_HEADER),
        };
        self.secret
            .verify(&headers, request.body, now.epoch_seconds())
    }

    fn event_id<'a>(&self, request: &WebhookRequest<'a>) -> Option<&'a str> {
        request
            .header(ID_HEADER)
            .filter(|id| (1..=MAX_ID_LENGTH).contains(&id.len()))
    }

    fn translate(&self, body: &[u8]) -> Result<ProviderEvent, Vec<Violation>> {
        let Ok(Value::Object(event)) = serde_json::from_slice::<Value>(body) else {
            return Err(vec![Violation::new(ErrorCode::BODY_IS_INVALID)]);
        };
        let no_data = Map::new();
        let data = event
            .get("data")
            .and_then(Value::as_object)
            .unwrap_or(&no_data);
        let mut found = Violations::new();
        let occurred = found.check(occurred_at(event.get("occurredAt")));
        let kind = match event.get("type").and_then(Value::as_str) {
            None => {
                found.push(Violation::new(ErrorCode::EVENT_TYPE_IS_REQUIRED));
                None
            }
            Some(kind) => Some(kind),
        };
        let translated = kind.and_then(|kind| found.check(event_of(kind, data, occurred)));
        found.collect(translated)
    }
}

/// Reads `data` for an event of type `kind`.
fn event_of(
    kind: &str,
    data: &Map<String, Value>,
    claimed: Option<i64>,
) -> Result<ProviderEvent, Vec<Violation>> {
    let mut found = Violations::new();
    let reason = || {
        data.get("reason")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let payment = || {
        text(
            data,
            "appTransactionId",
            ErrorCode::APP_TRANSACTION_ID_IS_REQUIRED,
            ErrorCode::APP_TRANSACTION_ID_IS_INVALID,
        )
    };
    let event = match kind {
        "payment.settled" => found
            .check(payment())
            .map(|app_transaction_id| ProviderEvent::PaymentSettled { app_transaction_id }),
        "payment.failed" => {
            found
                .check(payment())
                .map(|app_transaction_id| ProviderEvent::PaymentFailed {
                    app_transaction_id,
                    reason: reason(),
                })
        }
        "refund.settled" | "refund.failed" => {
            let app_transaction_id = found.check(payment());
            let refund_id = found.check(refund_id(data));
            app_transaction_id
                .zip(refund_id)
                .map(|(app_transaction_id, refund_id)| {
                    if kind == "refund.settled" {
                        ProviderEvent::RefundSettled {
                            app_transaction_id,
                            refund_id,
                        }
                    } else {
                        ProviderEvent::RefundFailed {
                            app_transaction_id,
                            refund_id,
                            reason: reason(),
                        }
                    }
                })
        }
        "chargeback.opened" | "chargeback.succeeded" | "chargeback.failed" => {
            let app_transaction_id = found.check(payment());
            let chargeback_id = found.check(text(
                data,
                "chargebackId",
                ErrorCode::CHARGEBACK_ID_IS_REQUIRED,
                ErrorCode::CHARGEBACK_ID_IS_INVALID,
            ));
            let amount = found.check(optional_amount(data));
            app_transaction_id.zip(chargeback_id).zip(amount).map(
                |((app_transaction_id, chargeback_id), amount)| match kind {
                    "chargeback.opened" => ProviderEvent::ChargebackOpened {
                        app_transaction_id,
                        chargeback_id,
                        amount,
                        claimed: claimed.unwrap_or_default(),
                    },
                    "chargeback.succeeded" => ProviderEvent::ChargebackSucceeded {
                        app_transaction_id,
                        chargeback_id,
                    },
                    _ => ProviderEvent::ChargebackFailed {
                        app_transaction_id,
                        chargeback_id,
                    },
                },
            )
        }
        "mandate.active" | "mandate.failed" => {
            let mandate_id = found
                .check(payment())
                .and_then(|id| found.check(MandateId::parse(&id)));
            mandate_id.map(|mandate_id| {
                if kind == "mandate.active" {
                    ProviderEvent::MandateActive { mandate_id }
                } else {
                    ProviderEvent::MandateFailed {
                        mandate_id,
                        reason: reason(),
                    }
                }
            })
        }
        other => {
            found.push(Violation::new(ErrorCode::EVENT_TYPE_NOT_RECOGNISED).with("type", other));
            None
        }
    };
    found.collect(event)
}

fn text(
    data: &Map<String, Value>,
    field: &str,
    required: ErrorCode,
    invalid: ErrorCode,
) -> Result<String, Vec<Violation>> {
    match data.get(field) {
        None | Some(Value::Null) => Err(vec![Violation::new(required)]),
        Some(Value::String(id))
            if (1..=MAX_ID_LENGTH).contains(&id.chars().count())
                && !id.chars().any(char::is_control) =>
        {
            Ok(id.clone())
        }
        Some(_) => Err(vec![Violation::new(invalid)]),
    }
}

fn refund_id(data: &Map<String, Value>) -> Result<RefundId, Vec<Violation>> {
    match data.get("appRefundId") {
        None | Some(Value::Null) => Err(vec![Violation::new(ErrorCode::APP_REFUND_ID_IS_REQUIRED)]),
        Some(Value::String(id)) => RefundId::parse(id)
            .map_err(|_| vec![Violation::new(ErrorCode::APP_REFUND_ID_IS_INVALID)]),
        Some(_) => Err(vec![Violation::new(ErrorCode::APP_REFUND_ID_IS_INVALID)]),
    }
}

fn optional_amount(data: &Map<String, Value>) -> Result<Option<Amount>, Vec<Violation>> {
    match data.get("amount") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => Amount::from_json(value)
            .map(Some)
            .map_err(|e| vec![e.violation(None)]),
    }
}

/// `occurredAt` as epoch ms; SANDBOX always sends it.
fn occurred_at(value: Option<&Value>) -> Result<i64, Vec<Violation>> {
    value
        .and_then(Value::as_str)
        .and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok())
        .map(|time| time.timestamp_millis())
        .ok_or_else(|| vec![Violation::new(ErrorCode::OCCURRED_AT_IS_INVALID)])
}

/// SANDBOX's body for `event`, as its sender posts it: `occurredAt` is `occurred_at_ms`, or
/// for a chargeback's opening, when the payer claimed it.
pub fn sandbox_event_body(event: &ProviderEvent, occurred_at_ms: i64) -> String {
    let mut data = Map::new();
    let mut put = |name: &str, value: Value| {
        data.insert(name.to_owned(), value);
    };
    put("appTransactionId", json!(event.app_reference()));
    match event {
        ProviderEvent::RefundSettled { refund_id, .. } => put("appRefundId", json!(refund_id)),
        ProviderEvent::RefundFailed {
            refund_id, reason, ..
        } => {
            put("appRefundId", json!(refund_id));
            put("reason", json!(reason));
        }
        ProviderEvent::ChargebackOpened {
            chargeback_id,
            amount,
            ..
        } => {
            put("chargebackId", json!(chargeback_id));
            if let Some(amount) = amount {
                put("amount", amount.to_json());
            }
        }
        ProviderEvent::ChargebackSucceeded { chargeback_id, .. }
        | ProviderEvent::ChargebackFailed { chargeback_id, .. } => {
            put("chargebackId", json!(chargeback_id))
        }
        ProviderEvent::PaymentFailed { reason, .. }
        | ProviderEvent::MandateFailed { reason, .. } => put("reason", json!(reason)),
        ProviderEvent::PaymentSettled { .. } | ProviderEvent::MandateActive { .. } => {}
    }
    // A chargeback happened when the payer claimed it.
    let occurred_at_ms = match event {
        ProviderEvent::ChargebackOpened { claimed, .. } => *claimed,
        _ => occurred_at_ms,
    };
    let occurred_at = crate::clock::iso_timestamp(occurred_at_ms);
    json!({ "type": event.name(), "occurredAt": occurred_at, "data": data }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> SandboxWebhooks {
        SandboxWebhooks::new(WebhookSecret::parse(&WebhookSecret::generate().unwrap()).unwrap())
    }

    fn codes(body: Value) -> Vec<&'static str> {
        match source().translate(body.to_string().as_bytes()) {
            Ok(event) => panic!("{body} read as {event:?}"),
            Err(found) => found.iter().map(|v| v.code.as_str()).collect(),
        }
    }

    #[test]
    fn every_event_reads_back_as_written() {
        let refund_id = RefundId::new_random();
        let amount = Amount::from_json(&json!(12.5)).unwrap();
        let events = [
            ProviderEvent::PaymentSettled {
                app_transaction_id: "sandbox_1".into(),
            },
            ProviderEvent::PaymentFailed {
                app_transaction_id: "sandbox_1".into(),
                reason: "no funds".into(),
            },
            ProviderEvent::RefundSettled {
                app_transaction_id: "sandbox_1".into(),
                refund_id,
            },
            ProviderEvent::RefundFailed {
                app_transaction_id: "sandbox_1".into(),
                refund_id,
                reason: "closed".into(),
            },
            ProviderEvent::ChargebackOpened {
                app_transaction_id: "sandbox_1".into(),
                chargeback_id: "cb_1".into(),
                amount: Some(amount),
                claimed: 1_764_000_000_000,
            },
            ProviderEvent::ChargebackOpened {
                app_transaction_id: "sandbox_1".into(),
                chargeback_id: "cb_2".into(),
                amount: None,
                claimed: 1_764_000_000_000,
            },
            ProviderEvent::ChargebackSucceeded {
                app_transaction_id: "sandbox_1".into(),
                chargeback_id: "cb_1".into(),
            },
            ProviderEvent::ChargebackFailed {
                app_transaction_id: "sandbox_1".into(),
                chargeback_id: "cb_1".into(),
            },
            ProviderEvent::MandateActive {
                mandate_id: MandateId::new_random(),
            },
            ProviderEvent::MandateFailed {
                mandate_id: MandateId::new_random(),
                reason: "AccountClosed".into(),
            },
        ];
        for event in events {
            let body = sandbox_event_body(&event, 1_764_000_000_000);
            assert_eq!(source().translate(body.as_bytes()), Ok(event), "{body}");
        }
    }

    #[test]
    fn unknown_types_and_missing_ids_are_refused() {
        let at = "2026-12-07T10:00:00Z";
        assert_eq!(
            codes(json!({ "occurredAt": at, "data": {} })),
            ["EVENT_TYPE_IS_REQUIRED"]
        );
        assert_eq!(
            codes(json!({ "type": "payment.lost", "occurredAt": at, "data": {} })),
            ["EVENT_TYPE_NOT_RECOGNISED"]
        );
        assert_eq!(
            codes(json!({ "type": "payment.settled", "occurredAt": at, "data": {} })),
            ["APP_TRANSACTION_ID_IS_REQUIRED"]
        );
        assert_eq!(
            codes(
                json!({ "type": "payment.settled", "occurredAt": at, "data": { "appTransactionId": 5 } })
            ),
            ["APP_TRANSACTION_ID_IS_INVALID"]
        );
        assert_eq!(
            codes(
                json!({ "type": "refund.settled", "occurredAt": at, "data": { "appTransactionId": "x", "appRefundId": "nope" } })
            ),
            ["APP_REFUND_ID_IS_INVALID"]
        );
        assert_eq!(
            codes(json!({ "type": "chargeback.opened", "occurredAt": at, "data": {} })),
            [
                "APP_TRANSACTION_ID_IS_REQUIRED",
                "CHARGEBACK_ID_IS_REQUIRED"
            ]
        );
        assert_eq!(
            codes(
                json!({ "type": "chargeback.opened", "occurredAt": at, "data": { "appTransactionId": "x", "chargebackId": "c", "amount": "5" } })
            ),
            ["AMOUNT_IS_INVALID"]
        );
        assert_eq!(
            codes(
                json!({ "type": "mandate.active", "occurredAt": at, "data": { "appTransactionId": "x" } })
            ),
            ["MANDATE_ID_IS_INVALID"]
        );
        assert_eq!(
            codes(
                json!({ "type": "payment.settled", "occurredAt": "yesterday", "data": { "appTransactionId": "x" } })
            ),
            ["OCCURRED_AT_IS_INVALID"]
        );
        assert_eq!(codes(json!([1])), ["BODY_IS_INVALID"]);
    }
}
