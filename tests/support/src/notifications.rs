//! Fixtures for tenant webhooks: the notifications router and the webhook dispatcher as their
//! mains build them.

use crate::payments::{built, worker_host};
use crate::worker_host::WorkerHost;
use payments_aws::config::{queue_variable, ALLOW_LOOPBACK_WEBHOOKS};
use payments_aws::Store;
use payments_domain::work::WorkKind;

/// The notifications router on `table`, as deployed: loopback endpoints refused.
pub async fn notifications_router(table: &Store) -> axum::Router {
    let settings = crate::settings_on("notifications", table).await;
    built(notifications::app(&settings, &crate::clients().await)).await
}

/// The notifications router on `table` as `make dev` configures it: loopback allowed, test
/// events and redeliveries sent to the dispatcher's `queue`.
pub async fn dev_notifications_router(table: &Store, queue: &str) -> axum::Router {
    let settings = crate::settings_on("notifications", table)
        .await
        .with(ALLOW_LOOPBACK_WEBHOOKS, "true")
        .with(queue_variable(WorkKind::Webhook), queue);
    built(notifications::app(&settings, &crate::clients().await)).await
}

/// `webhook-dispatcher` on `table`, queueing its retries to `queue`: loopback receivers
/// allowed as under `make dev`, or refused as deployed.
pub async fn dispatcher(
    table: &Store,
    queue: &str,
    allow_loopback: bool,
) -> webhook_dispatcher::WebhookDispatcher {
    let settings = crate::settings_on("webhook-dispatcher", table)
        .await
        .with(
            ALLOW_LOOPBACK_WEBHOOKS,
            if allow_loopback { "true" } else { "false" },
        )
        .with(queue_variable(WorkKind::Webhook), queue);
    webhook_dispatcher::WebhookDispatcher::new(&settings, &crate::clients().await)
        .unwrap_or_else(|e| panic!("building the webhook dispatcher: {e}"))
}

/// A Lambda host running `webhook-dispatcher` as `make dev` configures it, as the pump would
/// invoke it.
pub async fn dispatcher_host(table: &Store, queue: &str) -> WorkerHost {
    worker_host("webhook-dispatcher", dispatcher(table, queue, true).await).await
}
