//! Fixtures for provider webhooks: the SANDBOX secret the test functions are configured with,
//! signed deliveries, and the webhook function and the event worker as their mains build them.

use crate::payments::{built, worker_host};
use crate::worker_host::WorkerHost;
use payments_aws::config::{queue_variable, ALLOW_LOOPBACK_WEBHOOKS, SANDBOX_WEBHOOK_URL};
use payments_aws::Store;
use payments_domain::providers::{
    sandbox_event_body, ProviderEvent, WebhookSecret, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use payments_domain::work::WorkKind;

/// TEST KEY: SANDBOX's webhook secret in every test function's settings. Not a real secret.
pub const WEBHOOK_SECRET: &str = "whsec_dGVzdC1vbmx5LXNhbmRib3gtd2ViaG9vay1zZWNyZXQ=";

/// A webhook delivery: its headers and body.
pub struct Delivery {
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// `event` as SANDBOX posts it, under the delivery id `id`, signed with `secret` at
/// `timestamp` (epoch seconds).
pub fn delivery_signed_with(
    secret: &str,
    event: &ProviderEvent,
    id: &str,
    timestamp: i64,
) -> Delivery {
    let body = sandbox_event_body(event, timestamp * 1000);
    let secret = WebhookSecret::parse(secret).unwrap_or_else(|e| panic!("{e}"));
    let signature = secret.sign(id, timestamp, body.as_bytes());
    Delivery {
        headers: vec![
            (ID_HEADER, id.to_owned()),
            (TIMESTAMP_HEADER, timestamp.to_string()),
            (SIGNATURE_HEADER, signature),
        ],
        body,
    }
}

/// `event` as SANDBOX posts it now, under the delivery id `id`.
pub fn delivery(event: &ProviderEvent, id: &str) -> Delivery {
    delivery_signed_with(WEBHOOK_SECRET, event, id, chrono::Utc::now().timestamp())
}

/// The provider-webhooks router on `table`, queueing events to `events` (a queue URL).
pub async fn webhooks_router(table: &Store, events: &str) -> axum::Router {
    let settings = crate::settings_on("provider-webhooks", table)
        .await
        .with(queue_variable(WorkKind::ProviderEvent), events);
    built(provider_webhooks::app(&settings, &crate::clients().await)).await
}

/// `provider-event-worker` on `table`, as its main builds it.
pub async fn event_worker(table: &Store) -> provider_event_worker::ProviderEventWorker {
    let settings = crate::settings_on("provider-event-worker", table).await;
    built(provider_event_worker::ProviderEventWorker::new(
        &settings,
        &crate::clients().await,
    ))
    .await
}

/// A Lambda host running `provider-event-worker` on `table`, as the pump would invoke it.
pub async fn event_worker_host(table: &Store) -> WorkerHost {
    worker_host("provider-event-worker", event_worker(table).await).await
}

/// `sandbox-webhook-sender`, as its main builds it, posting to `url`.
pub async fn sender(url: &str) -> sandbox_webhook_sender::SandboxWebhookSender {
    // The test's receiver is on 127.0.0.1, as the local gateway is under `make dev`.
    let settings = crate::settings("sandbox-webhook-sender")
        .await
        .with(SANDBOX_WEBHOOK_URL, url)
        .with(ALLOW_LOOPBACK_WEBHOOKS, "true");
    built(sandbox_webhook_sender::SandboxWebhookSender::new(
        &settings,
        &crate::clients().await,
    ))
    .await
}

/// A Lambda host running `sandbox-webhook-sender`, posting to `url`.
pub async fn sender_host(url: &str) -> WorkerHost {
    worker_host("sandbox-webhook-sender", sender(url).await).await
}

/// `router` served over HTTP on 127.0.0.1, as the API serves it: its base URL. The server
/// stops when the test's runtime does.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap_or_else(|e| panic!("binding a port: {e}"));
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .unwrap_or_else(|e| panic!("the bound address: {e}"))
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            panic!("serving the router: {e}");
        }
    });
    url
}
