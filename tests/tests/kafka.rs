//! Kafka (Amazon MSK and self-managed): partial batch responses with
//! partition/offset identifiers, per-partition order, panics, concurrency,
//! the deadline guard and bad input.

use crate::common;

use lambda_batch::BatchPipeline;
use lambda_batch::kafka::Kafka;
use std::sync::Mutex;
use std::time::Duration;

use lambda_batch::kafka::{self, Headers, KafkaRecord, Key};
use lambda_batch::stream::{StreamConfig, StreamPolicy};
use lambda_batch::{BatchError, BatchEvent, BatchResponse, Json, LambdaEvent, batch_handler};
use lambda_batch_testkit::kafka::{event, event_json, record};
use serde::Deserialize;
use serde_json::{Value, json};

static CALLS: Mutex<Vec<String>> = Mutex::new(Vec::new());
// One test body runs at a time: CALLS is shared.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn take_calls() -> Vec<String> {
    std::mem::take(&mut *CALLS.lock().unwrap())
}

/// Fails records whose value is `fail`, panics on `panic`, sleeps on `slow`.
#[batch_handler(kafka)]
async fn scripted(record: &KafkaRecord<'_>, value: &str) -> Result<(), String> {
    CALLS.lock().unwrap().push(format!("{}@{}", record.partition_key(), record.offset()));
    match value {
        "panic" => panic!("scripted panic"),
        "fail" => Err(format!("failed offset {}", record.offset())),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(600)).await;
            Ok(())
        }
        _ => Ok(()),
    }
}

#[batch_handler(kafka, stream_policy = "continue", all_failed = "report_all")]
async fn scripted_continue(record: &KafkaRecord<'_>, value: &str) -> Result<(), String> {
    scripted::record(record, value).await
}

#[batch_handler(kafka, concurrency = 4)]
async fn scripted_concurrent(record: &KafkaRecord<'_>, value: &str) -> Result<(), String> {
    scripted::record(record, value).await
}

fn batch(items: &[(&str, u32, u64, &str)]) -> BatchEvent {
    event(items.iter().map(|(topic, partition, offset, value)| {
        record(topic, *partition, *offset, Some(b"k"), Some(value.as_bytes()))
    }))
}

async fn call<F, Fut>(handler: F, event: BatchEvent) -> Result<Value, &'static str>
where
    F: Fn(LambdaEvent<BatchEvent>) -> Fut,
    Fut: Future<Output = Result<BatchResponse, BatchError>>,
{
    handler(LambdaEvent::new(event, lambda_batch_testkit::context()))
        .await
        .map(|response| serde_json::to_value(response).unwrap())
        .map_err(|error| error.error_type())
}

fn failures(list: &[(&str, i64)]) -> Value {
    json!({"batchItemFailures": list.iter().map(|(partition, offset)| {
        json!({"itemIdentifier": {"partition": partition, "offset": offset}})
    }).collect::<Vec<_>>()})
}

#[tokio::test]
async fn a_failure_stops_its_partition_only_and_reports_its_lowest_offset() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = batch(&[
        ("orders", 0, 10, "ok"),
        ("orders", 0, 11, "fail"),
        ("orders", 0, 12, "ok"),
        ("orders", 1, 5, "ok"),
        ("orders", 1, 6, "ok"),
    ]);
    assert_eq!(call(scripted, event).await, Ok(failures(&[("orders-0", 11)])));
    assert_eq!(
        take_calls(),
        ["orders-0@10", "orders-0@11", "orders-1@5", "orders-1@6"],
        "offset 12 waits behind 11; partition 1 goes on"
    );
}

#[tokio::test]
async fn every_partition_reports_its_own_lowest_failure() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = batch(&[
        ("orders", 0, 10, "fail"),
        ("orders", 0, 11, "ok"),
        ("payments", 3, 7, "ok"),
        ("payments", 3, 8, "panic"),
        ("payments", 3, 9, "ok"),
    ]);
    assert_eq!(call(scripted, event).await, Ok(failures(&[("orders-0", 10), ("payments-3", 8)])));
    assert_eq!(take_calls(), ["orders-0@10", "payments-3@7", "payments-3@8"]);
}

#[tokio::test]
async fn a_panic_fails_its_record_only() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = batch(&[("orders", 0, 1, "ok"), ("orders", 1, 1, "panic"), ("orders", 2, 1, "ok")]);
    assert_eq!(call(scripted, event).await, Ok(failures(&[("orders-1", 1)])));
    assert_eq!(take_calls().len(), 3);
}

#[tokio::test]
async fn all_failed_fails_the_invocation_unless_report_all() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = || batch(&[("orders", 0, 1, "fail"), ("orders", 1, 4, "fail")]);
    assert_eq!(call(scripted, event()).await, Err("LambdaBatch.AllRecordsFailed"));
    assert_eq!(call(scripted_continue, event()).await, Ok(failures(&[("orders-0", 1), ("orders-1", 4)])));
}

#[tokio::test]
async fn continue_handles_everything_and_reports_every_failure() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = batch(&[("orders", 0, 1, "fail"), ("orders", 0, 2, "ok"), ("orders", 0, 3, "fail")]);
    assert_eq!(call(scripted_continue, event).await, Ok(failures(&[("orders-0", 1), ("orders-0", 3)])));
    assert_eq!(take_calls().len(), 3);
}

#[tokio::test]
async fn concurrency_keeps_each_partition_in_offset_order() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let mut items = Vec::new();
    for partition in 0..4_u32 {
        for offset in 0..5_u64 {
            let value = if partition == 2 && offset == 2 { "fail" } else { "ok" };
            items.push(("orders", partition, offset, value));
        }
    }
    let event = batch(&items);
    assert_eq!(call(scripted_concurrent, event).await, Ok(failures(&[("orders-2", 2)])));
    let calls = take_calls();
    for partition in 0..4 {
        let prefix = format!("orders-{partition}@");
        let offsets: Vec<u64> =
            calls.iter().filter_map(|call| call.strip_prefix(&prefix)).map(|o| o.parse().unwrap()).collect();
        let expected: Vec<u64> = if partition == 2 { vec![0, 1, 2] } else { (0..5).collect() };
        assert_eq!(offsets, expected, "partition {partition} in offset order, stopped after its failure");
    }
}

#[tokio::test(start_paused = true)]
async fn the_deadline_guard_reports_what_it_could_not_finish() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = batch(&[("orders", 0, 1, "ok"), ("orders", 0, 2, "slow"), ("orders", 1, 9, "ok")]);
    let cx = lambda_batch_testkit::context_with_budget(Duration::from_secs(5));
    let response = scripted(LambdaEvent::new(event, cx)).await.unwrap();
    let value = serde_json::to_value(&response).unwrap();
    // One record at a time: the slow record is abandoned at the deadline,
    // and partition 1's record, which could not start, is reported too.
    assert_eq!(value, failures(&[("orders-0", 2), ("orders-1", 9)]));
    take_calls();
}

#[tokio::test]
async fn the_response_is_kafkas_object_identifier() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let event = batch(&[("orders", 0, 41, "ok"), ("orders", 0, 42, "fail")]);
    let response = scripted(LambdaEvent::new(event, lambda_batch_testkit::context())).await.unwrap();
    assert_eq!(
        serde_json::to_string(&response).unwrap(),
        r#"{"batchItemFailures":[{"itemIdentifier":{"partition":"orders-0","offset":42}}]}"#
    );
    let failure = response.failures().next().unwrap();
    assert_eq!(failure.as_str(), "orders-0@42");
    assert_eq!(failure.kafka_position(), Some(("orders-0", 42)));
    assert!(response.is_kafka());
    take_calls();
}

#[tokio::test]
async fn a_record_without_topic_partition_or_offset_fails_the_invocation_naming_it() {
    let _serial = SERIAL.lock().await;
    for (field, problem) in [
        ("topic", "`topic` is absent"),
        ("partition", "`partition` is absent"),
        ("offset", "`offset` is absent"),
    ] {
        take_calls();
        let mut broken = record("orders", 0, 2, None, Some(b"ok"));
        broken.as_object_mut().unwrap().remove(field);
        // The partition key of the records map is kept: Lambda always
        // sends one, and the record's own fields are what is read.
        let text = event_json([record("orders", 0, 1, None, Some(b"ok"))])
            .replace(r#"}]}}"#, &format!(r#"}},{broken}]}}}}"#));
        let event = BatchEvent::from_json(&text).unwrap();
        let error = scripted(LambdaEvent::new(event, lambda_batch_testkit::context())).await.unwrap_err();
        assert_eq!(error.error_type(), "LambdaBatch.MissingItemIdentifier");
        let message = error.to_string();
        assert!(message.contains("record 1") && message.contains(problem), "{message}");
        assert!(take_calls().is_empty(), "nothing is handled, so nothing is acknowledged");
    }
    for (value, problem) in
        [(json!(-1), "`offset` is negative"), (json!("7"), "`offset` is not a whole number")]
    {
        let mut broken = record("orders", 0, 2, None, Some(b"ok"));
        broken["offset"] = value;
        let error =
            scripted(LambdaEvent::new(event([broken]), lambda_batch_testkit::context())).await.unwrap_err();
        assert!(error.to_string().contains(problem), "{error}");
    }
}

#[derive(Debug, Deserialize)]
struct Order {
    id: u64,
}

#[batch_handler(kafka)]
async fn typed(Json(order): Json<Order>, Key(key): Key<'_>, headers: Headers<'_>) -> Result<(), String> {
    CALLS.lock().unwrap().push(format!(
        "{} {:?} {:?}",
        order.id,
        key.map(String::from_utf8_lossy),
        headers.get("source").map(String::from_utf8_lossy)
    ));
    Ok(())
}

#[tokio::test]
async fn a_bad_value_fails_its_record_alone() {
    let _serial = SERIAL.lock().await;
    take_calls();
    let mut not_base64 = record("orders", 0, 2, None, None);
    not_base64["value"] = json!("%%% not base64 %%%");
    let event = event([
        record("orders", 0, 1, Some(b"a"), Some(br#"{"id": 1}"#)),
        not_base64,
        record("orders", 1, 1, Some(b"b"), Some(b"not json")),
        record("orders", 2, 1, None, Some(br#"{"id": 3}"#)),
    ]);
    let response = call(typed, event).await;
    assert_eq!(response, Ok(failures(&[("orders-0", 2), ("orders-1", 1)])));
    assert_eq!(take_calls(), [r#"1 Some("a") Some("testkit")"#, r#"3 None Some("testkit")"#]);
}

#[tokio::test]
async fn a_key_and_value_whose_slashes_are_escaped_decode_like_any_other() {
    // JSON lets a writer escape `/` as `\/`; base64 uses `/`, and a value
    // read straight from the event's text must not lose such a record.
    let _serial = SERIAL.lock().await;
    take_calls();
    let text =
        event_json([record("orders", 0, 1, Some(&[0xfb, 0xff]), Some(br#"{"id": 5, "note": "???"}"#))]);
    assert!(
        text.contains("Ij8/PyJ9") && text.contains("+/8="),
        "the key and value have slashes to escape: {text}"
    );
    let event: BatchEvent = serde_json::from_str(&text.replace('/', "\\/")).unwrap();
    let response = call(typed, event).await;
    assert_eq!(response, Ok(failures(&[])));
    assert_eq!(take_calls(), ["5 Some(\"\u{fffd}\u{fffd}\") Some(\"testkit\")"]);
}

#[tokio::test]
async fn an_event_whose_records_are_not_partitions_fails_clearly() {
    for text in [r#"{"records": [1, 2]}"#, r#"{"records": {"orders-0": {"offset": 1}}}"#] {
        let event = BatchEvent::from_json(text).unwrap();
        let error = Kafka::handle(&scripted {}, &StreamConfig::new(), LambdaEvent::new(event, common::cx()))
            .await
            .unwrap_err();
        assert_eq!(error.error_type(), "LambdaBatch.InvalidEvent");
        assert!(error.to_string().contains("`records`"), "{error}");
    }
}

#[test]
fn the_macro_writes_the_stream_settings() {
    assert_eq!(scripted::CONFIG.stream_policy(), StreamPolicy::Checkpoint);
    assert_eq!(scripted_continue::CONFIG.stream_policy(), StreamPolicy::Continue);
}

#[tokio::test]
async fn the_handler_as_a_tower_service_answers_like_the_function() {
    use lambda_batch::BatchService;
    use lambda_runtime::Service;
    let _serial = SERIAL.lock().await;
    take_calls();
    let mut service = BatchService::<kafka::Kafka, _>::new(scripted {}, scripted::CONFIG);
    let event = || batch(&[("orders", 0, 1, "ok"), ("orders", 0, 2, "fail"), ("orders", 1, 1, "ok")]);
    let from_service = service
        .call(LambdaEvent::new(event(), lambda_batch_testkit::context()))
        .await
        .map(|r| serde_json::to_value(r).unwrap());
    let from_function = call(scripted, event()).await;
    assert_eq!(from_service.map_err(|error| error.error_type()), from_function);
    assert_eq!(from_function, Ok(failures(&[("orders-0", 2)])));
    take_calls();
}

mod validator {
    use lambda_batch::validate::{BatchView, Problem, Verdict};
    use lambda_batch::{BatchEvent, SourceKind};
    use lambda_batch_testkit::kafka::{event_json, record};
    use serde_json::{Value, json};

    fn view() -> BatchView {
        let text = event_json([
            record("orders", 0, 5, None, Some(b"a")),
            record("orders", 0, 6, None, Some(b"b")),
            record("orders", 1, 9, None, Some(b"c")),
        ]);
        BatchView::read(SourceKind::Kafka, &BatchEvent::from(&serde_json::from_str::<Value>(&text).unwrap()))
    }

    fn entry(partition: Value, offset: Value) -> Value {
        json!({"batchItemFailures": [{"itemIdentifier": {"partition": partition, "offset": offset}}]})
    }

    #[test]
    fn lambda_retries_each_listed_partition_from_its_lowest_offset() {
        let check = view().check(&entry(json!("orders-0"), json!(6)));
        assert_eq!(check.verdict(), &Verdict::PartialSuccess { retried: vec!["orders-0@6".into()] });
        assert!(check.is_valid());
        let both = json!({"batchItemFailures": [
            {"itemIdentifier": {"partition": "orders-1", "offset": 9}},
            {"itemIdentifier": {"partition": "orders-0", "offset": 6}},
            {"itemIdentifier": {"partition": "orders-0", "offset": 5}},
        ]});
        let check = view().check(&both);
        assert_eq!(
            check.verdict(),
            &Verdict::PartialSuccess {
                retried: vec!["orders-0@5".into(), "orders-0@6".into(), "orders-1@9".into()]
            }
        );
        assert!(check.is_valid(), "several offsets of one partition are harmless: {:?}", check.findings());
        assert!(matches!(check.findings()[0].problem, Problem::SeveralSequenceNumbers { count: 2 }));
        assert_eq!(view().check(&json!({})).verdict(), &Verdict::CompleteSuccess);
    }

    #[test]
    fn a_string_or_malformed_identifier_fails_the_whole_batch() {
        for response in [
            json!({"batchItemFailures": [{"itemIdentifier": "orders-0@6"}]}),
            entry(json!("orders-0"), json!("6")),
            entry(json!(0), json!(6)),
            entry(json!("orders-0"), json!(-1)),
            json!({"batchItemFailures": [{"itemIdentifier": {"partition": "orders-0"}}]}),
        ] {
            let check = view().check(&response);
            assert_eq!(check.verdict(), &Verdict::CompleteFailure, "{response}");
            assert!(
                matches!(check.findings()[0].problem, Problem::NotKafkaPosition { index: 0 }),
                "{response}"
            );
            let message = check.findings()[0].to_string();
            assert!(
                message.contains("/lambda_batch/aws_rules/index.html#kafka-partial-batch-responses"),
                "{message}"
            );
        }
        let check = view().check(&entry(json!("orders-7"), json!(6)));
        assert!(matches!(check.findings()[0].problem, Problem::NotInBatch { .. }));
        assert_eq!(view().check_text("not json").verdict(), &Verdict::CompleteFailure);
    }
}
