#!/usr/bin/env bash
# Usage: bench.sh <bin dir of the moto/cargo-lambda virtualenv>
# What `make bench` runs (docs/performance.md):
#   1. release binaries of the functions it runs and of the baselines (infra/bench/baseline) for
#      this machine (to run them), and of every function for arm64 with cargo lambda, as binaries
#      and as zips (to weigh them); all with the workspace's release profile, each build kept and
#      redone only when its sources changed;
#   2. payments-bench against a throwaway moto (infra/bench/moto_bench.py: the tests' moto with
#      transactions that do not copy the whole table): the table of cold starts, warm CPU, peak
#      memory and sizes, each against the empty function measured in the same run, and the budgets;
#   3. with BENCH_FULL=1 (make bench-full): both builds regardless, payments-bench's longer
#      default rounds, and the round-trip test (tests/tests/api/round_trips.rs) against another
#      throwaway moto, with the table it writes to $CARGO_TARGET_DIR/round-trips.md.
# The tables go to standard output, progress to standard error. Exits non-zero when a budget is
# broken or a step fails. BENCH_ARGS adds payments-bench options (e.g. "--rounds 3 --per-round 200").
set -euo pipefail
tools_bin=$1
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
target=${CARGO_TARGET_DIR:-$repo/target}
out="$target/bench"
started=$(date +%s)

# The harness first, optimised (a debug harness takes more CPU than the functions it measures)
# but without the release profile's fat LTO, which only the functions need and which would make
# it the longest link of the run. Its own CPU is not what is measured.
cargo build --quiet --release --config profile.release.lto=false \
  --config profile.release.codegen-units=16 -p payments-bench

# Every function (each package of functions/ is one, named as its binary) is weighed for arm64;
# the ones payments-bench runs, and the baselines, are built for this machine too.
functions=()
for dir in functions/*/; do functions+=("$(basename "$dir")"); done
mapfile -t measured < <("$target/release/payments-bench" --list-measured)
selection() { local package; for package in "$@"; do printf -- '-p\n%s\n' "$package"; done; }
mapfile -t host_selection < <(selection "${measured[@]}")
baselines=(empty-function sdk-call-function)

# Both release builds are kept under $out (a clone of unchanged code, or a second run, only
# measures): each with the list of the repository's files its binaries were built from (their
# dep-info) and a fingerprint of those files, the Cargo files, .cargo/, the toolchain, cargo
# lambda and the binaries' names. A build is redone when its fingerprint changes (a new source
# file changes the file that declares it), and always for make bench-full.
fingerprint() { # <kept build>
  {
    cat "$1/sources"
    git ls-files -co --exclude-standard -- '*Cargo.toml' Cargo.lock .cargo
  } | sort -u | while read -r file; do
    if [ -f "$file" ]; then printf '%s %s\n' "$file" "$(sha256sum < "$file" | cut -c1-64)"; fi
  done
  rustc -Vv
  PATH="$tools_bin:$PATH" cargo lambda --version
  cat "$1/binaries.list"
}
unchanged() { # <kept build> <binary>...
  local kept=$1
  shift
  [ -z "${BENCH_FULL:-}" ] && [ -f "$kept/fingerprint" ] && [ -f "$kept/binaries.list" ] &&
    [ "$(printf '%s\n' "$@")" = "$(cat "$kept/binaries.list")" ] &&
    [ "$(fingerprint "$kept")" = "$(cat "$kept/fingerprint")" ]
}
keep() { # <kept build> <cargo's output directory> <binary>...
  local kept=$1 built=$2 binary
  shift 2
  printf '%s\n' "$@" > "$kept/binaries.list"
  for binary in "$@"; do
    sed -e 's/^[^:]*: //' -e 's/ /\n/g' "$built/$binary.d"
  done | sed -n "s|^$repo/||p" | sort -u > "$kept/sources"
  fingerprint "$kept" > "$kept/fingerprint"
}

# The functions and the baselines are built apart: built together, cargo would give the
# functions the SDK features the baselines' aws-config turns on (the SDK's own HTTP client, and
# HTTP/2 with it), which no deployed function has.
host="$out/host"
if unchanged "$host" "${measured[@]}" "${baselines[@]}"; then
  echo "bench: binaries for this machine unchanged since their last build" >&2
else
  echo "bench: release build for this machine ($(( $(date +%s) - started )) s in)" >&2
  rm -rf "$host"
  cargo build --quiet --release "${host_selection[@]}"
  cargo build --quiet --release -p bench-baseline
  mkdir -p "$host/binaries"
  for binary in "${measured[@]}" "${baselines[@]}"; do
    cp "$target/release/$binary" "$host/binaries/"
  done
  keep "$host" "$target/release" "${measured[@]}" "${baselines[@]}"
fi

# The arm64 builds only weigh the functions, and take as long again as the host build.
arm64="$out/arm64"
if unchanged "$arm64" "${functions[@]}" "${baselines[@]}"; then
  echo "bench: arm64 binaries and zips unchanged since their last build" >&2
else
  echo "bench: release build for arm64 (cargo lambda), binaries and zips ($(( $(date +%s) - started )) s in)" >&2
  rm -rf "$arm64" "$out"/arm64-*
  # The functions as `sam build` selects them (the workspace's default members), then the
  # baselines.
  for selection in "" "-p bench-baseline"; do
    # shellcheck disable=SC2086 # no option, or one -p option
    PATH="$tools_bin:$PATH" cargo lambda build --quiet --release --arm64 $selection \
      --lambda-dir "$arm64/binaries" >&2
    # shellcheck disable=SC2086
    PATH="$tools_bin:$PATH" cargo lambda build --quiet --release --arm64 --output-format zip \
      $selection --lambda-dir "$arm64/zips" >&2
  done
  keep "$arm64" "$target/aarch64-unknown-linux-gnu/release" "${functions[@]}" "${baselines[@]}"
fi

echo "bench: measuring ($(( $(date +%s) - started )) s in)" >&2
# The quick run's rounds (docs/performance.md: enough for the budgets' margins); payments-bench's
# own defaults are the full run's.
quick=(--rounds 5 --per-round 100 --warmup 20 --cold-runs 9)
[ -n "${BENCH_FULL:-}" ] && quick=()
status=0
# payments-bench against a moto of its own (MOTO_ENDPOINT), stopped however it ends.
# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
MOTO_LAUNCHER="$repo/infra/bench/moto_bench.py" infra/scripts/with-moto.sh "$tools_bin/python" \
  "$target/release/payments-bench" \
  --bin-dir "$host/binaries" --arm64-binaries "$arm64/binaries" --arm64-zips "$arm64/zips" \
  --work "$out/work" --markdown "$out/bench.md" "${quick[@]}" ${BENCH_ARGS:-} || status=$?
if [ "$status" -gt 1 ]; then
  echo "bench: payments-bench failed (exit $status); logs in $out/work/logs" >&2
  exit "$status"
fi

if [ -n "${BENCH_FULL:-}" ]; then
  echo >&2
  echo "bench: round trips (cargo test -p api-tests --test api round_trips)" >&2
  echo
  echo "Round trips to DynamoDB and SQS per request (tests/tests/api/round_trips.rs):"
  echo
  rm -f "$target/round-trips.md"
  if infra/scripts/with-moto.sh "$tools_bin/python" \
    cargo test --quiet -p api-tests --test api round_trips >&2 && [ -f "$target/round-trips.md" ]; then
    cat "$target/round-trips.md"
  else
    echo "(not measured: the round-trip test failed or wrote no $target/round-trips.md)"
    status=1
  fi
fi

echo
echo "make bench took $(( $(date +%s) - started )) s."
exit "$status"
