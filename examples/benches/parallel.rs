//! CPU-bound records on every core: `#[batch_handler(sqs, parallel)]`
//! against the same record function without `parallel`, in one process.
//!
//! Rows: 1,000 records whose function computes for ~20 µs (the loop is
//! calibrated at start), on a standard queue and on a FIFO queue with 10
//! message groups (`fifo_policy = "skip_failed_group"`: each group keeps its
//! order); the standard queue again at ~200 µs per record; then 1,000 trivial records (a small JSON body read, nothing
//! computed), where `parallel` must cost next to nothing. Each row is run
//! again with `parallel = "engine_helps"` (the engine's thread runs
//! records' work too, beside one worker fewer). Each figure is the
//! median of 9 interleaved blocks (sequential, parallel, sequential, ...),
//! each block the fastest of 3 batches. The runtime is tokio's multi-thread
//! runtime with one worker per core, as `#[tokio::main]` builds it in a
//! Lambda function. Run with
//! `cargo bench -p lambda-batch-examples --bench parallel`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lambda_batch::sqs::Sqs;
use lambda_batch::{BatchEvent, BatchPipeline, Json, batch_handler};
use serde::Deserialize;

const RECORDS: usize = 1_000;
const BLOCKS: usize = 9;
const RUNS_PER_BLOCK: usize = 3;

/// Rounds of the mixing loop that take about 20 µs here (calibrated).
static ROUNDS: AtomicU64 = AtomicU64::new(0);

#[derive(Deserialize)]
struct Job {
    seed: u64,
    fail: bool,
}

/// ~20 µs of CPU work on `seed` (the result depends on every round, so the
/// optimiser cannot skip them).
fn crunch(seed: u64, rounds: u64) -> u64 {
    (0..rounds).fold(seed, |h, i| (h.rotate_left(5) ^ i).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn heavy(job: &Job) -> Result<(), String> {
    let digest = crunch(job.seed, ROUNDS.load(Ordering::Relaxed));
    if job.fail { Err(format!("rejected ({digest:x})")) } else { Ok(()) }
}

fn trivial(job: &Job) -> Result<(), String> {
    if job.fail { Err("rejected".to_owned()) } else { Ok(()) }
}

#[batch_handler(sqs, all_failed = "report_all")]
fn heavy_sequential(Json(job): Json<Job>) -> Result<(), String> {
    heavy(&job)
}

#[batch_handler(sqs, parallel, all_failed = "report_all")]
fn heavy_parallel(Json(job): Json<Job>) -> Result<(), String> {
    heavy(&job)
}

#[batch_handler(sqs, parallel = "engine_helps", all_failed = "report_all")]
fn heavy_helped(Json(job): Json<Job>) -> Result<(), String> {
    heavy(&job)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", all_failed = "report_all")]
fn heavy_fifo_sequential(Json(job): Json<Job>) -> Result<(), String> {
    heavy(&job)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", parallel, all_failed = "report_all")]
fn heavy_fifo_parallel(Json(job): Json<Job>) -> Result<(), String> {
    heavy(&job)
}

#[batch_handler(
    sqs_fifo,
    fifo_policy = "skip_failed_group",
    parallel = "engine_helps",
    all_failed = "report_all"
)]
fn heavy_fifo_helped(Json(job): Json<Job>) -> Result<(), String> {
    heavy(&job)
}

#[batch_handler(sqs, all_failed = "report_all")]
fn trivial_sequential(Json(job): Json<Job>) -> Result<(), String> {
    trivial(&job)
}

#[batch_handler(sqs, parallel, all_failed = "report_all")]
fn trivial_parallel(Json(job): Json<Job>) -> Result<(), String> {
    trivial(&job)
}

#[batch_handler(sqs, parallel = "engine_helps", all_failed = "report_all")]
fn trivial_helped(Json(job): Json<Job>) -> Result<(), String> {
    trivial(&job)
}

/// Sets [`ROUNDS`] so that one `crunch` takes about 20 µs, and returns
/// what one then takes: the fastest of many timings (on a shared machine
/// other work only ever adds time).
fn calibrate() -> Duration {
    let fastest = |rounds: u64| {
        (0..200)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(crunch(std::hint::black_box(7), rounds));
                start.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    let probe = 100_000;
    let per_round = fastest(probe).as_secs_f64() / probe as f64;
    ROUNDS.store((20e-6 / per_round) as u64, Ordering::Relaxed);
    fastest(ROUNDS.load(Ordering::Relaxed))
}

/// 1,000 records, every 50th failing; FIFO records in 10 groups.
fn event(fifo: bool) -> BatchEvent {
    let records = (0..RECORDS).map(|i| {
        let body = serde_json::json!({"seed": i, "fail": i % 50 == 49}).to_string();
        let id = format!("m{i:05}");
        if fifo {
            lambda_batch_testkit::sqs::fifo_message(&id, &format!("group-{}", i % 10), &body)
        } else {
            lambda_batch_testkit::sqs::message(&id, &body)
        }
    });
    lambda_batch_testkit::sqs::event(records)
}

/// Times one batch through `handler` (a generated handler and its config);
/// checks the response is `expected` (the sequential handler's).
macro_rules! batch {
    ($runtime:expr, $handler:ident, $event:expr, $expected:expr) => {{
        let cx = lambda_batch_testkit::context();
        let start = Instant::now();
        let report = $runtime
            .block_on(Sqs::process(&$handler {}, &$handler::CONFIG, $event, &cx))
            .expect("a valid event");
        let took = start.elapsed();
        let response = serde_json::to_string(&report.into_response().expect("a response")).expect("JSON");
        assert_eq!(&response, $expected, "the same response with and without `parallel`");
        took
    }};
}

/// The response of the sequential `handler` to `event`.
macro_rules! expected {
    ($runtime:expr, $handler:ident, $event:expr) => {{
        let cx = lambda_batch_testkit::context();
        let report = $runtime
            .block_on(Sqs::process(&$handler {}, &$handler::CONFIG, $event, &cx))
            .expect("a valid event");
        assert!(report.counts().failed > 0, "some records fail, as scripted");
        serde_json::to_string(&report.into_response().expect("a response")).expect("JSON")
    }};
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Median over interleaved blocks of (sequential, parallel), each block
/// the fastest of its runs.
fn compare(
    mut sequential: impl FnMut() -> Duration,
    mut parallel: impl FnMut() -> Duration,
) -> (Duration, Duration) {
    let (mut seq, mut par) = (Vec::new(), Vec::new());
    for _ in 0..BLOCKS {
        seq.push((0..RUNS_PER_BLOCK).map(|_| sequential()).min().unwrap_or_default());
        par.push((0..RUNS_PER_BLOCK).map(|_| parallel()).min().unwrap_or_default());
    }
    (median(seq), median(par))
}

fn print_row(name: &str, (sequential, parallel): (Duration, Duration)) {
    let per_record = |d: Duration| d.as_nanos() as f64 / RECORDS as f64 / 1_000.0;
    println!(
        "{name:<34} {:>12.2} {:>12.2} {:>10.2}x",
        per_record(sequential),
        per_record(parallel),
        sequential.as_secs_f64() / parallel.as_secs_f64()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let one = calibrate();
    let cores = lambda_batch::parallel::cores();
    println!(
        "{RECORDS} SQS records per batch, {cores} cores, `parallel` = {} records in flight; one record's work: {:.1} µs",
        heavy_parallel::CONFIG.limits().concurrency(),
        one.as_secs_f64() * 1e6
    );
    println!(
        "median of {BLOCKS} interleaved blocks, each the fastest of {RUNS_PER_BLOCK} batches; µs per record"
    );
    println!("{:<34} {:>12} {:>12} {:>11}", "records", "sequential", "parallel", "speed-up");
    let (standard, fifo) = (event(false), event(true));
    let answer = expected!(runtime, heavy_sequential, &standard);
    print_row(
        "~20 µs of CPU, standard queue",
        compare(
            || batch!(runtime, heavy_sequential, &standard, &answer),
            || batch!(runtime, heavy_parallel, &standard, &answer),
        ),
    );
    print_row(
        "  the same, engine_helps",
        compare(
            || batch!(runtime, heavy_sequential, &standard, &answer),
            || batch!(runtime, heavy_helped, &standard, &answer),
        ),
    );
    let answer = expected!(runtime, heavy_fifo_sequential, &fifo);
    print_row(
        "~20 µs of CPU, FIFO, 10 groups",
        compare(
            || batch!(runtime, heavy_fifo_sequential, &fifo, &answer),
            || batch!(runtime, heavy_fifo_parallel, &fifo, &answer),
        ),
    );
    print_row(
        "  the same, engine_helps",
        compare(
            || batch!(runtime, heavy_fifo_sequential, &fifo, &answer),
            || batch!(runtime, heavy_fifo_helped, &fifo, &answer),
        ),
    );
    // Ten times the work per record: the hand-off's cost is amortised.
    let rounds = ROUNDS.load(Ordering::Relaxed);
    ROUNDS.store(rounds * 10, Ordering::Relaxed);
    let answer = expected!(runtime, heavy_sequential, &standard);
    print_row(
        "~200 µs of CPU, standard queue",
        compare(
            || batch!(runtime, heavy_sequential, &standard, &answer),
            || batch!(runtime, heavy_parallel, &standard, &answer),
        ),
    );
    print_row(
        "  the same, engine_helps",
        compare(
            || batch!(runtime, heavy_sequential, &standard, &answer),
            || batch!(runtime, heavy_helped, &standard, &answer),
        ),
    );
    ROUNDS.store(rounds, Ordering::Relaxed);
    let answer = expected!(runtime, trivial_sequential, &standard);
    print_row(
        "trivial, standard queue",
        compare(
            || batch!(runtime, trivial_sequential, &standard, &answer),
            || batch!(runtime, trivial_parallel, &standard, &answer),
        ),
    );
    print_row(
        "  the same, engine_helps",
        compare(
            || batch!(runtime, trivial_sequential, &standard, &answer),
            || batch!(runtime, trivial_helped, &standard, &answer),
        ),
    );
}
