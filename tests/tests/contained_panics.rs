//! No panic leaves a generated handler: not a panic payload whose `Drop`
//! panics, not a record future that panics when it is dropped (abandoned by
//! the record timeout or the deadline guard, or after it finished), not a
//! poison sink that panics, hangs or panics when dropped. Each such record
//! is reported, never acknowledged; the others go on. For every source, one
//! record at a time and concurrently.

use std::time::Duration;

use lambda_batch::{
    BatchError, BatchEvent, BatchResponse, Context, LambdaEvent, PoisonRecord, RecordOutcome, batch_handler,
};
use lambda_batch_testkit::{context_with_budget, kafka, kinesis, sqs};

/// A panic payload whose own drop panics.
struct PanicsWhenDropped;

impl Drop for PanicsWhenDropped {
    fn drop(&mut self) {
        panic!("the payload panicked while being dropped");
    }
}

/// Holds a value whose drop panics across an await: the future panics when
/// dropped, finished or not.
struct DropBomb;

impl Drop for DropBomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("the record's future panicked while being dropped");
        }
    }
}

async fn behave(what: &str) -> RecordOutcome {
    match what {
        "payload" => std::panic::panic_any(PanicsWhenDropped),
        "drop-after-timeout" => {
            let _bomb = DropBomb;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            RecordOutcome::Success
        }
        "drop-after-success" => {
            let bomb = DropBomb;
            tokio::task::yield_now().await;
            let _keep = &bomb;
            RecordOutcome::Success
        }
        "poison" | "sink-panics" | "sink-hangs" => RecordOutcome::poison(what),
        _ => RecordOutcome::Success,
    }
}

async fn sink(poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    match poison.reason {
        "sink-panics" => panic!("the sink panicked"),
        "sink-hangs" => {
            let _bomb = DropBomb;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok(())
        }
        _ => Ok(()),
    }
}

#[batch_handler(sqs, record_timeout_ms = 1000, poison_sink = sink, all_failed = "report_all")]
async fn sqs_one(body: &str) -> RecordOutcome {
    behave(body.split(':').next().unwrap_or_default()).await
}

#[batch_handler(sqs, concurrency = 4, record_timeout_ms = 1000, poison_sink = sink, all_failed = "report_all")]
async fn sqs_many(body: &str) -> RecordOutcome {
    behave(body.split(':').next().unwrap_or_default()).await
}

#[batch_handler(kinesis, stream_policy = "continue", record_timeout_ms = 1000, poison_sink = sink, all_failed = "report_all")]
async fn kinesis_one(data: &str) -> RecordOutcome {
    behave(data.split(':').next().unwrap_or_default()).await
}

#[batch_handler(kafka, stream_policy = "continue", concurrency = 4, record_timeout_ms = 1000, poison_sink = sink, all_failed = "report_all")]
async fn kafka_many(value: &str) -> RecordOutcome {
    behave(value.split(':').next().unwrap_or_default()).await
}

const CASES: [&str; 7] = [
    "ok:1",
    "payload:2",
    "drop-after-timeout:3",
    "drop-after-success:4",
    "poison:5",
    "sink-panics:6",
    "sink-hangs:7",
];

/// Indices of the records that must be reported: everything but the
/// success and the poison record the sink took. (The future that panics
/// while its locals are dropped on return panics inside its last poll, so
/// that record fails like any panicking record.)
const REPORTED: [usize; 5] = [1, 2, 3, 5, 6];

async fn call<F, Fut>(handler: F, event: BatchEvent) -> Result<BatchResponse, BatchError>
where
    F: Fn(LambdaEvent<BatchEvent>) -> Fut,
    Fut: Future<Output = Result<BatchResponse, BatchError>>,
{
    handler(LambdaEvent::new(event, context_with_budget(Duration::from_secs(600)))).await
}

fn reported(response: &BatchResponse) -> Vec<String> {
    response.failures().map(|id| id.as_str().to_owned()).collect()
}

#[tokio::test(start_paused = true)]
async fn sqs_reports_every_record_whose_panic_would_have_escaped() {
    let ids: Vec<String> = (0..CASES.len()).map(|i| format!("m{i}")).collect();
    let event = || sqs::event(CASES.iter().zip(&ids).map(|(body, id)| sqs::message(id, body)));
    let expected: Vec<String> = REPORTED.iter().map(|&i| ids[i].clone()).collect();
    assert_eq!(reported(&call(sqs_one, event()).await.unwrap()), expected, "one at a time");
    assert_eq!(reported(&call(sqs_many, event()).await.unwrap()), expected, "concurrently");
}

#[tokio::test(start_paused = true)]
async fn kinesis_reports_every_record_whose_panic_would_have_escaped() {
    let event = kinesis::event(
        CASES
            .iter()
            .enumerate()
            .map(|(i, data)| kinesis::record(&format!("{}", 100 + i), "pk", data.as_bytes())),
    );
    let expected: Vec<String> = REPORTED.iter().map(|&i| format!("{}", 100 + i)).collect();
    assert_eq!(reported(&call(kinesis_one, event).await.unwrap()), expected);
}

#[tokio::test(start_paused = true)]
async fn kafka_reports_every_record_whose_panic_would_have_escaped() {
    let event = kafka::event(
        CASES
            .iter()
            .enumerate()
            .map(|(i, value)| kafka::record("t", (i % 2) as u32, i as u64, None, Some(value.as_bytes()))),
    );
    let expected: Vec<String> = REPORTED.iter().map(|&i| format!("t-{}@{i}", i % 2)).collect();
    let mut got = reported(&call(kafka_many, event).await.unwrap());
    got.sort();
    let mut expected = expected;
    expected.sort();
    assert_eq!(got, expected);
}

#[batch_handler(sqs)]
async fn slow_with_bomb(body: &str) -> RecordOutcome {
    behave(body).await
}

#[tokio::test(start_paused = true)]
async fn a_future_abandoned_at_the_deadline_that_panics_when_dropped_is_reported() {
    let event = sqs::event([sqs::message("a", "drop-after-timeout"), sqs::message("b", "ok")]);
    let cx = context_with_budget(Duration::from_secs(5));
    let response = slow_with_bomb(LambdaEvent::new(event, cx)).await.unwrap();
    assert_eq!(reported(&response), ["a", "b"], "a is abandoned, b could not start");
}
