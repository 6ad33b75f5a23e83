//! The instruction worker: executes the instructions named by a batch of SQS messages.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{Clients, Settings, Store};
use payments_domain::error::Error;
use payments_domain::orders::{execute_instruction, ExecuteInstruction};
use payments_domain::payments::PaymentApps;
use payments_domain::Now;
use tracing::Instrument;

pub struct InstructionWorker {
    store: Store,
    apps: PaymentApps,
}

impl InstructionWorker {
    /// The worker as deployed, from its settings, paying through `apps`: `main` and the tests
    /// both build it here.
    pub fn new(settings: &Settings, aws: &Clients, apps: PaymentApps) -> Result<Self, Error> {
        Ok(InstructionWorker {
            store: Store::from_settings(aws, settings)?,
            apps,
        })
    }
}

impl Worker for InstructionWorker {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |message: ExecuteInstruction| {
            let span = tracing::info_span!(
                "instruction",
                order_ref = %message.order_ref,
                instruction_ref = %message.instruction_ref
            );
            async move { execute_instruction(&self.store, &self.apps, &message, Now::read()).await }
                .instrument(span)
        })
        .await
    }
}
