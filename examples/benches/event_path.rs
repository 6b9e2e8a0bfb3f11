//! The event path, end to end: event JSON bytes in, response JSON bytes out.
//!
//! For the same deterministic events, in the same process, interleaved:
//! - `generated`: a `#[batch_handler]` (the payload parsed as JSON per
//!   record with `Json<Order>`);
//! - `hand-written`: a careful loop over `aws_lambda_events`' `SqsEvent`
//!   (Kafka: `KafkaEvent`, each value base64-decoded);
//! - `borrowed floor`: the least a correct handler does: the event read
//!   into a struct of only the record ids and payloads, borrowed
//!   (`Cow<str>` with `#[serde(borrow)]`), each payload parsed into the
//!   same `Order`, the same response written;
//! - `JSON floor`: only validating the JSON (`serde::de::IgnoredAny`).
//!
//! Batch sizes 10, 1,000, 10,000; SQS standard and FIFO (10 groups), ~1.1
//! KB records; Kafka over 4 partitions, ~1.1 KB JSON values; 10% failing.
//! (The FIFO cost per short-circuited record and the peak heap are measured
//! by the `skip_and_heap` bench.) Plain release binary (no criterion):
//! ratios measured side by side matter more here than absolute statistics,
//! and it adds no dependency. Run:
//! `cargo bench -p lambda-batch-examples --bench event_path`.

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use std::borrow::Cow;
use std::time::Instant;

use aws_lambda_events::sqs::SqsBatchResponse;
use lambda_batch::{BatchEvent, Json, LambdaEvent, batch_handler};
use serde::Deserialize;

use self::events::{Order, check};

#[path = "event_path/events.rs"]
mod events;
#[path = "event_path/kafka.rs"]
mod kafka;

#[batch_handler(sqs, all_failed = "report_all")]
fn generated(Json(order): Json<Order>) -> Result<(), &'static str> {
    check(&order)
}

/// What a careful user writes today without lambda-batch.
fn hand_written(bytes: &[u8]) -> Vec<u8> {
    events::hand_written_read(&serde_json::from_slice(bytes).expect("event"))
}

fn floor(bytes: &[u8]) -> usize {
    let _: serde::de::IgnoredAny = serde_json::from_slice(bytes).expect("valid JSON");
    bytes.len()
}

#[derive(Deserialize)]
struct BorrowedEvent<'a> {
    #[serde(rename = "Records", borrow)]
    records: Vec<BorrowedMessage<'a>>,
}

#[derive(Deserialize)]
struct BorrowedMessage<'a> {
    #[serde(rename = "messageId", borrow)]
    message_id: Cow<'a, str>,
    #[serde(borrow)]
    body: Cow<'a, str>,
}

/// The least a correct handler does: only the ids and bodies, borrowed
/// (a body with escapes, as a JSON body always has, is decoded by serde);
/// each body parsed; on a FIFO queue (known to the handler, not read)
/// every record after a failure reported unparsed.
fn borrowed_floor(bytes: &[u8], fifo: bool) -> Vec<u8> {
    let event: BorrowedEvent<'_> = serde_json::from_slice(bytes).expect("event");
    let mut response = SqsBatchResponse::default();
    let mut stopped = false;
    for message in &event.records {
        if stopped
            || serde_json::from_str::<Order>(&message.body).map_or(true, |order| check(&order).is_err())
        {
            response.add_failure(message.message_id.as_ref());
            stopped = fifo;
        }
    }
    serde_json::to_vec(&response).expect("response")
}

fn run_generated(runtime: &tokio::runtime::Runtime, bytes: &[u8]) -> Vec<u8> {
    let event: BatchEvent = serde_json::from_slice(bytes).expect("event");
    let cx = lambda_batch::Context::default();
    let response = runtime.block_on(generated(LambdaEvent::new(event, cx))).expect("response");
    serde_json::to_vec(&response).expect("response bytes")
}

/// The engine alone on an event already read: handle it, write the response.
fn handle_read_event(runtime: &tokio::runtime::Runtime, event: &BatchEvent) -> Vec<u8> {
    let cx = lambda_batch::Context::default();
    let report =
        runtime.block_on(Sqs::process(&generated {}, &generated::CONFIG, event, &cx)).expect("report");
    serde_json::to_vec(&report.into_response().expect("response")).expect("response bytes")
}

/// A deterministic SQS event: ~1.1 KB records, every 10th failing; FIFO with 10 groups.
fn event(records: usize, fifo: bool, fail_first_only: bool) -> Vec<u8> {
    events::sqs_event(records, fifo, fail_first_only)
}

/// Nanoseconds per record of `f`: the fastest of `rounds` runs (on a
/// shared machine, other work only ever adds time, so the minimum is the
/// steadiest estimate of the code's own cost).
fn time_per_record(records: usize, rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as f64 / records as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Nanoseconds per record of each runner: the median of 5 interleaved
/// blocks, each the fastest of its runs.
fn interleaved(records: usize, runners: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let rounds = (2_000_000 / records).clamp(15, 2_000);
    let mut blocks = vec![Vec::new(); runners.len()];
    for _ in 0..5 {
        for (runner, block) in runners.iter_mut().zip(&mut blocks) {
            block.push(time_per_record(records, rounds / 5, &mut **runner));
        }
    }
    blocks
        .into_iter()
        .map(|mut block| {
            block.sort_by(f64::total_cmp);
            block[block.len() / 2]
        })
        .collect()
}

/// One row of the table: generated, hand-written, borrowed floor, JSON floor.
fn print_row(source: &str, records: usize, times: &[f64]) {
    let [g, h, b, f] = [times[0], times[1], times[2], times[3]];
    println!(
        "{source:<10} {records:>7} {g:>9.0} {h:>12.0} {b:>8.0} {f:>8.0} {:>8.3}x {:>9.3}x {:>8.3}x",
        g / h,
        g / b,
        g / f
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    println!(
        "event path, ns per record (median of 5 interleaved blocks, each the fastest of its runs), event bytes in -> response bytes out"
    );
    println!(
        "{:<10} {:>7} {:>9} {:>12} {:>8} {:>8} {:>9} {:>10} {:>9}",
        "source",
        "records",
        "generated",
        "hand-written",
        "borrowed",
        "JSON",
        "gen/hand",
        "gen/borrow",
        "gen/JSON"
    );
    for fifo in [false, true] {
        for records in [10, 1_000, 10_000] {
            let bytes = event(records, fifo, false);
            let answer = run_generated(&runtime, &bytes);
            assert_eq!(answer, hand_written(&bytes), "both answer the same");
            assert_eq!(answer, borrowed_floor(&bytes, fifo), "the floor answers the same");
            let times = interleaved(
                records,
                &mut [
                    &mut || drop(run_generated(&runtime, &bytes)),
                    &mut || drop(hand_written(&bytes)),
                    &mut || drop(borrowed_floor(&bytes, fifo)),
                    &mut || {
                        std::hint::black_box(floor(&bytes));
                    },
                ],
            );
            print_row(if fifo { "sqs fifo" } else { "sqs" }, records, &times);
        }
    }
    for records in [10, 1_000, 10_000] {
        let bytes = events::kafka_event(records);
        let answer = kafka::run_generated(&runtime, &bytes);
        assert!(kafka::same_failures(&answer, &kafka::hand_written(&bytes)), "both answer the same");
        assert!(kafka::same_failures(&answer, &kafka::borrowed_floor(&bytes)), "the floor answers the same");
        let times = interleaved(
            records,
            &mut [
                &mut || drop(kafka::run_generated(&runtime, &bytes)),
                &mut || drop(kafka::hand_written(&bytes)),
                &mut || drop(kafka::borrowed_floor(&bytes)),
                &mut || {
                    std::hint::black_box(floor(&bytes));
                },
            ],
        );
        print_row("kafka", records, &times);
    }

    // Where the time of the standard 1,000 case goes.
    let n = 1_000;
    let bytes = event(n, false, false);
    let read = time_per_record(n, 300, || drop(BatchEvent::from_slice(&bytes).expect("event")));
    let parsed = BatchEvent::from_slice(&bytes).expect("event");
    let handle = time_per_record(n, 300, || drop(handle_read_event(&runtime, &parsed)));
    println!(
        "standard 1,000, ns per record: reading the event {read:.0}, handling it and writing the response {handle:.0}"
    );
}
