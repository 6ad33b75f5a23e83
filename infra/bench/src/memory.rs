//! The memory size of each function, from its measured CPU and calls (issue 18).
//!
//! The model, and where each part comes from:
//!
//! - Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html>). The functions run
//!   one thread, so a share above one vCPU buys nothing: at `m` MB, a millisecond of CPU
//!   measured here takes `1769 / m` ms (taking this machine's core as Lambda's vCPU).
//! - Each AWS call waits [`CALL_WAIT`] on the network and the service, whatever the memory
//!   (DynamoDB's documented "single-digit millisecond" latency; an assumption, to be replaced by
//!   the deployed functions' own figures).
//! - Duration is billed by the millisecond, rounded up, at the arm64 price of US East
//!   (N. Virginia), plus the price of the request (<https://aws.amazon.com/lambda/pricing/>).
//!
//! The size chosen is the smallest of [`SIZES`] at which a warm invocation of the function's
//! heaviest route spends no more time on its CPU than waiting on its calls (more memory would
//! shorten the smaller part), and, for an HTTP function, at which a cold start's CPU takes at
//! most [`COLD_CPU_LIMIT`] (a client waits for it).

use crate::harness::{median, RouteResult};
use crate::scenario::{Kind, Measured};
use std::fmt::Write;
use std::time::Duration;

pub const SIZES: [u32; 4] = [128, 256, 512, 1024];
const ONE_VCPU_MB: f64 = 1769.0;
pub const CALL_WAIT: Duration = Duration::from_millis(5);
pub const COLD_CPU_LIMIT: Duration = Duration::from_millis(100);
/// US dollars per GB-second of arm64 duration, and per million requests.
const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_PER_MILLION_REQUESTS: f64 = 0.20;

/// What one function would take at one memory size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AtSize {
    pub memory_mb: u32,
    /// Time on the CPU of a warm invocation of the heaviest route.
    pub warm_cpu: Duration,
    /// That, and the waits of its calls.
    pub warm: Duration,
    /// Time on the CPU of a cold start (init and first invocation).
    pub cold_cpu: Duration,
    /// US dollars per million warm invocations of the heaviest route.
    pub cost_per_million: f64,
}

/// CPU time at `memory_mb` of what took `cpu` on a whole core.
fn stretched(cpu: Duration, memory_mb: u32) -> Duration {
    let share = (f64::from(memory_mb) / ONE_VCPU_MB).min(1.0);
    cpu.div_f64(share)
}

pub fn at_size(route: &RouteResult, cold_cpu: Duration, memory_mb: u32) -> AtSize {
    let calls: f64 = route.calls.values().sum();
    let warm_cpu = stretched(route.cpu, memory_mb);
    let warm = warm_cpu + CALL_WAIT.mul_f64(calls);
    let billed_seconds = (warm.as_secs_f64() * 1000.0).ceil() / 1000.0;
    let gigabytes = f64::from(memory_mb) / 1024.0;
    AtSize {
        memory_mb,
        warm_cpu,
        warm,
        cold_cpu: stretched(cold_cpu, memory_mb),
        cost_per_million: billed_seconds * gigabytes * PRICE_PER_GB_SECOND * 1e6
            + PRICE_PER_MILLION_REQUESTS,
    }
}

/// Whether `size` meets the rule of the module's documentation.
fn enough(size: &AtSize, kind: Kind) -> bool {
    let waits = size.warm.saturating_sub(size.warm_cpu);
    size.warm_cpu <= waits && (kind != Kind::Http || size.cold_cpu <= COLD_CPU_LIMIT)
}

/// A function's figures at every size, and the size chosen.
#[derive(Debug, Clone)]
pub struct Sizing {
    pub function: String,
    pub route: String,
    pub sizes: Vec<AtSize>,
    pub chosen: u32,
}

pub fn sizing(measured: &Measured) -> Option<Sizing> {
    let route = measured.warm.routes.iter().max_by_key(|r| r.cpu)?;
    let mut cold: Vec<Duration> = measured.cold.iter().map(|r| r.cpu).collect();
    let cold_cpu = median(&mut cold);
    let sizes: Vec<AtSize> = SIZES.iter().map(|m| at_size(route, cold_cpu, *m)).collect();
    let chosen = sizes
        .iter()
        .find(|s| enough(s, measured.kind))
        .map_or(SIZES[SIZES.len() - 1], |s| s.memory_mb);
    Some(Sizing {
        function: measured.name.clone(),
        route: route.label.clone(),
        sizes,
        chosen,
    })
}

/// The table, with each function's `MemorySize` in the template beside the size chosen.
pub fn render(out: &mut String, sizings: &[Sizing], template: impl Fn(&str) -> Option<u32>) {
    let _ = writeln!(
        out,
        "\nMemory size (see infra/bench/src/memory.rs for the model): per size, a warm invocation of the heaviest route in ms (its CPU's part) / a cold start's CPU in ms / US$ per million warm invocations:\n"
    );
    let mut header = "| Function | Heaviest route |".to_owned();
    for m in SIZES {
        let _ = write!(header, " {m} MB |");
    }
    let _ = writeln!(out, "{header} Chosen | Template |");
    let _ = writeln!(out, "|---|---|{}---|---|", "---|".repeat(SIZES.len()));
    for sizing in sizings {
        let mut row = format!("| {} | {} |", sizing.function, sizing.route);
        for s in &sizing.sizes {
            let _ = write!(
                row,
                " {:.1} ({:.1}) / {:.0} / {:.3} |",
                s.warm.as_secs_f64() * 1e3,
                s.warm_cpu.as_secs_f64() * 1e3,
                s.cold_cpu.as_secs_f64() * 1e3,
                s.cost_per_million
            );
        }
        let configured = template(&sizing.function);
        let _ = writeln!(
            out,
            "{row} {} MB | {} |",
            sizing.chosen,
            match configured {
                Some(m) if m == sizing.chosen => format!("{m} MB"),
                Some(m) => format!("{m} MB (differs)"),
                None => "not in the template".to_owned(),
            }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn route(cpu_us: u64, calls: f64) -> RouteResult {
        RouteResult {
            label: "r".into(),
            cpu: Duration::from_micros(cpu_us),
            round_cpu: Vec::new(),
            wall: Duration::ZERO,
            calls: BTreeMap::from([("DynamoDB.GetItem".to_owned(), calls)]),
            connections: 0,
            invocations: 1,
        }
    }

    #[test]
    fn cpu_stretches_with_less_memory_and_not_past_one_vcpu() {
        let cpu = Duration::from_micros(1769);
        assert_eq!(stretched(cpu, 1769), cpu);
        assert_eq!(stretched(cpu, 3538), cpu);
        assert_eq!(stretched(cpu, 128).as_micros(), 24_448);
    }

    #[test]
    fn costs_the_billed_milliseconds_and_the_request() {
        // 1 ms of CPU at 1,024 MB is 1.73 ms, billed as 2 ms; no calls.
        let size = at_size(&route(1000, 0.0), Duration::ZERO, 1024);
        let expected = 0.002 * 1.0 * PRICE_PER_GB_SECOND * 1e6 + 0.20;
        assert!((size.cost_per_million - expected).abs() < 1e-9);
        assert_eq!(size.warm, size.warm_cpu);
    }

    #[test]
    fn chooses_the_smallest_size_at_which_the_calls_wait_longer_than_the_cpu_and_an_http_cold_start_is_short(
    ) {
        let worker = |cpu_us, calls| Measured {
            name: "w".into(),
            kind: Kind::Worker,
            first_event: String::new(),
            cold: Vec::new(),
            warm: crate::harness::WarmResult {
                routes: vec![route(cpu_us, calls)],
                peak_rss: 0,
            },
        };
        // 300 µs and one call: 4.1 ms of CPU at 128 MB, under the call's 5 ms.
        assert_eq!(sizing(&worker(300, 1.0)).map(|s| s.chosen), Some(128));
        // 1 ms and one call: 13.8 ms at 128 MB, 6.9 at 256, 3.5 at 512.
        assert_eq!(sizing(&worker(1000, 1.0)).map(|s| s.chosen), Some(512));
        // CPU bound at every size: the largest.
        assert_eq!(sizing(&worker(10_000, 1.0)).map(|s| s.chosen), Some(1024));
        // An HTTP function whose cold start takes 10 ms of CPU: 138 ms at 128 MB, 69 at 256.
        let mut http = worker(300, 1.0);
        http.kind = Kind::Http;
        http.cold = vec![cold_run(Duration::from_millis(10))];
        assert_eq!(sizing(&http).map(|s| s.chosen), Some(256));
        http.kind = Kind::Worker;
        assert_eq!(sizing(&http).map(|s| s.chosen), Some(128));
    }

    fn cold_run(cpu: Duration) -> crate::harness::ColdRun {
        crate::harness::ColdRun {
            total: cpu,
            init: Duration::ZERO,
            first_invocation: Duration::ZERO,
            cpu,
            upstream: Duration::ZERO,
            requests: 1,
            connections: 1,
            handshakes: Duration::ZERO,
            connected_during_init: false,
        }
    }
}
