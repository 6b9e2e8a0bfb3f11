#!/usr/bin/env python3
"""Checks the AWS SAM templates under deploy/ for what the project's rules
(runtime/src/aws_rules.md) require of an event source mapping, which cfn-lint and
`sam validate --lint` do not look at:

- every mapping (SAM `Events` of type SQS, Kinesis, DynamoDB, MSK and
  SelfManagedKafka, and every raw AWS::Lambda::EventSourceMapping) has
  `FunctionResponseTypes: [ReportBatchItemFailures]`;
- a SAM event has only the properties AWS SAM documents for its type, so a
  misspelt name fails instead of being dropped;
- SQS: a FIFO queue's mapping has a batch size of at most 10 and no batching
  window; a standard queue's batch size above 10 has a window of at least
  1 s; the queue's `VisibilityTimeout` is at least 6 x the function timeout
  + the batching window; the queue has a `RedrivePolicy` with a
  `deadLetterTargetArn` (a dead-letter queue of the same kind, FIFO or not)
  and a `maxReceiveCount` of at least 5;
- Kinesis and DynamoDB: `BisectBatchOnFunctionError: true`, bounded
  `MaximumRetryAttempts` and `MaximumRecordAgeInSeconds`, and an on-failure
  destination (`DestinationConfig.OnFailure.Destination`);
- Kafka (MSK, SelfManagedKafka): provisioned mode (`ProvisionedPollerConfig`,
  which the error-handling settings need), bounded `MaximumRetryAttempts` and
  an on-failure destination;
- an idempotency table (an AWS::DynamoDB::Table a function's environment
  variable `IDEMPOTENCY_TABLE` names, for lambda_batch's DynamoDbStore): one
  String partition key and no sort key, TTL enabled, and the function's
  policies allowing dynamodb:PutItem, DeleteItem and BatchGetItem on it.

Usage:
    check_templates.py TEMPLATE...   check these templates (exit 1 on a finding)
    check_templates.py --self-test   plant each known mistake in a copy of the
                                     deploy/ templates and show it is caught

Python 3 standard library plus PyYAML (a dependency of cfn-lint and
aws-sam-cli, which .ci/templates.sh installs first).
"""

import difflib
import json
import os
import shutil
import sys
import tempfile

import yaml

# --- the properties AWS SAM documents for each event source type ----------
# Taken from the AWS SAM developer guide (the same lists as aws-sam-translator
# 1.115's internal/schema_source/sam-docs.json). A property that is not listed
# here is a misspelling or a property of another source type.

SAM_GUIDE = "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/"

KNOWN_EVENT_PROPERTIES = {
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-sqs.html
    "SQS": {
        "BatchSize", "Enabled", "FilterCriteria", "FunctionResponseTypes", "KmsKeyArn",
        "MaximumBatchingWindowInSeconds", "MetricsConfig", "ProvisionedPollerConfig",
        "Queue", "ScalingConfig",
    },
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-kinesis.html
    "Kinesis": {
        "BatchSize", "BisectBatchOnFunctionError", "DestinationConfig", "Enabled",
        "FilterCriteria", "FunctionResponseTypes", "KmsKeyArn",
        "MaximumBatchingWindowInSeconds", "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts", "MetricsConfig", "ParallelizationFactor",
        "StartingPosition", "StartingPositionTimestamp", "Stream",
        "TumblingWindowInSeconds",
    },
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-dynamodb.html
    # (the same properties as a Kinesis event)
    "DynamoDB": None,
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-msk.html
    "MSK": {
        "BatchSize", "BisectBatchOnFunctionError", "ConsumerGroupId", "DestinationConfig",
        "Enabled", "FilterCriteria", "FunctionResponseTypes", "KmsKeyArn", "LoggingConfig",
        "MaximumBatchingWindowInSeconds", "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts", "MetricsConfig", "ProvisionedPollerConfig",
        "SchemaRegistryConfig", "SourceAccessConfigurations", "StartingPosition",
        "StartingPositionTimestamp", "Stream", "Topics",
    },
    # https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-function-selfmanagedkafka.html
    "SelfManagedKafka": {
        "BatchSize", "BisectBatchOnFunctionError", "ConsumerGroupId", "DestinationConfig",
        "Enabled", "FilterCriteria", "FunctionResponseTypes", "KafkaBootstrapServers",
        "KmsKeyArn", "LoggingConfig", "MaximumRecordAgeInSeconds", "MaximumRetryAttempts",
        "MetricsConfig", "ProvisionedPollerConfig", "SchemaRegistryConfig",
        "SourceAccessConfigurations", "StartingPosition", "StartingPositionTimestamp",
        "Topics",
    },
}
KNOWN_EVENT_PROPERTIES["DynamoDB"] = KNOWN_EVENT_PROPERTIES["Kinesis"]

DOC_PAGE = {
    "SQS": "sam-property-function-sqs.html",
    "Kinesis": "sam-property-function-kinesis.html",
    "DynamoDB": "sam-property-function-dynamodb.html",
    "MSK": "sam-property-function-msk.html",
    "SelfManagedKafka": "sam-property-function-selfmanagedkafka.html",
}
# The writable properties of AWS::Lambda::EventSourceMapping:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventsourcemapping.html
KNOWN_ESM_PROPERTIES = {
    "AmazonManagedKafkaEventSourceConfig", "BatchSize", "BisectBatchOnFunctionError",
    "DestinationConfig", "DocumentDBEventSourceConfig", "Enabled", "EventSourceArn",
    "FilterCriteria", "FunctionName", "FunctionResponseTypes", "KmsKeyArn", "LoggingConfig",
    "MaximumBatchingWindowInSeconds", "MaximumRecordAgeInSeconds", "MaximumRetryAttempts",
    "MetricsConfig", "ParallelizationFactor", "ProvisionedPollerConfig", "Queues",
    "ScalingConfig", "SelfManagedEventSource", "SelfManagedKafkaEventSourceConfig",
    "SourceAccessConfigurations", "StartingPosition", "StartingPositionTimestamp", "Tags",
    "Topics", "TumblingWindowInSeconds",
}
ESM_DOC = ("https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
           "aws-resource-lambda-eventsourcemapping.html")

STREAMS = ("Kinesis", "DynamoDB")
KAFKA = ("MSK", "SelfManagedKafka")
DEFAULT_FUNCTION_TIMEOUT = 3  # seconds, AWS's default
DEFAULT_VISIBILITY_TIMEOUT = 30  # seconds, SQS's default
DEFAULT_SQS_BATCH_SIZE = 10
MIN_MAX_RECEIVE_COUNT = 5  # AWS's advice for queues read by Lambda
RULES = "runtime/src/aws_rules.md"


# --- reading CloudFormation YAML ---------------------------------------------

class CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads the short-form intrinsic functions (`!Ref X`,
    `!GetAtt X.Arn`, `!Sub ...`, any `!Tag`) as their long form."""


def _intrinsic(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Fn::" + suffix: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


class Finding:
    def __init__(self, where, problem, fix):
        self.where, self.problem, self.fix = where, problem, fix

    def line(self, template):
        return f"{template}: {self.where}: {self.problem} {self.fix}"


class Template:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.doc = yaml.load(f, Loader=CfnLoader) or {}
        self.resources = self.doc.get("Resources") or {}
        self.parameters = self.doc.get("Parameters") or {}
        self.globals = ((self.doc.get("Globals") or {}).get("Function")) or {}

    def target(self, value):
        """The resource a `!Ref X` / `!GetAtt X.Attr` points at: (name, attr)."""
        if isinstance(value, dict) and len(value) == 1:
            if "Ref" in value and value["Ref"] in self.resources:
                return value["Ref"], None
            getatt = value.get("Fn::GetAtt")
            if isinstance(getatt, list) and len(getatt) == 2 and getatt[0] in self.resources:
                return getatt[0], getatt[1]
        return None, None

    def resource_type(self, name):
        return (self.resources.get(name) or {}).get("Type")

    def props(self, name):
        return (self.resources.get(name) or {}).get("Properties") or {}

    def value(self, value):
        """A literal, or a `!Ref` to a parameter resolved to its Default.
        Returns (value, parameter name or None); value None if unresolvable."""
        if isinstance(value, dict):
            if set(value) == {"Ref"} and value["Ref"] in self.parameters:
                name = value["Ref"]
                return self.parameters[name].get("Default"), name
            return None, None
        return value, None

    def number(self, value):
        raw, param = self.value(value)
        try:
            return (int(raw) if raw is not None and not isinstance(raw, bool) else None), param
        except (TypeError, ValueError):
            return None, param

    def boolean(self, value):
        raw, _ = self.value(value)
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        return None


def show(value):
    """A property value as written in the template (short-form intrinsics)."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"!Ref {arg}"
        if key == "Fn::GetAtt" and isinstance(arg, list):
            return "!GetAtt " + ".".join(map(str, arg))
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def did_you_mean(word, choices):
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


# --- the mappings of a template ----------------------------------------------

class Mapping:
    """One event source mapping: a SAM event or a raw EventSourceMapping."""

    def __init__(self, kind, props, function, resource, prefix, raw):
        self.kind, self.props, self.function = kind, props, function
        self.resource, self.prefix, self.raw = resource, prefix, raw

    def at(self, prop):
        return f"resource {self.resource}, property {self.prefix}{prop}"

    @property
    def name(self):
        if self.raw:
            return self.resource
        return f"{self.resource} {self.prefix[:-len('.Properties.')]}"


def raw_mapping_kind(tpl, props):
    if "SelfManagedEventSource" in props:
        return "SelfManagedKafka"
    arn = props.get("EventSourceArn")
    name, _ = tpl.target(arn)
    by_type = {
        "AWS::SQS::Queue": "SQS", "AWS::Kinesis::Stream": "Kinesis",
        "AWS::Kinesis::StreamConsumer": "Kinesis", "AWS::DynamoDB::Table": "DynamoDB",
        "AWS::MSK::Cluster": "MSK", "AWS::MSK::ServerlessCluster": "MSK",
    }
    if name:
        return by_type.get(tpl.resource_type(name))
    text = arn if isinstance(arn, str) else json.dumps(arn)
    for needle, kind in ((":sqs:", "SQS"), (":kinesis:", "Kinesis"), (":dynamodb:", "DynamoDB"),
                         (":kafka:", "MSK")):
        if needle in text:
            return kind
    if "Topics" in props:
        return "MSK"
    return None


def mappings(tpl, findings):
    found = []
    for rname, res in tpl.resources.items():
        rtype = (res or {}).get("Type")
        props = (res or {}).get("Properties") or {}
        if rtype == "AWS::Serverless::Function":
            for ename, event in (props.get("Events") or {}).items():
                etype = (event or {}).get("Type")
                if etype not in KNOWN_EVENT_PROPERTIES:
                    continue
                eprops = event.get("Properties")
                prefix = f"Events.{ename}.Properties."
                if not isinstance(eprops, dict):
                    findings.append(Finding(
                        f"resource {rname}, property Events.{ename}",
                        f"the {etype} event has no Properties.",
                        f"Add Properties (see {SAM_GUIDE}{DOC_PAGE[etype]})."))
                    continue
                found.append(Mapping(etype, eprops, rname, rname, prefix, raw=False))
        elif rtype == "AWS::Lambda::EventSourceMapping":
            kind = raw_mapping_kind(tpl, props)
            function, _ = tpl.target(props.get("FunctionName"))
            mapping = Mapping(kind, props, function, rname, "Properties.", raw=True)
            if kind is None:
                findings.append(Finding(
                    f"resource {rname}, property Properties.EventSourceArn",
                    "the kind of event source (SQS, Kinesis, DynamoDB, Kafka) cannot be told "
                    "from the EventSourceArn, so the mapping's settings cannot be checked.",
                    "Point EventSourceArn at a queue, stream or table of this template "
                    "with !GetAtt, or use a SAM event on the function instead."))
                check_response_types(mapping, findings)
                continue
            found.append(mapping)
    return found


# --- the checks -----------------------------------------------------------------

def check_properties(tpl, m, findings):
    known = KNOWN_ESM_PROPERTIES if m.raw else KNOWN_EVENT_PROPERTIES[m.kind]
    doc = ESM_DOC if m.raw else SAM_GUIDE + DOC_PAGE[m.kind]
    what = "an AWS::Lambda::EventSourceMapping" if m.raw else f"a SAM {m.kind} event"
    for prop in m.props:
        if prop not in known:
            findings.append(Finding(
                m.at(prop),
                f"{prop} is not a property of {what}{did_you_mean(prop, known)}: the "
                "deployment fails in the SAM transform, or the setting never applies "
                "(cfn-lint and sam validate let it pass).",
                f"Fix the name (the known properties are listed at {doc})."))


def check_response_types(m, findings):
    value = m.props.get("FunctionResponseTypes")
    why = ("Lambda ignores the batchItemFailures the handler returns and retries or "
           "deletes whole batches.")
    fix = "Set FunctionResponseTypes: [ReportBatchItemFailures]."
    if value is None:
        findings.append(Finding(m.at("FunctionResponseTypes"),
                                "the mapping has no FunctionResponseTypes, so " + why, fix))
        return
    if value != ["ReportBatchItemFailures"]:
        odd = [v for v in (value if isinstance(value, list) else [value])
               if v != "ReportBatchItemFailures"]
        hint = "".join(f" {show(v)} is not a response type{did_you_mean(str(v), ['ReportBatchItemFailures'])}."
                       for v in odd)
        findings.append(Finding(
            m.at("FunctionResponseTypes"),
            f"FunctionResponseTypes is {show(value)}, not [ReportBatchItemFailures]:{hint} "
            "As written, " + why, fix))


def check_sqs(tpl, m, timeout, findings):
    key = "EventSourceArn" if m.raw else "Queue"
    queue, attr = tpl.target(m.props.get(key))
    if not queue or tpl.resource_type(queue) != "AWS::SQS::Queue" or attr != "Arn":
        findings.append(Finding(
            m.at(key),
            f"{key} is {show(m.props.get(key))}, not the ARN of a queue defined in this "
            "template, so the queue's visibility timeout and dead-letter queue cannot be checked.",
            "Define the queue in this template and set "
            f"{key}: !GetAtt <QueueResource>.Arn."))
        return None
    qprops = tpl.props(queue)
    fifo = is_fifo(tpl, qprops)
    batch, _ = tpl.number(m.props.get("BatchSize", DEFAULT_SQS_BATCH_SIZE))
    has_window = "MaximumBatchingWindowInSeconds" in m.props
    window, _ = tpl.number(m.props.get("MaximumBatchingWindowInSeconds", 0))
    if fifo:
        if batch is None or batch > 10:
            findings.append(Finding(
                m.at("BatchSize"),
                f"BatchSize is {show(m.props.get('BatchSize'))}, but the mapping of a FIFO "
                f"queue ({queue}) takes at most 10 messages per batch; AWS refuses the mapping.",
                "Set BatchSize to 10 or less."))
        if has_window:
            findings.append(Finding(
                m.at("MaximumBatchingWindowInSeconds"),
                f"a FIFO queue ({queue}) takes no batching window; AWS refuses the mapping.",
                "Remove MaximumBatchingWindowInSeconds."))
        window = 0  # refused above if set; it does not add to the visibility need
    elif batch is not None and batch > 10 and (window is None or window < 1):
        findings.append(Finding(
            m.at("MaximumBatchingWindowInSeconds"),
            f"BatchSize is {batch}, and a batch size above 10 needs a batching window of at "
            "least 1 s; AWS refuses the mapping.",
            "Set MaximumBatchingWindowInSeconds to 1 or more, or BatchSize to 10 or less."))
    check_visibility(tpl, m, queue, qprops, timeout, window, findings)
    check_redrive(tpl, queue, qprops, fifo, findings)
    return queue, fifo


def is_fifo(tpl, qprops):
    name, _ = tpl.value(qprops.get("QueueName"))
    return bool(tpl.boolean(qprops.get("FifoQueue"))) or (
        isinstance(name, str) and name.endswith(".fifo"))


def check_visibility(tpl, m, queue, qprops, timeout, window, findings):
    where = f"resource {queue}, property VisibilityTimeout"
    visibility, param = tpl.number(qprops.get("VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT))
    if timeout is None or window is None or visibility is None:
        findings.append(Finding(
            where, "the visibility timeout, the function timeout or the batching window "
            f"of {m.name} is not a number or a parameter with a Default, so the "
            "visibility timeout cannot be checked.",
            "Write them as numbers (or !Ref a parameter with a numeric Default)."))
        return
    need = 6 * timeout + window
    if visibility < need:
        written = "not set (SQS's default is 30 s)" if "VisibilityTimeout" not in qprops else \
            f"{visibility} s" + (f" (parameter {param}'s Default)" if param else "")
        findings.append(Finding(
            where,
            f"the visibility timeout is {written}, below 6 x the function timeout "
            f"({timeout} s, {m.function}) + the batching window ({window} s) = {need} s "
            f"(mapping {m.name}): throttled or slow batches come back while still being "
            "handled, and every return counts toward maxReceiveCount.",
            f"Set VisibilityTimeout to at least {need} (see {RULES}, SQS: visibility timeout)."))


def check_redrive(tpl, queue, qprops, fifo, findings):
    where = f"resource {queue}, property RedrivePolicy"
    policy = qprops.get("RedrivePolicy")
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            policy = None
    if not isinstance(policy, dict):
        findings.append(Finding(
            where,
            f"the queue has no RedrivePolicy: a message that keeps failing comes back again "
            "and again until its retention ends, then is deleted unseen.",
            "Add RedrivePolicy with deadLetterTargetArn (!GetAtt <DeadLetterQueue>.Arn) and "
            f"maxReceiveCount (at least {MIN_MAX_RECEIVE_COUNT})."))
        return
    target = policy.get("deadLetterTargetArn")
    if target is None:
        findings.append(Finding(
            where + ".deadLetterTargetArn",
            "the redrive policy names no dead-letter queue.",
            "Set deadLetterTargetArn: !GetAtt <DeadLetterQueue>.Arn."))
    else:
        dlq, _ = tpl.target(target)
        if dlq and tpl.resource_type(dlq) == "AWS::SQS::Queue" and is_fifo(tpl, tpl.props(dlq)) != fifo:
            kind = "FIFO" if fifo else "standard"
            findings.append(Finding(
                where + ".deadLetterTargetArn",
                f"the dead-letter queue {dlq} is {'not ' if fifo else ''}a FIFO queue, but "
                f"the dead-letter queue of a {kind} queue must be {kind} too.",
                f"{'Set' if fifo else 'Remove'} FifoQueue: true on {dlq}."))
    count, param = tpl.number(policy.get("maxReceiveCount"))
    if "maxReceiveCount" not in policy:
        findings.append(Finding(
            where + ".maxReceiveCount",
            "the redrive policy has no maxReceiveCount.",
            f"Set maxReceiveCount to {MIN_MAX_RECEIVE_COUNT} or more."))
    elif count is None or count < MIN_MAX_RECEIVE_COUNT:
        findings.append(Finding(
            where + ".maxReceiveCount",
            f"maxReceiveCount is {show(policy.get('maxReceiveCount'))}"
            + (f" (Default {count})" if param else "")
            + f", below {MIN_MAX_RECEIVE_COUNT}: throttled receives count too, so messages "
            "that never failed can reach the dead-letter queue.",
            f"Set it to {MIN_MAX_RECEIVE_COUNT} or more."))


def check_bounded(tpl, m, prop, findings, unit, allowed):
    value = m.props.get(prop)
    if value is None:
        findings.append(Finding(
            m.at(prop),
            f"{prop} is not set, so it is -1 (no limit): a failing batch is retried until "
            f"its records expire, holding up its {unit} the whole time.",
            f"Set {prop} ({allowed})."))
        return
    number, param = tpl.number(value)
    if param is not None:
        spec = tpl.parameters[param]
        low, _ = tpl.number(spec.get("MinValue"))
        if number is None or number < 0 or low is None or low < 0:
            findings.append(Finding(
                m.at(prop),
                f"{prop} is !Ref {param}, and that parameter allows -1 (no limit) or has no "
                "numeric Default.",
                f"Give parameter {param} a Default and MinValue: 0 or more ({allowed})."))
        return
    if number is None or number < 0:
        findings.append(Finding(
            m.at(prop),
            f"{prop} is {show(value)}, which means no limit: a failing batch is retried until "
            f"its records expire, holding up its {unit} the whole time.",
            f"Set {prop} ({allowed})."))


def check_stream_or_kafka(tpl, m, findings):
    unit = "partition" if m.kind in KAFKA else "shard"
    if m.kind in STREAMS:
        bisect = m.props.get("BisectBatchOnFunctionError")
        if tpl.boolean(bisect) is not True:
            findings.append(Finding(
                m.at("BisectBatchOnFunctionError"),
                ("BisectBatchOnFunctionError is not set" if bisect is None
                 else f"BisectBatchOnFunctionError is {show(bisect)}")
                + ": after a function error Lambda retries the whole batch instead of "
                "splitting it to isolate the bad record.",
                "Set BisectBatchOnFunctionError: true."))
    if m.kind in KAFKA and "ProvisionedPollerConfig" not in m.props:
        findings.append(Finding(
            m.at("ProvisionedPollerConfig"),
            "the Kafka mapping is not in provisioned mode: Lambda applies retries, bisection, "
            "on-failure destinations and ReportBatchItemFailures only in provisioned mode.",
            "Add ProvisionedPollerConfig with MinimumPollers and MaximumPollers."))
    check_bounded(tpl, m, "MaximumRetryAttempts", findings, unit, "0 to 10000")
    if m.kind in STREAMS:
        check_bounded(tpl, m, "MaximumRecordAgeInSeconds", findings, unit, "60 to 604800")
    on_failure = (m.props.get("DestinationConfig") or {}).get("OnFailure") or {}
    if not isinstance(on_failure, dict) or on_failure.get("Destination") is None:
        findings.append(Finding(
            m.at("DestinationConfig.OnFailure"),
            f"the mapping has no on-failure destination: records given up after the retries "
            "are dropped without a trace.",
            "Add DestinationConfig: {OnFailure: {Type: SQS, Destination: "
            "!GetAtt <Queue>.Arn}} (for a raw mapping, OnFailure: {Destination: <ARN>})."))


# --- idempotency tables (lambda_batch::idempotency::DynamoDbStore) ----------

IDEMPOTENCY_VARIABLE = "IDEMPOTENCY_TABLE"
# What the store calls: its transactions' puts and deletes are authorized as
# PutItem and DeleteItem, its reads are BatchGetItem.
STORE_ACTIONS = ("dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchGetItem")
# SAM policy templates that grant all of STORE_ACTIONS on their TableName.
SAM_TABLE_POLICIES = ("DynamoDBCrudPolicy",)
STORE_GUIDE = "book/src/idempotency-dynamodb.md"


def idempotency_tables(tpl):
    """(function, table) for each function whose IDEMPOTENCY_TABLE is !Ref a table."""
    found = []
    for fname, res in tpl.resources.items():
        if (res or {}).get("Type") != "AWS::Serverless::Function":
            continue
        variables = ((tpl.props(fname).get("Environment") or {}).get("Variables")) or {}
        table, _ = tpl.target(variables.get(IDEMPOTENCY_VARIABLE))
        if table and tpl.resource_type(table) == "AWS::DynamoDB::Table":
            found.append((fname, table))
    return found


def names_table(tpl, resource, table):
    """True if an IAM Resource (string, intrinsic or list) covers `table`."""
    if isinstance(resource, list):
        return any(names_table(tpl, r, table) for r in resource)
    if resource == "*":
        return True
    name, _ = tpl.target(resource)
    if name == table:
        return True
    sub = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    return isinstance(sub, str) and ("${" + table + "}" in sub or "${" + table + ".Arn}" in sub)


def granted_actions(tpl, function, table):
    """The dynamodb actions the function's SAM Policies allow on `table`."""
    actions = set()
    policies = tpl.props(function).get("Policies") or []
    for policy in policies if isinstance(policies, list) else [policies]:
        if not isinstance(policy, dict):
            continue
        for template in SAM_TABLE_POLICIES:
            if template in policy:
                target, _ = tpl.target((policy[template] or {}).get("TableName"))
                if target == table:
                    actions.update(STORE_ACTIONS)
        statements = policy.get("Statement") or []
        for st in statements if isinstance(statements, list) else [statements]:
            if not isinstance(st, dict) or st.get("Effect") != "Allow":
                continue
            if not names_table(tpl, st.get("Resource"), table):
                continue
            listed = st.get("Action") or []
            for action in listed if isinstance(listed, list) else [listed]:
                if action in ("*", "dynamodb:*"):
                    actions.update(STORE_ACTIONS)
                elif isinstance(action, str):
                    actions.add(action)
    return actions


def check_idempotency_table(tpl, function, table, findings):
    props = tpl.props(table)
    keys = props.get("KeySchema") or []
    types = {d.get("AttributeName"): d.get("AttributeType")
             for d in props.get("AttributeDefinitions") or [] if isinstance(d, dict)}
    hash_keys = [k.get("AttributeName") for k in keys if isinstance(k, dict) and k.get("KeyType") == "HASH"]
    if len(keys) != 1 or len(hash_keys) != 1 or types.get(hash_keys[0]) != "S":
        findings.append(Finding(
            f"resource {table}, property KeySchema",
            f"the idempotency table of {function} must have one String partition key and no "
            f"sort key (KeySchema is {show([k.get('AttributeName') for k in keys if isinstance(k, dict)])}): "
            "the store writes only the partition key, so every claim fails with a "
            "ValidationException and every record fails.",
            "Use KeySchema: [{AttributeName: id, KeyType: HASH}] with id of AttributeType S "
            f"(another name needs DynamoDbStore::with_key_attribute; see {STORE_GUIDE})."))
    ttl = props.get("TimeToLiveSpecification") or {}
    if not isinstance(ttl, dict) or tpl.boolean(ttl.get("Enabled")) is not True:
        findings.append(Finding(
            f"resource {table}, property TimeToLiveSpecification",
            f"the idempotency table of {function} has no TimeToLiveSpecification with Enabled: "
            "true, so nothing ever leaves it: one item per record handled, kept forever.",
            "Add TimeToLiveSpecification: {AttributeName: expiration, Enabled: true} (the "
            "attribute the store writes; see DynamoDbStore::with_ttl_attribute)."))
    missing = [a for a in STORE_ACTIONS if a not in granted_actions(tpl, function, table)]
    if missing:
        findings.append(Finding(
            f"resource {function}, property Policies",
            f"the function's policies do not allow {', '.join(missing)} on its idempotency "
            f"table {table}: the store's calls that need them fail with AccessDeniedException "
            "(TransactWriteItems is authorized per action it contains): without PutItem every "
            "claim, so every record fails; without DeleteItem every settling that releases a "
            "claim, its results included; without BatchGetItem every read.",
            f"Allow {', '.join(STORE_ACTIONS)} on !GetAtt {table}.Arn in the function's Policies."))


def function_timeout(tpl, function):
    """The function's Timeout: its own, else Globals (SAM), else AWS's 3 s."""
    rtype = tpl.resource_type(function)
    props = tpl.props(function)
    if "Timeout" in props:
        value = props["Timeout"]
    elif rtype == "AWS::Serverless::Function" and "Timeout" in tpl.globals:
        value = tpl.globals["Timeout"]
    else:
        value = DEFAULT_FUNCTION_TIMEOUT
    return tpl.number(value)[0]


def check_template(path):
    """Returns (findings, summary lines) for one template."""
    tpl = Template(path)
    findings, summary = [], []
    for m in mappings(tpl, findings):
        check_properties(tpl, m, findings)
        check_response_types(m, findings)
        if m.kind == "SQS":
            if not m.function:
                findings.append(Finding(
                    m.at("FunctionName"),
                    "the function is not defined in this template, so its timeout cannot be "
                    "checked against the queue's visibility timeout.",
                    "Set FunctionName: !Ref <FunctionResource>."))
                continue
            timeout = function_timeout(tpl, m.function)
            queue = check_sqs(tpl, m, timeout, findings)
            if queue:
                summary.append(f"{m.name}: SQS {'FIFO' if queue[1] else 'standard'} queue {queue[0]}")
        else:
            check_stream_or_kafka(tpl, m, findings)
            summary.append(f"{m.name}: {m.kind}")
    for function, table in idempotency_tables(tpl):
        check_idempotency_table(tpl, function, table, findings)
        summary.append(f"{function}: idempotency table {table}")
    # One queue read by two mappings would report its redrive twice.
    unique, seen = [], set()
    for f in findings:
        if (f.where, f.problem) not in seen:
            seen.add((f.where, f.problem))
            unique.append(f)
    return unique, summary


def run(paths, out=print):
    failed = False
    for path in paths:
        try:
            findings, summary = check_template(path)
        except (OSError, yaml.YAMLError) as e:
            out(f"FAIL {path}: cannot read the template: {e}")
            failed = True
            continue
        for f in findings:
            out("FAIL " + f.line(path))
        if findings:
            failed = True
        elif not summary:
            out(f"FAIL {path}: no event source mapping found; every template under deploy/ "
                "wires one. Check the Events of the function.")
            failed = True
        else:
            out(f"ok   {path}: {'; '.join(summary)}")
    return 1 if failed else 0


# --- self-test: plant each mistake in a copy and show it is caught ------------

# (name, template, text to find (exactly once), replacement, the findings
# expected: one substring per finding, and no other finding).
PLANTED = [
    ("misspelt FunctionResponseTypes", "sqs_orders",
     "MaximumBatchingWindowInSeconds: 1\n            FunctionResponseTypes:",
     "MaximumBatchingWindowInSeconds: 1\n            FunctionResponseTypez:",
     ["FunctionResponseTypez is not a property of a SAM SQS event (did you mean FunctionResponseTypes?)",
      "the mapping has no FunctionResponseTypes, so Lambda ignores the batchItemFailures"]),
    ("misspelt ReportBatchItemFailures", "kinesis_telemetry",
     "FunctionResponseTypes: [ReportBatchItemFailures]",
     "FunctionResponseTypes: [ReportBatchItemFailurez]",
     ["FunctionResponseTypes is [ReportBatchItemFailurez], not [ReportBatchItemFailures]: "
      "ReportBatchItemFailurez is not a response type (did you mean ReportBatchItemFailures?)"]),
    ("misspelt BisectBatchOnFunctionError", "dynamodb_orders",
     "BisectBatchOnFunctionError: true", "BisectBatchOnFunctionErrr: true",
     ["BisectBatchOnFunctionErrr is not a property of a SAM DynamoDB event (did you mean BisectBatchOnFunctionError?)",
      "BisectBatchOnFunctionError is not set"]),
    ("FIFO batch size 50", "sqs_orders",
     "BatchSize: 10 # the FIFO maximum", "BatchSize: 50",
     ["property Events.OrdersFifo.Properties.BatchSize: BatchSize is 50, but the mapping of a FIFO queue"]),
    ("FIFO batching window", "sqs_orders",
     "BatchSize: 10 # the FIFO maximum", "BatchSize: 10\n            MaximumBatchingWindowInSeconds: 1",
     ["a FIFO queue (OrdersFifoQueue) takes no batching window"]),
    ("visibility timeout 10 s under a 30 s timeout", "sqs_orders",
     "VisibilityTimeout: 181", "VisibilityTimeout: 10",
     ["resource OrdersQueue, property VisibilityTimeout: the visibility timeout is 10 s, below "
      "6 x the function timeout (30 s, OrdersFunction) + the batching window (1 s) = 181 s"]),
    ("Globals timeout raised to 60 s", "sqs_orders",
     "    Timeout: 30\n", "    Timeout: 60\n",
     ["resource OrdersQueue, property VisibilityTimeout: the visibility timeout is 181 s, below 6 x the function timeout (60 s",
      "resource OrdersFifoQueue, property VisibilityTimeout: the visibility timeout is 180 s, below 6 x the function timeout (60 s"]),
    ("missing redrive", "sqs_orders",
     "      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt OrdersDlq.Arn\n"
     "        maxReceiveCount: !Ref MaxReceiveCount\n", "",
     ["resource OrdersQueue, property RedrivePolicy: the queue has no RedrivePolicy"]),
    ("FIFO dead-letter queue not FIFO", "sqs_orders",
     "      FifoQueue: true # a FIFO queue's DLQ must be FIFO too\n", "",
     ["the dead-letter queue OrdersFifoDlq is not a FIFO queue"]),
    ("missing on-failure destination", "kinesis_telemetry",
     "            DestinationConfig:\n              OnFailure:\n                Type: SQS\n"
     "                Destination: !GetAtt TelemetryOnFailure.Arn\n", "",
     ["property Events.Readings.Properties.DestinationConfig.OnFailure: the mapping has no on-failure destination"]),
    ("unbounded retries", "kafka_clicks",
     "MaximumRetryAttempts: !Ref MaximumRetryAttempts", "MaximumRetryAttempts: -1",
     ["MaximumRetryAttempts is -1, which means no limit"]),
    ("retries parameter allowing -1", "dynamodb_orders",
     "    MinValue: 0\n", "",
     ["MaximumRetryAttempts is !Ref MaximumRetryAttempts, and that parameter allows -1"]),
    ("missing MaximumRecordAgeInSeconds", "kinesis_telemetry",
     "            MaximumRecordAgeInSeconds: 3600\n", "",
     ["MaximumRecordAgeInSeconds is not set, so it is -1 (no limit)"]),
    ("Kafka not in provisioned mode", "kafka_clicks",
     "            ProvisionedPollerConfig:\n              MinimumPollers: 1\n"
     "              MaximumPollers: 10\n", "",
     ["the Kafka mapping is not in provisioned mode"]),
    ("raw EventSourceMapping without FunctionResponseTypes", "sqs_orders",
     "\nOutputs:\n",
     "\n  RawMapping:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
     "      EventSourceArn: !GetAtt OrdersQueue.Arn\n      FunctionName: !Ref OrdersFunction\n"
     "      BatchSize: 10\n\nOutputs:\n",
     ["resource RawMapping, property Properties.FunctionResponseTypes: the mapping has no FunctionResponseTypes"]),
    ("idempotency table without TTL", "idempotent_payments",
     "      TimeToLiveSpecification:\n        AttributeName: expiration\n        Enabled: true\n", "",
     ["resource IdempotencyTable, property TimeToLiveSpecification: the idempotency table of "
      "PaymentsFunction has no TimeToLiveSpecification"]),
    ("idempotency table with a sort key", "idempotent_payments",
     "        - AttributeName: id\n          KeyType: HASH\n",
     "        - AttributeName: id\n          KeyType: HASH\n        - AttributeName: at\n          KeyType: RANGE\n",
     ["resource IdempotencyTable, property KeySchema: the idempotency table of PaymentsFunction must "
      "have one String partition key and no sort key"]),
    ("idempotency policy without BatchGetItem", "idempotent_payments",
     "                - dynamodb:BatchGetItem\n", "",
     ["resource PaymentsFunction, property Policies: the function's policies do not allow "
      "dynamodb:BatchGetItem on its idempotency table IdempotencyTable"]),
]


def self_test(deploy_dir):
    names = sorted(d for d in os.listdir(deploy_dir)
                   if os.path.isfile(os.path.join(deploy_dir, d, "template.yaml")))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "deploy")
        for n in names:
            os.makedirs(os.path.join(root, n))
            shutil.copy(os.path.join(deploy_dir, n, "template.yaml"), os.path.join(root, n))

        def rel(n):
            return os.path.join("deploy", n, "template.yaml")

        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            lines = []
            if run([rel(n) for n in names], out=lines.append) != 0:
                print("SELF-TEST FAIL: the unmodified templates do not pass:")
                print("\n".join("    " + l for l in lines))
                return 1
            print(f"self-test: the {len(names)} unmodified copies pass")
            for what, name, old, new, expected in PLANTED:
                path = rel(name)
                with open(path, encoding="utf-8") as f:
                    good = f.read()
                if good.count(old) != 1:
                    print(f"SELF-TEST FAIL: {what}: the text to replace occurs {good.count(old)} "
                          f"times in {path}, not once; update PLANTED in {sys.argv[0]}")
                    failures += 1
                    continue
                with open(path, "w", encoding="utf-8") as f:
                    f.write(good.replace(old, new))
                try:
                    lines = []
                    status = run([path], out=lines.append)
                finally:
                    with open(path, "w", encoding="utf-8") as f:
                        f.write(good)
                found = [l for l in lines if l.startswith("FAIL ")]
                missing = [e for e in expected if not any(e in l for l in found)]
                extra = [l for l in found if not any(e in l for e in expected)]
                if status == 0 or missing or extra:
                    failures += 1
                    print(f"SELF-TEST FAIL: planted {what}: exit {status}")
                    for e in missing:
                        print(f"    expected, not reported: {e}")
                    for l in extra:
                        print(f"    reported, not expected: {l}")
                    continue
                print(f"caught: {what}")
                for l in found:
                    print(f"    {l}")
        finally:
            os.chdir(cwd)
    if failures:
        print(f"self-test: {failures} of {len(PLANTED)} planted mistakes not caught as expected")
        return 1
    print(f"self-test: all {len(PLANTED)} planted mistakes caught with the expected messages")
    return 0


def main(argv):
    if argv[1:2] == ["--self-test"]:
        deploy = argv[2] if len(argv) > 2 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy")
        return self_test(os.path.normpath(deploy))
    if len(argv) < 2 or argv[1].startswith("-"):
        print(__doc__.split("Usage:")[1].split("\n\n")[0], file=sys.stderr)
        return 2
    return run(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
