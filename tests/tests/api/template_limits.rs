//! Limits a deployment needs and the emulator never shows (issue 15): the HTTP API throttles
//! every route, and every SQS event source caps how many instances of its worker run at once.

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
