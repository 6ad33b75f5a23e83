//! The webhook dispatcher's use cases: fan an event out to the endpoints that want it, and make
//! one delivery attempt.

use super::delivery::{Attempt, Delivery};
use super::{DelayedQueue, WebhookDeliveries, WebhookWork};
use crate::clock::Now;
use crate::error::Error;
use crate::identity::{open, KeyWrapper};
use crate::ids::{TenantScope, WebhookId};
use crate::notifications::{
    change_endpoint, secret_context, EndpointStatus, WebhookEndpoint, WebhookEndpoints,
};
use crate::outbox::{RecordedEvent, RecordedEvents};
use crate::refs::CustomerRef;
use crate::standard_webhooks::{WebhookSecret, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::versioned::{self, Updated};
use crate::work::{send_after_commit, Queue, Step};
use std::future::Future;

/// SQS holds a message back 15 minutes at most; longer waits are the sweep's.
const MAX_QUEUE_DELAY_MS: i64 = 900_000;

/// Posts a signed webhook: what the attempt got.
pub trait Poster: Sync {
    fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
        now: Now,
    ) -> impl Future<Output = Attempt> + Send;
}

/// What a delivery attempt needs besides the store.
pub struct Delivering<'a, P, Q> {
    /// Opens the endpoints' sealed secrets.
    pub wrapper: &'a dyn KeyWrapper,
    pub poster: &'a P,
    pub queue: &'a Q,
    /// The event's payload as tenants receive it.
    pub render: &'a (dyn Fn(&RecordedEvent) -> Result<String, Error> + Sync),
}

/// Fans the event out: one delivery per `ENABLED` endpoint that subscribes to its type, each
/// queued; a delivery made by an earlier run is left to its own work. Then the event leaves
/// the work index.
pub async fn dispatch_event<S>(
    store: &S,
    queue: &impl Queue<WebhookWork>,
    scope: &TenantScope,
    customer: &CustomerRef,
    event_id: &str,
    now: Now,
) -> Result<Step, Error>
where
    S: RecordedEvents + WebhookEndpoints + WebhookDeliveries,
{
    let Some(recorded) = store.recorded_event(scope, customer, event_id).await? else {
        tracing::warn!(event_id, "message names an event that is not recorded");
        return Ok(Step::Done);
    };
    let event_type = recorded.event.event_type;
    for endpoint in store.endpoints(scope).await? {
        if endpoint.status != EndpointStatus::Enabled || !endpoint.events.wants(event_type) {
            continue;
        }
        let delivery = Delivery::new(
            endpoint.webhook_id,
            event_id,
            event_type,
            Some(customer.clone()),
            now.epoch_ms(),
        );
        if store.insert_delivery(scope, &delivery).await? {
            send_after_commit(queue, &WebhookWork::deliver(scope, &delivery)).await;
        }
    }
    store.mark_dispatched(scope, customer, event_id).await?;
    tracing::info!(
        event_id,
        event_type = event_type.as_str(),
        "event dispatched"
    );
    Ok(Step::Done)
}

/// Changes the delivery with a versioned update; `None` when `change` finds nothing to do or
/// the delivery is gone.
pub(super) async fn change_delivery<S: WebhookDeliveries, R>(
    store: &S,
    scope: &TenantScope,
    known: Option<Delivery>,
    webhook_id: WebhookId,
    delivery_id: &str,
    change: impl FnMut(&mut Delivery) -> Option<R>,
) -> Result<Option<(Delivery, R)>, Error> {
    let mut change = change;
    let updated = versioned::update(
        "delivery",
        known,
        || store.delivery(scope, webhook_id, delivery_id),
        |delivery| Ok(change(delivery)),
        |delivery, read| async move { store.save_delivery(scope, &delivery, read).await },
    )
    .await?;
    Ok(match updated {
        Updated::Saved(delivery, outcome) => Some((delivery, outcome)),
        Updated::Unchanged(_) | Updated::Missing => None,
    })
}

/// Keeps the endpoint's run of failures: ended by a 2xx, begun by a failure, and the endpoint
/// disabled when it has lasted five days. An endpoint deleted meanwhile is left deleted.
async fn note_attempt<S: WebhookEndpoints>(
    store: &S,
    scope: &TenantScope,
    endpoint: WebhookEndpoint,
    attempt: &Attempt,
) -> Result<(), Error> {
    let webhook_id = endpoint.webhook_id;
    let noted = change_endpoint(store, scope, webhook_id, Some(endpoint), |endpoint| {
        endpoint.note_attempt(attempt.delivered(), attempt.timestamp)
    })
    .await;
    match noted {
        Ok(endpoint) if endpoint.status == EndpointStatus::Disabled => {
            tracing::warn!(webhook_id = %webhook_id, "webhook endpoint disabled after five days of failed attempts");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(Error::NotFound(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The `webhook-signature` value: one signature per secret that signs now.
async fn signatures(
    wrapper: &dyn KeyWrapper,
    scope: &TenantScope,
    endpoint: &WebhookEndpoint,
    event_id: &str,
    timestamp: i64,
    body: &str,
    now: Now,
) -> Result<String, Error> {
    let context = secret_context(scope, endpoint.webhook_id);
    let mut signatures = Vec::new();
    for secret in endpoint.signing_secrets(now.epoch_ms()) {
        let text = open(wrapper, &secret.sealed, &context).await?;
        let text =
            String::from_utf8(text).map_err(|_| Error::bug("a webhook secret that is not text"))?;
        let secret = WebhookSecret::parse(&text)?;
        signatures.push(secret.sign(event_id, timestamp, body.as_bytes()));
    }
    Ok(signatures.join(" "))
}

/// Makes the delivery's due attempt: claims it (so racing dispatchers post once), posts the
/// event signed with the endpoint's secrets, and records what it got. A short wait before the
/// next attempt is a delayed message; a long one is the sweep's.
pub async fn deliver_webhook<S, P, Q>(
    store: &S,
    deps: &Delivering<'_, P, Q>,
    scope: &TenantScope,
    webhook_id: WebhookId,
    delivery_id: &str,
    now: Now,
) -> Result<Step, Error>
where
    S: RecordedEvents + WebhookEndpoints + WebhookDeliveries,
    P: Poster,
    Q: DelayedQueue,
{
    let claim = |delivery: &mut Delivery| delivery.claim(now.epoch_ms()).then_some(());
    let Some((claimed, ())) =
        change_delivery(store, scope, None, webhook_id, delivery_id, claim).await?
    else {
        return Ok(Step::Done);
    };
    let give_up = |claimed: Delivery, reason: &'static str| async move {
        let give_up = |delivery: &mut Delivery| {
            delivery.give_up(reason, now.epoch_ms());
            Some(())
        };
        change_delivery(
            store,
            scope,
            Some(claimed),
            webhook_id,
            delivery_id,
            give_up,
        )
        .await?;
        tracing::info!(delivery_id, reason, "delivery given up");
        Ok(Step::Done)
    };
    let endpoint = match store.endpoint(scope, webhook_id).await? {
        Some(endpoint) if endpoint.status == EndpointStatus::Enabled => endpoint,
        Some(_) => return give_up(claimed, "the endpoint is disabled").await,
        None => return give_up(claimed, "the endpoint was deleted").await,
    };
    let recorded = match &claimed.customer_ref {
        Some(customer) => {
            store
                .recorded_event(scope, customer, &claimed.event_id)
                .await?
        }
        None => {
            store
                .test_event(scope, webhook_id, &claimed.event_id)
                .await?
        }
    };
    let Some(recorded) = recorded else {
        // A test event outlives its delivery by the log's retention only.
        return give_up(claimed, "the event is no longer kept").await;
    };
    let body = (deps.render)(&recorded)?;
    let timestamp = now.epoch_seconds();
    let headers = [
        ("content-type", "application/json".to_owned()),
        (ID_HEADER, claimed.event_id.clone()),
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (
            SIGNATURE_HEADER,
            signatures(
                deps.wrapper,
                scope,
                &endpoint,
                &claimed.event_id,
                timestamp,
                &body,
                now,
            )
            .await?,
        ),
    ];
    let attempt = deps.poster.post(&endpoint.url, &headers, &body, now).await;
    // The delivery is recorded first: if noting the endpoint then fails, the attempt is not
    // made again, and only the endpoint's count of failures misses it.
    let record = |delivery: &mut Delivery| Some(delivery.record(attempt.clone()));
    let recorded =
        change_delivery(store, scope, Some(claimed), webhook_id, delivery_id, record).await?;
    note_attempt(store, scope, endpoint, &attempt).await?;
    let Some((recorded, wait)) = recorded else {
        return Ok(Step::Done);
    };
    tracing::info!(
        delivery_id,
        status = ?recorded.status,
        response_status = attempt.response_status,
        attempts = recorded.attempts,
        "webhook delivery attempt recorded"
    );
    if let Some(wait) = wait.filter(|wait| *wait <= MAX_QUEUE_DELAY_MS) {
        let message = WebhookWork::deliver(scope, &recorded);
        let seconds = u32::try_from((wait + 999) / 1000).unwrap_or(u32::MAX);
        if let Err(error) = deps.queue.send_after(&message, seconds).await {
            tracing::warn!(error = %crate::error::Chain(&error), "queueing the retry failed; the sweep will");
        }
    }
    Ok(Step::Done)
}
