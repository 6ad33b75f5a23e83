//! The mandate worker: registers the submitted mandates and amendments named by a batch of SQS
//! messages.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{Clients, Settings, Store};
use payments_domain::error::Error;
use payments_domain::mandates::{register_mandate, MandateNetwork, RegisterMandate};
use payments_domain::Now;
use std::sync::Arc;
use tracing::Instrument;

pub struct MandateWorker {
    store: Store,
    network: Arc<dyn MandateNetwork>,
}

impl MandateWorker {
    /// The worker as deployed, from its settings, registering with `network`: `main` and the
    /// tests both build it here.
    pub fn new(
        settings: &Settings,
        aws: &Clients,
        network: Arc<dyn MandateNetwork>,
    ) -> Result<Self, Error> {
        Ok(MandateWorker {
            store: Store::from_settings(aws, settings)?,
            network,
        })
    }
}

impl Worker for MandateWorker {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |message: RegisterMandate| {
            let span = tracing::info_span!("mandate", mandate_id = %message.mandate_id);
            let network = self.network.as_ref();
            async move { register_mandate(&self.store, network, &message, Now::read()).await }
                .instrument(span)
        })
        .await
    }
}
