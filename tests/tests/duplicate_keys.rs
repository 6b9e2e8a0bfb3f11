//! A record with a key written twice, or a key that cannot be decoded (a
//! lone-surrogate escape), is read the same way for every source: the first
//! occurrence counts and the odd key is skipped, so the record is handled
//! (or fails) on its own and never makes the whole batch fail.

use lambda_batch::{BatchEvent, SourceKind};

fn identify(kind: SourceKind, record: &str) -> Result<(String, Option<String>), String> {
    kind.identify(0, record).map(|i| (i.item_identifier, i.ordering_key)).map_err(|e| e.to_string())
}

#[test]
fn the_first_of_two_keys_counts_for_every_source() {
    let cases = [
        (
            SourceKind::SqsFifo,
            r#"{"messageId": "m1", "messageId": "m2", "attributes": {"MessageGroupId": "g1"}, "body": "x"}"#,
            "m1",
        ),
        (
            SourceKind::Kinesis,
            r#"{"eventName": "a", "eventName": "b", "kinesis": {"sequenceNumber": "11", "sequenceNumber": "12", "partitionKey": "k"}}"#,
            "11",
        ),
        (
            SourceKind::Kinesis,
            r#"{"kinesis": {"sequenceNumber": "21", "partitionKey": "k"}, "kinesis": {"sequenceNumber": "22"}}"#,
            "21",
        ),
        (
            SourceKind::DynamoDb,
            r#"{"eventName": "INSERT", "eventName": "REMOVE", "dynamodb": {"SequenceNumber": "31", "Keys": {"id": {"S": "1"}}, "SequenceNumber": "32"}}"#,
            "31",
        ),
        (SourceKind::Kafka, r#"{"topic": "t", "partition": 1, "offset": 5, "offset": 6}"#, "t-1@5"),
    ];
    for (kind, record, expected) in cases {
        let (id, _) = identify(kind, record).unwrap_or_else(|e| panic!("{kind}: {record}: {e}"));
        assert_eq!(id, expected, "{kind}: {record}");
    }
}

#[test]
fn a_key_that_cannot_be_decoded_is_skipped_for_every_source() {
    let cases = [
        (SourceKind::Sqs, r#"{"\ud800": 1, "messageId": "m1", "body": "x"}"#, "m1"),
        (
            SourceKind::Kinesis,
            r#"{"\udc00x": 1, "kinesis": {"\ud800": 2, "sequenceNumber": "7", "partitionKey": "k"}}"#,
            "7",
        ),
        (SourceKind::DynamoDb, r#"{"\ud800": 1, "dynamodb": {"SequenceNumber": "8"}}"#, "8"),
        (SourceKind::Kafka, r#"{"\ud800": 1, "topic": "t", "partition": 0, "offset": 3}"#, "t-0@3"),
    ];
    for (kind, record, expected) in cases {
        let event = BatchEvent::from_json(&format!(r#"{{"Records": [{record}]}}"#));
        // serde_json rejects a lone surrogate in a key it decodes, but the
        // event reader keeps records as raw text: the batch is read.
        assert!(event.is_ok(), "{kind}: the event is read");
        let (id, _) = identify(kind, record).unwrap_or_else(|e| panic!("{kind}: {record}: {e}"));
        assert_eq!(id, expected, "{kind}: {record}");
    }
}

#[test]
fn a_record_whose_identifier_is_missing_is_named_by_its_real_problem() {
    let cases = [
        (SourceKind::Kinesis, r#"{"kinesis": {"partitionKey": "k"}}"#, "absent or null"),
        (SourceKind::Kinesis, r#"{"kinesis": 5}"#, "`kinesis` is not an object"),
        (SourceKind::Kinesis, r#"[1]"#, "not a JSON object"),
        (SourceKind::DynamoDb, r#"{"dynamodb": {"Keys": {}}}"#, "absent or null"),
        (SourceKind::DynamoDb, r#"{"eventName": "INSERT"}"#, "no `dynamodb` object"),
        (SourceKind::Kafka, r#"{"topic": "t", "partition": 0}"#, "`offset` is absent"),
    ];
    for (kind, record, problem) in cases {
        let error = identify(kind, record).expect_err(record);
        assert!(error.contains(problem), "{kind}: {record}: {error}");
    }
}
