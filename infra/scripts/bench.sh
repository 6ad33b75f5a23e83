#!/usr/bin/env bash
# Usage: bench.sh <bin dir of the moto/cargo-lambda virtualenv>
# What `make bench` runs (docs/performance.md):
#   1. release binaries of every function and of the baselines (infra/bench/baseline), for this
#      machine (to run them) and for arm64 with cargo lambda, as binaries and as zips (to weigh
#      them); all with the workspace's release profile;
#   2. payments-bench against a throwaway moto (infra/bench/moto_bench.py: the tests' moto with
#      transactions that do not copy the whole table): the table of cold starts, warm CPU, peak
#      memory and sizes, each against the empty function measured in the same run, and the budgets;
#   3. the round-trip test (tests/tests/api/round_trips.rs) against another throwaway moto, and the
#      table it writes to $CARGO_TARGET_DIR/round-trips.md.
# The tables go to standard output, progress to standard error. Exits non-zero when a budget is
# broken or a step fails. BENCH_ARGS adds payments-bench options (e.g. "--rounds 3 --per-round 200").
set -euo pipefail
tools_bin=$1
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
target=${CARGO_TARGET_DIR:-$repo/target}
out="$target/bench"
started=$(date +%s)

packages=(customer-vault customer-wallet order-management instruction-worker refund-worker sweep
  mandates mandate-worker reward-worker identity bench-baseline)
selection=()
for package in "${packages[@]}"; do selection+=(-p "$package"); done

echo "bench: release build for this machine" >&2
cargo build --quiet --release "${selection[@]}"
echo "bench: release build for arm64 (cargo lambda), binaries and zips" >&2
PATH="$tools_bin:$PATH" cargo lambda build --quiet --release --arm64 "${selection[@]}" \
  --lambda-dir "$out/arm64-binaries" >&2
PATH="$tools_bin:$PATH" cargo lambda build --quiet --release --arm64 --output-format zip "${selection[@]}" \
  --lambda-dir "$out/arm64-zips" >&2
# The harness in release too: a debug harness takes more CPU than the functions it measures.
cargo build --quiet --release -p payments-bench

status=0
# payments-bench against a moto of its own (MOTO_ENDPOINT), stopped however it ends.
# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
MOTO_LAUNCHER="$repo/infra/bench/moto_bench.py" infra/scripts/with-moto.sh "$tools_bin/python" \
  "$target/release/payments-bench" \
  --bin-dir "$target/release" --arm64-binaries "$out/arm64-binaries" --arm64-zips "$out/arm64-zips" \
  --work "$out/work" --markdown "$out/bench.md" ${BENCH_ARGS:-} || status=$?
if [ "$status" -gt 1 ]; then
  echo "bench: payments-bench failed (exit $status); logs in $out/work/logs" >&2
  exit "$status"
fi

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

echo
echo "make bench took $(( $(date +%s) - started )) s."
exit "$status"
