//! Property tests of handlers that take each envelope and each Kafka
//! format, through the testkit's strategies (`lambda_batch_testkit::envelope`,
//! `kafka::avro_value`, `kafka::protobuf_value`), and a planted defect for
//! each that the same property catches: a handler that reads the SNS body
//! as the message, one that reads the whole EventBridge event as its
//! detail, one that fails on S3's test event, one that takes CloudWatch
//! Logs' control message for log lines, and one that assumes every Kafka
//! value has a Confluent prefix.

use std::future::Future;
use std::sync::LazyLock;

use apache_avro::Schema;
use lambda_batch::envelope::{CloudWatchLogs, FromEventBridge, FromSns, S3Notification};
use lambda_batch::kafka::{Avro, AvroKey, Protobuf, WriterSchema};
use lambda_batch::{BatchEvent, Json, LambdaEvent, batch_handler};
use lambda_batch_testkit::envelope::{cloudwatch_logs, eventbridge_body, s3_body, sns_body};
use lambda_batch_testkit::kafka::{avro_value, protobuf_value};
use lambda_batch_testkit::prelude::*;
use proptest::test_runner::{Config, TestError, TestRunner};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    id: i32,
    item: String,
}

fn orders() -> impl Strategy<Value = Order> {
    (0i32..1000, "[a-z]{1,8}").prop_map(|(id, item)| Order { id, item })
}

/// Runs `handler` on batches from `batches` without faults: every record
/// must succeed.
fn every_record_handled<F, Fut, R, E>(
    batches: impl Strategy<Value = Batch>,
    handler: F,
) -> Result<(), TestError<Batch>>
where
    F: Fn(LambdaEvent<BatchEvent>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: Serialize,
    E: Into<lambda_runtime::Diagnostic>,
{
    let mut runner = TestRunner::new(Config { cases: 48, failure_persistence: None, ..Config::default() });
    runner.run(&batches, |batch| {
        let run = run(&handler, &batch, &FaultPlan::none());
        prop_assert!(run.response.is_ok(), "the invocation failed: {:?}", run.response);
        prop_assert!(run.reported().is_empty(), "records failed: {:?}", run.reported());
        Ok(())
    })
}

fn assert_caught(result: Result<(), TestError<Batch>>, defect: &str) {
    match result {
        Err(TestError::Fail(reason, batch)) => {
            assert!(!batch.is_empty(), "{defect}: caught on an empty batch: {reason}");
        }
        other => panic!("{defect} was not caught: {other:?}"),
    }
}

#[batch_handler(sqs, all_failed = "report_all")]
async fn from_sns(order: FromSns<Order>) -> Result<(), String> {
    if order.topic_arn.is_empty() || order.item.is_empty() { Err("incomplete".to_owned()) } else { Ok(()) }
}

/// Defect: reads the body as the order, as if raw message delivery were on.
#[batch_handler(sqs, all_failed = "report_all")]
async fn from_sns_read_as_raw(Json(order): Json<Order>) -> Result<(), String> {
    if order.item.is_empty() { Err("incomplete".to_owned()) } else { Ok(()) }
}

#[test]
fn sns_envelopes_hold_under_the_strategy_and_reading_the_body_raw_is_caught() {
    every_record_handled(sqs_batch(sns_body(orders()), 1..6), from_sns).unwrap();
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    runner
        .run(&(sqs_batch(sns_body(orders()), 0..8), fault_plan(8, 0.3)), |(batch, faults)| {
            check(&run(from_sns, &batch, &faults), from_sns::CONFIG)
        })
        .unwrap();
    assert_caught(
        every_record_handled(sqs_batch(sns_body(orders()), 1..6), from_sns_read_as_raw),
        "raw SNS body",
    );
}

#[batch_handler(sqs, all_failed = "report_all")]
async fn from_eventbridge(event: FromEventBridge<Order>) -> Result<(), String> {
    if event.source.is_empty() || event.item.is_empty() { Err("incomplete".to_owned()) } else { Ok(()) }
}

/// Defect: reads the whole event as the detail.
#[batch_handler(sqs, all_failed = "report_all")]
async fn from_eventbridge_whole_event(Json(order): Json<Order>) -> Result<(), String> {
    from_eventbridge::record(FromEventBridge::new("-", "-", order)).await
}

#[test]
fn eventbridge_envelopes_hold_and_reading_the_whole_event_is_caught() {
    every_record_handled(sqs_batch(eventbridge_body(orders()), 1..6), from_eventbridge).unwrap();
    let whole =
        every_record_handled(sqs_batch(eventbridge_body(orders()), 1..6), from_eventbridge_whole_event);
    assert_caught(whole, "the whole EventBridge event read as detail");
}

#[batch_handler(sqs, all_failed = "report_all")]
async fn from_s3(notification: S3Notification) -> Result<(), String> {
    match notification {
        S3Notification::Test(_) => Ok(()),
        S3Notification::Records(records) => {
            let key = records.first().and_then(|record| record.s3.object.key.as_deref()).ok_or("no key")?;
            if key.contains(' ') { Err(format!("S3 keys arrive URL-encoded: {key}")) } else { Ok(()) }
        }
    }
}

/// Defect: expects every notification to have records (fails on the
/// `s3:TestEvent`).
#[batch_handler(sqs, all_failed = "report_all")]
async fn from_s3_without_test_event(notification: S3Notification) -> Result<(), String> {
    match notification {
        S3Notification::Test(test) => Err(format!("a notification without records from {}", test.bucket)),
        records => from_s3::record(records).await,
    }
}

#[test]
fn s3_envelopes_hold_and_failing_on_the_test_event_is_caught() {
    let keys = "[a-z]{1,6}( [a-z]{1,6})?/[a-z]{1,6}\\.csv";
    every_record_handled(sqs_batch(s3_body(keys), 1..6), from_s3).unwrap();
    assert_caught(
        every_record_handled(sqs_batch(s3_body(keys), 1..6), from_s3_without_test_event),
        "S3 test event",
    );
}

#[derive(Deserialize)]
struct LogLine {
    level: String,
}

fn log_lines() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(prop_oneof![Just("INFO"), Just("ERROR")], 1..4).prop_map(|levels| {
        levels.into_iter().map(|level| format!(r#"{{"level":"{level}","msg":"m"}}"#)).collect()
    })
}

#[batch_handler(kinesis, all_failed = "report_all")]
async fn from_cloudwatch(logs: CloudWatchLogs) -> Result<(), String> {
    match logs {
        CloudWatchLogs::Control(_) => Ok(()),
        CloudWatchLogs::Data(data) => parse_lines(&data.log_events),
    }
}

fn parse_lines(events: &[lambda_batch::envelope::LogEvent]) -> Result<(), String> {
    for event in events {
        let line: LogLine = serde_json::from_str(&event.message).map_err(|error| format!("{error}"))?;
        if line.level.is_empty() {
            return Err("no level".to_owned());
        }
    }
    Ok(())
}

/// Defect: takes the control message's text for log lines.
#[batch_handler(kinesis, all_failed = "report_all")]
async fn from_cloudwatch_reading_control(logs: CloudWatchLogs) -> Result<(), String> {
    parse_lines(&logs.data().log_events)
}

#[test]
fn cloudwatch_logs_hold_and_reading_the_control_message_is_caught() {
    every_record_handled(kinesis_batch(cloudwatch_logs(log_lines()), 1..6, 1..=2), from_cloudwatch).unwrap();
    let control = every_record_handled(
        kinesis_batch(cloudwatch_logs(log_lines()), 1..6, 1..=2),
        from_cloudwatch_reading_control,
    );
    assert_caught(control, "CloudWatch Logs control message read as log lines");
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct UserId {
    id: i64,
}

static ORDER_SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::parse_str(
        r#"{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "int"}, {"name": "item", "type": "string"}]}"#,
    )
    .unwrap()
});
static USER_SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::parse_str(r#"{"type": "record", "name": "UserId", "fields": [{"name": "id", "type": "long"}]}"#)
        .unwrap()
});

impl WriterSchema for Order {
    fn writer_schema() -> &'static Schema {
        &ORDER_SCHEMA
    }
}

impl WriterSchema for UserId {
    fn writer_schema() -> &'static Schema {
        &USER_SCHEMA
    }
}

#[batch_handler(kafka, all_failed = "report_all")]
async fn from_avro(Avro(order): Avro<Order>, AvroKey(user): AvroKey<UserId>) -> Result<(), String> {
    if order.item.is_empty() || user.id < 0 { Err("incomplete".to_owned()) } else { Ok(()) }
}

/// Defect: assumes every value has a Confluent prefix and decodes the rest.
#[batch_handler(kafka, all_failed = "report_all")]
async fn from_avro_assuming_confluent(value: &[u8]) -> Result<(), String> {
    let mut datum = value.get(5..).ok_or("shorter than a Confluent prefix")?;
    let reader = apache_avro::reader::datum::GenericDatumReader::builder(&ORDER_SCHEMA)
        .build()
        .map_err(|e| e.to_string())?;
    let value = reader.read_value(&mut datum).map_err(|e| e.to_string())?;
    let order: Order = apache_avro::from_value(&value).map_err(|e| e.to_string())?;
    if order.item.is_empty() || !datum.is_empty() { Err("bad order".to_owned()) } else { Ok(()) }
}

#[test]
fn avro_values_and_keys_hold_in_every_wire_format_and_assuming_one_is_caught() {
    let keys = avro_value((0i64..100).prop_map(|id| UserId { id }), &USER_SCHEMA).prop_map(Some);
    let batches = || kafka_keyed_batch(keys.clone(), avro_value(orders(), &ORDER_SCHEMA), 1..6, 1..=2);
    every_record_handled(batches(), from_avro).unwrap();
    assert_caught(
        every_record_handled(batches(), from_avro_assuming_confluent),
        "Avro read as Confluent always",
    );
}

#[derive(Clone, PartialEq, prost::Message)]
struct Click {
    #[prost(string, tag = "1")]
    page: String,
    #[prost(int64, tag = "2")]
    millis: i64,
}

#[batch_handler(kafka, all_failed = "report_all")]
async fn from_protobuf(Protobuf(click): Protobuf<Click>) -> Result<(), String> {
    if click.page.starts_with('/') {
        Ok(())
    } else {
        Err(format!("a page that is no path: {:?}", click.page))
    }
}

/// Defect: decodes the value as a plain message, prefix and all.
#[batch_handler(kafka, all_failed = "report_all")]
async fn from_protobuf_ignoring_prefixes(value: &[u8]) -> Result<(), String> {
    let click: Click = prost::Message::decode(value).map_err(|error| error.to_string())?;
    from_protobuf::record(Protobuf(click)).await
}

#[test]
fn protobuf_values_hold_in_every_wire_format_and_ignoring_prefixes_is_caught() {
    let clicks = ("/[a-z]{0,6}", any::<i64>()).prop_map(|(page, millis)| Click { page, millis });
    let batches = || kafka_batch(protobuf_value(clicks.clone()), 1..6, 1..=2);
    every_record_handled(batches(), from_protobuf).unwrap();
    assert_caught(
        every_record_handled(batches(), from_protobuf_ignoring_prefixes),
        "Protobuf prefixes ignored",
    );
}
