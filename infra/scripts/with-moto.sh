#!/usr/bin/env bash
# Usage: with-moto.sh <python of the moto virtualenv> <command…>
# Starts moto (through moto_server.py, which gives it DynamoDB's atomicity) on a free 127.0.0.1
# port, runs the command with MOTO_ENDPOINT and dummy AWS credentials set, and stops moto
# however the command ends. MOTO_LAUNCHER names another launcher script (make bench's).
set -euo pipefail
python=$1
shift
launcher=${MOTO_LAUNCHER:-"$(cd "$(dirname "$0")" && pwd)/moto_server.py"}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp -t moto.XXXXXX.log)
"$python" "$launcher" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 100); do
  if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
    break
  fi
  kill -0 "$moto_pid" 2>/dev/null || { cat "$log" >&2; echo "moto did not start" >&2; exit 1; }
  sleep 0.2
done

export MOTO_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
"$@"
