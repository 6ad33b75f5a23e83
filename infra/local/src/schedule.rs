//! The local EventBridge: invokes each scheduled function of the template (its `Schedule` and
//! `ScheduleV2` events) at its interval, through the same invoke API as the gateway and the
//! pump, with the payload AWS sends.
//!
//! Where it differs from AWS, on purpose:
//! - the first invocation comes one interval after start, not at start, as a new rate rule
//!   does; `local-stack dev --schedule-interval` shortens the wait for a walk-through;
//! - `cron(...)` is not evaluated: it runs at a fixed interval (see
//!   [`crate::schedule_expression`]);
//! - invocations of one schedule never overlap: a tick that comes while the previous
//!   invocation still runs (say, while `cargo lambda watch` compiles the function) waits for
//!   it, and ticks missed meanwhile are not made up, so nothing piles up behind a compile;
//! - a failed invocation is logged and not retried (AWS retries an asynchronous invocation
//!   twice); the next tick comes as usual. Scheduled work must be safe to run again anyway.

use crate::invoke::Invoker;
use crate::template::{Template, LOCAL_ACCOUNT_ID, LOCAL_REGION};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::time::{Instant, MissedTickBehavior};

/// The shortest interval the scheduler runs at; a zero interval would spin.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// One enabled schedule event of one function, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    /// The binary to invoke.
    pub function: String,
    /// The event's name in the template, for logs.
    pub event: String,
    /// The schedule expression as written, for logs.
    pub expression: String,
    pub interval: Duration,
    /// The event's `Input`, sent instead of the Scheduled Event.
    pub input: Option<Value>,
}

/// The enabled schedule events of the template. `interval_override` (from
/// `--schedule-interval`) replaces every interval. Empty when the template schedules nothing.
pub fn scheduled(template: &Template, interval_override: Option<Duration>) -> Vec<Scheduled> {
    template
        .functions
        .iter()
        .flat_map(|function| {
            function
                .schedules
                .iter()
                .filter(|s| s.enabled)
                .map(|s| Scheduled {
                    function: function.binary.clone(),
                    event: s.event.clone(),
                    expression: s.expression.clone(),
                    interval: interval_override.unwrap_or(s.interval),
                    input: s.input.clone(),
                })
        })
        .collect()
}

/// The EventBridge "Scheduled Event" for a tick at `time`.
pub fn scheduled_event(time: DateTime<Utc>) -> Value {
    json!({
        "version": "0",
        "id": uuid::Uuid::new_v4().to_string(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": time.to_rfc3339_opts(SecondsFormat::Secs, true),
        "region": LOCAL_REGION,
        "resources": [],
        "detail": {},
    })
}

/// What one tick sends: the event's `Input` if it has one, else a fresh Scheduled Event.
pub fn payload(scheduled: &Scheduled, time: DateTime<Utc>) -> Value {
    scheduled
        .input
        .clone()
        .unwrap_or_else(|| scheduled_event(time))
}

/// Invokes the function every interval until the future is dropped. Failures are logged and
/// do not stop it.
pub async fn run(invoker: Invoker, scheduled: Scheduled) {
    let period = scheduled.interval.max(MIN_INTERVAL);
    tracing::info!(
        function = %scheduled.function,
        event = %scheduled.event,
        expression = %scheduled.expression,
        interval = ?period,
        "scheduled"
    );
    let mut ticks = tokio::time::interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let event = payload(&scheduled, Utc::now());
        match invoker.invoke(&scheduled.function, &event).await {
            Ok(_) => {
                tracing::info!(function = %scheduled.function, event = %scheduled.event, "scheduled invocation done")
            }
            Err(e) => {
                tracing::warn!(function = %scheduled.function, event = %scheduled.event, error = %e, "scheduled invocation failed; the next runs as scheduled")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"
Resources:
  Api:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: api}}
    Properties:
      Events:
        Root: {Type: HttpApi, Properties: {Path: /, Method: GET}}
  Sweep:
    Type: AWS::Serverless::Function
    Metadata: {BuildProperties: {Binary: sweep}}
    Properties:
      Events:
        Often: {Type: ScheduleV2, Properties: {ScheduleExpression: rate(5 minutes)}}
        Rarely: {Type: Schedule, Properties: {Schedule: rate(2 days), Input: '{"a": 1}'}}
        Off: {Type: Schedule, Properties: {Schedule: rate(1 minute), Enabled: false}}
"#;

    #[test]
    fn enabled_schedules_with_their_intervals_or_the_override() {
        let template = Template::parse(TEMPLATE).expect("template");
        let found = scheduled(&template, None);
        let summary: Vec<(&str, &str, Duration)> = found
            .iter()
            .map(|s| (s.function.as_str(), s.event.as_str(), s.interval))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("sweep", "Often", Duration::from_secs(300)),
                ("sweep", "Rarely", Duration::from_secs(172_800)),
            ]
        );
        assert_eq!(found[1].input, Some(json!({"a": 1})));

        let fast = scheduled(&template, Some(Duration::from_secs(2)));
        assert!(fast.iter().all(|s| s.interval == Duration::from_secs(2)));
        assert_eq!(fast.len(), 2);
    }

    #[test]
    fn a_template_without_schedules_schedules_nothing() {
        let template = Template::parse(&TEMPLATE[..TEMPLATE.find("  Sweep:").expect("sweep")])
            .expect("template");
        assert_eq!(template.functions.len(), 1);
        assert!(scheduled(&template, Some(Duration::from_secs(1))).is_empty());
    }

    #[test]
    fn the_scheduled_event_is_eventbridge_shaped() {
        let time = DateTime::parse_from_rfc3339("2030-01-02T03:04:05.678Z")
            .expect("time")
            .with_timezone(&Utc);
        let event = scheduled_event(time);
        let id = event["id"].as_str().expect("id").to_owned();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        assert_eq!(
            event,
            json!({
                "version": "0",
                "id": id,
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": "2030-01-02T03:04:05Z",
                "region": "us-east-1",
                "resources": [],
                "detail": {},
            })
        );
        assert_ne!(scheduled_event(time)["id"], event["id"], "ids are fresh");
    }
}
