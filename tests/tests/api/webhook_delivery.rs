//! Tenant webhooks delivered (docs/api.md §9), against moto on a table of its own, to a
//! receiver this test serves on 127.0.0.1: an event recorded by a route reaches a subscribed
//! endpoint through the sweep, the webhook queue and the dispatcher; it is signed as Standard
//! Webhooks says (checked with Python's `hmac`, not the code under test), carries the object's
//! GET body, and is retried with the same `webhook-id` after a 500; an endpoint that does not
//! subscribe gets nothing.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use http::Method;
use payments_domain::dispatch::{DeliveryStatus, WebhookDeliveries};
use payments_domain::ids::WebhookId;
use payments_domain::work::WorkKind;
use payments_domain::Now;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_support::notifications::{dev_notifications_router, dispatcher_host};
use test_support::queues::{pump_until_idle, throwaway_worker};
use test_support::{payments, Client};

/// What a receiver got: each request's headers and body.
#[derive(Clone, Default)]
struct Received {
    requests: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    /// Statuses to answer, in order; 200 once they run out.
    script: Arc<Mutex<Vec<u16>>>,
}

async fn receive(State(received): State<Received>, headers: HeaderMap, body: String) -> StatusCode {
    received.requests.lock().unwrap().push((headers, body));
    let mut script = received.script.lock().unwrap();
    let status = if script.is_empty() {
        200
    } else {
        script.remove(0)
    };
    StatusCode::from_u16(status).unwrap()
}

/// A receiver on 127.0.0.1 answering `script` first: its URL.
async fn receiver(received: &Received, script: &[u16]) -> String {
    *received.script.lock().unwrap() = script.to_vec();
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(received.clone());
    format!("{}/hook", test_support::providers::serve(router).await)
}

/// Python's `hmac` over `{id}.{timestamp}.{body}` with the key in `secret` (`whsec_…`).
fn python_signature(secret: &str, id: &str, timestamp: &str, body: &str) -> String {
    const SCRIPT: &str = "import base64, hashlib, hmac, sys\n\
secret, content = sys.argv[1:3]\n\
key = base64.b64decode(secret.removeprefix('whsec_'))\n\
print('v1,' + base64.b64encode(hmac.new(key, content.encode(), hashlib.sha256).digest()).decode())";
    let output = std::process::Command::new("python3")
        .args(["-c", SCRIPT, secret, &format!("{id}.{timestamp}.{body}")])
        .output()
        .unwrap_or_else(|e| panic!("running python3: {e}"));
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_recorded_event_reaches_its_endpoint_signed_and_is_retried_with_the_same_id() {
    let table = test_support::isolated_table().await;
    let queue = throwaway_worker("webhook-dispatcher", Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let host = dispatcher_host(&table, &queue.queue_url).await;
    let notifications = Client::admin(dev_notifications_router(&table).await);
    let orders = Client {
        router: payments::orders_router(
            &table,
            &payments::unreachable_queue(),
            &payments::unreachable_queue(),
            None,
        )
        .await,
        ..notifications.clone()
    };

    let subscribed = Received::default();
    let url = receiver(&subscribed, &[500]).await;
    let created = notifications
        .call(
            Method::POST,
            "/v1/notifications/webhooks",
            Some(json!({ "url": url, "events": ["instruction.cancelled"] })),
        )
        .await;
    created.assert_status(201);
    let secret = created.body["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let webhook_id = WebhookId::parse(created.body["webhookId"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e:?}"));
    let elsewhere = Received::default();
    let other_url = receiver(&elsewhere, &[]).await;
    notifications
        .call(
            Method::POST,
            "/v1/notifications/webhooks",
            Some(json!({ "url": other_url, "events": ["refund.completed"] })),
        )
        .await
        .assert_status(201);

    // A change that reports an event: an instruction cancelled.
    let order = json!({ "orderRef": "notified", "instructions": [{
        "instructionRef": "payout", "customerRef": "notified-customer", "direction": "Credit",
        "amount": 5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
    }]});
    orders
        .call(Method::POST, "/v2/order-management", Some(order))
        .await
        .assert_status(202);
    let instruction = "/v2/order-management/notified/instruction/payout";
    let cancelled = orders
        .call(Method::POST, &format!("{instruction}/cancel"), None)
        .await;
    assert!(cancelled.status.is_success(), "{:?}", cancelled.body);
    let expected_data = orders.call(Method::GET, instruction, None).await.body;

    // The sweep hands the recorded event to the dispatcher (the event is due at once).
    let sweep = payments::sweep(&table, 0, &[(WorkKind::Webhook, queue.queue_url.as_str())]).await;
    let swept = sweep
        .run(Now::at(Now::read().epoch_ms() + 1_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept.queued, 1, "{swept:?}");
    // The first attempt gets a 500; the retry, 5 s later, a 200.
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    while subscribed.requests.lock().unwrap().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the retry never came");
        pump_until_idle(&queue, host.url(), Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    pump_until_idle(&queue, host.url(), Duration::from_secs(30))
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let requests = subscribed.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "one failed attempt, one delivered");
    let ids: Vec<String> = requests
        .iter()
        .map(|(h, _)| header(h, "webhook-id"))
        .collect();
    assert_eq!(ids[0], ids[1], "the same webhook-id on every attempt");
    assert!(ids[0].starts_with("evt_"), "{ids:?}");
    for (headers, body) in &requests {
        let timestamp = header(headers, "webhook-timestamp");
        assert_eq!(
            header(headers, "webhook-signature"),
            python_signature(&secret, &ids[0], &timestamp, body)
        );
        let payload: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(payload["id"], ids[0]);
        assert_eq!(payload["type"], "instruction.cancelled");
        assert_eq!(payload["tenantId"], notifications.scope.tenant.to_string());
        assert_eq!(payload["data"], expected_data);
    }
    assert!(
        elsewhere.requests.lock().unwrap().is_empty(),
        "not subscribed"
    );

    let delivery_id = format!("dlv_{}", ids[0].trim_start_matches("evt_"));
    let delivery = table
        .delivery(&notifications.scope, webhook_id, &delivery_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the delivery is recorded"));
    assert_eq!(delivery.status, DeliveryStatus::Delivered);
    assert_eq!(delivery.attempts, 2);
    assert_eq!(
        delivery.last_attempt.and_then(|a| a.response_status),
        Some(200)
    );
    // Fanned out once: the event left the work index, and nothing more is due.
    let again = sweep
        .run(Now::at(Now::read().epoch_ms() + 1_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.queued, 0, "{again:?}");
}
