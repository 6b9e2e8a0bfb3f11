//! `parallel`: record work on worker threads, in real time, under the same
//! rules as without it: FIFO groups in order, one record's panic failing it
//! alone, the record timeout and the deadline guard still ending the
//! invocation in time, and the same response as the sequential handler;
//! with `parallel = "engine_helps"` too, where the engine's thread also
//! runs work.
//! (The order rules under every concurrency limit are checked on worker
//! threads too, in `concurrency.rs`.)

use std::collections::HashMap;
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use lambda_batch::parallel::Parallel;
use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
use lambda_batch::{
    AllFailedPolicy, BatchPipeline, Context, Json, Limits, RecordErrorKind, RecordHandler, RecordOutcome,
    RecordStatus, batch_handler,
};
use lambda_batch_testkit::sqs::{event, fifo_message, message};
use serde::Deserialize;

use crate::common::{self, ids, outcome_ids};

/// A record's script: its FIFO group and place in it, how long it works,
/// whether it fails or panics.
#[derive(Deserialize)]
struct Job {
    group: u32,
    seq: u32,
    ms: u64,
    /// Microseconds of work on top of `ms`.
    #[serde(default)]
    us: u64,
    #[serde(default)]
    fail: bool,
    #[serde(default)]
    panic: bool,
}

/// What one handler saw: (group, seq, started, ended, thread).
type Log = Mutex<Vec<(u32, u32, Instant, Instant, ThreadId)>>;

fn work(log: &Log, job: &Job) -> Result<(), String> {
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(job.ms) + Duration::from_micros(job.us));
    assert!(!job.panic, "scripted panic in group {}", job.group);
    log.lock().unwrap().push((job.group, job.seq, started, Instant::now(), std::thread::current().id()));
    if job.fail { Err(format!("scripted failure in group {}", job.group)) } else { Ok(()) }
}

static FIFO_LOG: Log = Mutex::new(Vec::new());

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", parallel, all_failed = "report_all")]
fn fifo_parallel(Json(job): Json<Job>) -> Result<(), String> {
    work(&FIFO_LOG, &job)
}

static SEQUENTIAL_LOG: Log = Mutex::new(Vec::new());

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", all_failed = "report_all")]
fn fifo_sequential(Json(job): Json<Job>) -> Result<(), String> {
    work(&SEQUENTIAL_LOG, &job)
}

static HELPED_LOG: Log = Mutex::new(Vec::new());

#[batch_handler(
    sqs_fifo,
    fifo_policy = "skip_failed_group",
    parallel = "engine_helps",
    all_failed = "report_all"
)]
fn fifo_helped(Json(job): Json<Job>) -> Result<(), String> {
    work(&HELPED_LOG, &job)
}

/// 4 groups of 6 records, each working `ms` + `us`; group 2 fails at its
/// third record.
fn fifo_batch(ms: u64, us: u64) -> lambda_batch::BatchEvent {
    event((0..24).map(|i| {
        let (group, seq) = (i % 4, i / 4);
        let fail = group == 2 && seq == 2;
        let body = serde_json::json!({"group": group, "seq": seq, "ms": ms, "us": us, "fail": fail});
        fifo_message(&format!("m{i}"), &format!("g{group}"), &body.to_string())
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifo_groups_run_side_by_side_on_workers_each_in_order_with_the_same_response() {
    let batch = fifo_batch(3, 0);
    let report =
        Sqs::process(&fifo_parallel {}, &fifo_parallel::CONFIG, &batch, &common::cx()).await.unwrap();
    let log = check_fifo_run(report, &batch, &FIFO_LOG).await;
    let engine = std::thread::current().id();
    assert!(log.iter().any(|entry| entry.4 != engine), "some records ran on a worker thread");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_engine_helping_fifo_groups_keep_their_order_and_the_engines_thread_runs_work_too() {
    // 300 µs each: over `OFFLOAD_ABOVE`, under `ENGINE_HELPS_BELOW`.
    let batch = fifo_batch(0, 300);
    // A first batch teaches `Parallel` the pace (its first record runs
    // inline, and on a busy machine it may sleep far longer than asked),
    // so every record of the second one is handed over.
    Sqs::process(&fifo_helped {}, &fifo_helped::CONFIG, &batch, &common::cx()).await.unwrap();
    HELPED_LOG.lock().unwrap().clear();
    let report = Sqs::process(&fifo_helped {}, &fifo_helped::CONFIG, &batch, &common::cx()).await.unwrap();
    let log = check_fifo_run(report, &batch, &HELPED_LOG).await;
    let engine = std::thread::current().id();
    let on_engine = log.iter().filter(|entry| entry.4 == engine).count();
    assert!(on_engine > 0, "the engine's thread ran no record's work: it did not help");
    assert!(log.iter().any(|entry| entry.4 != engine), "some records ran on a worker thread");
    let at_once =
        log.iter().map(|a| log.iter().filter(|b| b.2 <= a.2 && a.2 < b.3).count()).max().unwrap_or(0);
    let cores = lambda_batch::parallel::cores();
    assert!(at_once <= cores, "{at_once} records worked at once on {cores} cores: one worker too many");
}

/// Checks a FIFO run of [`fifo_batch`]: the same response as the
/// sequential handler's, every group in order, groups side by side;
/// returns the run's log.
async fn check_fifo_run(
    report: lambda_batch::BatchReport<'_>,
    batch: &lambda_batch::BatchEvent,
    log: &Log,
) -> Vec<(u32, u32, Instant, Instant, ThreadId)> {
    let parallel = outcome_ids(report.into_response());
    let cx = common::cx();
    let report = Sqs::process(&fifo_sequential {}, &fifo_sequential::CONFIG, batch, &cx).await.unwrap();
    assert_eq!(parallel, outcome_ids(report.into_response()), "the same response as without `parallel`");
    // Group 2: its failed third record and the three after it.
    assert_eq!(parallel, Ok(ids(&["m10", "m14", "m18", "m22"])));

    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 24 - 3, "every record ran once, except the three after group 2's failure");
    let mut by_group: HashMap<u32, Vec<_>> = HashMap::new();
    for entry in &log {
        by_group.entry(entry.0).or_default().push(*entry);
    }
    for (group, mut runs) in by_group {
        runs.sort_by_key(|run| run.2);
        let seqs: Vec<u32> = runs.iter().map(|run| run.1).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "group {group} ran out of order: {seqs:?}");
        assert!(runs.windows(2).all(|w| w[0].3 <= w[1].2), "group {group}: two records overlapped");
    }
    let overlapped = log.iter().any(|a| log.iter().any(|b| a.0 != b.0 && a.2 < b.3 && b.2 < a.3));
    assert!(overlapped, "records of different groups ran at the same time");
    log
}

#[batch_handler(sqs, parallel = "engine_helps", all_failed = "report_all")]
fn logs_its_work(Json(job): Json<Job>) -> Result<(), String> {
    std::thread::sleep(Duration::from_micros(job.us));
    tracing::info!(seq = job.seq, "worked");
    Ok(())
}

/// Work logs inside its own record's span, also when the engine's thread
/// runs it while polling another record. (Only the engine's thread is
/// captured here: it is the test's thread.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_work_logs_names_its_own_record_when_the_engines_thread_runs_it() {
    let batch = event((0..40).map(|i| {
        let body = serde_json::json!({"group": 0, "seq": i, "ms": 0, "us": 300});
        message(&format!("m{i}"), &body.to_string())
    }));
    // The first batch teaches `Parallel` the pace, as above.
    Sqs::process(&logs_its_work {}, &logs_its_work::CONFIG, &batch, &common::cx()).await.unwrap();
    let (captured, _guard) = common::events::capture_events();
    Sqs::process(&logs_its_work {}, &logs_its_work::CONFIG, &batch, &common::cx()).await.unwrap();
    let lines: Vec<serde_json::Value> =
        captured.json_lines().into_iter().filter(|line| line["message"] == "worked").collect();
    assert!(!lines.is_empty(), "the engine's thread ran no record's work");
    for line in &lines {
        assert_eq!(
            line["span"]["message_id"],
            format!("m{}", line["seq"]),
            "logged in another record's span: {line}"
        );
    }
}

static PANIC_LOG: Log = Mutex::new(Vec::new());

#[batch_handler(sqs, parallel, all_failed = "report_all")]
fn panicky(Json(job): Json<Job>) -> Result<(), String> {
    work(&PANIC_LOG, &job)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_that_panics_on_a_worker_fails_alone() {
    // 2 ms each: the first records teach `Parallel` to move work to the
    // pool, so record 6 panics on a worker.
    let batch = event((0..10).map(|i| {
        let body = serde_json::json!({"group": 0, "seq": i, "ms": 2, "panic": i == 6});
        message(&format!("m{i}"), &body.to_string())
    }));
    let report = Sqs::process(&panicky {}, &panicky::CONFIG, &batch, &common::cx()).await.unwrap();
    let statuses = report.records().iter().map(|r| r.status().clone()).collect::<Vec<_>>();
    for (i, status) in statuses.iter().enumerate() {
        if i == 6 {
            assert!(
                matches!(status, RecordStatus::Failed(e) if e.kind() == RecordErrorKind::Panic),
                "{status:?}"
            );
        } else {
            assert_eq!(status, &RecordStatus::Succeeded, "record {i}");
        }
    }
    let engine = std::thread::current().id();
    assert!(PANIC_LOG.lock().unwrap().iter().any(|entry| entry.4 != engine), "work ran on worker threads");
}

/// Blocks a thread for as many milliseconds as the body says, through
/// its `Parallel`.
struct Blocking(&'static Parallel);

static BLOCKING: Parallel = Parallel::always();

/// The same, with the engine's thread helping.
static BLOCKING_HELPED: Parallel = Parallel::always().engine_helps();

impl RecordHandler<Sqs> for Blocking {
    async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
        let ms: u64 = record.body().unwrap_or_default().parse().unwrap_or_default();
        self.0
            .run(move || {
                std::thread::sleep(Duration::from_millis(ms));
                RecordOutcome::Success
            })
            .await
    }
}

fn config(limits: Limits) -> SqsConfig {
    SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll).with_limits(limits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_past_its_timeout_on_a_worker_fails_and_the_invocation_does_not_wait_for_it() {
    let batch = event([message("m0", "1500"), message("m1", "5")]);
    let limits = Limits::new().with_concurrency_per_core(2).with_record_timeout(Duration::from_millis(100));
    let started = Instant::now();
    let report = Sqs::process(&Blocking(&BLOCKING), &config(limits), &batch, &common::cx()).await.unwrap();
    // Far less than the 1.5 s the worker still spends on record 0.
    assert!(started.elapsed() < Duration::from_millis(1200), "{:?}", started.elapsed());
    assert!(
        matches!(report.records()[0].status(), RecordStatus::Failed(e) if e.kind() == RecordErrorKind::Timeout)
    );
    assert_eq!(report.records()[1].status(), &RecordStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deadline_guard_abandons_work_on_workers_and_starts_nothing_past_the_cut_off() {
    // Deadline in 1.5 s, margin 1 s: nothing starts after ~500 ms, and at
    // ~1 s what still runs is abandoned. Two at a time: m0 runs 2.5 s, m1
    // 200 ms, m2 400 ms (starts at ~200 ms, ends at ~600 ms), so m3 would
    // start past the cut-off.
    let batch =
        event([message("m0", "2500"), message("m1", "200"), message("m2", "400"), message("m3", "5")]);
    let cx = lambda_batch_testkit::context_with_budget(Duration::from_millis(1500));
    let limits = Limits::new().with_concurrency(2).with_deadline_margin(Duration::from_millis(1000));
    let started = Instant::now();
    let report = Sqs::process(&Blocking(&BLOCKING), &config(limits), &batch, &cx).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1500), "the invocation ended before its deadline: {elapsed:?}");
    assert!(
        matches!(report.records()[0].status(), RecordStatus::Failed(e) if e.kind() == RecordErrorKind::Timeout)
    );
    assert_eq!(report.records()[1].status(), &RecordStatus::Succeeded);
    assert_eq!(report.records()[2].status(), &RecordStatus::Succeeded);
    assert_eq!(report.records()[3].status(), &RecordStatus::OutOfTime);
    assert_eq!(outcome_ids(report.into_response()), Ok(ids(&["m0", "m3"])));
}

/// Work that takes longer than `ENGINE_HELPS_BELOW` (here: not measured
/// yet, then 2.5 s) stays off the engine's thread, so the guard acts as
/// without the engine helping. Two records per core are handed over at
/// once, more than the runners take, so an engine's thread that helped
/// with them would sit in one for 2.5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_engine_helping_the_deadline_guard_still_abandons_heavy_work() {
    let in_flight = 2 * lambda_batch::parallel::cores();
    let batch =
        event((0..=in_flight).map(|i| message(&format!("m{i}"), if i < in_flight { "2500" } else { "5" })));
    let cx = lambda_batch_testkit::context_with_budget(Duration::from_millis(1500));
    let limits = Limits::new().with_concurrency(in_flight).with_deadline_margin(Duration::from_millis(1000));
    let started = Instant::now();
    let report = Sqs::process(&Blocking(&BLOCKING_HELPED), &config(limits), &batch, &cx).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_millis(1500), "the invocation ended before its deadline: {elapsed:?}");
    for record in &report.records()[..in_flight] {
        assert!(
            matches!(record.status(), RecordStatus::Failed(e) if e.kind() == RecordErrorKind::Timeout),
            "{:?}",
            record.status()
        );
    }
    assert_eq!(report.records()[in_flight].status(), &RecordStatus::OutOfTime);
}
