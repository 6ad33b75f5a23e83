//! Tenant webhooks delivered (docs/api.md §9): the webhook dispatcher fans each recorded event
//! out into one delivery per subscribed endpoint, then makes each delivery's attempts along the
//! retry ladder, signed with the endpoint's secrets (two during a rotation).

mod delivery;
mod requests;
mod send;

pub use delivery::{Attempt, Delivery, DeliveryStatus, ATTEMPT_LEASE_MS, RETRY_DELAYS_MS};
pub use requests::{deliveries, redeliver, send_test_event};
pub use send::{deliver_webhook, dispatch_event, Delivering, Poster};

use crate::error::Error;
use crate::ids::{MessageScope, TenantScope, WebhookId};
use crate::outbox::RecordedEvent;
use crate::paging::Paging;
use crate::refs::CustomerRef;
use crate::work::{WorkKind, WorkMessage};
use serde::{Deserialize, Serialize};
use std::future::Future;

/// The webhook dispatcher's queue message: fan an event out, or make a delivery's attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum WebhookWork {
    #[serde(rename_all = "camelCase")]
    Dispatch {
        scope: MessageScope,
        customer_ref: CustomerRef,
        event_id: String,
    },
    #[serde(rename_all = "camelCase")]
    Deliver {
        scope: MessageScope,
        webhook_id: WebhookId,
        delivery_id: String,
    },
}

impl WebhookWork {
    /// Make the delivery's due attempt.
    pub fn deliver(scope: &TenantScope, delivery: &Delivery) -> Self {
        WebhookWork::Deliver {
            scope: (*scope).into(),
            webhook_id: delivery.webhook_id,
            delivery_id: delivery.delivery_id.clone(),
        }
    }
}

impl WorkMessage for WebhookWork {
    const KIND: WorkKind = WorkKind::Webhook;
}

/// Where deliveries are kept, and events marked as fanned out.
pub trait WebhookDeliveries: Sync {
    /// Stores a new delivery; `false` when it exists already (the event was fanned out before).
    fn insert_delivery(
        &self,
        scope: &TenantScope,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    fn delivery(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
        delivery_id: &str,
    ) -> impl Future<Output = Result<Option<Delivery>, Error>> + Send;

    fn save_delivery(
        &self,
        scope: &TenantScope,
        delivery: &Delivery,
        read_version: u64,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// The endpoint's deliveries, newest first.
    fn deliveries(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
        paging: Paging,
    ) -> impl Future<Output = Result<Vec<Delivery>, Error>> + Send;

    /// Stores a `webhook.test` event beside its one delivery, both or neither.
    fn insert_test_delivery(
        &self,
        scope: &TenantScope,
        event: &RecordedEvent,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// A `webhook.test` event sent to the endpoint; `None` once the log no longer keeps it.
    fn test_event(
        &self,
        scope: &TenantScope,
        webhook_id: WebhookId,
        event_id: &str,
    ) -> impl Future<Output = Result<Option<RecordedEvent>, Error>> + Send;

    /// Takes the event out of the work index: it has its deliveries.
    fn mark_dispatched(
        &self,
        scope: &TenantScope,
        customer: &CustomerRef,
        event_id: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// A queue that can hold a message back: the short steps of the retry ladder.
pub trait DelayedQueue: Sync {
    fn send_after(
        &self,
        message: &WebhookWork,
        delay_seconds: u32,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}
