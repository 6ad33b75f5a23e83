//! Tenant webhooks delivered (docs/api.md §9), against moto on a table of its own, to a
//! receiver this test serves on 127.0.0.1: an event recorded by a route reaches a subscribed
//! endpoint through the sweep, the webhook queue and the dispatcher; it is signed as Standard
//! Webhooks says (checked with Python's `hmac`, not the code under test), carries the object's
//! GET body, and is retried with the same `webhook-id` after a 500; an endpoint that does not
//! subscribe gets nothing. Then the delivery log, test events and redeliveries through the
//! routes; rotation's two signatures; endpoints disabled after five days of failures; the URL
//! rules applied again at send time; racing dispatchers and repeated messages posting once.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use http::Method;
use payments_aws::worker::Worker;
use payments_domain::dispatch::{DeliveryStatus, WebhookDeliveries, WebhookWork, RETRY_DELAYS_MS};
use payments_domain::ids::WebhookId;
use payments_domain::notifications::{WebhookEndpoint, WebhookEndpoints, DISABLE_AFTER_MS};
use payments_domain::work::WorkKind;
use payments_domain::Now;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_support::notifications::{dev_notifications_router, dispatcher, dispatcher_host};
use test_support::queues::{pump_until_idle, sqs_event, throwaway_worker};
use test_support::{payments, Client};

/// What a receiver got: each request's headers and body.
#[derive(Clone, Default)]
struct Received {
    requests: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    /// Statuses to answer, in order; 200 once they run out.
    script: Arc<Mutex<Vec<u16>>>,
    /// How long it takes to answer.
    delay: Duration,
}

impl Received {
    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    fn ids(&self) -> Vec<String> {
        let requests = self.requests.lock().unwrap();
        requests
            .iter()
            .map(|(h, _)| header(h, "webhook-id"))
            .collect()
    }
}

async fn receive(State(received): State<Received>, headers: HeaderMap, body: String) -> StatusCode {
    received.requests.lock().unwrap().push((headers, body));
    tokio::time::sleep(received.delay).await;
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
    let stack = Stack::new().await;
    let Stack {
        table,
        queue,
        host: _,
        notifications,
    } = &stack;
    let orders = Client {
        router: payments::orders_router(
            table,
            &payments::unreachable_queue(),
            &payments::unreachable_queue(),
            None,
        )
        .await,
        ..notifications.clone()
    };

    let subscribed = Received::default();
    let url = receiver(&subscribed, &[500]).await;
    let (webhook_id, _, secret) = stack.endpoint_for(&url, &["instruction.cancelled"]).await;
    let elsewhere = Received::default();
    let other_url = receiver(&elsewhere, &[]).await;
    stack.endpoint_for(&other_url, &["refund.completed"]).await;

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
    let sweep = payments::sweep(table, 0, &[(WorkKind::Webhook, queue.queue_url.as_str())]).await;
    let swept = sweep
        .run(Now::at(Now::read().epoch_ms() + 1_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(swept.queued, 1, "{swept:?}");
    // The first attempt gets a 500; the retry, 5 s later, a 200.
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    while subscribed.requests.lock().unwrap().len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the retry never came");
        stack.pump().await;
    }
    stack.pump().await;

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
        delivery
            .last_attempt
            .as_ref()
            .and_then(|a| a.response_status),
        Some(200)
    );
    // Fanned out once: the event left the work index, and nothing more is due.
    let again = sweep
        .run(Now::at(Now::read().epoch_ms() + 1_000))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.queued, 0, "{again:?}");

    // The relay's message and the delivery's, repeated (a retried send, a redriven batch):
    // nothing more reaches a receiver that answered 2xx.
    let customer = payments_domain::refs::CustomerRef::parse("notified-customer")
        .unwrap_or_else(|e| panic!("{e:?}"));
    let repeated = [
        WebhookWork::Dispatch {
            scope: notifications.scope.into(),
            customer_ref: customer,
            event_id: ids[0].clone(),
        },
        WebhookWork::deliver(&notifications.scope, &delivery),
    ];
    for message in &repeated {
        let body = serde_json::to_string(message).unwrap_or_else(|e| panic!("{e}"));
        test_support::queues::send(queue, &body)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    stack.pump().await;
    assert_eq!(subscribed.count(), 2, "nothing sent twice");
}

/// A table, the webhook queue and a dispatcher serving it as under `make dev`, and the
/// notifications routes sending test events and redeliveries to that queue.
struct Stack {
    table: payments_aws::Store,
    queue: local_stack::pump::Worker,
    host: test_support::worker_host::WorkerHost,
    notifications: Client,
}

impl Stack {
    async fn new() -> Stack {
        let table = test_support::isolated_table().await;
        let queue = throwaway_worker("webhook-dispatcher", Default::default())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let host = dispatcher_host(&table, &queue.queue_url).await;
        let notifications = Client::admin(dev_notifications_router(&table, &queue.queue_url).await);
        Stack {
            table,
            queue,
            host,
            notifications,
        }
    }

    async fn pump(&self) {
        pump_until_idle(&self.queue, self.host.url(), Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A new endpoint for every event: its id, path and secret.
    async fn endpoint(&self, url: &str) -> (WebhookId, String, String) {
        self.endpoint_for(url, &["*"]).await
    }

    /// A new endpoint for `events`: its id, path and secret.
    async fn endpoint_for(&self, url: &str, events: &[&str]) -> (WebhookId, String, String) {
        let created = self
            .notifications
            .call(
                Method::POST,
                "/v1/notifications/webhooks",
                Some(json!({ "url": url, "events": events })),
            )
            .await;
        created.assert_status(201);
        let id = created.body["webhookId"].as_str().unwrap_or_default();
        let webhook_id = WebhookId::parse(id).unwrap_or_else(|e| panic!("{e:?}"));
        let secret = created.body["secret"].as_str().unwrap_or_default();
        (
            webhook_id,
            format!("/v1/notifications/webhooks/{id}"),
            secret.to_owned(),
        )
    }

    async fn send_test(&self, path: &str) {
        self.notifications
            .call(Method::POST, &format!("{path}/test"), None)
            .await
            .assert_status(202);
        self.pump().await;
    }

    /// Changes the stored endpoint behind the routes' back (what time or DNS would change).
    async fn rewrite_endpoint(
        &self,
        webhook_id: WebhookId,
        change: impl FnOnce(&mut WebhookEndpoint),
    ) {
        let scope = self.notifications.scope;
        let mut endpoint = self
            .table
            .endpoint(&scope, webhook_id)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("the endpoint is stored"));
        let read = endpoint.version;
        change(&mut endpoint);
        endpoint.version += 1;
        assert!(self
            .table
            .save_endpoint(&scope, &endpoint, read)
            .await
            .unwrap_or_else(|e| panic!("{e}")));
    }

    /// A test event for the endpoint, queued: the message of its delivery, to hand to a
    /// dispatcher directly.
    async fn queued_test(&self, webhook_id: WebhookId, path: &str) -> WebhookWork {
        self.notifications
            .call(Method::POST, &format!("{path}/test"), None)
            .await
            .assert_status(202);
        let delivery_id = self.log(path, "").await[0]["deliveryId"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        WebhookWork::Deliver {
            scope: self.notifications.scope.into(),
            webhook_id,
            delivery_id,
        }
    }

    /// The endpoint's delivery log, `query` as given.
    async fn log(&self, path: &str, query: &str) -> Vec<Value> {
        let log = self
            .notifications
            .call(Method::GET, &format!("{path}/deliveries{query}"), None)
            .await;
        log.assert_status(200);
        log.body["results"].as_array().cloned().unwrap_or_default()
    }
}

#[tokio::test]
async fn the_delivery_log_shows_each_attempt_and_a_redelivery_tries_again_now() {
    let stack = Stack::new().await;
    let receiver_got = Received::default();
    let url = receiver(&receiver_got, &[500, 500]).await;
    let (webhook_id, path, _) = stack.endpoint(&url).await;
    let endpoint_body = stack
        .notifications
        .call(Method::GET, &path, None)
        .await
        .body;

    // A test event, whatever the filter; its first attempt gets a 500.
    stack.send_test(&path).await;
    let log = stack.log(&path, "").await;
    assert_eq!(log.len(), 1, "{log:?}");
    let first = &log[0];
    assert_eq!(first["eventType"], "webhook.test");
    assert_eq!(first["status"], "PENDING");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["lastAttempt"]["responseStatus"], 500);
    assert_eq!(first["lastAttempt"]["error"], Value::Null);
    let tried = first["lastAttempt"]["timestamp"]
        .as_i64()
        .unwrap_or_default();
    assert_eq!(
        first["nextAttemptTimestamp"].as_i64(),
        Some(tried + 5_000),
        "the first step of the ladder"
    );
    let (_, body) = receiver_got.requests.lock().unwrap()[0].clone();
    let payload: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(payload["type"], "webhook.test");
    assert_eq!(
        payload["data"], endpoint_body,
        "the endpoint as GET shows it"
    );

    // At the last step of the ladder, one more failure ends it FAILED.
    let delivery_id = first["deliveryId"].as_str().unwrap_or_default().to_owned();
    let mut delivery = stack
        .table
        .delivery(&stack.notifications.scope, webhook_id, &delivery_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("the delivery is stored"));
    let read = delivery.version;
    delivery.attempts = u32::try_from(RETRY_DELAYS_MS.len()).unwrap_or_default();
    delivery.next_attempt = Some(Now::read().epoch_ms());
    delivery.version += 1;
    assert!(stack
        .table
        .save_delivery(&stack.notifications.scope, &delivery, read)
        .await
        .unwrap_or_else(|e| panic!("{e}")));
    let message = WebhookWork::deliver(&stack.notifications.scope, &delivery);
    test_support::queues::send(&stack.queue, &serde_json::to_string(&message).unwrap())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    stack.pump().await;
    let failed = &stack.log(&path, "").await[0];
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["attempts"], 8);
    assert_eq!(failed["nextAttemptTimestamp"], Value::Null);

    // Redelivered: an attempt now, with the same webhook-id, and this one is answered 200.
    let redeliver = format!("{path}/deliveries/{delivery_id}/redeliver");
    stack
        .notifications
        .call(Method::POST, &redeliver, None)
        .await
        .assert_status(202);
    stack.pump().await;
    let delivered = &stack.log(&path, "").await[0];
    assert_eq!(delivered["status"], "DELIVERED", "{delivered}");
    assert_eq!(delivered["attempts"], 9);
    assert_eq!(delivered["lastAttempt"]["responseStatus"], 200);
    let ids = receiver_got.ids();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");

    // Newest first, paged by from and take.
    stack.send_test(&path).await;
    let log = stack.log(&path, "").await;
    assert_eq!(log.len(), 2);
    assert_ne!(
        log[0]["deliveryId"],
        delivery_id.as_str(),
        "the newest first"
    );
    assert_eq!(log[1]["deliveryId"], delivery_id.as_str());
    assert_eq!(stack.log(&path, "?take=1").await, log[..1].to_vec());
    assert_eq!(stack.log(&path, "?from=1&take=1").await, log[1..].to_vec());
    assert!(stack.log(&path, "?from=2").await.is_empty());
    let refused = stack
        .notifications
        .call(Method::GET, &format!("{path}/deliveries?take=0"), None)
        .await;
    refused.assert_status(400);
    assert_eq!(refused.body["errors"][0]["errorCode"], "TAKE_OUT_OF_RANGE");

    // Unknown endpoints and deliveries.
    let unknown = format!("/v1/notifications/webhooks/{}", WebhookId::new_random());
    for (method, route) in [
        (Method::GET, format!("{unknown}/deliveries")),
        (Method::POST, format!("{unknown}/test")),
        (
            Method::POST,
            format!("{unknown}/deliveries/{delivery_id}/redeliver"),
        ),
    ] {
        let answer = stack.notifications.call(method, &route, None).await;
        answer.assert_status(404);
        assert_eq!(answer.body["errors"][0]["errorCode"], "WEBHOOK_NOT_FOUND");
    }
    for delivery in ["dlv_0123456789abcdef0123456789abcdef", "not-a-delivery"] {
        let answer = stack
            .notifications
            .call(
                Method::POST,
                &format!("{path}/deliveries/{delivery}/redeliver"),
                None,
            )
            .await;
        answer.assert_status(404);
        assert_eq!(answer.body["errors"][0]["errorCode"], "DELIVERY_NOT_FOUND");
    }
}

#[tokio::test]
async fn a_rotated_out_secret_signs_beside_the_new_one() {
    let stack = Stack::new().await;
    let receiver_got = Received::default();
    let url = receiver(&receiver_got, &[]).await;
    let (_, path, old_secret) = stack.endpoint(&url).await;
    let rotated = stack
        .notifications
        .call(Method::POST, &format!("{path}/rotate-secret"), None)
        .await;
    rotated.assert_status(200);
    let new_secret = rotated.body["secret"].as_str().unwrap_or_default();
    stack.send_test(&path).await;

    let requests = receiver_got.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    let (headers, body) = &requests[0];
    let id = header(headers, "webhook-id");
    let timestamp = header(headers, "webhook-timestamp");
    assert_eq!(
        header(headers, "webhook-signature"),
        format!(
            "{} {}",
            python_signature(new_secret, &id, &timestamp, body),
            python_signature(&old_secret, &id, &timestamp, body)
        ),
        "the new secret's signature, then the old one's"
    );
}

#[tokio::test]
async fn an_endpoint_failing_for_five_days_is_disabled_and_gets_nothing_until_enabled() {
    let stack = Stack::new().await;
    let receiver_got = Received::default();
    let url = receiver(&receiver_got, &[500]).await;
    let (webhook_id, path, _) = stack.endpoint(&url).await;
    let scope = stack.notifications.scope;

    // Every attempt has failed since five days ago.
    stack
        .rewrite_endpoint(webhook_id, |endpoint| {
            endpoint.failing_since = Some(Now::read().epoch_ms() - DISABLE_AFTER_MS);
        })
        .await;

    // One more failure disables it.
    stack.send_test(&path).await;
    assert_eq!(receiver_got.count(), 1);
    let shown = stack.notifications.call(Method::GET, &path, None).await;
    assert_eq!(shown.body["status"], "DISABLED");

    // A disabled endpoint gets nothing; the log says why.
    stack.send_test(&path).await;
    assert_eq!(
        receiver_got.count(),
        1,
        "nothing sent to a disabled endpoint"
    );
    let newest = &stack.log(&path, "").await[0];
    assert_eq!(newest["status"], "FAILED");
    assert_eq!(newest["attempts"], 0);
    assert_eq!(newest["lastAttempt"]["error"], "the endpoint is disabled");

    // Enabled again by its tenant: delivered, and the past failures count no more.
    let enabled = stack
        .notifications
        .call(
            Method::PUT,
            &path,
            Some(json!({ "url": url, "events": ["*"], "status": "ENABLED" })),
        )
        .await;
    enabled.assert_status(200);
    stack.send_test(&path).await;
    let newest = &stack.log(&path, "").await[0];
    assert_eq!(newest["status"], "DELIVERED");
    let received = receiver_got.ids();
    assert_eq!(
        received
            .iter()
            .filter(|id| **id == newest["eventId"])
            .count(),
        1,
        "{received:?}"
    );
    let endpoint = stack
        .table
        .endpoint(&scope, webhook_id)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(endpoint.and_then(|e| e.failing_since), None);
}

/// A name of this machine that resolves to loopback only, if it has one: the name a stored
/// endpoint may have when its DNS changes after it was saved.
fn name_resolving_to_loopback() -> Option<String> {
    use std::net::ToSocketAddrs;
    let name = std::fs::read_to_string("/etc/hostname")
        .ok()?
        .trim()
        .to_owned();
    let addresses: Vec<_> = (name.as_str(), 443).to_socket_addrs().ok()?.collect();
    let loopback = !addresses.is_empty() && addresses.iter().all(|a| a.ip().is_loopback());
    loopback.then_some(name)
}

#[tokio::test]
async fn the_url_rules_are_applied_again_when_a_delivery_is_sent() {
    let stack = Stack::new().await;
    // Deployed: loopback refused. Endpoints whose URLs became what the rules refuse after they
    // were saved (a name's DNS changed, a stored URL from before a rule) are written directly.
    let deployed = dispatcher(&stack.table, &stack.queue.queue_url, false).await;
    let receiver_got = Received::default();
    let loopback_url = receiver(&receiver_got, &[]).await;
    let port = loopback_url
        .rsplit(':')
        .next()
        .and_then(|tail| tail.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let mut refused = vec![
        "https://10.0.0.1/hook".to_owned(),
        "https://192.168.1.20/hook".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://[fd00::1]/hook".to_owned(),
        "https://metadata.google.internal/".to_owned(),
        loopback_url.clone(),
    ];
    if let Some(name) = name_resolving_to_loopback() {
        refused.push(format!("https://{name}:{port}/hook"));
    }
    for url in &refused {
        let (webhook_id, path, _) = stack.endpoint("https://hooks.example.com/ok").await;
        stack
            .rewrite_endpoint(webhook_id, |endpoint| endpoint.url = url.clone())
            .await;
        let message = stack.queued_test(webhook_id, &path).await;
        let answer = deployed.handle(sqs_event(&message)).await;
        assert!(answer.batch_item_failures.is_empty(), "{url}");
        let attempt = &stack.log(&path, "").await[0];
        assert_eq!(
            attempt["lastAttempt"]["responseStatus"],
            Value::Null,
            "{url}"
        );
        assert_eq!(
            attempt["lastAttempt"]["error"], "the URL or an address it resolves to is not allowed",
            "{url}"
        );
    }
    assert_eq!(
        receiver_got.count(),
        0,
        "nothing reached the loopback receiver"
    );
}

#[tokio::test]
async fn racing_dispatchers_and_repeated_messages_post_a_delivery_once() {
    let stack = Stack::new().await;
    let receiver_got = Received {
        delay: Duration::from_millis(300),
        ..Received::default()
    };
    let url = receiver(&receiver_got, &[]).await;
    let (webhook_id, path, _) = stack.endpoint(&url).await;
    let message = stack.queued_test(webhook_id, &path).await;
    let first = dispatcher(&stack.table, &stack.queue.queue_url, true).await;
    let second = dispatcher(&stack.table, &stack.queue.queue_url, true).await;
    let (a, b) = tokio::join!(
        first.handle(sqs_event(&message)),
        second.handle(sqs_event(&message))
    );
    assert!(a.batch_item_failures.is_empty() && b.batch_item_failures.is_empty());
    // The queued message, and the same message again: nothing more is due.
    stack.pump().await;
    first.handle(sqs_event(&message)).await;
    assert_eq!(receiver_got.count(), 1, "one post for racing dispatchers");
    let delivered = &stack.log(&path, "").await[0];
    assert_eq!(delivered["status"], "DELIVERED");
    assert_eq!(delivered["attempts"], 1);
}
