//! Hostile input, one table per source: each row an event (or a deadline,
//! or a record function that misbehaves) and the outcome it must have.
//! Nothing panics out of the handler, nothing is acknowledged unhandled, and
//! an event that cannot be read fails the invocation with a clear error.
//!
//! `cargo test -p lambda-batch-tests --test main hostile_inputs:: -- --nocapture`
//! prints the table with each row's outcome.

use std::time::Duration;

use lambda_batch::{
    BatchError, BatchEvent, BatchResponse, Context, LambdaEvent, PoisonRecord, RecordOutcome, batch_handler,
};
use lambda_batch_testkit::{dynamodb, kafka, kinesis, sqs};
use serde_json::{Value, json};

/// What a record function does, by its payload.
async fn behave(payload: &str) -> RecordOutcome {
    match payload {
        "fail" => RecordOutcome::failure("scripted failure"),
        "panic" => panic!("scripted panic"),
        "hang" => std::future::pending().await,
        "poison" | "sink-panics" | "sink-hangs" => RecordOutcome::poison(payload),
        _ => RecordOutcome::Success,
    }
}

async fn sink(poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    match poison.reason {
        "sink-panics" => panic!("the sink panicked"),
        "sink-hangs" => std::future::pending().await,
        _ => Ok(()),
    }
}

#[batch_handler(sqs, record_timeout_ms = 2000, poison_sink = sink, all_failed = "report_all")]
async fn on_sqs(body: &str) -> RecordOutcome {
    behave(body).await
}

#[batch_handler(kinesis, stream_policy = "continue", record_timeout_ms = 2000, poison_sink = sink, all_failed = "report_all")]
async fn on_kinesis(data: &str) -> RecordOutcome {
    behave(data).await
}

#[batch_handler(dynamodb, stream_policy = "continue", record_timeout_ms = 2000, all_failed = "report_all")]
async fn on_dynamodb(change: lambda_batch::dynamodb::NewImage<Item>) -> RecordOutcome {
    behave(&change.0.note).await
}

#[derive(serde::Deserialize)]
struct Item {
    note: String,
}

#[batch_handler(kafka, stream_policy = "continue", record_timeout_ms = 2000, poison_sink = sink, all_failed = "report_all")]
async fn on_kafka(value: &str) -> RecordOutcome {
    behave(value).await
}

/// What a row must come to.
#[derive(Debug, Clone, PartialEq)]
enum Expect {
    /// The invocation fails with this `errorType`.
    Fails(&'static str),
    /// The event is not even readable (lambda_runtime's own deserialization
    /// would fail the invocation before any code runs).
    Unreadable,
    /// The response lists exactly these identifiers (in any order).
    Reports(Vec<String>),
}

struct Row {
    name: &'static str,
    event: Vec<u8>,
    /// The deadline, in ms from now (`None`: 10 minutes).
    deadline_ms: Option<u64>,
    expect: Expect,
}

fn row(name: &'static str, event: impl Into<Vec<u8>>, expect: Expect) -> Row {
    Row { name, event: event.into(), deadline_ms: None, expect }
}

fn reports(ids: &[&str]) -> Expect {
    Expect::Reports(ids.iter().map(|s| (*s).to_owned()).collect())
}

async fn run(source: &str, row: &Row) -> Expect {
    let Ok(event) = BatchEvent::from_slice(&row.event) else { return Expect::Unreadable };
    let mut cx = lambda_batch_testkit::context();
    if let Some(ms) = row.deadline_ms {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let now = u64::try_from(now.as_millis()).unwrap();
        cx.deadline = match ms {
            u64::MAX => u64::MAX,
            0 => 0,
            PAST => now - 10_000,
            ms => now + ms,
        };
    }
    let event = LambdaEvent::new(event, cx);
    let result: Result<BatchResponse, BatchError> = match source {
        "SQS" => on_sqs(event).await,
        "Kinesis" => on_kinesis(event).await,
        "DynamoDB" => on_dynamodb(event).await,
        _ => on_kafka(event).await,
    };
    match result {
        Ok(response) => {
            let mut ids: Vec<String> = response.failures().map(|id| id.as_str().to_owned()).collect();
            ids.sort();
            Expect::Reports(ids)
        }
        Err(error) => Expect::Fails(error.error_type()),
    }
}

fn check(source: &str, rows: Vec<Row>) {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    let mut broken = Vec::new();
    for row in &rows {
        let mut got = runtime.block_on(run(source, row));
        if let Expect::Reports(ids) = &mut got {
            ids.sort();
        }
        let mut expected = row.expect.clone();
        if let Expect::Reports(ids) = &mut expected {
            ids.sort();
        }
        let verdict = if got == expected { "ok" } else { "WRONG" };
        println!("| {source} | {} | {got:?} | {verdict} |", row.name);
        if got != expected {
            broken.push(format!("{source} / {}: expected {expected:?}, got {got:?}", row.name));
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

/// Rows every source shares: the event's shape, and deadlines.
fn shape_rows(good: &str) -> Vec<Row> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let mut bad_utf8_outside = format!(r#"{{"Records": [{good}], "x": ""#).into_bytes();
    bad_utf8_outside.extend_from_slice(&[0xff, 0xfe]);
    bad_utf8_outside.extend_from_slice(b"\"}");
    let mut bad_utf8_inside =
        format!(r#"{{"Records": [{}, "x": ""#, good.strip_suffix('}').unwrap_or(good)).into_bytes();
    bad_utf8_inside.extend_from_slice(&[0xff, 0xfe]);
    bad_utf8_inside.extend_from_slice(b"\"}]}");
    let deep_inside =
        format!(r#"{{"Records": [{}, "x": {deep}}}]}}"#, good.strip_suffix('}').unwrap_or(good));
    let mut rows = vec![
        row("not JSON", r#"{"Records": ["#, Expect::Unreadable),
        row("invalid UTF-8 inside a record", bad_utf8_inside, Expect::Unreadable),
        // serde_json skips the bytes of keys nobody reads without checking
        // them, as lambda_runtime's own read does: the records are handled.
        row("invalid UTF-8 outside the records", bad_utf8_outside, reports(&[])),
        row(
            "nested 100,000 deep outside the records",
            format!(r#"{{"Records": [{good}], "x": {deep}}}"#),
            reports(&[]),
        ),
        row("nested 100,000 deep inside a record", deep_inside, reports(&[])),
        row("an array, not an object", "[]", Expect::Fails("LambdaBatch.InvalidEvent")),
        row("null", "null", Expect::Fails("LambdaBatch.InvalidEvent")),
        row("no records", "{}", Expect::Fails("LambdaBatch.InvalidEvent")),
        row("Records is a string", r#"{"Records": "x"}"#, Expect::Fails("LambdaBatch.InvalidEvent")),
        row("a record is a number", "{\"Records\": [1]}", Expect::Fails("LambdaBatch.MissingItemIdentifier")),
    ];
    let id = lambda_batch::SourceKind::ALL
        .iter()
        .find_map(|kind| kind.identify(0, good).ok())
        .map(|identity| identity.item_identifier)
        .unwrap_or_default();
    for (name, ms, expect) in [
        // No usable deadline (a local emulator): no guard, the record runs.
        ("deadline 0", 0, reports(&[])),
        ("deadline already past", PAST, reports(&[])),
        ("deadline u64::MAX", u64::MAX, reports(&[])),
        // Inside the guard's 500 ms margin: nothing starts, the record is
        // reported. (Half the margin away, so that a loaded machine taking
        // a few ms between here and the engine cannot make it "past", which
        // would mean no guard at all.)
        ("deadline 250 ms away", 250, reports(&[&id])),
    ] {
        rows.push(Row {
            name,
            event: format!(r#"{{"Records": [{good}]}}"#).into_bytes(),
            deadline_ms: Some(ms),
            expect,
        });
    }
    rows
}

/// A deadline 10 s in the past.
const PAST: u64 = u64::MAX - 1;

fn sqs_event(records: impl IntoIterator<Item = Value>) -> Vec<u8> {
    sqs::event_json(records).into_bytes()
}

#[test]
fn sqs_hostile_inputs() {
    let good = sqs::message("ok", "fine").to_string();
    let mut rows = shape_rows(&good);
    let many: Vec<Value> = (0..10_000)
        .map(|i| sqs::message(&format!("m{i}"), if i % 1000 == 7 { "fail" } else { "ok" }))
        .collect();
    let failed_of_many: Vec<String> =
        (0..10_000).filter(|i| i % 1000 == 7).map(|i| format!("m{i}")).collect();
    let big_body = "x".repeat(6 * 1024 * 1024);
    let mut number_body = sqs::message("n", "x");
    number_body["body"] = json!(42);
    let mut null_id = sqs::message("x", "ok");
    null_id["messageId"] = Value::Null;
    let mut empty_id = sqs::message("x", "ok");
    empty_id["messageId"] = json!("");
    let mut number_id = sqs::message("x", "ok");
    number_id["messageId"] = json!(7);
    let mut no_id = sqs::message("x", "ok");
    no_id.as_object_mut().unwrap().remove("messageId");
    rows.extend([
        row(
            "missing messageId",
            sqs_event([sqs::message("a", "ok"), no_id]),
            Expect::Fails("LambdaBatch.MissingItemIdentifier"),
        ),
        row("null messageId", sqs_event([null_id]), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("empty messageId", sqs_event([empty_id]), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row(
            "messageId is a number",
            sqs_event([number_id]),
            Expect::Fails("LambdaBatch.MissingItemIdentifier"),
        ),
        row(
            "one messageId twice, one copy fails",
            sqs_event([sqs::message("d", "ok"), sqs::message("d", "fail")]),
            reports(&["d"]),
        ),
        row("body is a number", sqs_event([number_body, sqs::message("b", "ok")]), reports(&["n"])),
        row(
            "body with a lone surrogate",
            r#"{"Records": [{"messageId": "s", "body": "\ud800"}, {"messageId": "t", "body": "ok"}]}"#,
            reports(&["s"]),
        ),
        row("10,000 records", sqs_event(many), Expect::Reports(failed_of_many)),
        row(
            "a 6 MB body",
            sqs_event([sqs::message("big", &big_body), sqs::message("f", "fail")]),
            reports(&["f"]),
        ),
        row(
            "a panicking record",
            sqs_event([sqs::message("p", "panic"), sqs::message("q", "ok")]),
            reports(&["p"]),
        ),
        row(
            "a hanging record",
            sqs_event([sqs::message("h", "hang"), sqs::message("i", "ok")]),
            reports(&["h"]),
        ),
        row("a poison record the sink takes", sqs_event([sqs::message("z", "poison")]), reports(&[])),
        row("a sink that panics", sqs_event([sqs::message("sp", "sink-panics")]), reports(&["sp"])),
        row("a sink that hangs", sqs_event([sqs::message("sh", "sink-hangs")]), reports(&["sh"])),
    ]);
    check("SQS", rows);
}

fn kinesis_event(records: impl IntoIterator<Item = Value>) -> Vec<u8> {
    kinesis::event_json(records).into_bytes()
}

#[test]
fn kinesis_hostile_inputs() {
    let good = kinesis::record("1", "k", b"ok").to_string();
    let mut rows = shape_rows(&good);
    let mut not_base64 = kinesis::record("5", "k", b"x");
    not_base64["kinesis"]["data"] = json!("%%%");
    let mut letters = kinesis::record("6", "k", b"x");
    letters["kinesis"]["sequenceNumber"] = json!("12ab");
    let mut no_seq = kinesis::record("7", "k", b"x");
    no_seq["kinesis"].as_object_mut().unwrap().remove("sequenceNumber");
    let many: Vec<Value> = (0..10_000)
        .map(|i| kinesis::record(&format!("{}", 1000 + i), "k", if i == 9_999 { b"fail" } else { b"ok" }))
        .collect();
    rows.extend([
        row("missing sequenceNumber", kinesis_event([kinesis::record("1", "k", b"ok"), no_seq]), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("sequenceNumber not decimal", kinesis_event([letters]), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("data not base64", kinesis_event([not_base64, kinesis::record("8", "k", b"ok")]), reports(&["5"])),
        row(
            "kinesis written twice (the first counts)",
            r#"{"Records": [{"kinesis": {"sequenceNumber": "9", "data": "ZmFpbA=="}, "kinesis": {"sequenceNumber": "10"}}]}"#,
            reports(&["9"]),
        ),
        row("10,000 records", kinesis_event(many), reports(&["10999"])),
        row("a panicking record", kinesis_event([kinesis::record("20", "k", b"panic")]), reports(&["20"])),
        row("a hanging record", kinesis_event([kinesis::record("21", "k", b"hang")]), reports(&["21"])),
        row("a sink that panics", kinesis_event([kinesis::record("22", "k", b"sink-panics")]), reports(&["22"])),
        row("a sink that hangs", kinesis_event([kinesis::record("23", "k", b"sink-hangs")]), reports(&["23"])),
    ]);
    check("Kinesis", rows);
}

fn dynamodb_change(sequence: &str, note: &str) -> Value {
    dynamodb::record(sequence, "INSERT", json!({"id": {"S": "1"}}), Some(json!({"note": {"S": note}})), None)
}

#[test]
fn dynamodb_hostile_inputs() {
    let good = dynamodb_change("1", "ok").to_string();
    let mut rows = shape_rows(&good);
    let mut wrong_image = dynamodb_change("5", "x");
    wrong_image["dynamodb"]["NewImage"] = json!({"note": {"N": "12"}});
    let mut no_seq = dynamodb_change("6", "x");
    no_seq["dynamodb"].as_object_mut().unwrap().remove("SequenceNumber");
    rows.extend([
        row("missing SequenceNumber", dynamodb::event_json([no_seq]).into_bytes(), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("image of the wrong type", dynamodb::event_json([wrong_image, dynamodb_change("7", "ok")]).into_bytes(), reports(&["5"])),
        row(
            "eventName written twice (the first counts)",
            r#"{"Records": [{"eventName": "INSERT", "eventName": "REMOVE", "dynamodb": {"SequenceNumber": "8", "NewImage": {"note": {"S": "fail"}}}}]}"#,
            reports(&["8"]),
        ),
        row("a panicking record", dynamodb::event_json([dynamodb_change("9", "panic")]).into_bytes(), reports(&["9"])),
        row("a hanging record", dynamodb::event_json([dynamodb_change("10", "hang")]).into_bytes(), reports(&["10"])),
    ]);
    check("DynamoDB", rows);
}

fn kafka_event(records: impl IntoIterator<Item = Value>) -> Vec<u8> {
    kafka::event_json(records).into_bytes()
}

#[test]
fn kafka_hostile_inputs() {
    let good = kafka::record("t", 0, 1, None, Some(b"ok")).to_string();
    // Kafka events hold `records`, not `Records`: the shared rows use
    // `Records`, which a Kafka reader reads the same way (records in order).
    let mut rows = shape_rows(&good);
    let mut no_offset = kafka::record("t", 0, 2, None, Some(b"x"));
    no_offset.as_object_mut().unwrap().remove("offset");
    let mut negative = kafka::record("t", 0, 3, None, Some(b"x"));
    negative["offset"] = json!(-3);
    let mut not_base64 = kafka::record("t", 1, 4, None, None);
    not_base64["value"] = json!("%%%");
    rows.extend([
        row("missing offset", kafka_event([kafka::record("t", 0, 1, None, Some(b"ok")), no_offset]), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("negative offset", kafka_event([negative]), Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("records is an array", r#"{"records": [1]}"#, Expect::Fails("LambdaBatch.InvalidEvent")),
        row("value not base64", kafka_event([not_base64, kafka::record("t", 1, 5, None, Some(b"ok"))]), reports(&["t-1@4"])),
        row("a tombstone (no value)", kafka_event([kafka::record("t", 2, 6, Some(b"k"), None)]), reports(&["t-2@6"])),
        row(
            "offset written twice (the first counts)",
            r#"{"records": {"t-0": [{"topic": "t", "partition": 0, "offset": 7, "offset": 8, "value": "ZmFpbA=="}]}}"#,
            reports(&["t-0@7"]),
        ),
        row("a panicking record", kafka_event([kafka::record("t", 0, 9, None, Some(b"panic"))]), reports(&["t-0@9"])),
        row("a hanging record", kafka_event([kafka::record("t", 0, 10, None, Some(b"hang"))]), reports(&["t-0@10"])),
        row("a sink that panics", kafka_event([kafka::record("t", 0, 11, None, Some(b"sink-panics"))]), reports(&["t-0@11"])),
        row("a sink that hangs", kafka_event([kafka::record("t", 0, 12, None, Some(b"sink-hangs"))]), reports(&["t-0@12"])),
        row("both Records and records", format!(r#"{{"Records": [], "records": {{"t-0": [{good}]}}}}"#), Expect::Fails("LambdaBatch.InvalidEvent")),
        row("a record under another partition's key", format!(r#"{{"records": {{"t-1": [{good}]}}}}"#), Expect::Fails("LambdaBatch.InvalidEvent")),
        row("a partition that is not an array", r#"{"records": {"t-0": 5}}"#, Expect::Fails("LambdaBatch.InvalidEvent")),
        row("offset null", r#"{"records": {"t-0": [{"topic": "t", "partition": 0, "offset": null}]}}"#, Expect::Fails("LambdaBatch.MissingItemIdentifier")),
        row("offset above 2^63", r#"{"records": {"t-0": [{"topic": "t", "partition": 0, "offset": 9223372036854775808}]}}"#, Expect::Fails("LambdaBatch.MissingItemIdentifier")),
    ]);
    check("Kafka", rows);
}

/// Contradictory Kafka events are refused with an error that names the
/// contradiction, and identifier problems are named exactly.
#[test]
fn kafka_contradictions_are_refused_with_exact_messages() {
    use lambda_batch::BatchPipeline;
    use lambda_batch::kafka::Kafka;
    let good = kafka::record("t", 0, 1, None, Some(b"ok")).to_string();
    let error = |json: &str| match Kafka::read_records(&BatchEvent::from_json(json).unwrap()) {
        Ok(records) => panic!("{json}: read {} records, expected a refusal", records.len()),
        Err(error) => error.to_string(),
    };
    let cases: [(String, &str); 5] = [
        (format!(r#"{{"Records": [], "records": {{"t-0": [{good}]}}}}"#), "both a `Records` key"),
        (
            format!(r#"{{"records": {{"t-0": [{good}], "t-1": [{good}]}}}}"#),
            "Kafka record 1 says topic `t`, partition 0, but sits under `t-1`",
        ),
        (r#"{"records": {"t-0": [], "t-3": 5}}"#.to_owned(), "Kafka partition `t-3` is a JSON number"),
        (
            r#"{"records": {"t-0": [{"topic": "t", "partition": 0, "offset": null}]}}"#.to_owned(),
            "`offset` is null",
        ),
        (
            r#"{"records": {"t-0": [{"topic": "t", "partition": 0, "offset": 9223372036854775808}]}}"#
                .to_owned(),
            "`offset` is larger than a Kafka offset can be",
        ),
    ];
    for (json, expected) in cases {
        let message = error(&json);
        assert!(message.contains(expected), "{json}: {message}");
    }
}

#[test]
fn a_slow_batch_under_a_short_deadline_is_reported_not_timed_out() {
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
    let event = sqs_event([sqs::message("h", "hang"), sqs::message("later", "ok")]);
    let row =
        Row { name: "deadline in 3 s", event, deadline_ms: Some(3000), expect: reports(&["h", "later"]) };
    // The record timeout (2 s) comes before the guard's cut-off: h fails on
    // its timeout; `later` then starts past the cut-off and is reported.
    let got = runtime.block_on(run("SQS", &row));
    assert!(matches!(&got, Expect::Reports(ids) if ids.contains(&"h".to_owned())), "{got:?}");
    let _ = Duration::ZERO;
}
