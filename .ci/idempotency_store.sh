#!/usr/bin/env bash
# CI: the DynamoDB idempotency store (lambda_batch::idempotency::DynamoDbStore)
# against a real DynamoDB API. Installs moto's server from PyPI, starts it on
# 127.0.0.1 and a free port, exports its address as
# LAMBDA_BATCH_DYNAMODB_ENDPOINT and runs the store's integration tests
# (tests/tests/idempotency_dynamodb*.rs: batches through the engine, keys in
# flight, payload mismatches, releases, expired claims, 250-record batches,
# lost claims, the asynchronous layer; the HTTP requests per batch counted)
# and the example payment function's binary
# (examples/idempotent-payments/tests/payments_api.rs:
# a payment sent twice is charged once), failing if any says SKIPPED; then
# the idempotency bench, whose lines it
# prints (MemoryStore's cost per record, DynamoDbStore's round trips per
# batch of 10, 100 and 250 records). Stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
# moto's server, stopped on exit: sets MOTO_ENDPOINT and fake credentials.
source .ci/moto.sh
export LAMBDA_BATCH_DYNAMODB_ENDPOINT="$MOTO_ENDPOINT"

# The store's tests, then the example payment function (its binary, under
# a loopback Lambda Runtime API) on the same server.
for test_command in 'cargo test -p lambda-batch-tests --test main idempotency_dynamodb' \
    'cargo test -p lambda-batch-idempotent-payments --test payments_api'; do
    echo "--- $test_command (LAMBDA_BATCH_DYNAMODB_ENDPOINT=$LAMBDA_BATCH_DYNAMODB_ENDPOINT)"
    out=$(mktemp)
    set +e
    $test_command 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
    set -e
    if grep -q "SKIPPED" "$out"; then
        echo "a DynamoDB test was skipped although the endpoint is set" >&2
        status=1
    fi
    if ! grep -qE '^test result: ok\. [1-9][0-9]* passed' "$out"; then
        echo "no test ran: '$test_command' matched none" >&2
        status=1
    fi
    rm -f "$out"
    [ "$status" -eq 0 ] || exit "$status"
done

bench_command='cargo bench -p lambda-batch-examples --bench idempotency'
echo "--- $bench_command"
bench_log=$(mktemp)
if ! $bench_command >"$bench_log" 2>&1; then
    cat "$bench_log"; rm -f "$bench_log"
    echo "the idempotency bench failed" >&2
    exit 1
fi
# Its lines, without cargo's build output.
sed -n '/^idempotency with MemoryStore/,$p' "$bench_log"
if grep -q "SKIPPED" "$bench_log"; then
    rm -f "$bench_log"
    echo "the bench skipped DynamoDB although the endpoint is set" >&2
    exit 1
fi
rm -f "$bench_log"
