//! Metrics in CloudWatch embedded metric format (docs/operations.md): the recorder `main`
//! installs, here writing to a capture. An answered request is counted by route template and
//! status; a committed outcome by its event, with the amount by currency; a handled message by
//! kind and outcome, with its age at receipt; a payment app's answer by app, call and outcome,
//! with its latency; the longest wait on a provider a sweep saw. The only test module
//! that installs the process's recorder.

use aws_lambda_events::sqs::SqsEvent;
use http::Method;
use payments_aws::worker::Worker;
use serde_json::{json, Value};
use std::sync::{Mutex, Once, PoisonError};
use test_support::{payments, Client};

static DOCUMENTS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Capture;

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        DOCUMENTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_metrics() {
    static INSTALLED: Once = Once::new();
    INSTALLED.call_once(|| {
        payments_aws::metrics::install_metrics("metrics-test", Box::new(|| Box::new(Capture)))
            .unwrap_or_else(|e| panic!("{e}"));
    });
}

/// Every EMF document written so far.
fn documents() -> Vec<Value> {
    let bytes = DOCUMENTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Whether a document declares `metric` in the namespace, with these dimension values.
fn declares(document: &Value, metric: &str, dimensions: &[(&str, &str)]) -> bool {
    let declared = &document["_aws"]["CloudWatchMetrics"][0];
    declared["Namespace"] == "PaymentsApi"
        && declared["Metrics"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["Name"] == metric))
        && document["Function"] == "metrics-test"
        && dimensions
            .iter()
            .all(|(name, value)| document[*name] == *value)
        && !document[metric].is_null()
}

#[tokio::test]
async fn requests_and_messages_are_counted_in_embedded_metric_format() {
    capture_metrics();
    let table = test_support::table().await;
    let vault = Client::admin(payments::vault_router(&table, &payments::unreachable_queue()).await);
    vault
        .call(
            Method::POST,
            "/v2/customer-vault/metered/uk-bank-account",
            Some(json!({ "accountHolderName": "JOHN DOE", "accountNumber": "99999911", "sortCode": "111211" })),
        )
        .await
        .assert_status(201);
    vault
        .with_roles(&["tenant-transaction-read"])
        .call(
            Method::POST,
            "/v2/customer-vault/metered/uk-bank-account",
            Some(json!({})),
        )
        .await
        .assert_status(403);
    let route = "/v2/customer-vault/{customerRef}/uk-bank-account";
    let found = documents();
    for status in ["201", "403"] {
        assert!(
            found
                .iter()
                .any(|d| declares(d, "Requests", &[("Route", route), ("Status", status)])),
            "no Requests document for {route} {status}: {found:?}"
        );
    }

    // An outcome committed: counted by its event, with the instruction's amount by currency.
    let orders = Client {
        router: payments::orders_router(
            &table,
            &payments::unreachable_queue(),
            &payments::unreachable_queue(),
            None,
        )
        .await,
        ..vault.clone()
    };
    let order = json!({ "orderRef": "metered", "instructions": [{
        "instructionRef": "payout", "customerRef": "metered", "direction": "Credit",
        "amount": 12.5, "currency": "EUR", "country": "GB", "settledByDate": "2999-01-01",
    }]});
    orders
        .call(Method::POST, "/v2/order-management", Some(order))
        .await
        .assert_status(202);
    let cancelled = orders
        .call(
            Method::POST,
            "/v2/order-management/metered/instruction/payout/cancel",
            None,
        )
        .await;
    assert!(cancelled.status.is_success(), "{}", cancelled.body);
    let found = documents();
    assert!(
        found
            .iter()
            .any(|d| declares(d, "Outcomes", &[("Event", "instruction.cancelled")])),
        "{found:?}"
    );
    assert!(
        found.iter().any(|d| declares(
            d,
            "Amount",
            &[("Event", "instruction.cancelled"), ("Currency", "EUR")]
        ) && d["Amount"]
            .as_array()
            .is_some_and(|values| values.iter().any(|v| v.as_f64() == Some(12.5)))),
        "{found:?}"
    );

    // A message sent 5 s ago, handled: its age and its outcome.
    let dispatcher =
        test_support::notifications::dispatcher(&table, &payments::unreachable_queue(), false)
            .await;
    let sent = payments_domain::Now::read().epoch_ms() - 5_000;
    let event: SqsEvent = serde_json::from_value(json!({ "Records": [{
        "messageId": uuid::Uuid::new_v4().to_string(),
        "body": "not a message",
        "attributes": { "SentTimestamp": sent.to_string() },
        "eventSource": "aws:sqs",
    }]}))
    .unwrap_or_else(|e| panic!("{e}"));
    dispatcher.handle(event).await;
    let found = documents();
    assert!(
        found.iter().any(|d| declares(
            d,
            "Messages",
            &[("Kind", "WEBHOOK"), ("Outcome", "unreadable")]
        )),
        "{found:?}"
    );
    let age = found
        .iter()
        .filter(|d| declares(d, "MessageAgeMs", &[("Kind", "WEBHOOK")]))
        .flat_map(|d| d["MessageAgeMs"].as_array().cloned().unwrap_or_default())
        .filter_map(|v| v.as_f64())
        .fold(0.0_f64, f64::max);
    assert!((5_000.0..60_000.0).contains(&age), "age {age}: {found:?}");

    // A payment executed by SANDBOX: the call counted by app, call and outcome, and timed.
    test_support::payments::completed_payout(
        &table,
        &test_support::new_scope(),
        "metered",
        "metered-payout",
        json!(10),
        "EUR",
        json!({}),
    )
    .await;
    payments_aws::metrics::flush();
    let found = documents();
    assert!(
        found.iter().any(|d| declares(
            d,
            "ProviderCalls",
            &[
                ("App", "SANDBOX"),
                ("Call", "execute"),
                ("Outcome", "succeeded")
            ]
        )),
        "{found:?}"
    );
    assert!(
        found.iter().any(|d| declares(
            d,
            "ProviderLatencyMs",
            &[("App", "SANDBOX"), ("Call", "execute")]
        )),
        "{found:?}"
    );

    // A sweep two days later hands the payment, still waiting on SANDBOX (.54), back: how
    // long it has waited, by kind.
    let table = test_support::isolated_table().await;
    let started = payments_domain::Now::read().epoch_ms();
    test_support::payments::completed_payout(
        &table,
        &test_support::new_scope(),
        "metered",
        "metered-pending",
        json!(10.54),
        "EUR",
        json!({}),
    )
    .await;
    let queue = payments::unreachable_queue();
    payments::sweep(
        &table,
        300,
        &[(payments_domain::work::WorkKind::Instruction, queue.as_str())],
    )
    .await
    .run(payments_domain::Now::at(started + 2 * 86_400_000))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    payments_aws::metrics::flush();
    let waited = documents()
        .iter()
        .filter(|d| declares(d, "WaitingOnProviderSeconds", &[("Kind", "INSTRUCTION")]))
        .flat_map(|d| {
            d["WaitingOnProviderSeconds"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_f64())
        .fold(0.0_f64, f64::max);
    assert!(
        (172_740.0..=172_800.0).contains(&waited),
        "waited {waited} s"
    );
}
