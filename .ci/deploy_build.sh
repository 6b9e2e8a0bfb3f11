#!/usr/bin/env bash
# CI: the Lambda functions built exactly as the README's "Deploy" section
# says (its `cargo lambda build` line is read from README.md, so the two
# cannot drift), and what users deploy has no test machinery: the testkit's
# fault-injection hook (whose texts are "injected panic" and "injected
# error") must not be in any bootstrap binary. A build that selects more
# than the function package lets cargo unify the testkit's feature into
# them; this step fails then.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- installing cargo-lambda (PyPI package, ships the binary and zig)"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.8,<2'

command=$(grep -E '^cargo lambda build ' README.md | head -1)
[ -n "$command" ] || { echo "FAIL: README.md shows no 'cargo lambda build' line in its Deploy section" >&2; exit 1; }
# The guide and deploy/README.md show the same command: every copy must be
# this one, so none of them drifts into a build that carries the hook.
while IFS= read -r shown; do
    [ "$shown" = "$command" ] || { echo "FAIL: a doc shows '$shown', the README '$command': make them the same" >&2; exit 1; }
done < <(grep -rhE '^\s*cargo lambda build ' README.md book/src deploy/README.md | sed -E 's/^\s+//')
echo "--- $command   (from README.md)"
$command

status=0
for binary in "${CARGO_TARGET_DIR:-target}"/lambda/*/bootstrap; do
    function=$(basename "$(dirname "$binary")")
    size=$(stat -c %s "$binary")
    if grep -q -a -E "injected panic|injected error" "$binary"; then
        echo "FAIL: $function ($size bytes) contains the fault-injection hook: the documented build unified a test-only feature into it; build the function package alone (-p)" >&2
        status=1
    else
        echo "   ok    $function: $size bytes, no fault-injection hook"
    fi
done
[ "$status" -eq 0 ] || exit 1
echo "deploy build: the README's command builds functions without test machinery"
