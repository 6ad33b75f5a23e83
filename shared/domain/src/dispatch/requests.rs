//! A tenant's requests about deliveries (docs/api.md §9): the delivery log of an endpoint, a
//! `webhook.test` event sent to it, and a redelivery.

use super::delivery::{is_delivery_id, Delivery};
use super::send::change_delivery;
use super::{WebhookDeliveries, WebhookWork};
use crate::clock::Now;
use crate::error::{Error, ErrorCode, Violation};
use crate::ids::{TenantScope, WebhookId};
use crate::notifications::{endpoint, EventType, TenantEvent, WebhookEndpoints};
use crate::outbox::{EventSubject, RecordedEvent};
use crate::paging::Paging;
use crate::work::{send_after_commit, Queue};

fn delivery_not_found(delivery_id: &str) -> Error {
    Error::NotFound(Violation::new(ErrorCode::DELIVERY_NOT_FOUND).with("deliveryId", delivery_id))
}

/// The endpoint's deliveries, newest first.
pub async fn deliveries<S>(
    store: &S,
    scope: &TenantScope,
    webhook_id: WebhookId,
    paging: Paging,
) -> Result<Vec<Delivery>, Error>
where
    S: WebhookEndpoints + WebhookDeliveries,
{
    endpoint(store, scope, webhook_id).await?;
    store.deliveries(scope, webhook_id, paging).await
}

/// Sends a `webhook.test` event to the endpoint, whatever its event filter: the event (the
/// endpoint's body, as GET shows it) and its delivery are stored together, then queued.
pub async fn send_test_event<S>(
    store: &S,
    queue: &impl Queue<WebhookWork>,
    scope: &TenantScope,
    webhook_id: WebhookId,
    now: Now,
) -> Result<Delivery, Error>
where
    S: WebhookEndpoints + WebhookDeliveries,
{
    let mut subject = endpoint(store, scope, webhook_id).await?;
    subject.secrets.clear();
    let event = RecordedEvent {
        event: TenantEvent::new(EventType::WebhookTest, now.epoch_ms()),
        tenant_id: scope.tenant,
        account_id: scope.account,
        subject: EventSubject::Webhook(Box::new(subject)),
    };
    let delivery = Delivery::new(
        webhook_id,
        &event.event.event_id,
        EventType::WebhookTest,
        None,
        now.epoch_ms(),
    );
    store.insert_test_delivery(scope, &event, &delivery).await?;
    send_after_commit(queue, &WebhookWork::deliver(scope, &delivery)).await;
    tracing::info!(webhook_id = %webhook_id, delivery_id = %delivery.delivery_id, "webhook test queued");
    Ok(delivery)
}

/// A new attempt of the delivery now, whatever its status.
pub async fn redeliver<S>(
    store: &S,
    queue: &impl Queue<WebhookWork>,
    scope: &TenantScope,
    webhook_id: WebhookId,
    delivery_id: &str,
    now: Now,
) -> Result<Delivery, Error>
where
    S: WebhookEndpoints + WebhookDeliveries,
{
    endpoint(store, scope, webhook_id).await?;
    if !is_delivery_id(delivery_id) {
        return Err(delivery_not_found(delivery_id));
    }
    let redeliver = |delivery: &mut Delivery| {
        delivery.redeliver(now.epoch_ms());
        Some(())
    };
    let (delivery, ()) = change_delivery(store, scope, None, webhook_id, delivery_id, redeliver)
        .await?
        .ok_or_else(|| delivery_not_found(delivery_id))?;
    send_after_commit(queue, &WebhookWork::deliver(scope, &delivery)).await;
    tracing::info!(webhook_id = %webhook_id, delivery_id, "webhook redelivery queued");
    Ok(delivery)
}
