//! The SQS queues of the workers: each kind of work has its own, named by the environment
//! (`INSTRUCTION_QUEUE_URL`, …). A message carries ids only; the worker reloads state.

use crate::config::{queue_variable, Clients, Settings};
use payments_domain::dispatch::{DelayedQueue, WebhookWork};
use payments_domain::error::Error;
use payments_domain::sweep::WorkQueues;
use payments_domain::work::{Queue, WorkKind, WorkMessage};
use std::marker::PhantomData;

async fn send_body(client: &aws_sdk_sqs::Client, url: &str, body: String) -> Result<(), Error> {
    send_body_after(client, url, body, 0).await
}

/// Sends `body`, held back `delay_seconds` (SQS allows 900 at most).
async fn send_body_after(
    client: &aws_sdk_sqs::Client,
    url: &str,
    body: String,
    delay_seconds: u32,
) -> Result<(), Error> {
    client
        .send_message()
        .queue_url(url)
        .message_body(body)
        .delay_seconds(i32::try_from(delay_seconds.min(900)).unwrap_or(900))
        .send()
        .await
        .map_err(|e| Error::internal("SQS SendMessage", e))?;
    Ok(())
}

/// The queue of one kind of message.
pub struct SqsQueue<M> {
    client: aws_sdk_sqs::Client,
    url: String,
    message: PhantomData<fn(&M)>,
}

impl<M> Clone for SqsQueue<M> {
    fn clone(&self) -> Self {
        SqsQueue {
            client: self.client.clone(),
            url: self.url.clone(),
            message: PhantomData,
        }
    }
}

impl<M: WorkMessage> SqsQueue<M> {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            url: url.into(),
            message: PhantomData,
        }
    }

    /// The queue the settings name for this kind of message.
    pub fn from_settings(aws: &Clients, settings: &Settings) -> Result<Self, Error> {
        Ok(SqsQueue::new(
            aws.sqs.clone(),
            settings.required(queue_variable(M::KIND))?,
        ))
    }
}

impl<M: WorkMessage> Queue<M> for SqsQueue<M> {
    async fn send(&self, message: &M) -> Result<(), Error> {
        let body = serde_json::to_string(message)
            .map_err(|e| Error::internal("serialising a work message", e))?;
        send_body(&self.client, &self.url, body).await
    }
}

impl DelayedQueue for SqsQueue<WebhookWork> {
    async fn send_after(&self, message: &WebhookWork, delay_seconds: u32) -> Result<(), Error> {
        let body = serde_json::to_string(message)
            .map_err(|e| Error::internal("serialising a work message", e))?;
        send_body_after(&self.client, &self.url, body, delay_seconds).await
    }
}

/// Every kind's queue, for the sweep: it sends the message bodies the items stored.
pub struct SqsWorkQueues {
    client: aws_sdk_sqs::Client,
    urls: Vec<(WorkKind, String)>,
}

impl SqsWorkQueues {
    pub fn from_settings(aws: &Clients, settings: &Settings) -> Result<Self, Error> {
        let urls = WorkKind::ALL
            .into_iter()
            .map(|kind| Ok((kind, settings.required(queue_variable(kind))?.to_owned())))
            .collect::<Result<_, Error>>()?;
        Ok(SqsWorkQueues {
            client: aws.sqs.clone(),
            urls,
        })
    }
}

impl WorkQueues for SqsWorkQueues {
    async fn send_body(&self, kind: WorkKind, body: String) -> Result<(), Error> {
        let url = self
            .urls
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, url)| url)
            .ok_or_else(|| Error::bug(format!("no queue for {}", kind.as_str())))?;
        send_body(&self.client, url, body).await
    }
}
