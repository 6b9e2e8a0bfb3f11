#!/usr/bin/env bash
# CI: checks the AWS SAM templates under deploy/ (one per example Lambda
# function):
#   1. .ci/check_templates.py --self-test: each mistake the check exists for
#      (a misspelt FunctionResponseTypes / ReportBatchItemFailures /
#      BisectBatchOnFunctionError, a FIFO batch size of 50, a visibility
#      timeout under 6 x the function timeout, no redrive policy, no
#      on-failure destination, unbounded retries, an idempotency table
#      without TTL, ...) is planted in a copy
#      of the templates and must fail with its message; the copies must pass
#      unmodified;
#   2. .ci/check_templates.py on the templates: what the project's rules
#      (runtime/src/aws_rules.md) require of every event source mapping, which the
#      linters below do not look at;
#   3. cfn-lint, against the CloudFormation resource schemas it ships;
#   4. sam validate --lint (AWS SAM CLI; offline, with a region set).
# Fails on any error (cfn-lint warnings are printed too and also fail: the
# templates are meant to be clean).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- installing cfn-lint 1.x and the AWS SAM CLI 1.x"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
    'cfn-lint>=1.0,<2' 'aws-sam-cli>=1.100,<2'
cfn-lint --version
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-eu-west-1}
sam --version

templates=(deploy/*/template.yaml)
[ -e "${templates[0]}" ] || { echo "no deploy/*/template.yaml found" >&2; exit 1; }

echo "--- .ci/check_templates.py --self-test (each planted mistake must be caught)"
python3 .ci/check_templates.py --self-test deploy
echo "--- .ci/check_templates.py ${templates[*]}"
python3 .ci/check_templates.py "${templates[@]}"
echo "--- cfn-lint ${templates[*]}"
cfn-lint -- "${templates[@]}"
for template in "${templates[@]}"; do
    echo "--- sam validate --lint --template-file $template"
    sam validate --lint --template-file "$template"
done
echo "templates: ${#templates[@]} checked, linted by cfn-lint and sam validate --lint, no errors or warnings"
