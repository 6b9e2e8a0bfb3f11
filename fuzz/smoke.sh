#!/usr/bin/env bash
# Builds every fuzz target and runs each for a while; exits non-zero if any
# target finds a crash. Used by CI as a smoke test, and for long campaigns
# (see docs/fuzzing.md).
#
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_TARGETS   targets to run, space-separated (default: all)
#   FUZZ_CORPUS    directory where each target's grown corpus is kept, one
#                  folder per target (default: a temporary directory, so the
#                  committed seeds in corpus/ stay as they are)
#   FUZZ_SANITIZER sanitizer for `cargo fuzz build -s` (default: address)
#   FUZZ_ARGS      extra libFuzzer flags
set -uo pipefail

cd "$(dirname "$0")"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "=================================================================="
    echo "SKIPPED: no nightly toolchain (cargo +nightly --version fails);"
    echo "SKIPPED: the fuzz smoke test did not run."
    echo "=================================================================="
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: installing it"
    cargo install cargo-fuzz --locked || exit 1
fi

seconds=${FUZZ_SECONDS:-30}
sanitizer=${FUZZ_SANITIZER:-address}
targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list)}
corpus_root=${FUZZ_CORPUS:-}
if [ -z "$corpus_root" ]; then
    corpus_root=$(mktemp -d)
    trap 'rm -rf "$corpus_root"' EXIT
fi
logs=artifacts/logs
mkdir -p "$logs"

started=$(date +%s)
echo "building the fuzz targets (sanitizer: $sanitizer)"
if ! cargo +nightly fuzz build -s "$sanitizer"; then
    echo "FAILED: the fuzz targets do not build"
    exit 1
fi
built=$(date +%s)
echo "built in $((built - started)) s"

failed=0
summary=()
for target in $targets; do
    mkdir -p "$corpus_root/$target" "artifacts/$target"
    log="$logs/$target.log"
    t0=$(date +%s)
    # One process per target, one after the other (one core, like -jobs=1).
    # shellcheck disable=SC2086
    cargo +nightly fuzz run -s "$sanitizer" "$target" "$corpus_root/$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 -dict=dict/lambda.dict ${FUZZ_ARGS:-} \
        >"$log" 2>&1
    status=$?
    t1=$(date +%s)
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    runs=${runs:-?}
    if [ "$status" -ne 0 ]; then
        failed=1
        verdict="CRASH (exit $status; see $log and artifacts/$target/)"
        grep -E "panicked at|^thread '|Test unit written|SUMMARY" "$log" | head -6
    else
        verdict="ok"
    fi
    printf '%-18s %6s s  %10s executions  %s\n' "$target" "$((t1 - t0))" "$runs" "$verdict"
    summary+=("$(printf '%-18s %6s s  %10s executions  %s' "$target" "$((t1 - t0))" "$runs" "$verdict")")
done

echo
echo "fuzz smoke: build $((built - started)) s, total $(($(date +%s) - started)) s"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "FAILED: a fuzz target crashed"
    exit 1
fi
echo "ok: no crash"
