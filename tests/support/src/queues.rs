//! Queues in moto for end-to-end tests, driven by the local stack's own pump: a test sends a
//! message, [`pump_until_idle`] delivers it as Lambda would (an SQS event to the function's
//! handler, e.g. in a [`crate::worker_host::WorkerHost`]), and the test checks what was deleted
//! and what is left to be retried.
//!
//! The worker descriptions come from a template through `local_stack::pump::workers`, as in
//! `make dev`: [`template_worker`] from the real `infra/template.yaml`, [`throwaway_worker`]
//! from a one-queue template made for the test, so batch size, `ReportBatchItemFailures` and
//! queue attributes are read the way the stack reads them.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::QueueAttributeName;
use local_stack::invoke::Invoker;
use local_stack::provision::{provision, ProvisionError};
use local_stack::pump::{self, Drained, PumpError, Worker};
use local_stack::template::{Template, TemplateError};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum QueueFixtureError {
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Provision(#[from] ProvisionError),
    #[error(transparent)]
    Pump(#[from] PumpError),
    #[error("the template has no enabled SQS event for function {0}")]
    NoWorker(String),
    #[error(
        "the template has several SQS events for function {0}; pick one from template_workers()"
    )]
    SeveralWorkers(String),
    #[error("SQS {operation}: {message}")]
    Sqs {
        operation: &'static str,
        message: String,
    },
}

fn sqs_error(operation: &'static str) -> impl Fn(String) -> QueueFixtureError {
    move |message| QueueFixtureError::Sqs { operation, message }
}

async fn sqs() -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&crate::sdk_config().await)
}

/// Delivers what the worker's queue holds to the invoke API at `host_url` with the real pump
/// (`local_stack::pump::drain`), until the queue stays empty for two polls (about two
/// seconds) or `max_duration` passes (`PumpError::NotIdle`). Messages the function failed on
/// are left in flight, to come back after the queue's visibility timeout; with a timeout
/// shorter than the quiet period they come back during the drain, so a function that keeps
/// failing then never lets the queue go quiet.
pub async fn pump_until_idle(
    worker: &Worker,
    host_url: &str,
    max_duration: Duration,
) -> Result<Drained, PumpError> {
    let invoker = Invoker::new(host_url, max_duration);
    pump::drain(&sqs().await, &invoker, worker, max_duration).await
}

/// Every enabled SQS event source of `infra/template.yaml`, bound to its queues in moto
/// (provisioned once per test binary). These queues are shared by every test using the same
/// moto, so a drain may deliver other tests' messages; tests that count deliveries exactly
/// should use [`throwaway_worker`] with the same settings.
pub async fn template_workers() -> Result<Vec<Worker>, QueueFixtureError> {
    let stack = crate::real_stack().await?;
    Ok(pump::workers(&stack.template, &stack.provisioned)?)
}

/// The one SQS event source of `function` (its `Binary`) in `infra/template.yaml`.
pub async fn template_worker(function: &str) -> Result<Worker, QueueFixtureError> {
    let mut found = template_workers()
        .await?
        .into_iter()
        .filter(|w| w.function == function);
    match (found.next(), found.next()) {
        (Some(worker), None) => Ok(worker),
        (None, _) => Err(QueueFixtureError::NoWorker(function.to_owned())),
        (Some(_), Some(_)) => Err(QueueFixtureError::SeveralWorkers(function.to_owned())),
    }
}

/// How a [`throwaway_worker`]'s queue and event source are set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSettings {
    /// The SQS event's `BatchSize`.
    pub batch_size: u32,
    /// Whether the event lists `ReportBatchItemFailures`.
    pub report_batch_item_failures: bool,
    /// The queue's `VisibilityTimeout`: how long a failed message stays away.
    pub visibility_timeout_seconds: u32,
}

impl Default for QueueSettings {
    /// SQS's and Lambda's defaults, with partial batch failures on, as the workers use them.
    fn default() -> Self {
        QueueSettings {
            batch_size: 10,
            report_batch_item_failures: true,
            visibility_timeout_seconds: 30,
        }
    }
}

/// A fresh queue in moto feeding `function`, provisioned from a one-queue template through
/// the same code as `make dev`, so nothing else delivers to it or reads from it.
pub async fn throwaway_worker(
    function: &str,
    settings: QueueSettings,
) -> Result<Worker, QueueFixtureError> {
    let template = Template::parse(&throwaway_template(function, settings))?;
    let provisioned = provision(&crate::sdk_config().await, &template).await?;
    pump::workers(&template, &provisioned)?
        .pop()
        .ok_or_else(|| QueueFixtureError::NoWorker(function.to_owned()))
}

fn throwaway_template(function: &str, settings: QueueSettings) -> String {
    let queue = format!("Throwaway{}", uuid::Uuid::new_v4().simple());
    // A JSON string is a YAML string, so any function name is quoted safely.
    let binary = serde_json::Value::from(function);
    let QueueSettings {
        batch_size,
        report_batch_item_failures,
        visibility_timeout_seconds,
    } = settings;
    let response_types = if report_batch_item_failures {
        "[ReportBatchItemFailures]"
    } else {
        "[]"
    };
    format!(
        "Resources:
  {queue}:
    Type: AWS::SQS::Queue
    Properties: {{VisibilityTimeout: {visibility_timeout_seconds}}}
  Worker:
    Type: AWS::Serverless::Function
    Metadata: {{BuildProperties: {{Binary: {binary}}}}}
    Properties:
      Events:
        Work:
          Type: SQS
          Properties:
            Queue: !GetAtt {queue}.Arn
            BatchSize: {batch_size}
            FunctionResponseTypes: {response_types}
"
    )
}

/// Sends `body` to the worker's queue; returns the message id, the `itemIdentifier` a
/// function names in `batchItemFailures`.
pub async fn send(worker: &Worker, body: &str) -> Result<String, QueueFixtureError> {
    sqs()
        .await
        .send_message()
        .queue_url(&worker.queue_url)
        .message_body(body)
        .send()
        .await
        .map_err(|e| DisplayErrorContext(&e).to_string())
        .map_err(sqs_error("SendMessage"))?
        .message_id
        .ok_or_else(|| sqs_error("SendMessage")("no message id in the answer".into()))
}

/// What a queue holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Ready to be received.
    pub visible: u64,
    /// Received and not deleted: being handled, or failed and waiting to come back.
    pub in_flight: u64,
}

pub async fn queue_counts(worker: &Worker) -> Result<QueueCounts, QueueFixtureError> {
    let attributes = sqs()
        .await
        .get_queue_attributes()
        .queue_url(&worker.queue_url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .map_err(|e| DisplayErrorContext(&e).to_string())
        .map_err(sqs_error("GetQueueAttributes"))?
        .attributes
        .unwrap_or_default();
    let count = |name: &QueueAttributeName| -> Result<u64, QueueFixtureError> {
        let text = attributes.get(name).map_or("0", String::as_str);
        text.parse()
            .map_err(|_| sqs_error("GetQueueAttributes")(format!("{name}: {text:?}")))
    };
    Ok(QueueCounts {
        visible: count(&QueueAttributeName::ApproximateNumberOfMessages)?,
        in_flight: count(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible)?,
    })
}

/// An SQS event of one message whose body is `message`, as Lambda hands it to a worker.
pub fn sqs_event(message: &impl serde::Serialize) -> aws_lambda_events::sqs::SqsEvent {
    let body = serde_json::to_string(message).unwrap_or_else(|e| panic!("{e}"));
    serde_json::from_value(serde_json::json!({ "Records": [{
        "messageId": uuid::Uuid::new_v4().to_string(),
        "body": body,
        "eventSource": "aws:sqs",
    }]}))
    .unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throwaway_template_reads_as_one_worker() {
        let settings = QueueSettings {
            batch_size: 3,
            report_batch_item_failures: false,
            visibility_timeout_seconds: 7,
        };
        let template =
            Template::parse(&throwaway_template("odd: \"name\"", settings)).expect("template");
        assert_eq!(template.queues.len(), 1);
        assert_eq!(template.queues[0].visibility_timeout, Some(7));
        let source = &template.functions[0].sqs_events[0];
        assert_eq!(template.functions[0].binary, "odd: \"name\"");
        assert_eq!(
            (source.batch_size, source.report_batch_item_failures),
            (3, false)
        );
        let reporting =
            Template::parse(&throwaway_template("w", QueueSettings::default())).expect("template");
        assert!(reporting.functions[0].sqs_events[0].report_batch_item_failures);
    }
}
