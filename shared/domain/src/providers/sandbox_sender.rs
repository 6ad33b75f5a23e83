//! SANDBOX's sender: posts a webhook from SANDBOX's outbox to the service's own route, signed
//! now, as a provider's servers would. A refusal is final; anything else is tried again.

use super::sandbox_app::SendSandboxWebhook;
use crate::clock::Now;
use crate::error::{Chain, Error};
use crate::standard_webhooks::{WebhookSecret, ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use crate::work::Step;
use std::future::Future;

/// Where webhooks are posted: an HTTP client.
pub trait WebhookPoster: Sync {
    /// Posts `body` with `headers` to `url`; the answer's status code.
    fn post(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &str,
    ) -> impl Future<Output = Result<u16, Error>> + Send;
}

pub async fn send_sandbox_webhook(
    poster: &impl WebhookPoster,
    secret: &WebhookSecret,
    url: &str,
    webhook: &SendSandboxWebhook,
    now: Now,
) -> Result<Step, Error> {
    let timestamp = now.epoch_seconds();
    let headers = [
        ("content-type", "application/json".to_owned()),
        (ID_HEADER, webhook.event_id.clone()),
        (TIMESTAMP_HEADER, timestamp.to_string()),
        (
            SIGNATURE_HEADER,
            secret.sign(&webhook.event_id, timestamp, webhook.body.as_bytes()),
        ),
    ];
    Ok(match poster.post(url, &headers, &webhook.body).await {
        Ok(status) if (200..300).contains(&status) => {
            tracing::info!(status, "webhook delivered");
            Step::Done
        }
        // Sent again, it would be refused again.
        Ok(status) if (400..500).contains(&status) => {
            tracing::error!(status, "the service refused SANDBOX's webhook");
            Step::Done
        }
        Ok(status) => {
            tracing::warn!(status, "webhook not delivered; it is sent again");
            Step::RetryLater
        }
        Err(error) => {
            tracing::warn!(error = %Chain(&error), "webhook not delivered; it is sent again");
            Step::RetryLater
        }
    })
}
