//! SANDBOX as deployed (docs/api.md §6): its books in the service's table, and its outbox a
//! queue whose messages wait out their delay before SANDBOX's sender posts them.

use crate::config::{Clients, Settings, SANDBOX_WEBHOOK_QUEUE_URL};
use crate::measured_apps::measured_apps;
use crate::Store;
use payments_domain::error::Error;
use payments_domain::payments::PaymentApps;
use payments_domain::providers::{Sandbox, SandboxOutbox, SendSandboxWebhook};
use payments_domain::BoxFuture;
use std::sync::Arc;

/// SQS delays a message by at most 15 minutes.
const MAX_DELAY_SECONDS: u32 = 900;

pub struct SqsSandboxOutbox {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SandboxOutbox for SqsSandboxOutbox {
    fn send_later<'a>(
        &'a self,
        webhook: &'a SendSandboxWebhook,
        delay_seconds: u32,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let body = serde_json::to_string(webhook)
                .map_err(|e| Error::internal("serialising a SANDBOX webhook", e))?;
            let delay = i32::try_from(delay_seconds.min(MAX_DELAY_SECONDS)).unwrap_or(0);
            self.client
                .send_message()
                .queue_url(&self.url)
                .message_body(body)
                .delay_seconds(delay)
                .send()
                .await
                .map_err(|e| Error::internal("SQS SendMessage", e))?;
            Ok(())
        })
    }
}

/// SANDBOX, keeping its books in the table and its webhooks in `SANDBOX_WEBHOOK_QUEUE_URL`.
pub fn sandbox(settings: &Settings, aws: &Clients) -> Result<Sandbox, Error> {
    let book = Store::from_settings(aws, settings)?;
    let outbox = SqsSandboxOutbox {
        client: aws.sqs.clone(),
        url: settings.required(SANDBOX_WEBHOOK_QUEUE_URL)?.to_owned(),
    };
    Ok(Sandbox::new(Arc::new(book), Arc::new(outbox)))
}

/// The payment apps of a deployment, measured: SANDBOX.
pub fn deployed_apps(settings: &Settings, aws: &Clients) -> Result<PaymentApps, Error> {
    Ok(measured_apps(vec![Box::new(sandbox(settings, aws)?)]))
}
