//! The real queue pump delivering to in-process handlers: a queue in moto, `pump_until_idle`,
//! and a `WorkerHost`, as end-to-end worker tests use them.

use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use test_support::queues::{
    pump_until_idle, queue_counts, send, template_worker, template_workers, throwaway_worker,
    QueueCounts, QueueFixtureError, QueueSettings,
};
use test_support::worker_host::WorkerHost;

const FUNCTION: &str = "test-worker";
const WITHIN: Duration = Duration::from_secs(30);

fn records(event: &Value) -> Vec<Value> {
    event["Records"].as_array().cloned().unwrap_or_default()
}

/// `{"batchItemFailures": [...]}` naming the records whose body starts with "bad".
fn fail_bad_records(event: &Value) -> Value {
    let failures: Vec<Value> = records(event)
        .iter()
        .filter(|r| r["body"].as_str().is_some_and(|b| b.starts_with("bad")))
        .map(|r| json!({"itemIdentifier": r["messageId"]}))
        .collect();
    json!({ "batchItemFailures": failures })
}

#[tokio::test]
async fn a_registered_handler_receives_the_sqs_event() {
    let host = WorkerHost::start().await.expect("host");
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let recorder = Arc::clone(&seen);
    host.register_fn(FUNCTION, move |event| {
        let recorder = Arc::clone(&recorder);
        async move {
            recorder.lock().expect("lock").push(event);
            Ok(json!({"batchItemFailures": []}))
        }
    });
    let worker = throwaway_worker(FUNCTION, QueueSettings::default())
        .await
        .expect("queue");
    let id = send(&worker, r#"{"instructionId":"i-1"}"#)
        .await
        .expect("send");

    let drained = pump_until_idle(&worker, host.url(), WITHIN)
        .await
        .expect("drained");
    assert_eq!((drained.received, drained.batches), (1, 1));

    let seen = seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 1);
    let record = &records(&seen[0])[0];
    assert_eq!(record["messageId"], id.as_str());
    assert_eq!(record["body"], r#"{"instructionId":"i-1"}"#);
    assert_eq!(record["eventSource"], "aws:sqs");
    assert_eq!(record["eventSourceARN"], worker.queue_arn.as_str());
    assert_eq!(record["attributes"]["ApproximateReceiveCount"], "1");
    assert_eq!(
        queue_counts(&worker).await.expect("counts"),
        QueueCounts::default(),
        "handled, so deleted"
    );
}

#[tokio::test]
async fn an_err_handlers_message_is_not_deleted_and_comes_back() {
    let host = WorkerHost::start().await.expect("host");
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    host.register_fn(FUNCTION, move |_| {
        let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                Err("ledger unavailable".to_owned())
            } else {
                Ok(Value::Null)
            }
        }
    });
    // Longer than the drain's quiet period, short enough to wait for.
    let settings = QueueSettings {
        visibility_timeout_seconds: 5,
        ..QueueSettings::default()
    };
    let worker = throwaway_worker(FUNCTION, settings).await.expect("queue");
    send(&worker, "pay").await.expect("send");

    pump_until_idle(&worker, host.url(), WITHIN)
        .await
        .expect("drained");
    assert_eq!(
        host.invocations()[0].answer,
        Err("ledger unavailable".to_owned())
    );
    assert_eq!(
        queue_counts(&worker).await.expect("counts"),
        QueueCounts {
            visible: 0,
            in_flight: 1
        },
        "a failed invocation deletes nothing"
    );

    tokio::time::sleep(Duration::from_secs(4)).await;
    pump_until_idle(&worker, host.url(), WITHIN)
        .await
        .expect("drained");
    let invocations = host.invocations();
    assert_eq!(
        invocations.len(),
        2,
        "delivered again after the visibility timeout"
    );
    assert_eq!(
        records(&invocations[1].payload)[0]["attributes"]["ApproximateReceiveCount"],
        "2"
    );
    assert_eq!(
        queue_counts(&worker).await.expect("counts"),
        QueueCounts::default()
    );
}

#[tokio::test]
async fn batch_item_failures_keep_only_the_failed_message() {
    let host = WorkerHost::start().await.expect("host");
    host.register_fn(
        FUNCTION,
        |event| async move { Ok(fail_bad_records(&event)) },
    );
    let worker = throwaway_worker(FUNCTION, QueueSettings::default())
        .await
        .expect("queue");
    send(&worker, "ok-1").await.expect("send");
    let bad = send(&worker, "bad").await.expect("send");
    send(&worker, "ok-2").await.expect("send");

    let drained = pump_until_idle(&worker, host.url(), WITHIN)
        .await
        .expect("drained");
    assert_eq!(drained.received, 3);
    assert_eq!(
        queue_counts(&worker).await.expect("counts"),
        QueueCounts {
            visible: 0,
            in_flight: 1
        },
        "the two others were deleted"
    );
    let reported: Vec<Value> = host
        .invocations()
        .iter()
        .filter_map(|i| i.answer.as_ref().ok())
        .flat_map(|a| {
            a["batchItemFailures"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(reported, vec![json!({"itemIdentifier": bad})]);
}

#[tokio::test]
async fn without_report_batch_item_failures_a_success_deletes_the_whole_batch() {
    let host = WorkerHost::start().await.expect("host");
    host.register_fn(
        FUNCTION,
        |event| async move { Ok(fail_bad_records(&event)) },
    );
    let settings = QueueSettings {
        report_batch_item_failures: false,
        ..QueueSettings::default()
    };
    let worker = throwaway_worker(FUNCTION, settings).await.expect("queue");
    send(&worker, "ok").await.expect("send");
    send(&worker, "bad").await.expect("send");
    pump_until_idle(&worker, host.url(), WITHIN)
        .await
        .expect("drained");
    assert_eq!(
        queue_counts(&worker).await.expect("counts"),
        QueueCounts::default()
    );
}

#[tokio::test]
async fn a_function_without_a_handler_fails_its_batch() {
    let host = WorkerHost::start().await.expect("host");
    let worker = throwaway_worker("unregistered", QueueSettings::default())
        .await
        .expect("queue");
    send(&worker, "x").await.expect("send");
    pump_until_idle(&worker, host.url(), WITHIN)
        .await
        .expect("drained");
    assert!(host.invocations().is_empty());
    assert_eq!(queue_counts(&worker).await.expect("counts").in_flight, 1);
}

#[tokio::test]
async fn template_workers_come_from_the_real_template() {
    let workers = template_workers().await.expect("real template");
    for worker in &workers {
        assert!(worker.queue_url.starts_with("http") && worker.queue_arn.starts_with("arn:"));
        match template_worker(&worker.function).await {
            Ok(found) => assert_eq!(&found, worker),
            Err(QueueFixtureError::SeveralWorkers(_)) => {}
            Err(e) => panic!("{}: {e}", worker.function),
        }
    }
    assert!(matches!(
        template_worker("no-such-function").await,
        Err(QueueFixtureError::NoWorker(f)) if f == "no-such-function"
    ));
}
