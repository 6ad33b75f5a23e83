//! SANDBOX's webhook sender: posts each webhook from SANDBOX's outbox queue, signed, to the
//! service's own provider webhook route (`SANDBOX_WEBHOOK_URL`), over HTTPS in AWS as a
//! provider's servers would, and over HTTP to the local gateway under `make dev` (where the
//! deployment allows loopback addresses).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use payments_aws::config::{ALLOW_LOOPBACK_WEBHOOKS, SANDBOX_WEBHOOK_URL};
use payments_aws::worker::{handle_batch, Worker};
use payments_aws::{secrets, Clients, Settings};
use payments_delivery::WebhookClient;
use payments_domain::error::Error;
use payments_domain::notifications::UrlPolicy;
use payments_domain::providers::{send_sandbox_webhook, SendSandboxWebhook, WebhookSecret};
use payments_domain::Now;
use std::time::Duration;
use tracing::Instrument;

/// How long one delivery may take before it counts as failed (and is sent again).
const TIMEOUT: Duration = Duration::from_secs(5);

pub struct SandboxWebhookSender {
    poster: WebhookClient,
    secret: WebhookSecret,
    url: String,
}

impl SandboxWebhookSender {
    /// The sender as deployed, from its settings: `main` and the tests both build it here.
    pub async fn new(settings: &Settings, aws: &Clients) -> Result<Self, Error> {
        Ok(SandboxWebhookSender {
            poster: WebhookClient::new(
                UrlPolicy {
                    allow_loopback: settings.flag(ALLOW_LOOPBACK_WEBHOOKS),
                },
                TIMEOUT,
            )?,
            secret: secrets::sandbox_webhook_secret(aws, settings).await?,
            url: settings.required(SANDBOX_WEBHOOK_URL)?.to_owned(),
        })
    }
}

impl Worker for SandboxWebhookSender {
    async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        handle_batch(event, |webhook: SendSandboxWebhook| {
            let span = tracing::info_span!("sandbox_webhook", event_id = %webhook.event_id);
            async move {
                send_sandbox_webhook(&self.poster, &self.secret, &self.url, &webhook, Now::read())
                    .await
            }
            .instrument(span)
        })
        .await
    }
}
