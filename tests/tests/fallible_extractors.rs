//! Fallible extractors (`Option<T>` for payload extractors, `Result<T,
//! ExtractError>` for any) on good and bad payloads of every source, and
//! `Result<RecordOutcome, E>` results: the record function decides, and an
//! extraction error keeps its cause.

use std::error::Error;
use std::sync::Mutex;

use lambda_batch::dynamodb::{DynamoDb, NewImage, OldImage};
use lambda_batch::kafka::{Kafka, Key};
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::Sqs;
use lambda_batch::stream::{StreamConfig, StreamPolicy};
use lambda_batch::{
    BatchPipeline, ExtractError, Json, RecordErrorKind, RecordOutcome, RecordStatus, batch_handler,
};
use lambda_batch_testkit::{dynamodb, kafka, kinesis, sqs};
use serde_json::json;

use crate::common::Unreachable;
use crate::common::cx;

#[derive(Debug, serde::Deserialize)]
struct Order {
    id: u64,
}

/// What each record function saw, one line per record.
#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

impl Seen {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// An extraction error in words: extractor, message, cause.
fn described(error: &ExtractError) -> String {
    let cause = error.source().map_or_else(|| "no cause".to_owned(), ToString::to_string);
    format!("{} error: {} <- {cause}", error.extractor(), error.message())
}

#[batch_handler(sqs)]
fn sqs_orders(
    #[state] seen: &Seen,
    order: Option<Json<Order>>,
    checked: Result<Json<Order>, ExtractError>,
) -> RecordOutcome {
    let order = order.map(|Json(order)| order.id);
    match checked {
        Ok(Json(checked)) => {
            seen.push(format!("{order:?} {}", checked.id));
            RecordOutcome::Success
        }
        Err(error) => {
            seen.push(format!("{order:?} {}", described(&error)));
            RecordOutcome::poison(error)
        }
    }
}

#[tokio::test]
async fn sqs_option_and_result_of_json_see_good_and_bad_bodies() {
    let seen = Seen::default();
    let batch = sqs::event([sqs::message("m1", r#"{"id": 7}"#), sqs::message("m2", "not json")]);
    let report =
        Sqs::process(&sqs_orders::with_state(&seen), &sqs_orders::CONFIG, &batch, &cx()).await.unwrap();
    let lines = seen.lines();
    assert_eq!(lines[0], "Some(7) 7");
    assert!(
        lines[1].starts_with("None Json error: the body is not valid JSON for `")
            && lines[1].ends_with("Order` <- expected ident at line 1 column 2"),
        "{lines:?}"
    );
    // The function decided: poison, acknowledged, not failed.
    assert!(matches!(report.records()[1].status(), RecordStatus::Poison { .. }));
    assert_eq!(report.response().failures().count(), 0);
}

#[batch_handler(kinesis)]
fn kinesis_readings(
    #[state] seen: &Seen,
    reading: Option<Json<Order>>,
    bytes: Result<&[u8], ExtractError>,
    text: Option<&str>,
    checked_text: Result<&str, ExtractError>,
) {
    let bytes = bytes.map(<[u8]>::len).map_err(|error| described(&error));
    let checked_text = checked_text.map_err(|error| described(&error));
    seen.push(format!("{:?} {bytes:?} {text:?} {checked_text:?}", reading.map(|r| r.id)));
}

#[tokio::test]
async fn kinesis_option_and_result_see_json_utf8_and_base64_failures() {
    let seen = Seen::default();
    let mut not_base64 = kinesis::record(&kinesis::sequence_number(3), "k", b"");
    not_base64["kinesis"]["data"] = json!("!!not base64!!");
    let batch = kinesis::event([
        kinesis::record(&kinesis::sequence_number(1), "k", br#"{"id": 1}"#),
        kinesis::record(&kinesis::sequence_number(2), "k", &[0xff, 0xfe]),
        not_base64,
    ]);
    let handler = kinesis_readings::with_state(&seen);
    let report = Kinesis::process(&handler, &StreamConfig::new(), &batch, &cx()).await.unwrap();
    assert_eq!(report.response().failures().count(), 0, "no extractor failed a record");
    let lines = seen.lines();
    assert_eq!(lines[0], r#"Some(1) Ok(9) Some("{\"id\": 1}") Ok("{\"id\": 1}")"#);
    assert!(
        lines[1]
            .starts_with("None Ok(2) None Err(\"&str error: `kinesis.data` is not UTF-8 <- invalid utf-8")
    );
    assert!(lines[2].starts_with("None Err(\"&[u8] error: "), "{lines:?}");
    assert!(lines[2].contains("None Err(\"&str error: "), "{lines:?}");
}

#[batch_handler(kafka)]
fn kafka_clicks(
    #[state] seen: &Seen,
    key: Option<Key<'_>>,
    value: Option<Json<Order>>,
    checked: Result<Json<Order>, ExtractError>,
    text: Result<&str, ExtractError>,
) -> Result<RecordOutcome, ExtractError> {
    let key = key.map(|Key(key)| key.map(<[u8]>::len));
    seen.push(format!("{key:?} {:?} {}", value.map(|v| v.id), text.is_ok()));
    // `?` on an extraction error: the record fails, with its cause.
    let Json(order) = checked?;
    Ok(if order.id == 0 { RecordOutcome::retry_later() } else { RecordOutcome::Success })
}

#[tokio::test]
async fn kafka_key_and_value_extractors_fail_softly_and_question_mark_keeps_the_cause() {
    let seen = Seen::default();
    let mut bad_key = kafka::record("clicks", 0, 3, Some(b"k"), Some(br#"{"id": 0}"#));
    bad_key["key"] = json!("%%%");
    let batch = kafka::event([
        kafka::record("clicks", 0, 1, Some(b"key"), Some(br#"{"id": 5}"#)),
        kafka::record("clicks", 0, 2, None, Some(b"\xff")),
        bad_key,
    ]);
    let handler = kafka_clicks::with_state(&seen);
    let config = StreamConfig::new().with_stream_policy(StreamPolicy::Continue);
    let report = Kafka::process(&handler, &config, &batch, &cx()).await.unwrap();
    assert_eq!(seen.lines(), ["Some(Some(3)) Some(5) true", "Some(None) None false", "None Some(0) true"]);
    assert_eq!(report.records()[0].status(), &RecordStatus::Succeeded);
    match report.records()[1].status() {
        RecordStatus::Failed(error) => {
            assert_eq!(error.kind(), RecordErrorKind::Handler);
            assert!(error.message().starts_with("the decoded `value` is not valid JSON for `"), "{error}");
            assert_eq!(error.causes().len(), 1, "{error}");
            assert!(error.causes()[0].contains("line 1 column 1"), "{error}");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert!(matches!(report.records()[2].status(), RecordStatus::RetryLater { .. }));
}

#[batch_handler(dynamodb)]
fn dynamodb_orders(
    #[state] seen: &Seen,
    new: Result<NewImage<Order>, ExtractError>,
    old: Result<Option<OldImage<Order>>, ExtractError>,
) {
    let new = new.map(|NewImage(order)| order.id).map_err(|error| described(&error));
    let old = old.map(|old| old.map(|OldImage(order)| order.id)).map_err(|error| error.extractor());
    seen.push(format!("{new:?} {old:?}"));
}

/// `Option<NewImage<T>>` keeps its meaning: no image is `None`, a bad
/// image fails the record.
#[batch_handler(dynamodb)]
fn dynamodb_optional(#[state] seen: &Seen, new: Option<NewImage<Order>>) {
    seen.push(format!("{:?}", new.map(|NewImage(order)| order.id)));
}

#[tokio::test]
async fn dynamodb_result_of_images_and_option_keeps_failing_on_a_bad_image() {
    let keys = json!({"id": {"N": "1"}});
    let good = json!({"id": {"N": "1"}});
    let bad = json!({"id": {"S": "one"}});
    let batch = dynamodb::event([
        dynamodb::record("100", "INSERT", keys.clone(), Some(good.clone()), None),
        dynamodb::record("200", "MODIFY", keys.clone(), Some(bad.clone()), Some(bad)),
        dynamodb::record("300", "REMOVE", keys, None, Some(good)),
    ]);
    let seen = Seen::default();
    let config = StreamConfig::new().with_stream_policy(StreamPolicy::Continue);
    let report =
        DynamoDb::process(&dynamodb_orders::with_state(&seen), &config, &batch, &cx()).await.unwrap();
    assert_eq!(report.response().failures().count(), 0);
    let lines = seen.lines();
    assert_eq!(lines[0], "Ok(1) Ok(None)");
    assert!(lines[1].starts_with("Err(\"NewImage error: `dynamodb.NewImage` does not fit `"), "{lines:?}");
    assert!(lines[1].ends_with("Err(\"OldImage\")"), "{lines:?}");
    assert!(!lines[1].contains("no cause"), "the serde_dynamo error is the cause: {lines:?}");
    assert!(lines[2].starts_with("Err(\"NewImage error: the record has no `dynamodb.NewImage`"), "{lines:?}");

    let seen = Seen::default();
    let report =
        DynamoDb::process(&dynamodb_optional::with_state(&seen), &config, &batch, &cx()).await.unwrap();
    assert_eq!(seen.lines(), ["Some(1)", "None"], "the bad image never reached the function");
    match report.records()[1].status() {
        RecordStatus::Failed(error) => {
            assert_eq!(error.kind(), RecordErrorKind::Extract);
            assert_eq!(error.causes().len(), 1, "the serde_dynamo error: {error}");
        }
        other => panic!("a bad image fails the record under `Option<NewImage<T>>`, got {other:?}"),
    }
}

#[batch_handler(sqs)]
fn with_error_type(body: &str) -> Result<RecordOutcome, Unreachable> {
    match body {
        "later" => Ok(RecordOutcome::retry_later()),
        "down" => Err(Unreachable(std::io::Error::other("connection refused"))),
        _ => Ok(RecordOutcome::Success),
    }
}

#[batch_handler(sqs)]
async fn with_boxed_error(body: &str) -> Result<(), Box<dyn Error + Send + Sync>> {
    if body == "down" {
        return Err(Box::new(Unreachable(std::io::Error::other("connection refused"))));
    }
    Ok(())
}

#[batch_handler(sqs)]
fn with_text_error(body: &str) -> Result<RecordOutcome, String> {
    if body == "down" {
        Err("the stock service is unreachable".to_owned())
    } else {
        Ok(RecordOutcome::Success)
    }
}

/// The failed record's error, from a batch `later`, `down`, `ok`.
fn failure_of(report: &lambda_batch::BatchReport<'_>) -> lambda_batch::RecordError {
    assert!(matches!(
        report.records()[0].status(),
        RecordStatus::RetryLater { .. } | RecordStatus::Succeeded
    ));
    assert_eq!(report.records()[2].status(), &RecordStatus::Succeeded);
    match report.records()[1].status() {
        RecordStatus::Failed(error) => error.clone(),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn result_of_record_outcome_and_error_types_keep_their_causes() {
    let batch =
        sqs::event([sqs::message("m1", "later"), sqs::message("m2", "down"), sqs::message("m3", "ok")]);
    let report = Sqs::process(&with_error_type {}, &with_error_type::CONFIG, &batch, &cx()).await.unwrap();
    assert!(matches!(report.records()[0].status(), RecordStatus::RetryLater { .. }));
    let error = failure_of(&report);
    assert_eq!(error.message(), "the stock service is unreachable");
    assert_eq!(error.causes(), ["connection refused"]);
    assert_eq!(error.to_string(), "the stock service is unreachable: connection refused");

    let report = Sqs::process(&with_boxed_error {}, &with_boxed_error::CONFIG, &batch, &cx()).await.unwrap();
    assert_eq!(failure_of(&report).causes(), ["connection refused"], "a boxed error keeps its causes");

    let report = Sqs::process(&with_text_error {}, &with_text_error::CONFIG, &batch, &cx()).await.unwrap();
    let error = failure_of(&report);
    assert_eq!((error.message(), error.causes()), ("the stock service is unreachable", &[][..]));
}

#[tokio::test]
async fn hand_written_handlers_keep_causes_with_failure_from() {
    let handler =
        lambda_batch::handler_fn(|record: &lambda_batch::sqs::SqsRecord<'_>, _cx: &lambda_batch::Context| {
            match record.body() {
                Some("down") => {
                    RecordOutcome::failure_from(&Unreachable(std::io::Error::other("connection refused")))
                }
                _ => RecordOutcome::Success,
            }
        });
    let batch = sqs::event([sqs::message("m1", "ok"), sqs::message("m2", "down"), sqs::message("m3", "ok")]);
    let report = Sqs::process(&handler, &Default::default(), &batch, &cx()).await.unwrap();
    assert_eq!(failure_of(&report).causes(), ["connection refused"]);
}

/// An error whose `source()` is itself: a chain that never ends.
#[derive(Debug)]
struct Looping;

static LOOPING: Looping = Looping;

impl std::fmt::Display for Looping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("looping")
    }
}

impl Error for Looping {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&LOOPING)
    }
}

#[test]
fn a_cause_chain_that_loops_is_cut_short() {
    let error = lambda_batch::RecordError::from_error(RecordErrorKind::Handler, &Looping);
    assert_eq!(error.causes().len(), 32, "the chain is cut at 32 causes");
}
