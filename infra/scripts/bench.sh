#!/usr/bin/env bash
# Usage: bench.sh <bin dir of the moto/cargo-lambda virtualenv>
# What `make bench` runs (README, "Performance"):
#   1. release binaries of every function and of the baselines (infra/bench/baseline), for this
#      machine (to run them) and for arm64 with cargo lambda, as binaries and as zips (to weigh
#      them); all with the workspace's release profile;
#   2. payments-bench against a throwaway moto (infra/bench/moto_bench.py: the tests' moto with
#      transactions that do not copy the whole table): the table of cold starts, warm CPU, peak
#      memory and sizes, each against the empty function measured in the same run, and the budgets;
#   3. the round-trip test (tests/tests/round_trips.rs) against another throwaway moto, and the
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

# A moto of the bench's own on a free 127.0.0.1 port, stopped however the script ends.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_log="$out/moto.log"
mkdir -p "$out"
"$tools_bin/python" infra/bench/moto_bench.py -H 127.0.0.1 -p "$port" >"$moto_log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { cat "$moto_log" >&2; echo "moto did not start" >&2; exit 1; }
  sleep 0.2
done

status=0
# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 \
  "$target/release/payments-bench" --moto "http://127.0.0.1:$port" \
  --bin-dir "$target/release" --arm64-binaries "$out/arm64-binaries" --arm64-zips "$out/arm64-zips" \
  --work "$out/work" --markdown "$out/bench.md" ${BENCH_ARGS:-} || status=$?
kill "$moto_pid" 2>/dev/null || true
wait "$moto_pid" 2>/dev/null || true
if [ "$status" -gt 1 ]; then
  echo "bench: payments-bench failed (exit $status); logs in $out/work/logs" >&2
  exit "$status"
fi

echo >&2
echo "bench: round trips (cargo test -p api-tests --test round_trips)" >&2
echo
echo "Round trips to DynamoDB and SQS per request (tests/tests/round_trips.rs):"
echo
rm -f "$target/round-trips.md"
if [ ! -f tests/tests/round_trips.rs ]; then
  echo "(not measured: tests/tests/round_trips.rs does not exist yet)"
  status=1
elif infra/scripts/with-moto.sh "$tools_bin/python" \
  cargo test --quiet -p api-tests --test round_trips >&2 && [ -f "$target/round-trips.md" ]; then
  cat "$target/round-trips.md"
else
  echo "(not measured: the round-trip test failed or wrote no $target/round-trips.md)"
  status=1
fi

echo
echo "make bench took $(( $(date +%s) - started )) s."
exit "$status"
