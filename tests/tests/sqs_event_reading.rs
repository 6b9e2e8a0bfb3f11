//! Reading the event: lenient per record, strict about the envelope and ids.

use crate::common;

use crate::common::{ids, response_ids, run, statuses};
use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use lambda_batch::sqs::SqsConfig;
use lambda_batch::{BatchError, BatchEvent, EventError};
use lambda_batch_testkit::sqs::{event, message};
use serde_json::json;

fn invalid_event(value: serde_json::Value) -> EventError {
    let event = BatchEvent::from(value);
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (result, calls) = rt.block_on(run(&event, SqsConfig::new()));
    assert!(calls.is_empty(), "no record may be handled when the event is invalid");
    match result {
        Err(BatchError::InvalidEvent(error)) => error,
        other => panic!("expected InvalidEvent, got {other:?}"),
    }
}

#[test]
fn an_event_that_is_not_json_is_rejected_with_a_clear_error() {
    let error = BatchEvent::from_json("{\"Records\": [").unwrap_err();
    assert!(matches!(error, EventError::NotJson(_)));
    assert!(error.to_string().starts_with("the event is not valid JSON"), "{error}");
    // This is the path lambda_runtime takes: deserializing the payload type.
    assert!(serde_json::from_slice::<BatchEvent>(b"not json").is_err());
}

#[test]
fn an_event_without_a_records_array_is_an_invocation_error() {
    assert!(matches!(invalid_event(json!({})), EventError::MissingRecords));
    assert!(matches!(invalid_event(json!({"Records": null})), EventError::MissingRecords));
    // Lower-case `records` is Kafka's map of partitions, never an array.
    assert!(matches!(
        invalid_event(json!({"records": []})),
        EventError::KafkaRecordsNotMap { found: "array" }
    ));
    assert!(matches!(invalid_event(json!({"Records": {}})), EventError::RecordsNotArray { found: "object" }));
    assert!(matches!(
        invalid_event(json!({"Records": "x"})),
        EventError::RecordsNotArray { found: "string" }
    ));
    assert!(matches!(invalid_event(json!([])), EventError::NotAnObject { found: "array" }));
    assert!(matches!(invalid_event(json!("Records")), EventError::NotAnObject { found: "string" }));
    assert!(matches!(invalid_event(json!(null)), EventError::NotAnObject { found: "null" }));
    let duplicate = BatchEvent::from_json(r#"{"Records": [], "Records": []}"#).unwrap();
    assert!(matches!(duplicate.records(), Err(EventError::DuplicateRecords)));
    let message = invalid_event(json!({"detail": {}})).to_string();
    assert!(message.contains("no `Records` array"), "{message}");
}

#[test]
fn invalid_events_convert_to_a_stable_lambda_error_type() {
    let error = BatchError::from(EventError::MissingRecords);
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "LambdaBatch.InvalidEvent");
    assert!(diagnostic.error_message.contains("Records"));
}

#[tokio::test]
async fn an_empty_batch_is_a_complete_success() {
    let event = event([]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert!(calls.is_empty());
    assert_eq!(response_ids(report.unwrap()), Ok(vec![]));
}

#[tokio::test]
async fn one_malformed_record_fails_alone() {
    let mut bad_attributes = message("m2", "ok");
    bad_attributes["attributes"] = json!(42);
    let mut bad_body = message("m3", "ok");
    bad_body["body"] = json!({"not": "a string"});
    let garbage = json!({"messageId": "m4", "receiptHandle": 7, "eventSource": [1, 2], "attributes": "x"});
    let event = event([message("m1", "ok"), bad_attributes, bad_body, garbage, message("m5", "ok")]);

    // A handler that needs the body as text: m3 (body not a string) and m4 (no
    // body) fail; the records around them are handled.
    let handler =
        lambda_batch::handler_fn(|record: &lambda_batch::sqs::SqsRecord<'_>, _: &lambda_batch::Context| {
            record.body().map(|_| ()).ok_or("no body")
        });
    let report = Sqs::process(&handler, &SqsConfig::new(), &event, &common::cx()).await.unwrap();
    assert_eq!(statuses(&report), ["ok", "ok", "failed", "failed", "ok"]);
    assert_eq!(response_ids(report), Ok(ids(&["m3", "m4"])));
}

#[tokio::test]
async fn a_record_that_does_not_fit_sqs_message_fails_alone_when_the_full_record_is_asked_for() {
    let mut bad = message("m2", "ok");
    bad["messageAttributes"] = json!("not an object");
    let event = event([message("m1", "ok"), bad]);
    let handler =
        lambda_batch::handler_fn(|record: &lambda_batch::sqs::SqsRecord<'_>, _: &lambda_batch::Context| {
            record.message().map(|_| ()).map_err(str::to_owned)
        });
    let report = Sqs::process(&handler, &SqsConfig::new(), &event, &common::cx()).await.unwrap();
    assert_eq!(response_ids(report), Ok(ids(&["m2"])));
}

#[tokio::test]
async fn a_record_without_a_usable_message_id_fails_the_invocation_before_any_record_is_handled() {
    let cases = [
        (json!({"body": "ok"}), "absent or null"),
        (json!({"messageId": null, "body": "ok"}), "absent or null"),
        (json!({"messageId": "", "body": "ok"}), "empty string"),
        (json!({"messageId": 17, "body": "ok"}), "not a string"),
        (json!("just a string"), "the record is not a JSON object"),
        (json!([1, 2]), "the record is not a JSON object"),
    ];
    for (bad, expected_problem) in cases {
        let event = event([message("m1", "ok"), bad.clone(), message("m3", "ok")]);
        let (result, calls) = run(&event, SqsConfig::new()).await;
        assert!(calls.is_empty(), "{bad}: records were handled although the batch fails: {calls:?}");
        match result {
            Err(error @ BatchError::MissingItemIdentifier { index: 1, field: "messageId", problem }) => {
                assert_eq!(problem, expected_problem, "{bad}");
                assert_eq!(error.error_type(), "LambdaBatch.MissingItemIdentifier");
            }
            other => panic!("{bad}: expected MissingItemIdentifier for record 1, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn escaped_ids_and_bodies_are_read_exactly() {
    let event = event([message("id-with-\"quote\"", "line\nbreak \u{e9}")]);
    let handler =
        lambda_batch::handler_fn(|record: &lambda_batch::sqs::SqsRecord<'_>, _: &lambda_batch::Context| {
            assert_eq!(record.message_id(), "id-with-\"quote\"");
            assert_eq!(record.body(), Some("line\nbreak \u{e9}"));
            Err::<(), _>("fail so the id comes back")
        });
    let report = Sqs::process(
        &handler,
        &SqsConfig::new().with_all_failed_policy(lambda_batch::AllFailedPolicy::ReportAll),
        &event,
        &common::cx(),
    )
    .await
    .unwrap();
    assert_eq!(response_ids(report), Ok(ids(&["id-with-\"quote\""])));
}

/// `lambda_runtime` reads the payload with `serde_path_to_error` over
/// `serde_json::Deserializer::from_slice`; `BatchEvent` must survive that
/// wrapper byte for byte.
#[test]
fn the_event_reads_through_lambda_runtime_s_deserializer() {
    let json = br#"{"Records": [{"messageId": "m1", "body": "{\"a\": 1}"}], "extra": [1, 2]}"#;
    let deserializer = &mut serde_json::Deserializer::from_slice(json);
    let event: BatchEvent = serde_path_to_error::deserialize(deserializer).unwrap();
    let records = event.records().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(
        records[0].get(),
        r#"{"messageId": "m1", "body": "{\"a\": 1}"}"#,
        "each record kept byte for byte"
    );
    let deserializer = &mut serde_json::Deserializer::from_slice(b"{\"Records\": [");
    let error = serde_path_to_error::deserialize::<_, BatchEvent>(deserializer).unwrap_err();
    assert!(error.to_string().contains("EOF"), "{error}");
}
