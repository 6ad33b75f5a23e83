//! The reward worker: has the reward provider issue the claimed rewards named by a batch of SQS
//! messages.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{Clients, Settings, Store};
use payments_domain::error::Error;
use payments_domain::payments::PaymentApps;
use payments_domain::rewards::{settle_reward, SettleReward};
use payments_domain::Now;
use tracing::Instrument;

pub struct RewardWorker {
    store: Store,
    apps: PaymentApps,
}

impl RewardWorker {
    /// The worker as deployed, from its settings, with the reward providers among `apps`:
    /// `main` and the tests both build it here.
    pub fn new(settings: &Settings, aws: &Clients, apps: PaymentApps) -> Result<Self, Error> {
        Ok(RewardWorker {
            store: Store::from_settings(aws, settings)?,
            apps,
        })
    }
}

impl Worker for RewardWorker {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |message: SettleReward| {
            let span = tracing::info_span!("reward", transaction_id = %message.transaction_id);
            async move { settle_reward(&self.store, &self.apps, &message, Now::read()).await }
                .instrument(span)
        })
        .await
    }
}
