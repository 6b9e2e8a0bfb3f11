#!/usr/bin/env bash
# CI: lints the AWS SAM templates under deploy/ (one per example Lambda
# function) with cfn-lint, against the CloudFormation resource schemas and
# the SAM transform that cfn-lint ships. Fails on any error (warnings are
# printed too and also fail: the templates are meant to be clean).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "--- installing cfn-lint 1.x"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check 'cfn-lint>=1.0,<2'
cfn-lint --version

templates=(deploy/*/template.yaml)
[ -e "${templates[0]}" ] || { echo "no deploy/*/template.yaml found" >&2; exit 1; }
echo "--- cfn-lint ${templates[*]}"
cfn-lint -- "${templates[@]}"
echo "templates: ${#templates[@]} linted, no errors or warnings"
