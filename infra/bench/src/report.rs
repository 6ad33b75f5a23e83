//! The table `make bench` prints, and the budgets it checks (issue 18), each against a baseline
//! measured in the same run:
//!
//! - cold start ≤ 1.2 × `sdk-call-function`'s, the floor for a function that builds the SDK's
//!   clients and makes one call (medians of own time, spawn to the end of the first invocation);
//! - warm CPU per invocation ≤ the empty function's, plus the price of each AWS call the route
//!   makes, plus 150 µs of our own: each call counted at the proxy and priced by
//!   `sdk-call-function` (CPU of one call of that operation minus CPU of none);
//! - peak resident memory ≤ 20 MiB;
//! - arm64 zip ≤ 4.5 MB for an HTTP function, ≤ 3.5 MB for the others.

use crate::harness::{median, ColdRun, RouteResult};
use crate::scenario::{Figures, Kind, Measured, CALIBRATED_CALLS, TRACED};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

pub const COLD_RATIO: f64 = 1.2;
pub const OWN_CPU: Duration = Duration::from_micros(150);
pub const RSS_BYTES: u64 = 20 * 1024 * 1024;
pub const HTTP_ZIP_BYTES: u64 = 4_500_000;
pub const OTHER_ZIP_BYTES: u64 = 3_500_000;

/// The zip budget of a function of this kind.
fn zip_budget(kind: Kind) -> u64 {
    match kind {
        Kind::Http => HTTP_ZIP_BYTES,
        Kind::Baseline | Kind::Worker | Kind::Scheduled => OTHER_ZIP_BYTES,
    }
}

/// The arm64 package of a function.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub binary: Option<u64>,
    pub zip: Option<u64>,
}

/// CPU one AWS call costs the function, by operation (`GetItem`, `SendMessage`), from the
/// calibration function.
#[derive(Debug, Clone)]
pub struct Prices(BTreeMap<String, Duration>);

impl Prices {
    fn of(sdk: &Measured) -> Prices {
        let cpu = |label: &str| {
            sdk.warm
                .routes
                .iter()
                .find(|r| r.label == label)
                .map_or(Duration::ZERO, |r| r.cpu)
        };
        let none = cpu("no call");
        Prices(
            CALIBRATED_CALLS
                .iter()
                .map(|call| ((*call).to_owned(), cpu(call).saturating_sub(none)))
                .collect(),
        )
    }

    /// The price of `DynamoDB.Query`, `SQS.SendMessage`: its own when calibrated, otherwise
    /// that of the calibrated call most like it (a write's `PutItem`'s, a read's `GetItem`'s).
    fn price(&self, operation: &str) -> Duration {
        let (service, name) = operation.split_once('.').unwrap_or(("", operation));
        let like = match (service, name) {
            _ if self.0.contains_key(name) => name,
            ("SQS", _) => "SendMessage",
            (_, op)
                if ["Put", "Update", "Delete", "TransactWrite", "BatchWrite"]
                    .iter()
                    .any(|write| op.starts_with(write)) =>
            {
                "PutItem"
            }
            _ => "GetItem",
        };
        self.0.get(like).copied().unwrap_or_default()
    }

    /// What a route's calls may add to its CPU budget.
    pub fn allowance(&self, route: &RouteResult) -> Duration {
        route
            .calls
            .iter()
            .map(|(op, per_invocation)| self.price(op).mul_f64(*per_invocation))
            .sum()
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn us(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1_000_000.0)
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn mb(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / 1_000_000.0)
}

fn ratio(value: Duration, baseline: Duration) -> f64 {
    if baseline.is_zero() {
        f64::INFINITY
    } else {
        value.as_secs_f64() / baseline.as_secs_f64()
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

/// A cold start without the time the function waited on moto: what the function itself took
/// (moto, a Python emulator behind one lock, answers far slower than DynamoDB).
fn own(run: &ColdRun) -> Duration {
    run.total.saturating_sub(run.upstream)
}

fn cold_median(runs: &[ColdRun], field: impl Fn(&ColdRun) -> Duration) -> Duration {
    let mut values: Vec<Duration> = runs.iter().map(field).collect();
    median(&mut values)
}

/// What X-Ray tracing (`FunctionTracing: Active`) adds to a cold start: [`TRACED`]'s cold
/// starts with invocations sampled, against unsampled ones taken in turns with them.
fn tracing_cost(out: &mut String, figures: &Figures) {
    let (runs, untraced) = (&figures.tracing_cold.traced, &figures.tracing_cold.untraced);
    if runs.is_empty() || untraced.is_empty() {
        return;
    }
    let (own_on, own_off) = (cold_median(runs, own), cold_median(untraced, own));
    let (cpu_on, cpu_off) = (
        cold_median(runs, |r| r.cpu),
        cold_median(untraced, |r| r.cpu),
    );
    let _ = writeln!(
        out,
        "\nX-Ray tracing (`FunctionTracing: Active`, invocations sampled), {TRACED}, medians of {} cold starts: own time {} ms traced, {} ms not ({:+.2} ms); CPU {} ms traced, {} ms not ({:+.2} ms).",
        runs.len(),
        ms(own_on),
        ms(own_off),
        (own_on.as_secs_f64() - own_off.as_secs_f64()) * 1e3,
        ms(cpu_on),
        ms(cpu_off),
        (cpu_on.as_secs_f64() - cpu_off.as_secs_f64()) * 1e3,
    );
}

/// `1 Query`, `1 TransactWriteItems + 1 SendMessage`, `2.5 GetItem`.
fn calls(route: &RouteResult) -> String {
    if route.calls.is_empty() {
        return "none".into();
    }
    route
        .calls
        .iter()
        .map(|(op, n)| {
            let name = op.split_once('.').map_or(op.as_str(), |(_, name)| name);
            let count = format!("{n:.2}");
            let count = count.trim_end_matches('0').trim_end_matches('.');
            format!("{count} {name}")
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A function's arm64 binary and zip, `1.29 / 0.63 PASS` (no verdict for a baseline), and its
/// broken zip budget if it has one.
fn weigh(function: &str, kind: Kind, sizes: &BTreeMap<String, Size>) -> (String, Option<Failure>) {
    let size = sizes.get(function).copied();
    let zip = size.and_then(|s| s.zip);
    let budget = zip_budget(kind);
    let binary = size.and_then(|s| s.binary).map_or("–".into(), mb);
    let text = format!("{binary} / {}", zip.map_or("–".into(), mb));
    if kind == Kind::Baseline {
        return (text, None);
    }
    let failure = match zip {
        Some(zip) if zip <= budget => None,
        Some(zip) => Some(format!(
            "arm64 zip {} MB (budget {} MB)",
            mb(zip),
            mb(budget)
        )),
        None => Some("arm64 zip not built".to_owned()),
    };
    let text = format!("{text} {}", verdict(failure.is_none()));
    let failure = failure.map(|what| Failure {
        function: function.to_owned(),
        what,
    });
    (text, failure)
}

/// One broken budget.
#[derive(Debug, Clone)]
pub struct Failure {
    pub function: String,
    pub what: String,
}

pub struct Report {
    pub markdown: String,
    pub failures: Vec<Failure>,
}

/// The table, the budgets' verdicts, and the zips of the functions `weighed` (every function
/// of the template) that the bench does not run.
pub fn render(
    figures: &Figures,
    sizes: &BTreeMap<String, Size>,
    weighed: &[(String, Kind)],
) -> Report {
    let prices = Prices::of(&figures.sdk);
    let floor_cold = cold_median(&figures.sdk.cold, own);
    let empty_cpu = figures
        .empty
        .warm
        .routes
        .first()
        .map_or(Duration::ZERO, |r| r.cpu);
    let mut failures = Vec::new();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| Function | Cold start ms: own (total) × sdk-call-function | Route | Warm CPU µs/inv (ours) | AWS calls/inv | CPU budget µs | Peak RSS MiB | arm64 binary / zip MB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let mut rows = vec![&figures.empty, &figures.sdk];
    rows.extend(figures.functions.iter());
    for measured in rows {
        let baseline = measured.kind == Kind::Baseline;
        let cold = cold_median(&measured.cold, own);
        let cold_total = cold_median(&measured.cold, |r| r.total);
        let cold_ratio = ratio(cold, floor_cold);
        let cold_ok = baseline || cold_ratio <= COLD_RATIO;
        let rss = measured.warm.peak_rss;
        let rss_ok = rss <= RSS_BYTES;
        let (size_text, zip_failure) = weigh(&measured.name, measured.kind, sizes);
        let mark = |ok: bool| {
            if baseline {
                String::new()
            } else {
                format!(" {}", verdict(ok))
            }
        };
        if !baseline {
            if !cold_ok {
                failures.push(Failure {
                    function: measured.name.clone(),
                    what: format!(
                        "cold start {} ms ({} ms with the time waiting on moto) = {cold_ratio:.2}× sdk-call-function's {} ms (budget {COLD_RATIO}×)",
                        ms(cold),
                        ms(cold_total),
                        ms(floor_cold)
                    ),
                });
            }
            if !rss_ok {
                failures.push(Failure {
                    function: measured.name.clone(),
                    what: format!("peak RSS {} MiB (budget {} MiB)", mib(rss), mib(RSS_BYTES)),
                });
            }
            failures.extend(zip_failure);
        }
        let name = match measured.name.as_str() {
            "empty-function" => "empty-function (baseline)".to_owned(),
            "sdk-call-function" => "sdk-call-function (call prices)".to_owned(),
            other => other.to_owned(),
        };
        for (i, route) in measured.warm.routes.iter().enumerate() {
            // Ours: what is left of the route's CPU after the empty function and its calls.
            let ours =
                route.cpu.as_secs_f64() - (empty_cpu + prices.allowance(route)).as_secs_f64();
            let cpu_text = if baseline {
                us(route.cpu)
            } else {
                format!("{} ({:+.0})", us(route.cpu), ours * 1e6)
            };
            let budget = empty_cpu + prices.allowance(route) + OWN_CPU;
            let cpu_ok = baseline || route.cpu <= budget;
            if !cpu_ok {
                failures.push(Failure {
                    function: measured.name.clone(),
                    what: format!(
                        "{}: warm CPU {} µs/invocation, budget {} µs (the empty function's {} µs + {} µs for its calls + {} µs)",
                        route.label,
                        us(route.cpu),
                        us(budget),
                        us(empty_cpu),
                        us(prices.allowance(route)),
                        us(OWN_CPU)
                    ),
                });
            }
            let first = i == 0;
            let budget_text = if baseline {
                "–".to_owned()
            } else {
                format!("{}{}", us(budget), mark(cpu_ok))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                if first { name.as_str() } else { "" },
                if first {
                    format!(
                        "{} ({}) {:.2}×{}",
                        ms(cold),
                        ms(cold_total),
                        cold_ratio,
                        mark(cold_ok)
                    )
                } else {
                    String::new()
                },
                route.label,
                cpu_text,
                calls(route),
                budget_text,
                if first {
                    format!("{}{}", mib(rss), mark(rss_ok))
                } else {
                    String::new()
                },
                if first {
                    size_text.clone()
                } else {
                    String::new()
                },
            );
        }
    }
    let unmeasured: Vec<&(String, Kind)> = weighed
        .iter()
        .filter(|(f, _)| !figures.functions.iter().any(|m| &m.name == f))
        .collect();
    if !unmeasured.is_empty() {
        let _ = writeln!(
            out,
            "\nWeighed only (not yet run by the bench):\n\n| Function | arm64 binary / zip MB |\n|---|---|"
        );
        for (function, kind) in unmeasured {
            let (text, failure) = weigh(function, *kind, sizes);
            let _ = writeln!(out, "| {function} | {text} |");
            failures.extend(failure);
        }
    }
    let _ = writeln!(
        out,
        "\nCall prices (CPU per call, sdk-call-function): {}. Warm figures: median of the rounds' CPU per invocation (the function's threads' /proc schedstat); in brackets, ours: less the empty function's {} µs and the calls' prices.",
        prices
            .0
            .iter()
            .map(|(call, price)| format!("{call} {} µs", us(*price)))
            .collect::<Vec<_>>()
            .join(", "),
        us(empty_cpu),
    );
    let _ = writeln!(
        out,
        "\nCold start detail (medians of {} runs; AWS behind the proxy{}):\n",
        figures.empty.cold.len(),
        if figures.tls {
            ", over TLS"
        } else {
            ", plain HTTP"
        }
    );
    let _ = writeln!(
        out,
        "| Function | First event | Total ms | Init ms | First invocation ms | of which waiting on moto ms | CPU ms | AWS requests | Connections (opened in init) | TLS handshake ms | Connections opened while warm |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    let mut rows = vec![&figures.empty, &figures.sdk];
    rows.extend(figures.functions.iter());
    for measured in rows {
        let runs = &measured.cold;
        let in_init = runs.iter().filter(|r| r.connected_during_init).count();
        let connections: Vec<u64> = runs.iter().map(|r| r.connections).collect();
        let requests: Vec<u64> = runs.iter().map(|r| r.requests).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} ({}/{} runs) | {} | {} in {} invocations |",
            measured.name,
            measured.first_event,
            ms(cold_median(runs, |r| r.total)),
            ms(cold_median(runs, |r| r.init)),
            ms(cold_median(runs, |r| r.first_invocation)),
            ms(cold_median(runs, |r| r.upstream)),
            ms(cold_median(runs, |r| r.cpu)),
            middle(&requests),
            middle(&connections),
            in_init,
            runs.len(),
            ms(cold_median(runs, |r| r.handshakes)),
            measured.warm.routes.iter().map(|r| r.connections).sum::<u64>(),
            measured.warm.routes.iter().map(|r| r.invocations).sum::<usize>(),
        );
    }
    tracing_cost(&mut out, figures);
    let _ = writeln!(
        out,
        "\nWarm detail (CPU per invocation of each round, in µs; wall time per invocation, mostly moto's):\n"
    );
    let _ = writeln!(
        out,
        "| Function | Route | Rounds' CPU µs/inv | Wall ms/inv | Invocations |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    let mut rows = vec![&figures.empty, &figures.sdk];
    rows.extend(figures.functions.iter());
    for measured in rows {
        for route in &measured.warm.routes {
            let rounds: Vec<String> = route.round_cpu.iter().map(|d| us(*d)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.2} | {} |",
                measured.name,
                route.label,
                rounds.join(", "),
                route.wall.as_secs_f64() * 1000.0,
                route.invocations
            );
        }
    }
    if failures.is_empty() {
        let _ = writeln!(out, "\nEvery budget holds.");
    } else {
        let _ = writeln!(out, "\nBudgets broken:\n");
        for failure in &failures {
            let _ = writeln!(out, "- {}: {}", failure.function, failure.what);
        }
    }
    Report {
        markdown: out,
        failures,
    }
}

fn middle(values: &[u64]) -> u64 {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(calls: &[(&str, f64)]) -> RouteResult {
        RouteResult {
            label: "r".into(),
            cpu: Duration::from_micros(100),
            round_cpu: Vec::new(),
            wall: Duration::ZERO,
            calls: calls.iter().map(|(op, n)| ((*op).to_owned(), *n)).collect(),
            connections: 0,
            invocations: 1,
        }
    }

    #[test]
    fn prices_each_call_by_its_own_price_or_the_one_most_like_it() {
        let prices = Prices(BTreeMap::from([
            ("GetItem".to_owned(), Duration::from_micros(100)),
            ("PutItem".to_owned(), Duration::from_micros(150)),
            ("Query".to_owned(), Duration::from_micros(120)),
            ("SendMessage".to_owned(), Duration::from_micros(80)),
        ]));
        let r = route(&[
            ("DynamoDB.Query", 1.0),
            ("DynamoDB.TransactWriteItems", 1.0),
            ("SQS.SendMessage", 0.5),
        ]);
        assert_eq!(prices.allowance(&r), Duration::from_micros(310));
        assert_eq!(
            calls(&r),
            "1 Query + 1 TransactWriteItems + 0.5 SendMessage"
        );
        assert_eq!(calls(&route(&[])), "none");
        assert_eq!(
            prices.price("DynamoDB.DeleteItem"),
            Duration::from_micros(150)
        );
        assert_eq!(prices.price("DynamoDB.Scan"), Duration::from_micros(100));
        assert_eq!(
            prices.price("SQS.SendMessageBatch"),
            Duration::from_micros(80)
        );
    }

    #[test]
    fn the_zip_budget_is_larger_for_http_functions() {
        assert_eq!(zip_budget(Kind::Http), 4_500_000);
        assert_eq!(zip_budget(Kind::Worker), 3_500_000);
        assert_eq!(zip_budget(Kind::Scheduled), 3_500_000);
    }

    #[test]
    fn medians() {
        let mut odd = [3, 1, 2].map(Duration::from_millis);
        assert_eq!(median(&mut odd), Duration::from_millis(2));
        let mut even = [4, 1, 3, 2].map(Duration::from_millis);
        assert_eq!(median(&mut even), Duration::from_micros(2500));
    }
}
