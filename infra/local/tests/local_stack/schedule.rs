//! The scheduler against a fake invoke endpoint: it invokes at the interval, with the
//! Scheduled Event (or the event's `Input`), and carries on after failures.

use super::common::{self, FakeFunction};
use local_stack::invoke::Invoker;
use local_stack::schedule::{self, Scheduled};
use local_stack::template::Template;
use serde_json::json;
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_millis(200);

fn sweep(input: Option<serde_json::Value>) -> Scheduled {
    Scheduled {
        function: "sweep".into(),
        event: "Every5Minutes".into(),
        expression: "rate(5 minutes)".into(),
        interval: INTERVAL,
        input,
    }
}

fn invoker(base: &str) -> Invoker {
    Invoker::new(base, Duration::from_secs(5))
}

#[tokio::test]
async fn invokes_at_the_interval_and_carries_on_after_failures() {
    let fake = FakeFunction::start(|i, _| match i {
        0 => (
            200,
            json!({"errorType": "Sweep.Failed", "errorMessage": "boom"}).to_string(),
        ),
        1 => (502, "bad gateway".to_owned()),
        _ => (200, "null".to_owned()),
    })
    .await;
    let started = Instant::now();
    let running = tokio::spawn(schedule::run(invoker(&fake.base), sweep(None)));
    let calls = fake.wait_for_calls(4, Duration::from_secs(10)).await;
    let elapsed = started.elapsed();
    assert!(!running.is_finished(), "failures do not stop the schedule");
    running.abort();

    assert!(
        elapsed >= INTERVAL * 4,
        "four ticks take four intervals: {elapsed:?}"
    );
    assert!(calls.iter().all(|c| c.function == "sweep"));
    let mut ids = std::collections::BTreeSet::new();
    for call in &calls {
        let event = &call.payload;
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["source"], "aws.events");
        assert_eq!(event["version"], "0");
        assert_eq!(event["account"], "123456789012");
        assert_eq!(event["region"], "us-east-1");
        assert_eq!(event["resources"], json!([]));
        assert_eq!(event["detail"], json!({}));
        let time = event["time"].as_str().expect("time");
        assert!(
            chrono::DateTime::parse_from_rfc3339(time).is_ok() && time.ends_with('Z'),
            "{time}"
        );
        ids.insert(event["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), calls.len(), "every tick has its own id");
}

#[tokio::test]
async fn the_first_tick_waits_one_interval() {
    let fake = FakeFunction::start(|_, _| (200, "null".to_owned())).await;
    let scheduled = Scheduled {
        interval: Duration::from_millis(600),
        ..sweep(None)
    };
    let running = tokio::spawn(schedule::run(invoker(&fake.base), scheduled));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.calls().is_empty(), "no invocation at start");
    fake.wait_for_calls(1, Duration::from_secs(5)).await;
    running.abort();
}

#[tokio::test]
async fn an_unreachable_function_does_not_stop_the_schedule() {
    let base = format!("http://127.0.0.1:{}", common::closed_port());
    let running = tokio::spawn(schedule::run(invoker(&base), sweep(None)));
    tokio::time::sleep(INTERVAL * 4).await;
    assert!(!running.is_finished());
    running.abort();
}

#[tokio::test]
async fn an_input_replaces_the_scheduled_event() {
    let fake = FakeFunction::start(|_, _| (200, "{}".to_owned())).await;
    let input = json!({"mode": "sweep-all"});
    let running = tokio::spawn(schedule::run(
        invoker(&fake.base),
        sweep(Some(input.clone())),
    ));
    let calls = fake.wait_for_calls(2, Duration::from_secs(5)).await;
    running.abort();
    assert!(calls.iter().all(|c| c.payload == input));
}

#[tokio::test]
async fn template_schedules_run_at_the_override_interval() {
    let template = Template::parse(
        r#"
Resources:
  SweepFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: sweep}}
    Properties:
      Events:
        Every5Minutes:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
"#,
    )
    .expect("template");
    let fake = FakeFunction::start(|_, _| (200, "null".to_owned())).await;
    let tasks: Vec<_> = schedule::scheduled(&template, Some(INTERVAL))
        .into_iter()
        .map(|s| tokio::spawn(schedule::run(invoker(&fake.base), s)))
        .collect();
    assert_eq!(tasks.len(), 1);
    let calls = fake.wait_for_calls(2, Duration::from_secs(5)).await;
    tasks.iter().for_each(|t| t.abort());
    assert_eq!(calls[0].function, "sweep");
}
