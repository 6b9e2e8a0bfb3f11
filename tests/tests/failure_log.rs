//! One structured log event per failed record, whatever failed it (the
//! handler's error, a panic, an extractor, the record timeout, the poison
//! sink), none for the records that did not fail; the fields a log query
//! needs, also as one JSON line; the cause chain in the testkit's reports.

use std::collections::BTreeMap;
use std::time::Duration;

use lambda_batch::aws_events::SqsBatchResponse;
use lambda_batch::idempotency::{Idempotency, Idempotent, MemoryStore, key_fn};
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::{Sqs, SqsRecord};
use lambda_batch::stream::StreamConfig;
use lambda_batch::{
    BatchEvent, BatchPipeline, Context, Json, LambdaEvent, PoisonRecord, RecordOutcome, batch_handler,
};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::{kinesis, sqs};
use tracing::Level;

use crate::common::Unreachable;
use crate::common::cx;
use crate::common::events::{Event, capture_events};

#[derive(serde::Deserialize)]
struct Order {
    id: u64,
}

async fn sink_down(_poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    Err("the dead-letter store is down".to_owned())
}

/// The order id decides: 1 succeeds, 2 errs (with a cause), 3 panics, 4
/// hangs past the record timeout, 5 is poison (whose sink fails), 6 is to
/// be retried later; a body that is not an order fails its extraction.
#[batch_handler(sqs, poison_sink = sink_down, record_timeout_ms = 50)]
async fn every_failure(Json(order): Json<Order>) -> Result<RecordOutcome, Unreachable> {
    match order.id {
        2 => Err(Unreachable(std::io::Error::other("connection refused"))),
        3 => panic!("scripted panic in order 3"),
        4 => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Ok(RecordOutcome::Success)
        }
        5 => Ok(RecordOutcome::poison("order of a deleted customer")),
        6 => Ok(RecordOutcome::retry_later()),
        _ => Ok(RecordOutcome::Success),
    }
}

fn every_failure_batch() -> BatchEvent {
    sqs::event([
        sqs::message("ok", r#"{"id": 1}"#),
        sqs::message("handler", r#"{"id": 2}"#),
        sqs::message("panic", r#"{"id": 3}"#),
        sqs::message("timeout", r#"{"id": 4}"#),
        sqs::message("sink", r#"{"id": 5}"#),
        sqs::message("later", r#"{"id": 6}"#),
        sqs::message("extract", "not an order"),
    ])
}

/// The events at warning level or above, by their `record_id` (`-` for
/// one without).
fn loud_events_by_record(events: &[Event]) -> BTreeMap<String, Vec<Event>> {
    let mut by_record: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for event in events.iter().filter(|event| event.level <= Level::WARN) {
        let id = event.field("record_id").unwrap_or("-").to_owned();
        by_record.entry(id).or_default().push(event.clone());
    }
    by_record
}

#[tokio::test(start_paused = true)]
async fn each_failed_record_is_one_error_event_with_its_fields_and_no_other_record_is_logged_loudly() {
    let (captured, _guard) = capture_events();
    let batch = every_failure_batch();
    let report = Sqs::process(&every_failure {}, &every_failure::CONFIG, &batch, &cx()).await.unwrap();
    assert_eq!(report.counts().failed, 5);
    let events = captured.events();
    let by_record = loud_events_by_record(&events);
    let ids: Vec<&str> = by_record.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        ["extract", "handler", "panic", "sink", "timeout"],
        "one entry per failed record: {events:#?}"
    );
    for (id, events) in &by_record {
        assert_eq!(events.len(), 1, "record {id} is logged loudly {} times: {events:#?}", events.len());
        let event = &events[0];
        assert_eq!(event.level, Level::ERROR, "{event:?}");
        assert_eq!(event.field("message"), Some("record failed"), "{event:?}");
        assert_eq!(event.field("source"), Some("sqs"), "{event:?}");
        assert_eq!(event.field("attempt"), Some("1"), "SQS gives the receive count: {event:?}");
        let kind = match id.as_str() {
            "sink" => "poison_sink",
            other => other,
        };
        assert_eq!(event.field("error_kind"), Some(kind), "{event:?}");
        assert!(event.field("error").is_some_and(|error| !error.is_empty()), "{event:?}");
    }
    let field = |id: &str, name: &str| by_record[id][0].field(name).map(str::to_owned);
    assert_eq!(field("handler", "error").as_deref(), Some("the stock service is unreachable"));
    assert_eq!(field("handler", "causes").as_deref(), Some("connection refused"));
    assert!(field("extract", "error").unwrap().starts_with("the body is not valid JSON for `"));
    assert_eq!(field("extract", "causes").as_deref(), Some("expected ident at line 1 column 2"));
    assert_eq!(field("panic", "error").as_deref(), Some("scripted panic in order 3"));
    assert_eq!(field("panic", "causes"), None, "no causes, no field");
    // The records that did not fail are not in any event by their id.
    for quiet in ["ok", "later"] {
        let named = events.iter().filter(|event| event.field("record_id") == Some(quiet)).count();
        assert_eq!(named, 0, "record {quiet} did not fail: {events:#?}");
    }
}

/// Sleeps as many milliseconds as the body says.
#[batch_handler(sqs, all_failed = "report_all")]
async fn sleepy(body: &str) {
    tokio::time::sleep(Duration::from_millis(body.parse().unwrap())).await;
}

#[tokio::test(start_paused = true)]
async fn a_record_abandoned_at_the_deadline_and_one_refused_by_idempotency_are_one_event_each() {
    let (captured, _guard) = capture_events();
    // Deadline in 2 s: "slow" is still running at the abandon point, "late"
    // never starts (out of time: retried, not failed).
    let batch = sqs::event([
        sqs::message("quick", "100"),
        sqs::message("slow", "60000"),
        sqs::message("late", "100"),
    ]);
    let budget = lambda_batch_testkit::context_with_budget(Duration::from_millis(2000));
    let report = Sqs::process(&sleepy {}, &sleepy::CONFIG, &batch, &budget).await.unwrap();
    assert_eq!(report.counts().failed, 1);

    let no_key = Idempotency::new(MemoryStore::new())
        .with_key(key_fn(|_: &SqsRecord<'_>| Err::<String, _>("no order id in the body")));
    let refused = Idempotent::new(sleepy {}, no_key);
    let batch = sqs::event([sqs::message("keyless", "1")]);
    Sqs::process(&refused, &sleepy::CONFIG, &batch, &cx()).await.unwrap();

    let events = captured.events();
    let by_record = loud_events_by_record(&events);
    assert_eq!(by_record.keys().collect::<Vec<_>>(), ["keyless", "slow"], "{events:#?}");
    for (id, kind) in [("slow", "timeout"), ("keyless", "idempotency")] {
        assert_eq!(by_record[id].len(), 1, "{id}: {events:#?}");
        let event = &by_record[id][0];
        assert_eq!(
            (event.level, event.field("message"), event.field("error_kind")),
            (Level::ERROR, Some("record failed"), Some(kind)),
            "{event:?}"
        );
    }
}

#[batch_handler(kinesis)]
fn readings(text: &str) -> Result<(), String> {
    if text == "bad" { Err("a bad reading".to_owned()) } else { Ok(()) }
}

#[tokio::test]
async fn a_stream_record_has_no_attempt_and_names_its_source() {
    let (captured, _guard) = capture_events();
    let batch = kinesis::event([
        kinesis::record(&kinesis::sequence_number(1), "k", b"good"),
        kinesis::record(&kinesis::sequence_number(2), "k", b"bad"),
    ]);
    Kinesis::process(&readings {}, &StreamConfig::new(), &batch, &cx()).await.unwrap();
    let by_record = loud_events_by_record(&captured.events());
    let failed = kinesis::sequence_number(2);
    assert_eq!(by_record.keys().collect::<Vec<_>>(), [&failed]);
    let event = &by_record[&failed][0];
    assert_eq!(event.field("source"), Some("kinesis"));
    assert_eq!(event.field("error_kind"), Some("handler"));
    assert_eq!(event.field("attempt"), None, "streams have no receive count");
}

#[tokio::test(start_paused = true)]
async fn under_the_json_formatter_a_failed_record_is_one_line_with_every_field() {
    let (captured, _guard) = capture_events();
    let batch = sqs::event([sqs::message("ok", r#"{"id": 1}"#), sqs::message("handler", r#"{"id": 2}"#)]);
    Sqs::process(&every_failure {}, &every_failure::CONFIG, &batch, &cx()).await.unwrap();
    let lines = captured.json_lines();
    let failed: Vec<_> = lines.iter().filter(|line| line["message"] == "record failed").collect();
    assert_eq!(failed.len(), 1, "{lines:#?}");
    let line = failed[0];
    assert_eq!(line["level"], "ERROR");
    assert_eq!(line["record_id"], "handler");
    assert_eq!(line["source"], "sqs");
    assert_eq!(line["error_kind"], "handler");
    assert_eq!(line["error"], "the stock service is unreachable");
    assert_eq!(line["causes"], "connection refused");
    assert_eq!(line["attempt"], 1);
}

#[test]
fn the_testkit_report_shows_a_failed_records_causes() {
    // The engine failed the record, but this wrapper acknowledges every
    // record: the check names the failure, with its cause.
    let acknowledging = |event: LambdaEvent<BatchEvent>| async move {
        every_failure(event).await.map(|_| SqsBatchResponse::default())
    };
    let batch = Batch::new(
        SourceKind::Sqs,
        vec![sqs::message("ok", r#"{"id": 1}"#), sqs::message("handler", r#"{"id": 2}"#)],
    );
    let run = run(acknowledging, &batch, &FaultPlan::none());
    let report = check_report(&run, Rules::sqs());
    let (_, message) = report.broken.as_ref().expect("a failed record acknowledged is a broken invariant");
    assert!(
        message.contains("record handler failed (the stock service is unreachable: connection refused)"),
        "{message}"
    );
}
