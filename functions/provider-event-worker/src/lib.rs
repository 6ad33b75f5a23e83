//! The provider event worker: applies the stored provider webhooks named by a batch of SQS
//! messages to payments, refunds, chargebacks and mandates.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{secrets, Clients, Settings, Store};
use payments_domain::error::Error;
use payments_domain::providers::{apply_provider_event, ApplyProviderEvent, WebhookSources};
use payments_domain::Now;
use tracing::Instrument;

pub struct ProviderEventWorker {
    store: Store,
    sources: WebhookSources,
}

impl ProviderEventWorker {
    /// The worker as deployed, from its settings: `main` and the tests both build it here.
    pub async fn new(settings: &Settings, aws: &Clients) -> Result<Self, Error> {
        Ok(ProviderEventWorker {
            store: Store::from_settings(aws, settings)?,
            sources: secrets::webhook_sources(aws, settings).await?,
        })
    }
}

impl Worker for ProviderEventWorker {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |message: ApplyProviderEvent| {
            let span = tracing::info_span!(
                "provider_event",
                app_id = %message.app_id,
                event_id = %message.event_id
            );
            async move { apply_provider_event(&self.store, &self.sources, &message, Now::read()).await }
                .instrument(span)
        })
        .await
    }
}
