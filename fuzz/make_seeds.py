#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/.

Run once from anywhere (`python3 fuzz/make_seeds.py`); the output is
committed. Seeds come from the AWS sample events in tests/fixtures/aws/ and
from small events built here the way Lambda writes them (keys in Lambda's
order, as the testkit's `wire` module does), plus the odd cases the docs
describe (duplicate keys, lone surrogates, escaped keys, wrong types).

Handler targets take one leading byte that picks the handler variant;
the validator takes one byte that picks the checker, then the event, a NUL
byte and the response (see docs/fuzzing.md).
"""

import base64
import hashlib
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "tests", "fixtures", "aws")
CORPUS = os.path.join(HERE, "corpus")

ARN = "arn:aws:sqs:us-east-1:123456789012:orders"
FIFO_ARN = "arn:aws:sqs:us-east-1:123456789012:orders.fifo"


def dumps(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sqs(mid, body, arn=ARN, group=None, count="1"):
    attributes = {"ApproximateReceiveCount": count, "SentTimestamp": "1700000000000"}
    if group is not None:
        attributes["MessageGroupId"] = group
    return {
        "messageId": mid,
        "receiptHandle": "rh-" + mid,
        "body": body,
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": "0" * 32,
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def kinesis(seq, data, key="pk-1"):
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key,
            "sequenceNumber": seq,
            "data": base64.b64encode(data.encode()).decode(),
            "approximateArrivalTimestamp": 1700000000.5,
        },
        "eventSource": "aws:kinesis",
        "eventID": "shardId-000000000000:" + seq,
        "eventName": "aws:kinesis:record",
    }


def dynamodb(seq, name, key="1"):
    return {
        "eventID": "e-" + seq,
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": 1700000000,
            "Keys": {"id": {"S": key}},
            "NewImage": {"id": {"S": key}, "units": {"N": "3"}},
            "SequenceNumber": seq,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def kafka_record(topic, partition, offset, value, key=None):
    record = {
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": 1700000000000,
        "timestampType": "CREATE_TIME",
        "value": base64.b64encode(value.encode()).decode() if value is not None else None,
        "headers": [{"source": [119, 101, 98]}],
    }
    if key is not None:
        record["key"] = base64.b64encode(key.encode()).decode()
    return record


def kafka(partitions):
    return {
        "eventSource": "aws:kafka",
        "bootstrapServers": "b-1.example:9092",
        "records": {f"{topic}-{p}": records for (topic, p), records in partitions},
    }


def records(items):
    return {"Records": items}


# Payloads that steer the record functions: ok, Err, panic, poison (sink
# accepts / refuses / panics), retry later; with a third byte for yields.
PAYLOADS = ["ok", "Err", "P!", "Xa", "Xe1", "Xp2", "R", '{"id":1}', "E", "ok2"]

SQS_EVENTS = [
    records([sqs("m1", "ok"), sqs("m2", "E bad"), sqs("m3", "ok")]),
    records([sqs("m1", '{"order":1}'), sqs("m2", "P boom"), sqs("m3", "R later"), sqs("m4", "Xa")]),
    records([sqs("m1", "Xe1"), sqs("m2", "Xp2"), sqs("m3", '{"x":[1,2]}', count="5")]),
    records([sqs("a", "ok", FIFO_ARN, "g1"), sqs("b", "E", FIFO_ARN, "g2"), sqs("c", "ok", FIFO_ARN, "g1"),
             sqs("d", "ok", FIFO_ARN, "g2"), sqs("e", "ok", FIFO_ARN)]),
    records([sqs("a", "R", FIFO_ARN, "g1"), sqs("b", "ok", FIFO_ARN, "g1"), sqs("c", "E", FIFO_ARN),
             sqs("d", '"json string"', FIFO_ARN, "g3")]),
    records([sqs("dup", "ok"), sqs("dup", "E"), sqs("x", "ok", count="3")]),
    records([sqs("m1", "E"), sqs("m2", "P")]),
    records([]),
]

KINESIS_EVENTS = [
    records([kinesis("100", "ok"), kinesis("101", "E"), kinesis("102", "ok", "pk-2")]),
    records([kinesis("999", '{"t":1}'), kinesis("1000", "R"), kinesis("1001", "Xe1", "pk-2"), kinesis("1002", "ok")]),
    records([kinesis("5", "Xp2"), kinesis("0005", "ok"), kinesis("7", "P", "pk-3"), kinesis("8", "[1]", "pk-3")]),
    records([kinesis("49568167373333333333333333333333333333333333333333333333", "E"),
             kinesis("49568167373333333334444444444444444444444444444444444444", "E")]),
]

DYNAMODB_EVENTS = [
    records([dynamodb("111", "INSERT"), dynamodb("112", "Error"), dynamodb("113", "MODIFY", "2")]),
    records([dynamodb("800000000003126276362", "REMOVE"), dynamodb("900", "Xe"), dynamodb("901", "Pxx", "2"),
             dynamodb("902", "INSERT")]),
    records([dynamodb("1", "Xp"), dynamodb("2", "Xa"), dynamodb("3", "E")]),
]

KAFKA_EVENTS = [
    kafka([(("orders", 0), [kafka_record("orders", 0, 5, "ok"), kafka_record("orders", 0, 6, "E"),
                            kafka_record("orders", 0, 7, "ok")]),
           (("orders", 1), [kafka_record("orders", 1, 9, '{"page":"/"}', "u1")])]),
    kafka([(("clicks", 2), [kafka_record("clicks", 2, 100, "R"), kafka_record("clicks", 2, 99, "ok")]),
           (("clicks", 3), [kafka_record("clicks", 3, 0, "Xe1"), kafka_record("clicks", 3, 1, None)])]),
    kafka([(("t", 0), [kafka_record("t", 0, 1, "Xp2"), kafka_record("t", 0, 2, "P")]),
           (("t-1", 0), [kafka_record("t-1", 0, 3, "ok")])]),
    kafka([(("a", 0), [kafka_record("a", 0, 1, "E"), kafka_record("a", 0, 2, "E")])]),
]

# Odd events for the readers: duplicate keys (the first counts), lone
# surrogates (a key is skipped, a value is unusable), escaped keys, wrong
# types, the event's own shape.
ODD_EVENTS = [
    '{"Records":[{"messageId":"m1","messageId":"m2","attributes":{"MessageGroupId":"g1"},"body":"x"}]}',
    '{"Records":[{"eventName":"a","eventName":"b","kinesis":{"sequenceNumber":"11","sequenceNumber":"12","partitionKey":"k"}}]}',
    '{"Records":[{"kinesis":{"sequenceNumber":"21","partitionKey":"k"},"kinesis":{"sequenceNumber":"22"}}]}',
    '{"Records":[{"eventName":"INSERT","dynamodb":{"SequenceNumber":"31","Keys":{"id":{"S":"1"}},"SequenceNumber":"32"}}]}',
    '{"Records":[{"topic":"t","partition":1,"offset":5,"offset":6}]}',
    '{"Records":[{"\\ud800":1,"messageId":"m1","body":"x"}]}',
    '{"Records":[{"\\udc00x":1,"kinesis":{"\\ud800":2,"sequenceNumber":"7","partitionKey":"k"}}]}',
    '{"Records":[{"messageId":"\\ud800","body":"x"}]}',
    '{"Records":[{"message\\u0049d":"m\\u00e9","body":"\\ud83d\\ude00"}]}',
    '{"Records":[{"messageId":""},{"messageId":null},{"messageId":7},[1],"x"]}',
    '{"Records":null}',
    '{"Records":{}}',
    '{"Records":[],"Records":[]}',
    '{"records":{"t-0":[{"topic":"t","partition":0,"offset":1}]},"Records":[{"messageId":"m"}]}',
    '{"records":{"t-0":null}}',
    '{"records":{"t-0":[],"t-0":[{"topic":"t","partition":0,"offset":2}]}}',
    '{"records":{"t-0":[{"topic":"t","partition":0,"offset":1.0},{"topic":"t","partition":-1,"offset":1}]}}',
    '{"records":{"t-0":[{"topic":"t","partition":0,"offset":9223372036854775808}]}}',
    '{"records":{"t-0":[{"topic":"t","partition":0,"offset":-0},{"topic":"","partition":0,"offset":1}]}}',
    '{"Records":[{"kinesis":{"sequenceNumber":"00"}},{"kinesis":{"sequenceNumber":"1a"}},{"kinesis":null}]}',
    '{"Records":[{"dynamodb":{"SequenceNumber":"5","Keys":null}},{"dynamodb":[]}]}',
    '{"Records":[{"messageId":"m1","attributes":{"MessageGroupId":1,"MessageGroupId":"g"}},'
    '{"messageId":"m2","attributes":[],"attributes":{"MessageGroupId":"g2"}}]}',
    '{"Records":[{"messageId":"m1","attributes":{"ApproximateReceiveCount":"x","ApproximateReceiveCount":"9"}}]}',
    '{"Records":[{"messageId":"m1","eventSourceARN":5},{"messageId":"m2","eventSourceARN":"q.fifo"}]}',
    ' \n{ "Records" : [ { "messageId" : "m" , "body" : "ok" } ] } ',
    "[]",
    '"Records"',
    "null",
    "{}",
]


# Minimized inputs of the findings in docs/fuzzing.md, kept as seeds under
# a fixed name (with LAMBDA_BATCH_FUZZ_STRICT=1 they crash until fixed).
FINDINGS = {
    "event_reading": [
        ("finding-1-message-group-id",
         b'{"Records":[{"messageId":"1","attributes":{"MessageGroupId":6,"MessageGroupId":""}}]}'),
    ],
    "sqs_handler": [
        ("finding-1-receive-count",
         b'\x07{"Records":[{"messageId":"9","attributes":{"ApproximateReceiveCount":5,"ApproximateReceiveCount":"9"}}]}'),
    ],
}


def fixtures():
    out = {}
    for name in sorted(os.listdir(FIXTURES)):
        if name.endswith(".json") and "response" not in name:
            with open(os.path.join(FIXTURES, name), "rb") as f:
                text = f.read()
            if name == "example-dynamodb-event-record-with-optional-fields.json":
                text = b'{"Records":[' + text + b"]}"
            out[name] = text
    return out


def write(target, blobs):
    folder = os.path.join(CORPUS, target)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(folder)
    for blob in blobs:
        if isinstance(blob, str):
            blob = blob.encode()
        name = "seed-" + hashlib.sha1(blob).hexdigest()[:16]
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)
    for name, blob in FINDINGS.get(target, []):
        with open(os.path.join(folder, name), "wb") as f:
            f.write(blob)


def with_variants(events, variants):
    """Every event under the first variant, and each variant at least twice."""
    blobs = []
    for i, event in enumerate(events):
        text = event if isinstance(event, str) else dumps(event)
        blobs.append(bytes([0]) + text.encode())
        blobs.append(bytes([1 + i % (variants - 1)]) + text.encode())
    for v in range(variants):
        text = events[v % len(events)]
        text = text if isinstance(text, str) else dumps(text)
        blobs.append(bytes([v]) + text.encode())
    return blobs


def validator_seeds():
    # Small records: the checkers read identifiers and message groups only.
    sqs_event = records([{"messageId": "a", "attributes": {"MessageGroupId": "g1"}},
                         {"messageId": "b", "attributes": {"MessageGroupId": "g2"}},
                         {"messageId": "c", "attributes": {"MessageGroupId": "g1"}}, {"messageId": "d"}])
    kin_event = records([{"kinesis": {"sequenceNumber": n}} for n in ["999", "1000", "1001"]])
    ddb_event = records([{"dynamodb": {"SequenceNumber": n}} for n in ["111", "112"]])
    kafka_event = {"records": {"orders-0": [{"topic": "orders", "partition": 0, "offset": 5},
                                            {"topic": "orders", "partition": 0, "offset": 6}],
                               "orders-1": [{"topic": "orders", "partition": 1, "offset": 9}]}}

    def entry(identifier):
        return {"itemIdentifier": identifier}

    common = [
        "null", "{}", '{"batchItemFailures":[]}', '{"batchItemFailures":null}', "not json", "",
        '"ok"', "[]", '{"batchItemFailures":{}}', '{"batchItemFailures":[1]}',
        '{"batchItemFailures":[{"itemIdentifier":""}]}', '{"batchItemFailures":[{"itemIdentifier":null}]}',
        '{"batchItemFailures":[{}]}', '{"batchItemFailures":[{"itemId":"a"}]}', '{"other":1}',
    ]
    per_mode = {
        0: (sqs_event, [[entry("b")], [entry("a"), entry("c")], [entry("a"), entry("a")], [entry("zz")],
                        [entry("b"), {"itemIdentifier": "c", "x": 1}], [entry(5)]]),
        1: (sqs_event, [[entry("b"), entry("c")], [entry("a")], [entry("a"), entry("b"), entry("c")]]),
        2: (sqs_event, [[entry("a"), entry("c")], [entry("a")], [entry("b")]]),
        3: (kin_event, [[entry("1000")], [entry("1001"), entry("999")], [entry("01000")], [entry("5")]]),
        4: (ddb_event, [[entry("112")], [entry("111"), entry("112")], [entry("abc")]]),
        5: (kafka_event, [[entry({"partition": "orders-0", "offset": 6})],
                          [entry({"partition": "orders-0", "offset": 5}), entry({"partition": "orders-1", "offset": 9})],
                          [entry("orders-0@5")], [entry({"partition": "orders-0", "offset": 5.0})],
                          [entry({"partition": "orders-0", "offset": 6, "x": 1})],
                          [entry({"partition": "orders-2", "offset": 1})]]),
    }
    blobs = []
    for mode, (event, responses) in per_mode.items():
        texts = [dumps({"batchItemFailures": r}) for r in responses] + common[: 6 if mode else len(common)]
        for text in texts:
            blobs.append(bytes([mode]) + dumps(event).encode() + b"\0" + text.encode())
    blobs.append(bytes([0]) + b'{"Records":[{"messageId":"a"}]}\0{"batchItemFailures":[{"itemIdentifier":"a"}]}')
    blobs.append(bytes([5]) + b'{"records":{"t-0":[{"topic":"t","partition":0,"offset":1}]}}\0'
                 b'{"batchItemFailures":[{"itemIdentifier":{"partition":"t-0","offset":1}}]}')
    return blobs


def json_body_seeds():
    """Escaped texts of JSON bodies, as serde_json and other encoders write them."""
    documents = [
        {"shapes": ["Unit", {"Newtype": 5}, {"Newtype": None}, {"Tuple": [1, "a"]},
                    {"Struct": {"big": 340282366920938463463374607431768211455, "ratio": 0.5}}],
         "names": {"a": "b", "caf\u00e9": "\u00e9"}, "flag": True},
        [1, None, 2, 18446744073709551615], {"k": "caf\u00e9 \"q\" \\ / \n \u0001 \U0001f600"},
        {"order_id": "order-000000000001", "items": [{"sku": "SKU-1", "quantity": 2, "price_cents": 1999}],
         "fail": False, "ratio": -1.5e-7},
    ]
    blobs = []
    for document in documents:
        text = json.dumps(document, separators=(",", ":"))
        blobs.append(json.dumps(text)[1:-1])
        blobs.append(json.dumps(text, ensure_ascii=False)[1:-1])
        blobs.append(json.dumps(json.dumps(document, indent=1))[1:-1].replace("/", "\\/"))
    # A quote or backslash of the document written as a \u escape.
    blobs += ['[\\"a\\u0022, \\"]', '[\\"a\\u005c\\", 1]', '{\\"k\\u0022:1}', '\\u005b1]']
    return blobs


def main():
    fixture = fixtures()
    events = list(fixture.values()) + [dumps(e) for e in SQS_EVENTS + KINESIS_EVENTS + DYNAMODB_EVENTS + KAFKA_EVENTS]
    write("event_reading", events + ODD_EVENTS)
    write("sqs_handler", with_variants(
        SQS_EVENTS + ODD_EVENTS[:1] + ODD_EVENTS[5:10] + ODD_EVENTS[21:24] + [fixture["example-sqs-event.json"].decode()], 10))
    write("kinesis_handler", with_variants(KINESIS_EVENTS + [fixture["example-kinesis-event.json"].decode()] + ODD_EVENTS[1:3], 8))
    write("dynamodb_handler", with_variants(DYNAMODB_EVENTS + ODD_EVENTS[3:4] + ODD_EVENTS[20:21]
                                           + [fixture["example-dynamodb-event.json"].decode()], 6))
    write("kafka_handler", with_variants(KAFKA_EVENTS + ODD_EVENTS[13:19], 8))
    write("validator", validator_seeds())
    write("json_body", json_body_seeds())


if __name__ == "__main__":
    main()
