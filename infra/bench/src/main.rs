//! `payments-bench`: what `make bench` runs once the release binaries are built (see
//! infra/scripts/bench.sh). Every function runs as Lambda runs it — the binary started with
//! Lambda's environment under a local Runtime API — against moto behind a counting proxy, and
//! is measured against an empty `lambda_runtime` function measured in the same run.
//!
//! Prints the table on standard output (and writes it to `--markdown`), progress on standard
//! error; exits 1 when a budget is broken, 2 on a usage error, 3 when the bench itself failed.

mod harness;
mod memory;
mod procfs;
mod proxy;
mod report;
mod runtime;
mod scenario;
mod tls;

use harness::Settings;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: payments-bench --list-measured
       payments-bench --bin-dir <host release binaries> [--arm64-binaries <dir>] [--arm64-zips <dir>]
                      [--work <dir>] [--markdown <file>] [--moto <url, default $MOTO_ENDPOINT>]
                      [--per-round 250] [--rounds 5] [--warmup 30] [--cold-runs 7] [--no-tls]
  --arm64-binaries and --arm64-zips are cargo lambda's --lambda-dir of a binary and of a zip
  build (<dir>/<function>/bootstrap, <dir>/<function>/bootstrap.zip).";

/// The two baselines, then the functions `make bench` runs, by binary name; it weighs every
/// function of the template.
const MEASURED: [&str; 12] = [
    "empty-function",
    "sdk-call-function",
    "customer-vault",
    "customer-wallet",
    "order-management",
    "mandates",
    "identity",
    "instruction-worker",
    "refund-worker",
    "mandate-worker",
    "reward-worker",
    "sweep",
];

/// Every function of the template by binary name, and its kind (which zip budget it has).
fn template_functions(template: &local_stack::template::Template) -> Vec<(String, scenario::Kind)> {
    template
        .functions
        .iter()
        .map(|f| {
            let kind = if !f.routes.is_empty() {
                scenario::Kind::Http
            } else if !f.schedules.is_empty() {
                scenario::Kind::Scheduled
            } else {
                scenario::Kind::Worker
            };
            (f.binary.clone(), kind)
        })
        .collect()
}

struct Args {
    bin_dir: PathBuf,
    arm64_binaries: Option<PathBuf>,
    arm64_zips: Option<PathBuf>,
    work: PathBuf,
    markdown: Option<PathBuf>,
    moto: String,
    settings: Settings,
    tls: bool,
}

fn parse(raw: Vec<String>) -> Result<Args, String> {
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut tls = true;
    let mut iter = raw.into_iter();
    while let Some(flag) = iter.next() {
        if flag == "--no-tls" {
            tls = false;
            continue;
        }
        let name = flag
            .strip_prefix("--")
            .filter(|n| {
                [
                    "bin-dir",
                    "arm64-binaries",
                    "arm64-zips",
                    "work",
                    "markdown",
                    "moto",
                    "per-round",
                    "rounds",
                    "warmup",
                    "cold-runs",
                ]
                .contains(n)
            })
            .ok_or_else(|| format!("unknown argument {flag}"))?
            .to_owned();
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        values.insert(name, value);
    }
    let number = |name: &str, default: usize| -> Result<usize, String> {
        values.get(name).map_or(Ok(default), |v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("--{name} must be a positive whole number, not {v}"))
        })
    };
    let moto = match values.get("moto") {
        Some(url) => url.clone(),
        None => std::env::var("MOTO_ENDPOINT")
            .map_err(|_| "no --moto and MOTO_ENDPOINT is not set".to_owned())?,
    };
    Ok(Args {
        bin_dir: values
            .get("bin-dir")
            .map(PathBuf::from)
            .ok_or("--bin-dir is required")?,
        arm64_binaries: values.get("arm64-binaries").map(PathBuf::from),
        arm64_zips: values.get("arm64-zips").map(PathBuf::from),
        work: values.get("work").map_or_else(
            || std::env::temp_dir().join(format!("payments-bench-{}", std::process::id())),
            PathBuf::from,
        ),
        markdown: values.get("markdown").map(PathBuf::from),
        moto,
        settings: Settings {
            per_round: number("per-round", 250)?,
            rounds: number("rounds", 5)?,
            warmup: number("warmup", 30)?,
            cold_runs: number("cold-runs", 7)?,
            timeout: scenario::TIMEOUT,
        },
        tls,
    })
}

fn file_size(path: Option<PathBuf>) -> Option<u64> {
    path.and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
}

#[tokio::main]
async fn main() -> ExitCode {
    // What make bench builds for this machine: the functions it runs, beyond the baselines.
    if std::env::args().nth(1).as_deref() == Some("--list-measured") {
        MEASURED[2..].iter().for_each(|f| println!("{f}"));
        return ExitCode::SUCCESS;
    }
    let args = match parse(std::env::args().skip(1).collect()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let template = match local_stack::template::Template::load(&local_stack::template_path()) {
        Ok(template) => template,
        Err(e) => {
            eprintln!("error: reading the template: {e}");
            return ExitCode::from(3);
        }
    };
    if let Some(missing) = MEASURED
        .iter()
        .find(|f| scenario::existing(&args.bin_dir, f).is_none())
    {
        eprintln!(
            "error: {} does not exist: build the release binaries first (make bench does)",
            args.bin_dir.join(missing).display()
        );
        return ExitCode::from(2);
    }
    let started = std::time::Instant::now();
    let options = scenario::Options {
        bin_dir: args.bin_dir.clone(),
        moto: args.moto.clone(),
        work: args.work.clone(),
        settings: args.settings.clone(),
        tls: args.tls,
    };
    let proxy = match proxy::Proxy::start(
        &args.moto,
        args.tls.then(|| args.work.join("tls")).as_deref(),
    )
    .await
    {
        Ok(proxy) => proxy,
        Err(e) => {
            eprintln!("error: starting the proxy in front of moto: {e}");
            return ExitCode::from(3);
        }
    };
    let figures = match scenario::run(&options, proxy).await {
        Ok(figures) => figures,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(3);
        }
    };
    let weighed = template_functions(&template);
    let sizes: BTreeMap<String, report::Size> = MEASURED
        .iter()
        .map(|f| (*f).to_owned())
        .chain(weighed.iter().map(|(f, _)| f.clone()))
        .map(|f| {
            let size = |dir: &Option<PathBuf>, file: &str| {
                file_size(dir.as_ref().map(|d| d.join(&f).join(file)))
            };
            let binary = size(&args.arm64_binaries, "bootstrap");
            let zip = size(&args.arm64_zips, "bootstrap.zip");
            (f, report::Size { binary, zip })
        })
        .collect();
    let report = report::render(&figures, &sizes, &weighed);
    let mut memory_table = String::new();
    let sizings: Vec<memory::Sizing> = figures
        .functions
        .iter()
        .filter_map(memory::sizing)
        .collect();
    memory::render(&mut memory_table, &sizings, |binary| {
        let functions = &template.functions;
        functions.iter().find(|f| f.binary == binary)?.memory_size
    });
    let settings = &args.settings;
    let text = format!(
        "{}{memory_table}\nMeasured in {:.0} s: {} cold starts per function; warm CPU over {} rounds of {} invocations per route after {} warm-up invocations.\n",
        report.markdown,
        started.elapsed().as_secs_f64(),
        settings.cold_runs,
        settings.rounds,
        settings.per_round,
        settings.warmup,
    );
    print!("{text}");
    if let Some(path) = &args.markdown {
        if let Err(e) = std::fs::write(path, &text) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::from(3);
        }
    }
    if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
