//! Kinesis and DynamoDB Streams: checkpoint and continue policies, sequence
//! numbers as big integers, identifiers, and the payload extractors.

use std::sync::Mutex;

use crate::common::{ids, outcome_ids};
use lambda_batch::BatchPipeline;
use lambda_batch::dynamodb::{DynamoDb, DynamoDbRecord, EventName, Keys, NewImage, OldImage};
use lambda_batch::kinesis::{Kinesis, KinesisEventRecord, KinesisRecord};
use lambda_batch::stream::{StreamConfig, StreamPolicy};
use lambda_batch::{AllFailedPolicy, BatchError, BatchEvent, Json, LambdaEvent, batch_handler};
use lambda_batch_testkit::{dynamodb as ddb_events, kinesis as kinesis_events};
use serde::Deserialize;
use serde_json::json;

static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn take_calls() -> Vec<String> {
    std::mem::take(&mut *CALLS.lock().unwrap())
}

/// Fails records whose data is `fail`, panics on `panic`.
#[batch_handler(kinesis)]
async fn scripted(record: &KinesisRecord<'_>, data: &str) -> Result<(), String> {
    CALLS.lock().unwrap().push(record.sequence_number().to_owned());
    match data {
        "panic" => panic!("scripted panic"),
        "fail" => Err(format!("failed {}", record.sequence_number())),
        _ => Ok(()),
    }
}

#[batch_handler(kinesis, stream_policy = "continue", all_failed = "report_all")]
async fn scripted_continue(record: &KinesisRecord<'_>, data: &str) -> Result<(), String> {
    scripted::record(record, data).await
}

async fn call<F, Fut>(handler: F, event: BatchEvent) -> Result<Vec<String>, &'static str>
where
    F: Fn(LambdaEvent<BatchEvent>) -> Fut,
    Fut: Future<Output = Result<lambda_batch::BatchResponse, BatchError>>,
{
    outcome_ids(handler(LambdaEvent::new(event, lambda_batch_testkit::context())).await)
}

fn kinesis_batch(items: &[(&str, &str)]) -> BatchEvent {
    kinesis_events::event(items.iter().map(|(seq, data)| kinesis_events::record(seq, "pk", data.as_bytes())))
}

// One test body runs at a time: CALLS is shared.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn checkpoint_stops_at_the_first_failure_and_reports_only_its_sequence_number() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = kinesis_batch(&[("100", "ok"), ("200", "fail"), ("300", "ok"), ("400", "fail")]);
    assert_eq!(call(scripted, event).await, Ok(ids(&["200"])));
    assert_eq!(take_calls(), ids(&["100", "200"]), "no record after the failure is called");
}

#[tokio::test]
async fn continue_handles_everything_and_reports_every_failure() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = kinesis_batch(&[("100", "ok"), ("200", "fail"), ("300", "panic"), ("400", "ok")]);
    assert_eq!(call(scripted_continue, event).await, Ok(ids(&["200", "300"])));
    assert_eq!(take_calls(), ids(&["100", "200", "300", "400"]));
}

#[tokio::test]
async fn checkpoint_reports_the_numerically_lowest_sequence_number_not_handled() {
    let _serial = SERIAL.lock().await;
    take_calls();
    // Out of order on purpose: "1000" fails, "999" is skipped after it.
    // As strings "1000" < "999"; as numbers 999 is the lowest to retry.
    let event = kinesis_batch(&[("1000", "fail"), ("999", "ok")]);
    assert_eq!(call(scripted, event).await, Ok(ids(&["999"])));
    let event = kinesis_batch(&[("20", "ok"), ("0100", "fail"), ("99", "ok")]);
    assert_eq!(call(scripted, event).await, Ok(ids(&["99"])));
    take_calls();
}

#[tokio::test]
async fn stream_all_failed_rule_ignores_records_skipped_by_the_checkpoint() {
    let _serial = SERIAL.lock().await;
    let event = kinesis_batch(&[("1", "fail"), ("2", "ok")]);
    assert_eq!(call(scripted, event).await, Ok(ids(&["1"])));
    let event = kinesis_batch(&[("1", "fail")]);
    assert_eq!(call(scripted, event).await, Err("LambdaBatch.AllRecordsFailed"));
    let event = kinesis_batch(&[("1", "fail"), ("2", "fail")]);
    assert_eq!(call(scripted_continue, event).await, Ok(ids(&["1", "2"])), "report_all");
    take_calls();
}

#[tokio::test]
async fn a_record_without_a_usable_sequence_number_fails_the_invocation_before_any_call() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let good = kinesis_events::record("1", "pk", b"ok");
    let mut cases = Vec::new();
    for (value, problem) in [
        (json!(null), "absent or null"),
        (json!(""), "empty string"),
        (json!(42), "not a string"),
        (json!("12ab"), "not a decimal number"),
    ] {
        let mut bad = kinesis_events::record("2", "pk", b"ok");
        bad["kinesis"]["sequenceNumber"] = value;
        cases.push((bad, problem));
    }
    cases.push((json!({"eventSource": "aws:kinesis"}), "the record has no `kinesis` object"));
    for (bad, expected) in cases {
        let event = kinesis_events::event([good.clone(), bad.clone()]);
        let config = StreamConfig::new();
        let result = Kinesis::process(&scripted {}, &config, &event, &lambda_batch_testkit::context()).await;
        match result {
            Err(BatchError::MissingItemIdentifier { index: 1, field: "kinesis.sequenceNumber", problem }) => {
                assert_eq!(problem, expected, "{bad}");
            }
            other => panic!("{bad}: expected MissingItemIdentifier, got {other:?}"),
        }
        assert!(take_calls().is_empty(), "{bad}: nothing may be handled");
    }
}

#[derive(Debug, Deserialize, PartialEq)]
struct Reading {
    sensor: String,
    value: f64,
}

#[batch_handler(kinesis, stream_policy = "continue", all_failed = "report_all")]
fn readings(Json(reading): Json<Reading>, bytes: &[u8], full: &KinesisEventRecord) -> Result<(), String> {
    assert!(!bytes.is_empty());
    assert!(full.event_source.as_deref() == Some("aws:kinesis"));
    if reading.value < 0.0 { Err(format!("negative reading from {}", reading.sensor)) } else { Ok(()) }
}

#[tokio::test]
async fn kinesis_data_is_base64_decoded_and_a_bad_payload_fails_only_its_record() {
    let good = kinesis_events::record("1", "s1", br#"{"sensor":"s1","value":1.5}"#);
    let negative = kinesis_events::record("2", "s1", br#"{"sensor":"s1","value":-1}"#);
    let not_json = kinesis_events::record("3", "s1", b"\xff\xfe");
    let mut not_base64 = kinesis_events::record("4", "s1", b"");
    not_base64["kinesis"]["data"] = json!("%%% not base64");
    let good_again = kinesis_events::record("5", "s2", br#"{"sensor":"s2","value":0}"#);
    let event = kinesis_events::event([good, negative, not_json, not_base64, good_again]);
    assert_eq!(call(readings, event).await, Ok(ids(&["2", "3", "4"])));
}

#[tokio::test]
async fn the_aws_kinesis_sample_event_is_read() {
    let event = BatchEvent::from_json(include_str!("../fixtures/aws/example-kinesis-event.json")).unwrap();
    let records = Kinesis::read_records(&event).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].sequence_number().len(), 56);
    assert_eq!(records[0].data().unwrap(), b"Hello World");
    assert_eq!(records[0].partition_key(), Some("s1"));
    assert!(records[1].event_record().is_ok());
}

#[derive(Debug, Deserialize, PartialEq)]
struct Order {
    id: String,
    total: u32,
}

#[derive(Debug, Deserialize, PartialEq)]
struct OrderKey {
    id: String,
}

static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Inferred as DynamoDB from `NewImage` / `EventName`.
#[batch_handler(stream_policy = "continue", all_failed = "report_all")]
async fn orders(
    name: EventName,
    Keys(key): Keys<OrderKey>,
    new: Option<NewImage<Order>>,
    old: Option<OldImage<Order>>,
) -> Result<(), String> {
    SEEN.lock().unwrap().push(format!(
        "{name:?} {} new={:?} old={:?}",
        key.id,
        new.map(|n| n.0.total),
        old.map(|o| o.0.total)
    ));
    Ok(())
}

#[batch_handler(dynamodb)]
async fn needs_new_image(NewImage(order): NewImage<Order>) -> Result<(), String> {
    if order.total == 0 { Err("empty order".into()) } else { Ok(()) }
}

fn key(id: &str) -> serde_json::Value {
    json!({"id": {"S": id}})
}

fn image(id: &str, total: u32) -> serde_json::Value {
    json!({"id": {"S": id}, "total": {"N": total.to_string()}})
}

#[tokio::test]
async fn dynamodb_images_keys_and_event_names_are_decoded_with_serde_dynamo() {
    let event = ddb_events::event([
        ddb_events::record("111", "INSERT", key("a"), Some(image("a", 5)), None),
        ddb_events::record("222", "MODIFY", key("a"), Some(image("a", 7)), Some(image("a", 5))),
        ddb_events::record("333", "REMOVE", key("a"), None, Some(image("a", 7))),
    ]);
    assert_eq!(call(orders, event).await, Ok(vec![]));
    assert_eq!(
        std::mem::take(&mut *SEEN.lock().unwrap()),
        [
            "Insert a new=Some(5) old=None",
            "Modify a new=Some(7) old=Some(5)",
            "Remove a new=None old=Some(7)"
        ]
    );
}

#[tokio::test]
async fn a_missing_or_mistyped_image_fails_only_its_record() {
    let event = ddb_events::event([
        ddb_events::record("1", "INSERT", key("a"), Some(image("a", 5)), None),
        ddb_events::record("2", "REMOVE", key("b"), None, Some(image("b", 1))),
        ddb_events::record(
            "3",
            "INSERT",
            key("c"),
            Some(json!({"id": {"N": "12"}, "total": {"S": "x"}})),
            None,
        ),
    ]);
    let report = DynamoDb::process(
        &needs_new_image {},
        &StreamConfig::new().with_stream_policy(StreamPolicy::Continue),
        &event,
        &lambda_batch_testkit::context(),
    )
    .await
    .unwrap();
    let statuses: Vec<String> = report.records().iter().map(|r| format!("{:?}", r.status())).collect();
    assert!(statuses[0].starts_with("Succeeded"), "{statuses:?}");
    assert!(statuses[1].contains("has no `dynamodb.NewImage`"), "{statuses:?}");
    assert!(statuses[2].contains("does not fit"), "{statuses:?}");
    assert_eq!(outcome_ids(report.into_response()), Ok(ids(&["2", "3"])));
}

#[tokio::test]
async fn the_aws_dynamodb_sample_events_are_read_including_null_items() {
    // The last sample is a single record; Lambda sends it inside `Records`.
    let single: serde_json::Value = serde_json::from_str(include_str!(
        "../fixtures/aws/example-dynamodb-event-record-with-optional-fields.json"
    ))
    .unwrap();
    for (event, expected) in [
        (BatchEvent::from_json(include_str!("../fixtures/aws/example-dynamodb-event.json")).unwrap(), 2),
        (
            BatchEvent::from_json(include_str!("../fixtures/aws/example-dynamodb-event-null-items.json"))
                .unwrap(),
            2,
        ),
    ] {
        let records = DynamoDb::read_records(&event).unwrap();
        assert_eq!(records.len(), expected);
        for record in &records {
            assert!(record.sequence_number().bytes().all(|b| b.is_ascii_digit()));
            assert!(record.event_record().is_ok(), "{:?}", record.event_record());
        }
    }
    // This AWS sample has no `SequenceNumber`: its failure could not be
    // reported, so the invocation fails instead of acknowledging it.
    let event = BatchEvent::from(json!({"Records": [single]}));
    assert!(matches!(
        DynamoDb::read_records(&event),
        Err(BatchError::MissingItemIdentifier { index: 0, field: "dynamodb.SequenceNumber", .. })
    ));
    // The null-items sample: `Keys: null` reads as no keys; `Option<Keys<T>>` is `None`.
    let event = BatchEvent::from_json(include_str!("../fixtures/aws/example-dynamodb-event-null-items.json"))
        .unwrap();
    let records = DynamoDb::read_records(&event).unwrap();
    assert_eq!(records[0].raw_images(), (None, None, None));
    let first: &DynamoDbRecord<'_> = &records[0];
    assert_eq!(first.event_name(), Some("INSERT"));
}

#[tokio::test]
async fn dynamodb_checkpoint_reports_the_first_failure() {
    let event = ddb_events::event([
        ddb_events::record("800000000003126276362", "INSERT", key("a"), Some(image("a", 1)), None),
        ddb_events::record("800000000003126276363", "INSERT", key("b"), Some(image("b", 0)), None),
        ddb_events::record("800000000003126276364", "INSERT", key("c"), Some(image("c", 1)), None),
    ]);
    assert_eq!(call(needs_new_image, event).await, Ok(ids(&["800000000003126276363"])));
    assert_eq!(needs_new_image::CONFIG.stream_policy(), StreamPolicy::Checkpoint);
    assert_eq!(needs_new_image::CONFIG.all_failed_policy(), AllFailedPolicy::Error);
}
