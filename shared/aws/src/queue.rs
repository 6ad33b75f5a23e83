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
    async fn send_all(&self, messages: &[M]) -> Result<(), Error> {
        let mut bodies = messages
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::internal("serialising a work message", e))?;
        match bodies.len() {
            0 => Ok(()),
            1 => match bodies.pop() {
                Some(body) => send_body(&self.client, &self.url, body).await,
                None => Ok(()),
            },
            _ => send_batches(&self.client, &self.url, bodies).await,
        }
    }
}

/// The most messages one SendMessageBatch may carry, and the most bytes of their bodies
/// together we put in one: SQS allows 1 MiB; 256 KiB, its limit until 2025, keeps well within
/// it.
const BATCH_MESSAGES: usize = 10;
const BATCH_BYTES: usize = 256 * 1024;

/// Sends `bodies` in SendMessageBatch calls of at most [`BATCH_MESSAGES`] and [`BATCH_BYTES`].
/// Every batch is tried; the error counts the messages not sent.
async fn send_batches(
    client: &aws_sdk_sqs::Client,
    url: &str,
    bodies: Vec<String>,
) -> Result<(), Error> {
    use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
    let total = bodies.len();
    let mut unsent = 0;
    let mut first_failure: Option<Box<dyn std::error::Error + Send + Sync>> = None;
    for batch in batches(bodies) {
        let size = batch.len();
        let entries = batch
            .into_iter()
            .enumerate()
            .map(|(index, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .message_body(body)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::internal("building SendMessageBatch entries", e))?;
        match client
            .send_message_batch()
            .queue_url(url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(output) => {
                for failed in output.failed() {
                    tracing::warn!(
                        entry = failed.id(),
                        code = failed.code(),
                        sender_fault = failed.sender_fault(),
                        "SQS refused a message of a batch"
                    );
                }
                unsent += output.failed().len();
            }
            Err(e) => {
                unsent += size;
                first_failure.get_or_insert(Box::new(e));
            }
        }
    }
    if unsent == 0 {
        return Ok(());
    }
    Err(Error::internal(
        format!("SQS SendMessageBatch: {unsent} of {total} messages not sent"),
        first_failure.unwrap_or_else(|| "refused by SQS (each refusal is logged)".into()),
    ))
}

/// `bodies` in order, cut into batches SendMessageBatch accepts.
fn batches(bodies: Vec<String>) -> Vec<Vec<String>> {
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut bytes = 0;
    for body in bodies {
        let fits = batches
            .last()
            .is_some_and(|batch| batch.len() < BATCH_MESSAGES && bytes + body.len() <= BATCH_BYTES);
        if !fits {
            batches.push(Vec::new());
            bytes = 0;
        }
        bytes += body.len();
        if let Some(batch) = batches.last_mut() {
            batch.push(body);
        }
    }
    batches
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(batches: &[Vec<String>]) -> Vec<usize> {
        batches.iter().map(Vec::len).collect()
    }

    #[test]
    fn batches_hold_ten_messages_and_256_kib_at_most_in_order() {
        let small: Vec<String> = (0..25).map(|n| n.to_string()).collect();
        let cut = batches(small.clone());
        assert_eq!(sizes(&cut), vec![10, 10, 5]);
        assert_eq!(cut.concat(), small);

        let large = "x".repeat(100 * 1024);
        let cut = batches(vec![
            large.clone(),
            large.clone(),
            large.clone(),
            "y".into(),
        ]);
        assert_eq!(sizes(&cut), vec![2, 2]);
        assert!(cut
            .iter()
            .all(|batch| batch.iter().map(String::len).sum::<usize>() <= BATCH_BYTES));
        assert!(batches(Vec::new()).is_empty());
    }
}
