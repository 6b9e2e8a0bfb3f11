#!/usr/bin/env bash
# CI: the local event source mapping (bridge/) against a real SQS API.
# Installs moto's server from PyPI, starts it on 127.0.0.1 and a free port,
# exports its address as LAMBDA_BATCH_SQS_ENDPOINT and runs the bridge's
# integration tests (queues with DLQs, standard and FIFO; messages sent,
# the bridge drained, the queue and DLQ read back), then the README's
# example command against the same server. Stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# moto's server, stopped on exit: sets MOTO_ENDPOINT and fake credentials.
source .ci/moto.sh
export LAMBDA_BATCH_SQS_ENDPOINT="$MOTO_ENDPOINT"

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
