# Sourced by the scripts that drive a running local stack (dev-smoke.sh, fuzz.sh).
# start_dev_stack <tools-bin> [local-stack dev options…] starts it as `make dev` does, on free
# ports with a throwaway state directory, waits for its token, and sets: state, out, err,
# local_stack, ports, stack_pid, and API_URL, ACCOUNT_ID, TENANT_ID, TOKEN from its output.
# stop_dev_stack stops it with SIGINT; on exit it is stopped and its state removed.

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

stop_dev_stack() { kill -INT "$stack_pid" 2>/dev/null || true; wait "$stack_pid" 2>/dev/null || true; }

start_dev_stack() {
  local tools_bin=$1
  shift
  state=$(mktemp -d -t dev-stack.XXXXXX)
  out=$state/out.log
  err=$state/err.log
  local_stack=$CARGO_TARGET_DIR/debug/local-stack
  touch "$out" "$err"
  cargo build --quiet -p local-stack -p customer-vault -p customer-wallet -p order-management -p instruction-worker -p refund-worker -p sweep -p mandates -p mandate-worker -p reward-worker -p identity -p provider-webhooks -p provider-event-worker -p sandbox-webhook-sender -p notifications -p webhook-dispatcher
  ports=("$(free_port)" "$(free_port)" "$(free_port)")
  "$local_stack" dev --state-dir "$state" --tools-bin "$tools_bin" "$@" \
    --api-port "${ports[0]}" --moto-port "${ports[1]}" --invoke-port "${ports[2]}" >"$out" 2>"$err" &
  stack_pid=$!
  trap 'stop_dev_stack; rm -rf "$state"' EXIT
  for _ in $(seq 1 180); do
    grep -q '^TOKEN=' "$out" && break
    kill -0 "$stack_pid" 2>/dev/null || { cat "$err" >&2; echo "the local stack exited during start-up" >&2; exit 1; }
    sleep 1
  done
  grep -q '^TOKEN=' "$out" || { cat "$err" >&2; echo "the local stack did not print its token" >&2; exit 1; }
  eval "$(grep -E '^(API_URL|ACCOUNT_ID|TENANT_ID|TOKEN)=' "$out")"
}
