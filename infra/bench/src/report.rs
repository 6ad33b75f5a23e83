//! The table `make bench` prints, and the budgets it checks.
//!
//! - cold start ≤ 2 × the empty function's (medians, spawn to the end of the first invocation);
//! - warm CPU per invocation ≤ 3 × the empty function's + the cost of the AWS calls the route
//!   makes: each call counted at the proxy, priced by the calibration function (CPU of one
//!   `GetItem`, `PutItem` or `SendMessage` minus CPU of none) — reads at the `GetItem` price,
//!   writes at the `PutItem` price, SQS at the `SendMessage` price;
//! - peak resident memory ≤ 40 MiB;
//! - arm64 zip ≤ 6 MB.

use crate::harness::{median, ColdRun, RouteResult};
use crate::scenario::{Figures, Kind, Measured, TRACED};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

pub const COLD_RATIO: f64 = 2.0;
pub const CPU_RATIO: f64 = 3.0;
pub const RSS_BYTES: u64 = 40 * 1024 * 1024;
pub const ZIP_BYTES: u64 = 6 * 1000 * 1000;

/// The arm64 package of a function.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub binary: Option<u64>,
    pub zip: Option<u64>,
}

/// CPU one AWS call costs the function, from the calibration function.
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub read: Duration,
    pub write: Duration,
    pub send: Duration,
}

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
        Prices {
            read: cpu("GetItem").saturating_sub(none),
            write: cpu("PutItem").saturating_sub(none),
            send: cpu("SendMessage").saturating_sub(none),
        }
    }

    fn price(&self, operation: &str) -> Duration {
        match operation.split_once('.') {
            Some(("SQS", _)) => self.send,
            Some((_, op))
                if op.starts_with("Put")
                    || op.starts_with("Update")
                    || op.starts_with("Delete")
                    || op.starts_with("TransactWrite")
                    || op.starts_with("BatchWrite") =>
            {
                self.write
            }
            _ => self.read,
        }
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

pub fn render(figures: &Figures, sizes: &BTreeMap<String, Size>) -> Report {
    let prices = Prices::of(&figures.sdk);
    let empty_cold = cold_median(&figures.empty.cold, own);
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
        "| Function | Cold start ms: own (total) × empty | Route | Warm CPU µs/inv (× empty) | AWS calls/inv | CPU budget µs | Peak RSS MiB | arm64 binary / zip MB |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    let mut rows = vec![&figures.empty, &figures.sdk];
    rows.extend(figures.functions.iter());
    for measured in rows {
        let baseline = measured.kind == Kind::Baseline;
        let cold = cold_median(&measured.cold, own);
        let cold_total = cold_median(&measured.cold, |r| r.total);
        let cold_ratio = ratio(cold, empty_cold);
        let cold_ok = baseline || cold_ratio <= COLD_RATIO;
        let rss = measured.warm.peak_rss;
        let rss_ok = rss <= RSS_BYTES;
        let size = sizes.get(&measured.name).copied();
        let zip_ok = size.and_then(|s| s.zip).is_some_and(|z| z <= ZIP_BYTES);
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
                        "cold start {} ms ({} ms with the time waiting on moto) = {cold_ratio:.1}× the empty function's {} ms (budget {COLD_RATIO}×)",
                        ms(cold),
                        ms(cold_total),
                        ms(empty_cold)
                    ),
                });
            }
            if !rss_ok {
                failures.push(Failure {
                    function: measured.name.clone(),
                    what: format!("peak RSS {} MiB (budget 40 MiB)", mib(rss)),
                });
            }
            if !zip_ok {
                failures.push(Failure {
                    function: measured.name.clone(),
                    what: match size.and_then(|s| s.zip) {
                        Some(zip) => format!("arm64 zip {} MB (budget 6 MB)", mb(zip)),
                        None => "arm64 zip not built".into(),
                    },
                });
            }
        }
        let name = match measured.name.as_str() {
            "empty-function" => "empty-function (baseline)".to_owned(),
            "sdk-call-function" => "sdk-call-function (call prices)".to_owned(),
            other => other.to_owned(),
        };
        let size_text = match size {
            Some(Size { binary, zip }) => format!(
                "{} / {}{}",
                binary.map_or("–".into(), mb),
                zip.map_or("–".into(), mb),
                mark(zip_ok)
            ),
            None => format!("– / –{}", mark(false)),
        };
        for (i, route) in measured.warm.routes.iter().enumerate() {
            let cpu_ratio = ratio(route.cpu, empty_cpu);
            let budget = empty_cpu.mul_f64(CPU_RATIO) + prices.allowance(route);
            let cpu_ok = baseline || route.cpu <= budget;
            if !cpu_ok {
                failures.push(Failure {
                    function: measured.name.clone(),
                    what: format!(
                        "{}: warm CPU {} µs/invocation, budget {} µs ({CPU_RATIO}× the empty function's {} µs + {} µs for its calls)",
                        route.label,
                        us(route.cpu),
                        us(budget),
                        us(empty_cpu),
                        us(prices.allowance(route))
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
                "| {} | {} | {} | {} ({:.2}×) | {} | {} | {} | {} |",
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
                us(route.cpu),
                cpu_ratio,
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
    let _ = writeln!(
        out,
        "\nCall prices (CPU per call, calibration function): GetItem {} µs, PutItem {} µs, SendMessage {} µs. Warm figures: median of the rounds' CPU per invocation (the function's threads' /proc schedstat).",
        us(prices.read),
        us(prices.write),
        us(prices.send)
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
    fn prices_calls_by_kind() {
        let prices = Prices {
            read: Duration::from_micros(100),
            write: Duration::from_micros(150),
            send: Duration::from_micros(80),
        };
        let r = route(&[
            ("DynamoDB.Query", 1.0),
            ("DynamoDB.TransactWriteItems", 1.0),
            ("SQS.SendMessage", 0.5),
        ]);
        assert_eq!(prices.allowance(&r), Duration::from_micros(290));
        assert_eq!(
            calls(&r),
            "1 Query + 1 TransactWriteItems + 0.5 SendMessage"
        );
        assert_eq!(calls(&route(&[])), "none");
    }

    #[test]
    fn medians() {
        let mut odd = [3, 1, 2].map(Duration::from_millis);
        assert_eq!(median(&mut odd), Duration::from_millis(2));
        let mut even = [4, 1, 3, 2].map(Duration::from_millis);
        assert_eq!(median(&mut even), Duration::from_micros(2500));
    }
}
