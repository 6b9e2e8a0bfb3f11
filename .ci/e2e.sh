#!/usr/bin/env bash
# CI: end to end through the Lambda Runtime API. Starts `cargo lambda watch`
# (the Lambda control-plane/Runtime API emulator; it runs each example
# binary with `cargo run` on its first invocation) on 127.0.0.1 and a free
# port, sends the events of deploy/events/ with `cargo lambda invoke`, and
# checks every response: SQS partial failures, a panicking record, FIFO
# (the failure and every later message), every record failing (an
# invocation error), Kinesis and DynamoDB Streams checkpoints (only the
# first failed sequence number), Kafka ({"partition", "offset"} per failed
# partition). Fails on any wrong response.
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_ROOT_USER_ACTION=ignore

echo "--- installing cargo-lambda (PyPI package, ships the binary)"
python3 -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.8,<2'
cargo lambda --version

echo "--- building the example functions (debug)"
cargo build --quiet -p lambda-batch-examples --bins

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
work=$(mktemp -d)
watch_pid=
stop() {
    if [ -n "$watch_pid" ]; then
        # The functions are children of the emulator; stop them, then it.
        for child in $(pgrep -P "$watch_pid" || true); do kill "$child" 2>/dev/null || true; done
        kill "$watch_pid" 2>/dev/null || true
        wait "$watch_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap 'status=$?; stop; if [ "$status" -ne 0 ]; then echo "--- cargo lambda watch log"; cat "$log"; fi; rm -f "$log"; exit "$status"' EXIT

echo "--- cargo lambda watch on 127.0.0.1:$port"
cargo lambda watch -p lambda-batch-examples --ignore-changes --quiet \
    --invoke-address 127.0.0.1 --invoke-port "$port" >"$log" 2>&1 &
watch_pid=$!
for _ in $(seq 1 120); do
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; then
        break
    fi
    kill -0 "$watch_pid" 2>/dev/null || { echo "cargo lambda watch exited before listening" >&2; exit 1; }
    sleep 0.5
done

failures=0
# invoke <bin> <event> <python check of `r` (the parsed response)> <what it shows>
invoke() {
    local bin=$1 event=$2 check=$3 what=$4 out="$work/$2.out"
    echo "--- $bin < deploy/events/$event.json: $what"
    if ! cargo lambda invoke "$bin" --data-file "deploy/events/$event.json" \
        --invoke-address 127.0.0.1 --invoke-port "$port" --output-format json >"$out" 2>&1; then
        echo "FAIL: the invocation failed:"; cat "$out"; failures=$((failures + 1)); return
    fi
    if python3 - "$out" "$check" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ids = [f["itemIdentifier"] for f in r.get("batchItemFailures", [])]
print("   response:", json.dumps(r, separators=(",", ":")))
ok = eval(sys.argv[2], {"r": r, "ids": ids})
sys.exit(0 if ok else 1)
PY
    then echo "   ok"; else echo "FAIL: expected $check"; failures=$((failures + 1)); fi
}

sqs=a1b2c3d4-000
invoke sqs_orders sqs_standard \
    "ids == ['${sqs}2-4000-8000-000000000002', '${sqs}3-4000-8000-000000000003', '${sqs}5-4000-8000-000000000005']" \
    "standard queue: quantity 0, a body that is not JSON and an out-of-stock order fail alone"
invoke sqs_orders sqs_panic "ids == ['b0000000-0002-4000-8000-000000000002']" \
    "a record whose warehouse index panics is reported, the others handled"
fifo=f0000000-000
invoke sqs_orders sqs_fifo \
    "ids == ['${fifo}3-4000-8000-000000000003', '${fifo}4-4000-8000-000000000004', '${fifo}5-4000-8000-000000000005']" \
    "FIFO queue: the failure (3rd message) and every later message reported"
invoke kinesis_telemetry kinesis "ids == ['49568167370000000000000000000000000000000000000000000003']" \
    "Kinesis checkpoint: poison acknowledged, only the first failed sequence number reported"
invoke dynamodb_orders dynamodb "ids == ['100000000000000000003']" \
    "DynamoDB Streams checkpoint: only the first failed sequence number reported"
invoke kafka_clicks kafka \
    "ids == [{'partition': 'clicks-0', 'offset': 42}, {'partition': 'clicks-2', 'offset': 101}]" \
    "Kafka: the first failure of each partition as {partition, offset}; a keyless click is poison"

echo "--- sqs_orders < deploy/events/sqs_all_failed.json: every record fails: an invocation error, not a list"
if cargo lambda invoke sqs_orders --data-file deploy/events/sqs_all_failed.json \
    --invoke-address 127.0.0.1 --invoke-port "$port" >"$work/all_failed.out" 2>&1; then
    echo "FAIL: the invocation succeeded:"; cat "$work/all_failed.out"; failures=$((failures + 1))
elif grep -q 'LambdaBatch.AllRecordsFailed' "$work/all_failed.out"; then
    echo "   error: $(grep -m1 'LambdaBatch.AllRecordsFailed' "$work/all_failed.out")"
    echo "   ok"
else
    echo "FAIL: expected errorType LambdaBatch.AllRecordsFailed:"; cat "$work/all_failed.out"; failures=$((failures + 1))
fi

if [ "$failures" -ne 0 ]; then
    echo "e2e: $failures check(s) FAILED" >&2
    exit 1
fi
echo "e2e: 7 invocations through the Lambda Runtime API, all responses as expected"
