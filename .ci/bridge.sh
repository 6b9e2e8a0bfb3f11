#!/usr/bin/env bash
# CI: the local event source mapping (bridge/) against a real SQS API.
# Installs moto's server from PyPI, starts it on 127.0.0.1 and a free port,
# exports its address as LAMBDA_BATCH_SQS_ENDPOINT and runs the bridge's
# integration tests (queues with DLQs, standard and FIFO; messages sent,
# the bridge drained, the queue and DLQ read back), then the README's
# example command against the same server. Stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_ROOT_USER_ACTION=ignore

echo "--- installing moto's server (PyPI)"
python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
server_pid=
stop() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap 'status=$?; stop; if [ "$status" -ne 0 ]; then echo "--- moto server log (last 40 lines)"; tail -n 40 "$log"; fi; rm -f "$log"; exit "$status"' EXIT

echo "--- moto server on 127.0.0.1:$port"
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
    if python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { echo "moto's server exited before listening" >&2; exit 1; }
    sleep 0.5
done
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "http://127.0.0.1:$port/moto-api/" \
    || { echo "moto's server does not answer on 127.0.0.1:$port" >&2; exit 1; }

export LAMBDA_BATCH_SQS_ENDPOINT="http://127.0.0.1:$port"
# Any credentials and region work against moto; set them so the SDK looks
# nowhere else.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1

echo "--- cargo test -p lambda-batch-bridge (LAMBDA_BATCH_SQS_ENDPOINT=$LAMBDA_BATCH_SQS_ENDPOINT)"
out=$(mktemp)
set +e
cargo test -p lambda-batch-bridge 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
if grep -q "SKIPPED" "$out"; then
    echo "an integration test was skipped although the endpoint is set" >&2
    status=1
fi
rm -f "$out"
[ "$status" -eq 0 ] || exit "$status"

echo "--- the README's example: the order function on a new queue with a DLQ (--demo)"
demo_log=$(mktemp)
if ! cargo run -q -p lambda-batch-bridge --example orders -- --endpoint-url "$LAMBDA_BATCH_SQS_ENDPOINT" --demo >"$demo_log" 2>&1; then
    cat "$demo_log"; rm -f "$demo_log"
    echo "the orders example failed against moto" >&2
    exit 1
fi
grep -A 12 '^where each order ended' "$demo_log"
rm -f "$demo_log"
