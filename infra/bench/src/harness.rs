//! The measurements themselves: cold starts (a fresh process per run, timed from the spawn to
//! the end of its first invocation) and warm sessions (one process, each route invoked in
//! rounds with the process's CPU time read before and after every round).

use crate::proxy::{Counters, Proxy};
use crate::runtime::{Answer, FunctionProcess, RuntimeError, Tracing};
use bytes::Bytes;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error("{function} {label}: {reason}")]
    Answer {
        function: String,
        label: String,
        reason: String,
    },
    #[error("{function} {label}: {needed} events needed, {given} given")]
    TooFewEvents {
        function: String,
        label: String,
        needed: usize,
        given: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Invocations per measured round.
    pub per_round: usize,
    /// Measured rounds per route; the figure is their median.
    pub rounds: usize,
    /// Unmeasured invocations before a route's first round.
    pub warmup: usize,
    /// Fresh processes per function for the cold start; the figure is their median.
    pub cold_runs: usize,
    /// Longest a single invocation may take.
    pub timeout: Duration,
}

impl Settings {
    /// Events a warm route needs: its warm-up and its rounds.
    pub fn warm_events(&self) -> usize {
        self.warm_events_of(self.per_round)
    }

    /// The same for rounds of `per_round` invocations.
    pub fn warm_events_of(&self, per_round: usize) -> usize {
        self.warmup + per_round * self.rounds
    }
}

/// What an answer must look like for the invocation to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An API Gateway response with a 2xx `statusCode`.
    Http,
    /// An SQS batch response with no `batchItemFailures`.
    Batch,
    /// Anything the function answered (not an error).
    Answer,
}

/// Reads an answer: the parsed JSON, or why it does not count.
pub fn check(answer: &Answer, expect: Expect) -> Result<serde_json::Value, String> {
    let text = || {
        String::from_utf8_lossy(&answer.body)
            .chars()
            .take(400)
            .collect::<String>()
    };
    if !answer.ok {
        return Err(format!("function error: {}", text()));
    }
    let value: serde_json::Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("answer is not JSON ({e}): {}", text()))?;
    match expect {
        Expect::Answer => {}
        Expect::Http => {
            let status = value.get("statusCode").and_then(serde_json::Value::as_u64);
            if !status.is_some_and(|s| (200..300).contains(&s)) {
                return Err(format!("HTTP {status:?}: {}", text()));
            }
        }
        Expect::Batch => {
            let failures = value
                .get("batchItemFailures")
                .and_then(serde_json::Value::as_array)
                .map_or(0, Vec::len);
            if failures > 0 {
                return Err(format!("{failures} batch item failures: {}", text()));
            }
        }
    }
    Ok(value)
}

/// The body of an API Gateway response, parsed as JSON (`null` when empty).
pub fn http_body(answer: &serde_json::Value) -> serde_json::Value {
    answer
        .get("body")
        .and_then(serde_json::Value::as_str)
        .and_then(|body| serde_json::from_str(body).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// A route of a warm session: its events (warm-up first, then the rounds), and events to send
/// unmeasured after the rounds (work the next stages need).
pub struct Route {
    pub label: String,
    /// Invocations per round when not [`Settings::per_round`]: more for the baselines, which
    /// cost little and whose figures every other one is compared with.
    pub per_round: Option<usize>,
    pub events: Vec<Bytes>,
    pub after: Vec<Bytes>,
    pub expect: Expect,
}

/// One cold start.
#[derive(Debug, Clone)]
pub struct ColdRun {
    /// Spawn to the end of the first invocation.
    pub total: Duration,
    /// Spawn to the first `next` poll.
    pub init: Duration,
    /// Event handed over to its answer.
    pub first_invocation: Duration,
    /// CPU used by then.
    pub cpu: Duration,
    /// Time moto took to answer the function's AWS calls.
    pub upstream: Duration,
    pub requests: u64,
    pub connections: u64,
    /// Server-side TLS handshake time.
    pub handshakes: Duration,
    /// Whether a connection to AWS was opened before the first poll (during init).
    pub connected_during_init: bool,
}

#[derive(Debug, Clone)]
pub struct RouteResult {
    pub label: String,
    /// Median over the rounds of CPU per invocation.
    pub cpu: Duration,
    pub round_cpu: Vec<Duration>,
    /// Median over the rounds of wall time per invocation.
    pub wall: Duration,
    /// AWS calls per invocation, by operation, over the rounds.
    pub calls: BTreeMap<String, f64>,
    /// Connections opened during the rounds.
    pub connections: u64,
    pub invocations: usize,
}

#[derive(Debug, Clone)]
pub struct WarmResult {
    pub routes: Vec<RouteResult>,
    /// `VmHWM` at the end of the session.
    pub peak_rss: u64,
}

pub struct Harness {
    pub bin_dir: PathBuf,
    pub logs: PathBuf,
    pub proxy: Proxy,
    pub settings: Settings,
}

pub fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    match values.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2,
    }
}

impl Harness {
    pub fn binary(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }

    fn log(&self, function: &str) -> PathBuf {
        self.logs.join(format!("{function}.log"))
    }

    pub async fn spawn(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        tracing: Tracing,
    ) -> Result<FunctionProcess, HarnessError> {
        Ok(FunctionProcess::spawn(
            function,
            &self.binary(function),
            environment,
            &self.log(function),
            tracing,
        )
        .await?)
    }

    /// One invocation whose answer must meet `expect`; returns the answer's JSON.
    pub async fn call(
        &self,
        process: &mut FunctionProcess,
        label: &str,
        event: Bytes,
        expect: Expect,
    ) -> Result<serde_json::Value, HarnessError> {
        let answer = process.invoke(event, self.settings.timeout).await?;
        check(&answer, expect).map_err(|reason| HarnessError::Answer {
            function: process.name.clone(),
            label: label.to_owned(),
            reason,
        })
    }

    /// Cold starts, one fresh process per event.
    pub async fn cold(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        events: Vec<Bytes>,
        expect: Expect,
        tracing: Tracing,
    ) -> Result<Vec<ColdRun>, HarnessError> {
        let mut runs = Vec::new();
        for event in events {
            // Let the previous process's sockets and the emulator settle.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let before = self.proxy.counters();
            let mut process = self.spawn(function, environment, tracing).await?;
            let answer = process.invoke(event, self.settings.timeout).await?;
            let cpu = process.cpu()?.total();
            let init_done = process.init_done().unwrap_or(answer.delivered);
            let spawned = process.spawned;
            process.stop().await;
            check(&answer, expect).map_err(|reason| HarnessError::Answer {
                function: function.to_owned(),
                label: "cold start".into(),
                reason,
            })?;
            let used = self.proxy.counters().since(&before);
            runs.push(ColdRun {
                total: answer.answered.saturating_duration_since(spawned),
                init: init_done.saturating_duration_since(spawned),
                first_invocation: answer.answered.saturating_duration_since(answer.delivered),
                cpu,
                upstream: used.upstream,
                requests: used.requests,
                connections: used.connections,
                handshakes: used.handshakes,
                connected_during_init: used.connections > 0
                    && used.last_connection.is_some_and(|at| at <= init_done)
                    && used.last_connection.is_some_and(|at| at >= spawned),
            });
        }
        Ok(runs)
    }

    /// A warm session: one process, each route's warm-up then its measured rounds.
    pub async fn warm(
        &self,
        function: &str,
        environment: &BTreeMap<String, String>,
        routes: Vec<Route>,
    ) -> Result<WarmResult, HarnessError> {
        let mut process = self
            .spawn(function, environment, Tracing::PassThrough)
            .await?;
        let outcome = self.warm_routes(&mut process, routes).await;
        let peak_rss = process.peak_rss();
        process.stop().await;
        Ok(WarmResult {
            routes: outcome?,
            peak_rss: peak_rss?,
        })
    }

    async fn warm_routes(
        &self,
        process: &mut FunctionProcess,
        routes: Vec<Route>,
    ) -> Result<Vec<RouteResult>, HarnessError> {
        let settings = &self.settings;
        let mut results = Vec::new();
        for route in routes {
            let per_round = route.per_round.unwrap_or(settings.per_round).max(1);
            let needed = settings.warm_events_of(per_round);
            if route.events.len() < needed {
                return Err(HarnessError::TooFewEvents {
                    function: process.name.clone(),
                    label: route.label,
                    needed,
                    given: route.events.len(),
                });
            }
            let mut events = route.events.into_iter();
            for event in events.by_ref().take(settings.warmup) {
                self.call(process, &route.label, event, route.expect)
                    .await?;
            }
            let mut round_cpu = Vec::new();
            let mut round_wall = Vec::new();
            let mut used = Counters::default();
            for _ in 0..settings.rounds {
                let round: Vec<Bytes> = events.by_ref().take(per_round).collect();
                let before = self.proxy.counters();
                let cpu_before = process.cpu()?;
                let started = Instant::now();
                for event in round {
                    self.call(process, &route.label, event, route.expect)
                        .await?;
                }
                let wall = started.elapsed();
                let cpu = process.cpu()?.since(&cpu_before);
                let counted = self.proxy.counters().since(&before);
                used.connections += counted.connections;
                for (operation, count) in counted.calls {
                    *used.calls.entry(operation).or_default() += count;
                }
                let n = u32::try_from(per_round).unwrap_or(u32::MAX);
                round_cpu.push(cpu / n);
                round_wall.push(wall / n);
            }
            for event in route.after {
                self.call(process, &route.label, event, route.expect)
                    .await?;
            }
            let invocations = per_round * settings.rounds;
            let calls = used
                .calls
                .iter()
                .map(|(operation, count)| {
                    (operation.clone(), *count as f64 / invocations.max(1) as f64)
                })
                .collect();
            let rounds = round_cpu.clone();
            results.push(RouteResult {
                label: route.label,
                cpu: median(&mut round_cpu),
                round_cpu: rounds,
                wall: median(&mut round_wall),
                calls,
                connections: used.connections,
                invocations,
            });
        }
        Ok(results)
    }
}
