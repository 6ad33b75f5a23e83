//! The refund worker: executes the pending refunds of the transactions named by a batch of SQS
//! messages.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{Clients, Settings, Store};
use payments_domain::error::Error;
use payments_domain::payments::PaymentApps;
use payments_domain::vault::{settle_refunds, ExecuteRefunds};
use payments_domain::Now;
use tracing::Instrument;

pub struct RefundWorker {
    store: Store,
    apps: PaymentApps,
}

impl RefundWorker {
    /// The worker as deployed, from its settings, refunding through `apps`: `main` and the
    /// tests both build it here.
    pub fn new(settings: &Settings, aws: &Clients, apps: PaymentApps) -> Result<Self, Error> {
        Ok(RefundWorker {
            store: Store::from_settings(aws, settings)?,
            apps,
        })
    }
}

impl Worker for RefundWorker {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |message: ExecuteRefunds| {
            let span = tracing::info_span!(
                "refunds",
                transaction_id = %message.transaction.transaction_id
            );
            async move { settle_refunds(&self.store, &self.apps, &message, Now::read()).await }
                .instrument(span)
        })
        .await
    }
}
