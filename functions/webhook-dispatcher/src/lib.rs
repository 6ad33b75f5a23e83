//! The webhook dispatcher (docs/api.md §9): fans each recorded tenant event out into one
//! delivery per subscribed endpoint, and makes each delivery's attempts, signed, along the
//! retry ladder. Both kinds of work come through its one queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::config::ALLOW_LOOPBACK_WEBHOOKS;
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{Clients, Settings, SqsQueue, Store};
use payments_delivery::WebhookClient;
use payments_domain::dispatch::{deliver_webhook, dispatch_event, Delivering, WebhookWork};
use payments_domain::error::Error;
use payments_domain::identity::KeyWrapper;
use payments_domain::notifications::UrlPolicy;
use payments_domain::outbox::RecordedEvent;
use payments_domain::Now;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// A receiver has this long to answer (docs/api.md §9).
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct WebhookDispatcher {
    store: Store,
    queue: SqsQueue<WebhookWork>,
    /// Opens the endpoints' sealed secrets: KMS in AWS, the local key file under `make dev`.
    wrapper: Arc<dyn KeyWrapper>,
    client: WebhookClient,
}

/// The payload tenants receive.
fn render(event: &RecordedEvent) -> Result<String, Error> {
    serde_json::to_string(&payments_bodies::notifications::event_payload(event))
        .map_err(|e| Error::bug(format!("an event payload that does not serialise: {e}")))
}

impl WebhookDispatcher {
    /// The dispatcher as deployed, from its settings: `main` and the tests both build it here.
    pub fn new(settings: &Settings, aws: &Clients) -> Result<Self, Error> {
        let policy = UrlPolicy {
            allow_loopback: settings.flag(ALLOW_LOOPBACK_WEBHOOKS),
        };
        Ok(WebhookDispatcher {
            store: Store::from_settings(aws, settings)?,
            queue: SqsQueue::from_settings(aws, settings)?,
            wrapper: payments_aws::kms::key_wrapper(aws, settings)?,
            client: WebhookClient::new(policy, TIMEOUT)?,
        })
    }

    async fn work(&self, work: WebhookWork) -> Result<payments_domain::work::Step, Error> {
        let now = Now::read();
        match work {
            WebhookWork::Dispatch {
                scope,
                customer_ref,
                event_id,
            } => {
                let scope = scope.into();
                dispatch_event(
                    &self.store,
                    &self.queue,
                    &scope,
                    &customer_ref,
                    &event_id,
                    now,
                )
                .await
            }
            WebhookWork::Deliver {
                scope,
                webhook_id,
                delivery_id,
            } => {
                let deps = Delivering {
                    wrapper: self.wrapper.as_ref(),
                    poster: &self.client,
                    queue: &self.queue,
                    render: &render,
                };
                let scope = scope.into();
                deliver_webhook(&self.store, &deps, &scope, webhook_id, &delivery_id, now).await
            }
        }
    }
}

impl Worker for WebhookDispatcher {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |work: WebhookWork| {
            let span = match &work {
                WebhookWork::Dispatch { event_id, .. } => {
                    tracing::info_span!("dispatch", event_id = %event_id)
                }
                WebhookWork::Deliver { delivery_id, .. } => {
                    tracing::info_span!("deliver", delivery_id = %delivery_id)
                }
            };
            self.work(work).instrument(span)
        })
        .await
    }
}
