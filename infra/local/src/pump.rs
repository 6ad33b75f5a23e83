//! The SQS event source mapping: what Lambda does for a function with an SQS event. It
//! long-polls the queue, invokes the worker with a batch, and deletes what the worker handled.
//!
//! The deletion rules are Lambda's, because the workers' retry behaviour depends on them:
//! - the invoke fails (function error, unreachable, timeout): nothing is deleted, the whole
//!   batch comes back after the queue's visibility timeout (and reaches the DLQ after
//!   `maxReceiveCount`, which moto enforces);
//! - success with `ReportBatchItemFailures`: all but the `batchItemFailures` are deleted; an
//!   unparseable answer or an identifier not in the batch fails the whole batch;
//! - success without it: the whole batch is deleted.
//!
//! A deletion that fails (a receipt handle already used or expired) is logged and skipped:
//! the message simply comes back, as it would on AWS.
//!
//! [`run`] pumps forever, for `make dev`; [`drain`] pumps until the queue is quiet, for tests
//! that send messages and then check what the worker did with them.

use crate::invoke::{InvokeError, Invoker};
use crate::provision::Provisioned;
use crate::template::{Template, LOCAL_REGION};
use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use base64::Engine;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum PumpError {
    #[error("queue {0} was not provisioned")]
    NotProvisioned(String),
    #[error("SQS {operation}: {message}")]
    Sqs {
        operation: &'static str,
        message: String,
    },
    #[error("queue {queue_url} still had messages after {within:?} ({received} received)")]
    NotIdle {
        queue_url: String,
        within: Duration,
        received: usize,
    },
}

/// One SQS event source of one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// The binary to invoke.
    pub function: String,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: u32,
    pub report_batch_item_failures: bool,
}

/// The enabled SQS event sources of the template, bound to the provisioned queues.
pub fn workers(template: &Template, provisioned: &Provisioned) -> Result<Vec<Worker>, PumpError> {
    let mut workers = Vec::new();
    for function in &template.functions {
        for source in function.sqs_events.iter().filter(|s| s.enabled) {
            let queue = provisioned
                .queues
                .get(&source.queue)
                .ok_or_else(|| PumpError::NotProvisioned(source.queue.clone()))?;
            workers.push(Worker {
                function: function.binary.clone(),
                queue_url: queue.url.clone(),
                queue_arn: queue.arn.clone(),
                batch_size: source.batch_size,
                report_batch_item_failures: source.report_batch_item_failures,
            });
        }
    }
    Ok(workers)
}

/// Polls and invokes until the future is dropped. Dropping it mid-batch is safe: undeleted
/// messages come back after their visibility timeout.
pub async fn run(sqs: aws_sdk_sqs::Client, invoker: Invoker, worker: Worker) {
    loop {
        if let Err(e) = poll_once(&sqs, &invoker, &worker).await {
            tracing::warn!(function = %worker.function, error = %e, "queue poll failed; retrying");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

/// How many empty polls in a row [`drain`] takes for a quiet queue.
pub const IDLE_POLLS: usize = 2;

/// What a [`drain`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Messages received, each redelivery counted again.
    pub received: usize,
    /// Invocations of the worker (one per non-empty poll).
    pub batches: usize,
}

/// Polls and invokes, as [`run`] does, until [`IDLE_POLLS`] polls in a row find nothing
/// (each waits a second), so everything visible, including messages that come back during
/// the drain, has been offered to the worker once more. Messages a failed batch left
/// invisible stay in the queue: what remains after a drain is what the worker did not
/// handle. Poll failures end it (a test wants to see them); if the queue is not quiet within
/// `within` it ends with [`PumpError::NotIdle`], stopping mid-batch if it must, which leaves
/// that batch's messages to come back as [`run`] would. A message the worker keeps failing
/// on a queue whose visibility timeout is shorter than the quiet period (about
/// [`IDLE_POLLS`] seconds) keeps coming back, so such a queue never goes quiet.
pub async fn drain(
    sqs: &aws_sdk_sqs::Client,
    invoker: &Invoker,
    worker: &Worker,
    within: Duration,
) -> Result<Drained, PumpError> {
    let deadline = Instant::now() + within;
    let not_idle = |drained: Drained| PumpError::NotIdle {
        queue_url: worker.queue_url.clone(),
        within,
        received: drained.received,
    };
    let mut drained = Drained::default();
    let mut empty = 0;
    while empty < IDLE_POLLS {
        let received = tokio::time::timeout_at(deadline, poll_once(sqs, invoker, worker))
            .await
            .map_err(|_| not_idle(drained))??;
        if received == 0 {
            empty += 1;
        } else {
            empty = 0;
            drained.received += received;
            drained.batches += 1;
        }
    }
    Ok(drained)
}

/// One long poll (1 s) and, if messages came, one invocation. Returns how many came.
pub async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    invoker: &Invoker,
    worker: &Worker,
) -> Result<usize, PumpError> {
    let received = sqs
        .receive_message()
        .queue_url(&worker.queue_url)
        .max_number_of_messages(worker.batch_size.clamp(1, 10) as i32)
        .wait_time_seconds(1)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .map_err(|e| PumpError::Sqs {
            operation: "ReceiveMessage",
            message: DisplayErrorContext(&e).to_string(),
        })?;
    let messages = received.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(0);
    }
    let event = sqs_event(&messages, &worker.queue_arn);
    let result = invoker.invoke(&worker.function, &event).await;
    let ids: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.message_id.as_deref())
        .collect();
    let keep = match failed_items(&result, worker.report_batch_item_failures, &ids) {
        Some(keep) => keep,
        None => {
            let reason = result.as_ref().err().map_or_else(
                || "invalid batch response".to_owned(),
                InvokeError::to_string,
            );
            tracing::warn!(function = %worker.function, messages = messages.len(), %reason, "batch failed; messages will be retried");
            return Ok(messages.len());
        }
    };
    let handles: Vec<String> = messages
        .iter()
        .filter(|m| m.message_id.as_deref().is_none_or(|id| !keep.contains(id)))
        .filter_map(|m| m.receipt_handle.clone())
        .collect();
    let deleted = delete_messages(sqs, &worker.queue_url, &handles).await?;
    tracing::info!(function = %worker.function, messages = messages.len(), deleted, retried = keep.len(), "batch handled");
    Ok(messages.len())
}

/// The SQS event Lambda sends.
pub fn sqs_event(messages: &[Message], queue_arn: &str) -> Value {
    let b64 = |blob: &aws_sdk_sqs::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(blob.as_ref())
    };
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attributes: Map<String, Value> = m
                .attributes
                .iter()
                .flatten()
                .map(|(k, v)| (k.as_str().to_owned(), Value::String(v.clone())))
                .collect();
            let message_attributes: Map<String, Value> = m
                .message_attributes
                .iter()
                .flatten()
                .map(|(name, v)| {
                    let value = json!({
                        "stringValue": v.string_value,
                        "binaryValue": v.binary_value.as_ref().map(b64),
                        "stringListValues": v.string_list_values(),
                        "binaryListValues": v.binary_list_values().iter().map(b64).collect::<Vec<_>>(),
                        "dataType": v.data_type,
                    });
                    (name.clone(), value)
                })
                .collect();
            json!({
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": attributes,
                "messageAttributes": message_attributes,
                "md5OfBody": m.md5_of_body,
                "md5OfMessageAttributes": m.md5_of_message_attributes,
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": LOCAL_REGION,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The message ids to keep (not delete), or `None` when the whole batch failed.
fn failed_items(
    result: &Result<Bytes, InvokeError>,
    report: bool,
    batch: &[&str],
) -> Option<BTreeSet<String>> {
    let answer = result.as_ref().ok()?;
    if !report || answer.iter().all(u8::is_ascii_whitespace) {
        return Some(BTreeSet::new());
    }
    let value: Value = serde_json::from_slice(answer).ok()?;
    let failures = match value.get("batchItemFailures") {
        None | Some(Value::Null) => return Some(BTreeSet::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return None,
    };
    failures
        .iter()
        .map(|item| {
            let id = item
                .get("itemIdentifier")?
                .as_str()
                .filter(|id| batch.contains(id))?;
            Some(id.to_owned())
        })
        .collect()
}

/// Deletes by receipt handle, each handle once; entries SQS refuses are logged, not errors.
/// Returns how many were deleted.
pub async fn delete_messages(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    handles: &[String],
) -> Result<usize, PumpError> {
    let unique: BTreeSet<&String> = handles.iter().collect();
    let unique: Vec<&String> = unique.into_iter().collect();
    let mut deleted = 0;
    for chunk in unique.chunks(10) {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, handle)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(*handle)
                    .build()
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| PumpError::Sqs {
                operation: "DeleteMessageBatch",
                message: e.to_string(),
            })?;
        let output = sqs
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| PumpError::Sqs {
                operation: "DeleteMessageBatch",
                message: DisplayErrorContext(&e).to_string(),
            })?;
        for failed in output.failed() {
            tracing::warn!(code = %failed.code, "message not deleted; it will be delivered again");
        }
        deleted += output.successful().len();
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(body: &str) -> Result<Bytes, InvokeError> {
        Ok(Bytes::from(body.to_owned()))
    }

    #[test]
    fn lambda_partial_batch_rules() {
        let batch = ["m1", "m2", "m3"];
        let keep = |result, report| {
            failed_items(&result, report, &batch).map(|s| s.into_iter().collect::<Vec<_>>())
        };
        assert_eq!(keep(Err(InvokeError::Function("Boom".into())), true), None);
        assert_eq!(keep(Err(InvokeError::Status(502)), false), None);
        assert_eq!(
            keep(
                ok(r#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#),
                false
            ),
            Some(vec![])
        );
        assert_eq!(
            keep(
                ok(r#"{"batchItemFailures":[{"itemIdentifier":"m2"}]}"#),
                true
            ),
            Some(vec!["m2".into()])
        );
        assert_eq!(keep(ok(r#"{"batchItemFailures":[]}"#), true), Some(vec![]));
        assert_eq!(
            keep(ok(r#"{"batchItemFailures":null}"#), true),
            Some(vec![])
        );
        assert_eq!(keep(ok("null"), true), Some(vec![]));
        assert_eq!(keep(ok(""), true), Some(vec![]));
        assert_eq!(keep(ok("{}"), true), Some(vec![]));
        assert_eq!(keep(ok("not json"), true), None);
        assert_eq!(
            keep(
                ok(r#"{"batchItemFailures":[{"itemIdentifier":"other"}]}"#),
                true
            ),
            None
        );
        assert_eq!(
            keep(ok(r#"{"batchItemFailures":[{"itemIdentifier":""}]}"#), true),
            None
        );
        assert_eq!(
            keep(
                ok(r#"{"batchItemFailures":[{"itemIdentifier":null}]}"#),
                true
            ),
            None
        );
        assert_eq!(
            keep(ok(r#"{"batchItemFailures":[{"id":"m1"}]}"#), true),
            None
        );
    }
}
