//! What a deployment needs and the emulator never shows (issue 15): the HTTP API throttles
//! every route, every SQS event source caps how many instances of its worker run at once, and
//! every queue, dead-letter queue, function and the API have their alarms, and so does work
//! that waits on its provider too long.

use yaml_serde::Value;

fn template() -> Value {
    let path = local_stack::template_path();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_api_throttles_and_every_queue_caps_its_workers() {
    let template = template();
    let resources = template["Resources"]
        .as_mapping()
        .unwrap_or_else(|| panic!("no Resources"));
    let api = &template["Resources"]["PaymentsApi"]["Properties"]["DefaultRouteSettings"];
    for limit in ["ThrottlingRateLimit", "ThrottlingBurstLimit"] {
        assert!(!api[limit].is_null(), "PaymentsApi has no {limit}");
    }
    let mut sources = 0;
    for (name, resource) in resources {
        let events = resource["Properties"]["Events"].as_mapping();
        for (event, source) in events.into_iter().flatten() {
            if source["Type"].as_str() != Some("SQS") {
                continue;
            }
            sources += 1;
            assert!(
                !source["Properties"]["ScalingConfig"]["MaximumConcurrency"].is_null(),
                "{name:?} {event:?}: no ScalingConfig.MaximumConcurrency"
            );
        }
    }
    assert!(sources >= 7, "found {sources} SQS event sources");
}

/// The logical id a dimension value names (`!Ref X`, `!GetAtt X.QueueName`).
fn named(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => tagged
            .value
            .as_str()
            .map(|text| text.split('.').next().unwrap_or(text).to_owned()),
        _ => None,
    }
}

/// What an operator is told about, without reading code: every dead-letter queue that holds a
/// message, every queue whose oldest message is old, every function's errors and throttles, the
/// API's 5xx rate; each alarm notifying the alarm topic when one is given.
#[test]
fn every_queue_function_and_the_api_have_their_alarms() {
    let template = template();
    let resources = template["Resources"]
        .as_mapping()
        .unwrap_or_else(|| panic!("no Resources"));
    let of_type = |kind: &str| -> Vec<String> {
        resources
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some(kind))
            .filter_map(|(name, _)| name.as_str().map(str::to_owned))
            .collect()
    };
    let mut alarmed = std::collections::BTreeSet::new();
    for (name, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::CloudWatch::Alarm") {
            continue;
        }
        let properties = &resource["Properties"];
        assert!(
            !properties["AlarmActions"].is_null(),
            "{name:?} notifies nobody"
        );
        let metric = properties["MetricName"].as_str().unwrap_or_default();
        for dimension in properties["Dimensions"].as_sequence().into_iter().flatten() {
            if let Some(resource) = named(&dimension["Value"]) {
                alarmed.insert((resource, metric.to_owned()));
            }
        }
    }
    let mut missing = Vec::new();
    for queue in of_type("AWS::SQS::Queue") {
        let metric = if queue.ends_with("DeadLetterQueue") {
            "ApproximateNumberOfMessagesVisible"
        } else {
            "ApproximateAgeOfOldestMessage"
        };
        if !alarmed.contains(&(queue.clone(), metric.to_owned())) {
            missing.push(format!("{queue}: {metric}"));
        }
    }
    for function in of_type("AWS::Serverless::Function") {
        for metric in ["Errors", "Throttles"] {
            if !alarmed.contains(&(function.clone(), metric.to_owned())) {
                missing.push(format!("{function}: {metric}"));
            }
        }
    }
    if !alarmed.contains(&("PaymentsApi".to_owned(), "5xx".to_owned())) {
        missing.push("PaymentsApi: 5xx".to_owned());
    }
    assert!(missing.is_empty(), "no alarm for: {missing:?}");
}

/// The sweep's `WaitingOnProviderSeconds` of every kind of work that can wait on a provider
/// (instructions, refunds, reward claims), combined into one alarm.
#[test]
fn work_waiting_on_its_provider_too_long_has_its_alarm() {
    use payments_domain::work::WorkKind;
    let template = template();
    let alarm = &template["Resources"]["ProviderWaitAlarm"]["Properties"];
    assert!(
        !alarm["AlarmActions"].is_null(),
        "the alarm notifies nobody"
    );
    let queries = alarm["Metrics"]
        .as_sequence()
        .unwrap_or_else(|| panic!("no ProviderWaitAlarm with Metrics"));
    let expression = queries
        .iter()
        .find_map(|q| q["Expression"].as_str())
        .unwrap_or_else(|| panic!("no expression"));
    for kind in [WorkKind::Instruction, WorkKind::Refund, WorkKind::Reward] {
        let query = queries
            .iter()
            .find(|q| {
                let dimensions = q["MetricStat"]["Metric"]["Dimensions"].as_sequence();
                dimensions.into_iter().flatten().any(|d| {
                    d["Name"].as_str() == Some("Kind") && d["Value"].as_str() == Some(kind.as_str())
                })
            })
            .unwrap_or_else(|| panic!("{} is not watched", kind.as_str()));
        let metric = &query["MetricStat"]["Metric"];
        assert_eq!(
            metric["MetricName"].as_str(),
            Some("WaitingOnProviderSeconds")
        );
        assert_eq!(
            metric["Namespace"].as_str(),
            Some(payments_aws::metrics::NAMESPACE)
        );
        let function = metric["Dimensions"]
            .as_sequence()
            .into_iter()
            .flatten()
            .find_map(|d| (d["Name"].as_str() == Some("Function")).then(|| named(&d["Value"])));
        assert_eq!(function, Some(Some("SweepFunction".to_owned())));
        let id = query["Id"].as_str().unwrap_or_default();
        assert!(expression.contains(id), "{expression} leaves out {id}");
    }
}
