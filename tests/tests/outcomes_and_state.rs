//! Explicit outcomes (retry later, drop as poison), the poison sink, the
//! receive-count budget, record metadata and shared state.

use crate::common;

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use std::sync::Mutex;

use crate::common::{ids, outcome_ids};
use lambda_batch::kinesis::KinesisRecord;
use lambda_batch::sqs::{self, SqsConfig};
use lambda_batch::{
    BatchCounts, BatchEvent, Context, LambdaEvent, PoisonRecord, RecordErrorKind, RecordMeta, RecordOutcome,
    RecordStatus, batch_handler,
};
use lambda_batch_testkit::sqs::{event, fifo_message, message};

/// What the handler shares across records: a sink for poison records.
#[derive(Default)]
struct App {
    poisoned: Mutex<Vec<String>>,
    sink_down: bool,
}

/// Body decides: `ok`, `later`, `poison`, `fail`.
#[batch_handler(sqs, poison_sink = keep_poison, all_failed = "report_all")]
async fn triage(#[state] app: &App, body: &str, meta: RecordMeta<'_>) -> RecordOutcome {
    assert!(!app.sink_down || body != "ok", "state is passed through");
    let _ = meta.id;
    match body {
        "ok" => RecordOutcome::Success,
        "later" => RecordOutcome::retry_later_because("inventory service warming up"),
        "poison" => RecordOutcome::poison("order references a deleted customer"),
        _ => RecordOutcome::failure("could not reserve"),
    }
}

async fn keep_poison(app: &App, poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    if app.sink_down {
        return Err("dead-letter store unavailable".to_owned());
    }
    app.poisoned.lock().unwrap().push(format!("{} {} {}", poison.source, poison.id, poison.reason));
    assert!(poison.raw_json.contains("messageId"));
    Ok(())
}

async fn run(app: &App, event: BatchEvent) -> Result<Vec<String>, &'static str> {
    outcome_ids(triage(app, LambdaEvent::new(event, lambda_batch_testkit::context())).await)
}

#[tokio::test]
async fn retry_later_is_reported_and_poison_is_acknowledged_and_sunk() {
    let app = App::default();
    let batch =
        event([message("m1", "ok"), message("m2", "later"), message("m3", "poison"), message("m4", "fail")]);
    assert_eq!(run(&app, batch).await, Ok(ids(&["m2", "m4"])));
    assert_eq!(*app.poisoned.lock().unwrap(), ["SQS m3 order references a deleted customer"]);
}

#[tokio::test]
async fn a_failing_poison_sink_makes_the_record_fail_so_nothing_is_lost() {
    let app = App { sink_down: true, ..App::default() };
    let batch = event([message("m1", "poison"), message("m2", "later")]);
    let report =
        Sqs::process(&triage::with_state(&app), &triage::CONFIG, &batch, &common::cx()).await.unwrap();
    match report.records()[0].status() {
        RecordStatus::Failed(error) => {
            assert_eq!(error.kind(), RecordErrorKind::PoisonSink);
            assert!(error.message().contains("dead-letter store unavailable"), "{error}");
            assert!(error.message().contains("deleted customer"), "{error}");
        }
        other => panic!("expected a sink failure, got {other:?}"),
    }
    assert_eq!(report.counts(), BatchCounts { failed: 1, retry_later: 1, ..BatchCounts::default() });
    assert!(app.poisoned.lock().unwrap().is_empty());
    assert_eq!(outcome_ids(report.into_response()), Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn retry_later_alone_is_not_an_all_failed_error() {
    #[batch_handler(sqs)]
    async fn always_later(_body: &str) -> RecordOutcome {
        RecordOutcome::retry_later()
    }
    let batch = event([message("m1", "x"), message("m2", "y")]);
    let result = always_later(LambdaEvent::new(batch, common::cx())).await;
    assert_eq!(outcome_ids(result), Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn a_panicking_poison_sink_also_fails_the_record() {
    async fn exploding_sink(_poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
        panic!("sink bug")
    }
    #[batch_handler(sqs, poison_sink = exploding_sink, all_failed = "report_all")]
    async fn drop_all(_body: &str) -> RecordOutcome {
        RecordOutcome::poison("bad")
    }
    let result = drop_all(LambdaEvent::new(event([message("m1", "x")]), common::cx())).await;
    assert_eq!(outcome_ids(result), Ok(ids(&["m1"])));
}

#[tokio::test]
async fn without_a_sink_poison_records_are_acknowledged_and_logged() {
    #[batch_handler(sqs)]
    async fn drop_bad(body: &str) -> RecordOutcome {
        if body == "bad" { RecordOutcome::poison("unparseable forever") } else { RecordOutcome::Success }
    }
    let result =
        drop_bad(LambdaEvent::new(event([message("m1", "bad"), message("m2", "ok")]), common::cx())).await;
    assert_eq!(outcome_ids(result), Ok(vec![]));
}

#[tokio::test]
async fn retry_later_and_poison_keep_fifo_order_rules() {
    #[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", all_failed = "report_all")]
    async fn fifo(body: &str) -> RecordOutcome {
        match body {
            "later" => RecordOutcome::retry_later(),
            "poison" => RecordOutcome::poison("bad"),
            _ => RecordOutcome::Success,
        }
    }
    let batch = event([
        fifo_message("a1", "a", "later"),
        fifo_message("b1", "b", "poison"),
        fifo_message("a2", "a", "ok"),
        fifo_message("b2", "b", "ok"),
    ]);
    // a1 must be retried, so a2 may not run ahead of it; b1 is dropped
    // (acknowledged), so b2 goes on.
    let result = fifo(LambdaEvent::new(batch, common::cx())).await;
    assert_eq!(outcome_ids(result), Ok(ids(&["a1", "a2"])));
}

static SEEN_META: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Drops a message once received more than 3 times: no sink, so the drop
/// is chosen explicitly.
#[batch_handler(sqs, max_receive_count = 3, drop_over_budget)]
async fn budgeted(meta: RecordMeta<'_>) -> Result<(), String> {
    SEEN_META.lock().unwrap().push(format!(
        "{} {:?} {:?} {:?}",
        meta.id, meta.ordering_key, meta.receive_count, meta.arrival_time
    ));
    Err("still failing".to_owned())
}

#[tokio::test]
async fn the_receive_count_budget_drops_a_record_without_calling_the_handler() {
    let mut tired = message("m2", "x");
    tired["attributes"]["ApproximateReceiveCount"] = serde_json::json!("4");
    let mut third = message("m3", "x");
    third["attributes"]["ApproximateReceiveCount"] = serde_json::json!("3");
    let batch = event([message("m1", "x"), tired, third]);
    let cx = common::cx();
    let report = Sqs::process(&budgeted {}, &budgeted::CONFIG, &batch, &cx).await.unwrap();
    assert_eq!(report.counts(), BatchCounts { failed: 2, poison: 1, ..BatchCounts::default() });
    assert!(
        matches!(report.records()[1].status(), RecordStatus::Poison { reason } if reason.contains("received 4 times"))
    );
    assert_eq!(
        std::mem::take(&mut *SEEN_META.lock().unwrap()),
        ["m1 None Some(1) Some(1700000000.0)", "m3 None Some(3) Some(1700000000.0)"]
    );
    assert_eq!(budgeted::CONFIG, SqsConfig::new().with_max_receive_count(3).with_drop_over_budget(true));
}

/// A hand-written handler without a poison sink.
struct NoSink;

impl lambda_batch::RecordHandler<sqs::Sqs> for NoSink {
    async fn handle(&self, _record: &sqs::SqsRecord<'_>, _cx: &lambda_batch::Context) -> RecordOutcome {
        RecordOutcome::Success
    }
}

#[tokio::test]
async fn without_a_sink_an_over_budget_record_fails_unless_dropping_is_chosen() {
    let mut tired = message("m2", "x");
    tired["attributes"]["ApproximateReceiveCount"] = serde_json::json!("9");
    let batch = event([message("m1", "x"), tired]);
    let cx = common::cx();
    let budget = SqsConfig::new().with_max_receive_count(3);
    let report = Sqs::process(&NoSink, &budget, &batch, &cx).await.unwrap();
    match report.records()[1].status() {
        RecordStatus::Failed(error) => {
            assert_eq!(error.kind(), lambda_batch::RecordErrorKind::PoisonSink);
            assert!(error.to_string().contains("no poison sink"), "{error}");
        }
        other => panic!("an over-budget record without a sink must fail, not {other:?}"),
    }
    let report = Sqs::process(&NoSink, &budget.with_drop_over_budget(true), &batch, &cx).await.unwrap();
    assert!(matches!(report.records()[1].status(), RecordStatus::Poison { .. }));
}

#[batch_handler(kinesis)]
fn kinesis_meta(meta: RecordMeta<'_>, record: &KinesisRecord<'_>) {
    assert_eq!(meta.id, record.sequence_number());
    assert_eq!(meta.ordering_key, Some("sensor-7"));
    assert_eq!(meta.receive_count, None);
    assert!(meta.arrival_time.is_some());
}

#[tokio::test]
async fn record_meta_works_for_streams() {
    let batch =
        lambda_batch_testkit::kinesis::event([lambda_batch_testkit::kinesis::record("5", "sensor-7", b"x")]);
    assert_eq!(outcome_ids(kinesis_meta(LambdaEvent::new(batch, common::cx())).await), Ok(vec![]));
}

#[tokio::test]
async fn the_record_function_of_a_stateful_handler_stays_callable() {
    let app = App::default();
    let meta = RecordMeta::new("m1");
    assert_eq!(
        triage::record(&app, "poison", meta).await,
        RecordOutcome::poison("order references a deleted customer")
    );
}

#[tokio::test(flavor = "current_thread")]
async fn retry_later_is_logged_at_info_and_poison_as_a_warning_with_id_and_reason() {
    let (logs, _guard) = common::capture_logs();
    let app = App::default();
    let batch = event([message("m1", "later"), message("m2", "poison")]);
    assert_eq!(run(&app, batch).await, Ok(ids(&["m1"])));
    let text = logs.text();
    let later = text.lines().find(|l| l.contains("retried later")).expect("a retry-later event");
    assert!(
        later.contains(" INFO ") && later.contains("message_id=m1") && later.contains("warming up"),
        "{later}"
    );
    let poison = text.lines().find(|l| l.contains("dropped as poison")).expect("a poison event");
    assert!(
        poison.contains(" WARN ") && poison.contains("id=\"m2\"") && poison.contains("deleted customer"),
        "{poison}"
    );
    assert!(!text.contains("record failed"), "neither is a failure: {text}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_stream_payload_that_cannot_be_decoded_is_logged_with_the_decode_error() {
    #[batch_handler(kinesis, stream_policy = "continue", all_failed = "report_all")]
    fn numbers(lambda_batch::Json(n): lambda_batch::Json<u32>) {
        let _ = n;
    }
    let (logs, _guard) = common::capture_logs();
    let mut bad = lambda_batch_testkit::kinesis::record("9", "pk", b"");
    bad["kinesis"]["data"] = serde_json::json!("***");
    let batch = lambda_batch_testkit::kinesis::event([bad]);
    assert_eq!(outcome_ids(numbers(LambdaEvent::new(batch, common::cx())).await), Ok(ids(&["9"])));
    let text = logs.text();
    let failure = text.lines().find(|l| l.contains("record failed")).expect("a failure event");
    assert!(failure.contains("sequence_number=9") && failure.contains("not valid base64"), "{failure}");
}
