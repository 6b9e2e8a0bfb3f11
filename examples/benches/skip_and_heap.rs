//! What a FIFO short-circuit costs per skipped record, the peak heap for
//! one ~6 MB event, and the hash that keeps each failed identifier once.
//!
//! - FIFO short-circuit: the first of 10,000 records fails, the other 9,999
//!   are skipped and reported; end to end, and the engine alone on an event
//!   already read, next to a hand-written loop that simply stops.
//! - Peak heap, input bytes included: as under `lambda_runtime` (which
//!   frees the invocation's bytes once the event is read, before the handler
//!   runs), and with the bytes kept to the end; `#[batch_handler]` and a
//!   hand-written `aws_lambda_events` handler.
//! - The hash of the response's set of failed identifiers (`rustc-hash`),
//!   against `foldhash` and the standard library's SipHash, on SQS message
//!   ids and Kinesis sequence numbers. (A hand-written hash it replaced
//!   measured 22-25 ns per message id and 12-14 ns per sequence number
//!   here: slower than all three on message ids.)
//!
//! Plain release binary (no criterion): the figures are ratios and
//! per-record costs measured side by side in one process. Run:
//! `cargo bench -p lambda-batch-examples --bench skip_and_heap`.

#![allow(unsafe_code, reason = "a counting global allocator measures peak heap")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use aws_lambda_events::sqs::SqsEvent;
use lambda_batch::sqs::Sqs;
use lambda_batch::{BatchEvent, BatchPipeline, Json, LambdaEvent, batch_handler};

/// Counts live and peak heap bytes.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[path = "event_path/events.rs"]
#[allow(dead_code, reason = "the Kafka events serve the event_path bench")]
mod events;

use self::events::{Order, check, hand_written_read, message_id, sqs_event as event};

#[batch_handler(sqs, all_failed = "report_all")]
fn generated(Json(order): Json<Order>) -> Result<(), &'static str> {
    check(&order)
}

/// The hand-written handler, event bytes in: under `lambda_runtime` the
/// bytes are freed once read (`keep_input == false`).
fn hand_written(bytes: Vec<u8>, keep_input: bool) -> Vec<u8> {
    let event: SqsEvent = serde_json::from_slice(&bytes).expect("event");
    let kept = keep_input.then_some(bytes);
    let response = hand_written_read(&event);
    drop(kept);
    response
}

/// The generated handler, event bytes in, as `lambda_runtime` calls it:
/// the bytes are freed once the event is read, unless `keep_input`.
fn run_generated(runtime: &tokio::runtime::Runtime, bytes: Vec<u8>, keep_input: bool) -> Vec<u8> {
    let event: BatchEvent = serde_json::from_slice(&bytes).expect("event");
    let kept = keep_input.then_some(bytes);
    let cx = lambda_batch::Context::default();
    let response = runtime.block_on(generated(LambdaEvent::new(event, cx))).expect("response");
    drop(kept);
    serde_json::to_vec(&response).expect("response bytes")
}

/// The engine alone on an event already read: handle it, write the response.
fn handle_read_event(runtime: &tokio::runtime::Runtime, event: &BatchEvent) -> Vec<u8> {
    let cx = lambda_batch::Context::default();
    let report =
        runtime.block_on(Sqs::process(&generated {}, &generated::CONFIG, event, &cx)).expect("report");
    serde_json::to_vec(&report.into_response().expect("response")).expect("response bytes")
}

/// Nanoseconds per item of `f`: the fastest of `rounds` runs (on a shared
/// machine, other work only ever adds time, so the minimum is the steadiest
/// estimate of the code's own cost).
fn time_per_item(items: usize, rounds: usize, mut f: impl FnMut()) -> f64 {
    (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos() as f64 / items as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// The middle of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// FIFO short-circuit: the first record fails, the other 9,999 are skipped.
fn fifo_short_circuit(runtime: &tokio::runtime::Runtime) {
    let n = 10_000;
    let skipped = (n - 1) as f64;
    let bytes = event(n, true, true);
    let parsed: BatchEvent = serde_json::from_slice(&bytes).expect("event");
    let sqs_event: SqsEvent = serde_json::from_slice(&bytes).expect("event");
    assert_eq!(handle_read_event(runtime, &parsed), hand_written_read(&sqs_event), "both answer the same");
    let (mut end_to_end, mut floor, mut engine, mut hand) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..5 {
        end_to_end.push(time_per_item(1, 6, || drop(run_generated(runtime, bytes.clone(), false))));
        floor.push(time_per_item(1, 6, || {
            let _: serde::de::IgnoredAny =
                serde_json::from_slice(std::hint::black_box(&bytes)).expect("JSON");
        }));
        engine.push(time_per_item(1, 6, || drop(handle_read_event(runtime, &parsed))));
        hand.push(time_per_item(1, 6, || drop(hand_written_read(&sqs_event))));
    }
    let (total, floor, engine, hand) = (median(end_to_end), median(floor), median(engine), median(hand));
    println!(
        "FIFO short-circuit, {n} records, the first fails, {} skipped (median of 5 interleaved blocks, each the fastest of 6 runs), ns per skipped record:",
        n - 1
    );
    println!(
        "  end to end {:.0} ({:.0} above the JSON floor); engine only, event already read: {:.0}; hand-written loop that stops, event already read: {:.0}",
        total / skipped,
        (total - floor) / skipped,
        engine / skipped,
        hand / skipped
    );
}

/// Peak heap bytes above what is live now while `f` runs (`f` makes its
/// own copy of the input, so the input counts while `f` keeps it).
fn peak_of(f: impl FnOnce()) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    f();
    PEAK.load(Ordering::Relaxed) - before
}

/// Peak heap for one ~6 MB event, input bytes included.
fn peak_heap(runtime: &tokio::runtime::Runtime) {
    let big = event(6_500, false, false);
    let size = big.len();
    let ratio = |peak: usize| peak as f64 / size as f64;
    println!("peak heap for a {:.2} MB standard-queue event, input bytes included:", size as f64 / 1e6);
    for (keep_input, how) in
        [(false, "input freed once read, as lambda_runtime does"), (true, "input kept to the end")]
    {
        let generated = peak_of(|| drop(run_generated(runtime, big.clone(), keep_input)));
        let hand = peak_of(|| drop(hand_written(big.clone(), keep_input)));
        println!(
            "  {how}: generated {:.2} MB = {:.2}x the event; hand-written {:.2} MB = {:.2}x",
            generated as f64 / 1e6,
            ratio(generated),
            hand as f64 / 1e6,
            ratio(hand)
        );
    }
}

/// Nanoseconds per identifier to keep each of `ids` once, in order, as the
/// response does: a set sized for all of them, one insert each.
fn dedup<S: BuildHasher + Default>(ids: &[String]) -> f64 {
    let rounds = (200_000 / ids.len()).clamp(20, 2_000);
    time_per_item(ids.len(), rounds, || {
        let mut seen: HashSet<&str, S> = HashSet::with_capacity_and_hasher(ids.len(), S::default());
        let kept = ids.iter().filter(|id| seen.insert(id.as_str())).count();
        std::hint::black_box(kept);
    })
}

/// The hashes side by side, interleaved, on SQS message ids and Kinesis
/// sequence numbers.
fn hashes() {
    println!(
        "keeping each failed identifier once, ns per identifier (median of 5 interleaved blocks, each the fastest of its runs):"
    );
    println!(
        "  {:<22} {:>6} {:>11} {:>9} {:>12}",
        "identifiers", "count", "rustc-hash", "foldhash", "std SipHash"
    );
    for (kind, make) in [
        ("SQS message ids", message_id as fn(usize) -> String),
        ("Kinesis sequence nos", |i| lambda_batch_testkit::kinesis::sequence_number(i as u64)),
    ] {
        for count in [10, 1_000, 10_000] {
            let ids: Vec<String> = (0..count).map(make).collect();
            let mut figures = [Vec::new(), Vec::new(), Vec::new()];
            for _ in 0..5 {
                figures[0].push(dedup::<rustc_hash::FxBuildHasher>(&ids));
                figures[1].push(dedup::<foldhash::fast::FixedState>(&ids));
                figures[2].push(dedup::<std::hash::RandomState>(&ids));
            }
            let [fx, fold, sip] = figures.map(median);
            println!("  {kind:<22} {count:>6} {fx:>11.1} {fold:>9.1} {sip:>12.1}");
        }
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    fifo_short_circuit(&runtime);
    peak_heap(&runtime);
    hashes();
}
