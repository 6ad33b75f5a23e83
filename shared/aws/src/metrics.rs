//! Metrics in CloudWatch embedded metric format (EMF): recorded through the `metrics` facade,
//! collected by `metrics_cloudwatch_embedded`, and written as JSON lines after each request and
//! each batch, which CloudWatch Logs turns into metrics (namespace [`NAMESPACE`], dimension
//! `Function`). No PutMetricData call, so no latency and no IAM action.

use payments_domain::error::Error;
use std::io::Write;
use std::sync::OnceLock;

pub const NAMESPACE: &str = "PaymentsApi";

/// Where flushed metric documents go: standard output in Lambda, a capture in tests.
pub type MetricSink = Box<dyn Fn() -> Box<dyn Write + Send> + Send + Sync>;

struct Installed {
    collector: &'static metrics_cloudwatch_embedded::Collector,
    sink: MetricSink,
}

static INSTALLED: OnceLock<Installed> = OnceLock::new();

/// Installs the process's recorder, once: later calls (a second cold start in one test
/// process) keep the first.
pub fn install_metrics(function: &str, sink: MetricSink) -> Result<(), Error> {
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(NAMESPACE)
        .with_dimension("Function", function.to_owned())
        .init()
        .map_err(|e| Error::internal("installing the metrics recorder", e.to_string()))?;
    let _ = INSTALLED.set(Installed { collector, sink });
    Ok(())
}

/// Writes what was recorded since the last flush, as EMF documents.
pub fn flush() {
    if let Some(installed) = INSTALLED.get() {
        if let Err(error) = installed.collector.flush((installed.sink)()) {
            tracing::warn!(%error, "writing metrics failed");
        }
    }
}

/// An HTTP answer: `Requests` by route (its template, never the ids in the path) and status.
pub fn request_answered(route: &'static str, status: u16) {
    metrics::counter!("Requests", "Route" => route, "Status" => status.to_string()).increment(1);
}

/// A queue message handled: `Messages` by kind and outcome (`done`, `retry`, `failed`,
/// `unreadable`), and `MessageAgeMs` at receipt, by kind, when SQS says when it was sent.
pub fn message_handled(kind: &'static str, age_ms: Option<f64>, outcome: &'static str) {
    metrics::counter!("Messages", "Kind" => kind, "Outcome" => outcome).increment(1);
    if let Some(age) = age_ms {
        metrics::histogram!("MessageAgeMs", "Kind" => kind).record(age);
    }
}

/// An outcome committed (an event of docs/api.md §9: `instruction.completed`,
/// `refund.failed`, ...): `Outcomes` by event, and for an instruction's outcome its `Amount`
/// (major units) by event and currency.
pub fn outcome_recorded(event: &'static str, amount: Option<(&'static str, f64)>) {
    metrics::counter!("Outcomes", "Event" => event).increment(1);
    if let Some((currency, value)) = amount {
        metrics::histogram!("Amount", "Event" => event, "Currency" => currency).record(value);
    }
}

/// A payment app answered: `ProviderCalls` by app, call and outcome (`succeeded`, `declined`,
/// `pending`, `retryable`, `in_doubt`, `issued`, `failed`), and `ProviderLatencyMs` by app and
/// call.
pub fn provider_answered(app: &'static str, call: &'static str, outcome: &'static str, ms: f64) {
    metrics::counter!("ProviderCalls", "App" => app, "Call" => call, "Outcome" => outcome)
        .increment(1);
    metrics::histogram!("ProviderLatencyMs", "App" => app, "Call" => call).record(ms);
}

/// The longest a kind's due work has waited on its provider for an outcome, as a sweep saw it:
/// `WaitingOnProviderSeconds` by kind, which the template's alarm watches.
pub fn provider_wait_seen(kind: &'static str, waited_ms: i64) {
    metrics::histogram!("WaitingOnProviderSeconds", "Kind" => kind).record(waited_ms as f64 / 1e3);
}
