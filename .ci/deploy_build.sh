#!/usr/bin/env bash
# CI: the Lambda functions built exactly as the README's "Deploy" section
# says (every `cargo lambda build` line is read from README.md and run, so
# the two cannot drift), and what users deploy carries nothing it does not
# need:
#   - no test machinery: the testkit's fault-injection hook (whose texts are
#     "injected panic" and "injected error") must not be in any bootstrap;
#     a build that selects more than a function package lets cargo unify
#     the testkit's feature into them;
#   - no HTTP/2 client (the h2 crate) in any function but those of
#     H2_ALLOWED: lambda-batch's `dynamodb-store` feature (the AWS SDK) turns
#     on hyper's `http2`, and one build of its package with another unifies
#     that into lambda_runtime's Runtime API client of every function
#     (+0.9 MB). h2 is recognised by the text of one of its errors,
#     H2_MARKER, which must be found in the functions allowed it, so a
#     marker that h2 no longer carries fails here instead of passing
#     silently.
# Each line must select exactly one package (`-p <package>`), and after all
# of them every template's CodeUri (deploy/*/template.yaml) must hold a
# bootstrap: the documented lines build every deployed function.
set -euo pipefail
cd "$(dirname "$0")/.."

# The functions that may (and must) carry h2: the DynamoDB store's.
H2_ALLOWED=(idempotent_payments)
# A text only h2 puts in a binary (h2::frame::Reason's description of
# FRAME_SIZE_ERROR).
H2_MARKER='frame with invalid size'

echo "--- installing cargo-lambda (PyPI package, ships the binary and zig)"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.8,<2'

mapfile -t commands < <(grep -E '^cargo lambda build ' README.md)
[ "${#commands[@]}" -gt 0 ] || {
    echo "FAIL: README.md shows no 'cargo lambda build' line in its Deploy section" >&2
    exit 1
}
for command in "${commands[@]}"; do
    packages=$(grep -oE '(^| )(-p|--package)( |=)[^ ]+' <<<"$command" | wc -l)
    if [ "$packages" -ne 1 ] || grep -qE ' --(workspace|all)( |$)' <<<"$command"; then
        echo "FAIL: README.md shows '$command': select exactly one package (-p <package>) per command," \
            "or cargo unifies the features of the packages selected into every function" >&2
        exit 1
    fi
done
# The guide and deploy/README.md show the same commands: every copy must be
# one of the README's, so none of them drifts into a build that carries the
# hook or h2.
while IFS= read -r shown; do
    found=0
    for command in "${commands[@]}"; do [ "$shown" = "$command" ] && found=1; done
    [ "$found" -eq 1 ] || {
        echo "FAIL: a doc shows '$shown', which is none of README.md's 'cargo lambda build' lines: make it one of them" >&2
        exit 1
    }
done < <(grep -rhE '^\s*cargo lambda build ' README.md book/src deploy/README.md | sed -E 's/^\s+//')

target="${CARGO_TARGET_DIR:-target}"
# Only what these commands build is checked: no bootstrap left from another build.
rm -rf "$target/lambda"
for command in "${commands[@]}"; do
    echo "--- $command   (from README.md)"
    $command
done

status=0
for template in deploy/*/template.yaml; do
    while IFS= read -r code; do
        function=$(basename "$code")
        [ -f "$target/lambda/$function/bootstrap" ] || {
            echo "FAIL: $template deploys $code, but README.md's build lines built no $target/lambda/$function/bootstrap: add a line for its package" >&2
            status=1
        }
    done < <(grep -oE 'CodeUri: *\S*target/lambda/[^/ ]+' "$template" | sed -E 's/^CodeUri: *//')
done

for binary in "$target"/lambda/*/bootstrap; do
    function=$(basename "$(dirname "$binary")")
    size=$(stat -c %s "$binary")
    h2_allowed=0
    for allowed in "${H2_ALLOWED[@]}"; do [ "$function" = "$allowed" ] && h2_allowed=1; done
    verdict="no fault-injection hook"
    if grep -q -a -E "injected panic|injected error" "$binary"; then
        echo "FAIL: $function ($size bytes) contains the fault-injection hook: the documented build unified a test-only feature into it; build the function package alone (-p)" >&2
        status=1
        continue
    fi
    if grep -q -a -F "$H2_MARKER" "$binary"; then
        if [ "$h2_allowed" -eq 0 ]; then
            echo "FAIL: $function ($size bytes) contains h2 (the HTTP/2 client, text '$H2_MARKER'): its package, or another package of the same command, enables lambda-batch's dynamodb-store feature (the AWS SDK turns on hyper's http2): keep that feature in the packages of H2_ALLOWED's functions and build each function package with a command of its own" >&2
            status=1
            continue
        fi
        verdict="$verdict, h2 (the DynamoDB store's client)"
    elif [ "$h2_allowed" -eq 1 ]; then
        echo "FAIL: $function ($size bytes) should have h2 (its AWS SDK client) but the text '$H2_MARKER' is not in it: h2 no longer carries it; pick another text only h2 has and set H2_MARKER in $0" >&2
        status=1
        continue
    else
        verdict="$verdict, no h2"
    fi
    echo "   ok    $function: $size bytes, $verdict"
done
[ "$status" -eq 0 ] || exit 1
echo "deploy build: README.md's ${#commands[@]} commands build every deployed function, without test machinery, h2 only in ${H2_ALLOWED[*]}"
