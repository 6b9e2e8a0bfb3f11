//! The event path, end to end: event JSON bytes in, response JSON bytes out.
//!
//! For the same deterministic events, in the same process, interleaved:
//! - `generated`: a `#[batch_handler]` (body parsed as JSON per record);
//! - `hand-written`: a careful loop over `aws_lambda_events::SqsEvent`;
//! - `floor`: only validating the JSON (`serde::de::IgnoredAny`).
//!
//! Batch sizes 10, 1,000, 10,000; standard and FIFO (10 groups); ~1.1 KB
//! records; 10% failing. (The FIFO cost per short-circuited record and the
//! peak heap are measured by the `skip_and_heap` bench.) Plain release binary (no criterion):
//! ratios measured side by side matter more here than absolute statistics,
//! and it adds no dependency. Run:
//! `cargo bench -p lambda-batch-examples --bench event_path`.

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use std::time::Instant;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_batch::{BatchEvent, Json, LambdaEvent, batch_handler};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Order {
    order_id: String,
    customer: String,
    items: Vec<Item>,
    fail: bool,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Item {
    sku: String,
    quantity: u32,
    price_cents: u64,
}

fn check(order: &Order) -> Result<(), &'static str> {
    if order.fail { Err("rejected") } else { Ok(()) }
}

#[batch_handler(sqs, all_failed = "report_all")]
fn generated(Json(order): Json<Order>) -> Result<(), &'static str> {
    check(&order)
}

/// What a careful user writes today without lambda-batch.
fn hand_written(bytes: &[u8]) -> Vec<u8> {
    let event: SqsEvent = serde_json::from_slice(bytes).expect("event");
    let mut response = SqsBatchResponse::default();
    let fifo = event
        .records
        .first()
        .and_then(|r| r.event_source_arn.as_deref())
        .is_some_and(|a| a.ends_with(".fifo"));
    let mut stopped = false;
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if stopped {
            response.add_failure(id);
            continue;
        }
        let ok = message
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Order>(b).ok())
            .is_some_and(|o| check(&o).is_ok());
        if !ok {
            response.add_failure(id);
            stopped = fifo;
        }
    }
    serde_json::to_vec(&response).expect("response")
}

fn floor(bytes: &[u8]) -> usize {
    let _: serde::de::IgnoredAny = serde_json::from_slice(bytes).expect("valid JSON");
    bytes.len()
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

/// A deterministic event: ~1.1 KB records, every 10th failing; FIFO with 10 groups.
fn event(records: usize, fifo: bool, fail_first_only: bool) -> Vec<u8> {
    let records: Vec<_> = (0..records)
        .map(|i| {
            let fail = if fail_first_only { i == 0 } else { i % 10 == 9 };
            let items: Vec<_> = (0..5)
                .map(|k| json!({"sku": format!("SKU-{:08}-{k}", i * 7 + k), "quantity": (i + k) % 9 + 1, "price_cents": 1999 + k * 100}))
                .collect();
            let body = json!({"order_id": format!("order-{i:012}"), "customer": format!("customer-{:06}@example.com", i % 977), "items": items, "fail": fail});
            let id = format!("{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}", i * 2_654_435_761 % (1 << 32), i % 65_536, i % 4096, (i * 7) % 4096, i * 97);
            let mut record = if fifo {
                lambda_batch_testkit::sqs::fifo_message(&id, &format!("group-{}", i % 10), &body.to_string())
            } else {
                lambda_batch_testkit::sqs::message(&id, &body.to_string())
            };
            record["md5OfBody"] = json!(format!("{:032x}", i * 31_337));
            record
        })
        .collect();
    lambda_batch_testkit::sqs::event_json(records).into_bytes()
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

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    println!(
        "event path, ns per record (median of 5 interleaved blocks, each the fastest of its runs), event bytes in -> response bytes out"
    );
    println!(
        "{:<10} {:>7} {:>9} {:>11} {:>8} {:>10} {:>12}",
        "queue", "records", "generated", "hand-written", "floor", "gen/hand", "gen/floor"
    );
    for fifo in [false, true] {
        for records in [10, 1_000, 10_000] {
            let bytes = event(records, fifo, false);
            assert_eq!(run_generated(&runtime, &bytes), hand_written(&bytes), "both answer the same");
            let rounds = (2_000_000 / records).clamp(15, 2_000);
            let (mut generated_ns, mut hand, mut flo) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..5 {
                generated_ns
                    .push(time_per_record(records, rounds / 5, || drop(run_generated(&runtime, &bytes))));
                hand.push(time_per_record(records, rounds / 5, || drop(hand_written(&bytes))));
                flo.push(time_per_record(records, rounds / 5, || {
                    std::hint::black_box(floor(&bytes));
                }));
            }
            let median = |mut v: Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (g, h, f) = (median(generated_ns), median(hand), median(flo));
            let queue = if fifo { "fifo" } else { "standard" };
            println!("{queue:<10} {records:>7} {g:>9.0} {h:>11.0} {f:>8.0} {:>9.3}x {:>11.3}x", g / h, g / f);
        }
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
