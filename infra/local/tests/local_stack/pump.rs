//! The SQS pump against moto with a fake worker: Lambda's deletion rules, the event's shape,
//! batch size, deletes that tolerate stale or repeated receipt handles, and draining.

use super::common::{self, moto_endpoint, sdk, unique, FakeFunction};
use aws_sdk_sqs::types::{MessageAttributeValue, QueueAttributeName};
use local_stack::invoke::Invoker;
use local_stack::pump::{self, Worker};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

const VISIBILITY_SECONDS: u64 = 2;

async fn queue(sqs: &aws_sdk_sqs::Client) -> (String, String) {
    queue_with_visibility(sqs, VISIBILITY_SECONDS).await
}

async fn queue_with_visibility(sqs: &aws_sdk_sqs::Client, seconds: u64) -> (String, String) {
    let url = sqs
        .create_queue()
        .queue_name(format!("pump-{}", unique()))
        .attributes(QueueAttributeName::VisibilityTimeout, seconds.to_string())
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("url");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .expect("arn");
    (url, arn)
}

async fn send_all(sqs: &aws_sdk_sqs::Client, url: &str, bodies: &[&str]) {
    for body in bodies {
        sqs.send_message()
            .queue_url(url)
            .message_body(*body)
            .send()
            .await
            .expect("send");
    }
}

/// Visible plus in-flight messages.
async fn remaining(sqs: &aws_sdk_sqs::Client, url: &str) -> u64 {
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("attributes")
        .attributes
        .unwrap_or_default();
    attributes
        .values()
        .map(|v| v.parse::<u64>().expect("count"))
        .sum()
}

fn bodies(payload: &Value) -> BTreeSet<String> {
    records(payload)
        .iter()
        .map(|r| r["body"].as_str().expect("body").to_owned())
        .collect()
}

fn records(payload: &Value) -> Vec<Value> {
    payload["Records"].as_array().expect("Records").clone()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn worker(url: &str, arn: &str, batch_size: u32, report: bool) -> Worker {
    Worker {
        function: "test-worker".into(),
        queue_url: url.into(),
        queue_arn: arn.into(),
        batch_size,
        report_batch_item_failures: report,
    }
}

fn invoker(base: &str) -> Invoker {
    Invoker::new(base, Duration::from_secs(10))
}

/// Answers every batch with the ids of the records whose body starts with "bad".
fn report_bad(_: usize, payload: &Value) -> (u16, String) {
    let failures: Vec<Value> = records(payload)
        .iter()
        .filter(|r| r["body"].as_str().is_some_and(|b| b.starts_with("bad")))
        .map(|r| json!({"itemIdentifier": r["messageId"]}))
        .collect();
    (200, json!({"batchItemFailures": failures}).to_string())
}

#[tokio::test]
async fn all_succeed_until_the_queue_is_empty_in_batches_of_ten() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, arn) = queue(&sqs).await;
    let sent: Vec<String> = (0..12).map(|i| format!("m{i}")).collect();
    send_all(
        &sqs,
        &url,
        &sent.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await;
    let fake = FakeFunction::start(|_, _| (200, "null".to_owned())).await;

    let running = tokio::spawn(pump::run(
        sqs.clone(),
        invoker(&fake.base),
        worker(&url, &arn, 25, false),
    ));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while fake
        .calls()
        .iter()
        .map(|c| records(&c.payload).len())
        .sum::<usize>()
        < 12
    {
        assert!(
            std::time::Instant::now() < deadline,
            "not all messages delivered: {:?}",
            fake.calls().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    running.abort();

    let calls = fake.calls();
    assert!(calls.iter().all(|c| c.function == "test-worker"));
    assert!(
        calls.iter().all(|c| records(&c.payload).len() <= 10),
        "batches are capped at 10"
    );
    let seen: BTreeSet<String> = calls.iter().flat_map(|c| bodies(&c.payload)).collect();
    assert_eq!(seen, sent.iter().cloned().collect());
    assert_eq!(remaining(&sqs, &url).await, 0);
}

#[tokio::test]
async fn the_event_has_lambda_sqs_shape() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, arn) = queue(&sqs).await;
    let attribute = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("v1")
        .build()
        .expect("attribute");
    sqs.send_message()
        .queue_url(&url)
        .message_body("hello")
        .message_attributes("kind", attribute)
        .send()
        .await
        .expect("send");
    let fake = FakeFunction::start(|_, _| (200, "{}".to_owned())).await;
    let handled = pump::poll_once(&sqs, &invoker(&fake.base), &worker(&url, &arn, 10, true))
        .await
        .expect("poll");
    assert_eq!(handled, 1);

    let record = records(&fake.calls()[0].payload)[0].clone();
    assert_eq!(record["body"], "hello");
    assert_eq!(record["eventSource"], "aws:sqs");
    assert_eq!(record["eventSourceARN"], arn.as_str());
    assert_eq!(record["awsRegion"], "us-east-1");
    assert!(record["messageId"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(record["receiptHandle"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(record["md5OfBody"], "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
    assert!(record["attributes"]["SentTimestamp"].is_string());
    assert_eq!(record["messageAttributes"]["kind"]["stringValue"], "v1");
    assert_eq!(record["messageAttributes"]["kind"]["dataType"], "String");
    assert_eq!(remaining(&sqs, &url).await, 0);
    assert!(moto_endpoint().starts_with("http"));
}

#[tokio::test]
async fn partial_failure_brings_back_only_the_failed_message() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, arn) = queue(&sqs).await;
    send_all(&sqs, &url, &["ok-1", "bad", "ok-2"]).await;
    let fake = FakeFunction::start(report_bad).await;
    let invoker = invoker(&fake.base);
    let worker = worker(&url, &arn, 10, true);

    assert_eq!(
        pump::poll_once(&sqs, &invoker, &worker)
            .await
            .expect("poll"),
        3
    );
    tokio::time::sleep(Duration::from_secs(VISIBILITY_SECONDS) + Duration::from_millis(700)).await;
    assert_eq!(
        pump::poll_once(&sqs, &invoker, &worker)
            .await
            .expect("poll"),
        1
    );

    let calls = fake.calls();
    assert_eq!(bodies(&calls[0].payload), set(&["ok-1", "bad", "ok-2"]));
    assert_eq!(bodies(&calls[1].payload), set(&["bad"]));
    assert_eq!(
        records(&calls[1].payload)[0]["attributes"]["ApproximateReceiveCount"],
        "2"
    );
    assert_eq!(
        remaining(&sqs, &url).await,
        1,
        "only the failed message is left"
    );
}

#[tokio::test]
async fn without_report_batch_item_failures_a_success_deletes_all() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, arn) = queue(&sqs).await;
    send_all(&sqs, &url, &["ok-1", "bad"]).await;
    let fake = FakeFunction::start(report_bad).await;
    assert_eq!(
        pump::poll_once(&sqs, &invoker(&fake.base), &worker(&url, &arn, 10, false))
            .await
            .expect("poll"),
        2
    );
    assert_eq!(remaining(&sqs, &url).await, 0);
}

#[tokio::test]
async fn function_error_or_unreachable_worker_brings_everything_back() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, arn) = queue(&sqs).await;
    send_all(&sqs, &url, &["a", "b", "c"]).await;
    let fake = FakeFunction::start(|i, _| match i {
        0 => (
            200,
            json!({"errorType": "Runtime.ExitError", "errorMessage": "boom"}).to_string(),
        ),
        _ => (200, json!({"batchItemFailures": []}).to_string()),
    })
    .await;
    let worker = worker(&url, &arn, 10, true);
    let unreachable = invoker(&format!("http://127.0.0.1:{}", common::closed_port()));
    let pause = Duration::from_secs(VISIBILITY_SECONDS) + Duration::from_millis(700);

    assert_eq!(
        pump::poll_once(&sqs, &unreachable, &worker)
            .await
            .expect("poll"),
        3
    );
    tokio::time::sleep(pause).await;
    assert_eq!(
        pump::poll_once(&sqs, &invoker(&fake.base), &worker)
            .await
            .expect("poll"),
        3,
        "function error"
    );
    tokio::time::sleep(pause).await;
    assert_eq!(
        pump::poll_once(&sqs, &invoker(&fake.base), &worker)
            .await
            .expect("poll"),
        3,
        "success"
    );

    let calls = fake.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(bodies(&calls[1].payload), set(&["a", "b", "c"]));
    assert!(records(&calls[1].payload)
        .iter()
        .all(|r| r["attributes"]["ApproximateReceiveCount"] == "3"));
    assert_eq!(remaining(&sqs, &url).await, 0);
}

#[tokio::test]
async fn deletes_tolerate_repeated_and_used_receipt_handles() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, _) = queue(&sqs).await;
    send_all(&sqs, &url, &["x"]).await;
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .send()
        .await
        .expect("receive");
    let handle = received
        .messages()
        .first()
        .and_then(|m| m.receipt_handle.clone())
        .expect("handle");

    let twice = vec![handle.clone(), handle.clone()];
    assert_eq!(
        pump::delete_messages(&sqs, &url, &twice)
            .await
            .expect("delete"),
        1
    );
    pump::delete_messages(&sqs, &url, &twice)
        .await
        .expect("deleting again is not an error");
    assert_eq!(
        pump::delete_messages(&sqs, &url, &[])
            .await
            .expect("nothing"),
        0
    );
    assert_eq!(remaining(&sqs, &url).await, 0);
}

#[tokio::test]
async fn drain_handles_everything_visible_and_leaves_the_failed() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    // Longer than the drain's quiet period, so the failed message stays away.
    let (url, arn) = queue_with_visibility(&sqs, 10).await;
    let sent: Vec<String> = (0..12).map(|i| format!("ok-{i}")).collect();
    let mut bodies: Vec<&str> = sent.iter().map(String::as_str).collect();
    bodies.push("bad");
    send_all(&sqs, &url, &bodies).await;
    let fake = FakeFunction::start(report_bad).await;

    let drained = pump::drain(
        &sqs,
        &invoker(&fake.base),
        &worker(&url, &arn, 10, true),
        Duration::from_secs(20),
    )
    .await
    .expect("drain");
    assert_eq!(drained.received, 13);
    assert_eq!(drained.batches, fake.calls().len());
    assert!(drained.batches >= 2, "batches of at most ten");
    assert_eq!(remaining(&sqs, &url).await, 1, "the failed message is left");

    let again = pump::drain(
        &sqs,
        &invoker(&fake.base),
        &worker(&url, &arn, 10, true),
        Duration::from_secs(20),
    )
    .await
    .expect("drain");
    assert_eq!(again, pump::Drained::default(), "it is invisible meanwhile");
}

#[tokio::test]
async fn drain_gives_up_on_a_queue_that_never_goes_quiet() {
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    // Visibility 0: a failed message is visible again at once, so it keeps coming back.
    let (url, arn) = queue_with_visibility(&sqs, 0).await;
    send_all(&sqs, &url, &["again"]).await;
    let fake = FakeFunction::start(|_, _| {
        (
            200,
            json!({"errorType": "Boom", "errorMessage": "no"}).to_string(),
        )
    })
    .await;
    let started = std::time::Instant::now();
    let result = pump::drain(
        &sqs,
        &invoker(&fake.base),
        &worker(&url, &arn, 10, true),
        Duration::from_secs(2),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "bounded by its limit"
    );
    match result {
        Err(pump::PumpError::NotIdle {
            queue_url,
            received,
            ..
        }) => {
            assert_eq!(queue_url, url);
            assert!(received >= 2, "redelivered: {received}");
        }
        other => panic!("expected NotIdle, got {other:?}"),
    }
    assert_eq!(remaining(&sqs, &url).await, 1);
}
