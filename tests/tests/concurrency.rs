//! Bounded concurrency that keeps order, on tokio's paused clock: random
//! batches under N in {1, 2, 8, 64}, checked record by record; each test
//! runs three times: with records that await, with records whose blocking
//! work runs on worker threads through `Parallel` (the `parallel` mode,
//! where the same rules must hold with real threads), and the same with
//! the engine's thread helping (`parallel = "engine_helps"`).

use crate::common;
use lambda_batch::{BatchEvent, BatchPipeline, SourceKind};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_batch::kinesis::{Kinesis, KinesisRecord};
use lambda_batch::parallel::Parallel;
use lambda_batch::sqs::{FifoPolicy, QueueKind, Sqs, SqsConfig, SqsRecord};
use lambda_batch::stream::{StreamConfig, StreamPolicy};
use lambda_batch::validate::{BatchView, FifoRule};
use lambda_batch::{
    AllFailedPolicy, BatchReport, Context, Limits, RecordHandler, RecordOutcome, RecordStatus,
};
use serde_json::{Value, json};

/// A start or end of a record's handling, in the order they happened.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Event {
    Start(usize),
    End(usize),
}

/// How a record's work runs: awaiting `ms` of tokio's (paused) clock, or
/// blocking a thread for `ms` × 100 µs through `Parallel::always()`, on
/// worker threads only or with the engine's thread helping.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Awaits,
    Parallel,
    EngineHelps,
}

const MODES: [Mode; 3] = [Mode::Awaits, Mode::Parallel, Mode::EngineHelps];

/// Every record's blocking work goes to the pool.
static WORKERS: Parallel = Parallel::always();

/// The same, with the engine's thread running queued work too.
static HELPED: Parallel = Parallel::always().engine_helps();

/// Sleeps and fails as each payload says: `"<ok|fail>:<ms>"`.
struct Recorder {
    log: Arc<Mutex<Vec<Event>>>,
    mode: Mode,
}

impl Recorder {
    fn new(mode: Mode) -> Self {
        Recorder { log: Arc::default(), mode }
    }

    async fn run(&self, index: usize, payload: &str) -> RecordOutcome {
        let (verdict, ms) = payload.split_once(':').unwrap();
        let (fails, ms): (bool, u64) = (verdict == "fail", ms.parse().unwrap());
        let log = Arc::clone(&self.log);
        let outcome = move || {
            log.lock().unwrap().push(Event::End(index));
            if fails { RecordOutcome::failure("scripted") } else { RecordOutcome::Success }
        };
        self.log.lock().unwrap().push(Event::Start(index));
        match self.mode {
            Mode::Awaits => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                outcome()
            }
            Mode::Parallel | Mode::EngineHelps => {
                let work = move || {
                    std::thread::sleep(Duration::from_micros(ms * 100));
                    outcome()
                };
                let parallel = if self.mode == Mode::Parallel { &WORKERS } else { &HELPED };
                parallel.run(work).await
            }
        }
    }

    fn into_log(self) -> Vec<Event> {
        self.log.lock().unwrap().clone()
    }
}

impl RecordHandler<Sqs> for Recorder {
    async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
        self.run(record.index(), record.body().unwrap()).await
    }
}

impl RecordHandler<Kinesis> for Recorder {
    async fn handle(&self, record: &KinesisRecord<'_>, _cx: &Context) -> RecordOutcome {
        self.run(record.index(), std::str::from_utf8(record.data().unwrap()).unwrap()).await
    }
}

/// xorshift64: small, deterministic, good enough to vary batches.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A random batch: (key, payload) per record.
fn random_batch(seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let len = 1 + rng.below(40) as usize;
    let keys = 1 + rng.below(6);
    (0..len)
        .map(|_| {
            let key = format!("k{}", rng.below(keys));
            let verdict = if rng.below(5) == 0 { "fail" } else { "ok" };
            (key, format!("{verdict}:{}", rng.below(20)))
        })
        .collect()
}

/// Checks the log: at most `limit` in flight; per key (when `ordered`),
/// starts in batch order and never before the previous record ended.
fn check_log(log: &[Event], keys: &[String], limit: usize, ordered: bool) {
    let mut in_flight = 0usize;
    let mut running: Vec<usize> = Vec::new();
    let mut last_started_of_key: std::collections::HashMap<&str, usize> = Default::default();
    for event in log {
        match *event {
            Event::Start(i) => {
                in_flight += 1;
                assert!(in_flight <= limit, "{in_flight} records in flight, limit {limit}: {log:?}");
                if ordered {
                    let key = keys[i].as_str();
                    assert!(
                        !running.iter().any(|&r| keys[r] == key),
                        "record {i} started while another record of key {key} was running: {log:?}"
                    );
                    if let Some(&previous) = last_started_of_key.get(key) {
                        assert!(previous < i, "key {key}: record {i} started after {previous}: {log:?}");
                    }
                    last_started_of_key.insert(key, i);
                }
                running.push(i);
            }
            Event::End(i) => {
                in_flight -= 1;
                running.retain(|&r| r != i);
            }
        }
    }
}

fn called(log: &[Event]) -> Vec<usize> {
    log.iter().filter_map(|e| if let Event::Start(i) = e { Some(*i) } else { None }).collect()
}

fn failures_in_record_order(response: &Value, ids: &[String]) {
    let listed: Vec<usize> = response["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| ids.iter().position(|id| id == entry["itemIdentifier"].as_str().unwrap()).unwrap())
        .collect();
    assert!(listed.windows(2).all(|w| w[0] < w[1]), "failures not in record order: {listed:?}");
}

fn sqs_event(batch: &[(String, String)], fifo: bool) -> Value {
    let records: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(i, (key, payload))| {
            if fifo {
                lambda_batch_testkit::sqs::fifo_message(&format!("m{i}"), key, payload)
            } else {
                lambda_batch_testkit::sqs::message(&format!("m{i}"), payload)
            }
        })
        .collect();
    json!({ "Records": records })
}

const LIMITS: [usize; 4] = [1, 2, 8, 64];
const SEEDS: u64 = 40;

async fn run_sqs(value: &Value, config: SqsConfig, mode: Mode) -> (Vec<Event>, Vec<RecordStatus>, Value) {
    let recorder = Recorder::new(mode);
    let event = lambda_batch::BatchEvent::from(value);
    let report: BatchReport<'_> = Sqs::process(&recorder, &config, &event, &common::cx()).await.unwrap();
    let statuses = report.records().iter().map(|r| r.status().clone()).collect();
    let response = serde_json::to_value(report.into_response().unwrap()).unwrap();
    (recorder.into_log(), statuses, response)
}

#[tokio::test(start_paused = true)]
async fn sqs_standard_runs_up_to_n_at_once_and_reports_exactly_the_failures_in_order() {
    for mode in MODES {
        sqs_standard_runs_up_to_n_at_once_and_reports_exactly_the_failures_in_order_in(mode).await;
    }
}

async fn sqs_standard_runs_up_to_n_at_once_and_reports_exactly_the_failures_in_order_in(mode: Mode) {
    for limit in LIMITS {
        for seed in 0..SEEDS {
            let batch = random_batch(seed);
            let config = SqsConfig::new()
                .with_all_failed_policy(AllFailedPolicy::ReportAll)
                .with_limits(Limits::new().with_concurrency(limit));
            let value = sqs_event(&batch, false);
            let (log, statuses, response) = run_sqs(&value, config, mode).await;
            check_log(&log, &batch.iter().map(|b| b.0.clone()).collect::<Vec<_>>(), limit, false);
            let mut calls = called(&log);
            calls.sort_unstable();
            assert_eq!(calls, (0..batch.len()).collect::<Vec<_>>(), "every record is called once");
            for (i, status) in statuses.iter().enumerate() {
                assert_eq!(
                    matches!(status, RecordStatus::Failed(_)),
                    batch[i].1.starts_with("fail"),
                    "seed {seed}"
                );
            }
            let ids: Vec<String> = (0..batch.len()).map(|i| format!("m{i}")).collect();
            failures_in_record_order(&response, &ids);
            assert!(
                BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&value))
                    .with_fifo_rule(FifoRule::None)
                    .check(&response)
                    .is_valid()
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn sqs_fifo_skip_group_is_parallel_across_groups_and_sequential_within_one() {
    for mode in MODES {
        sqs_fifo_skip_group_is_parallel_across_groups_and_sequential_within_one_in(mode).await;
    }
}

async fn sqs_fifo_skip_group_is_parallel_across_groups_and_sequential_within_one_in(mode: Mode) {
    let mut saw_parallel_groups = false;
    for limit in LIMITS {
        for seed in 0..SEEDS {
            let batch = random_batch(seed);
            let keys: Vec<String> = batch.iter().map(|b| b.0.clone()).collect();
            let config = SqsConfig::new()
                .with_fifo_policy(FifoPolicy::SkipFailedGroup)
                .with_all_failed_policy(AllFailedPolicy::ReportAll)
                .with_limits(Limits::new().with_concurrency(limit));
            let value = sqs_event(&batch, true);
            let (log, statuses, response) = run_sqs(&value, config, mode).await;
            check_log(&log, &keys, limit, true);
            saw_parallel_groups |= max_in_flight(&log) > 1;
            // Within a group: nothing after the first failure is called.
            for (i, status) in statuses.iter().enumerate() {
                let earlier_failure = (0..i).any(|j| keys[j] == keys[i] && batch[j].1.starts_with("fail"));
                assert_eq!(
                    matches!(status, RecordStatus::Skipped { .. }),
                    earlier_failure,
                    "seed {seed} record {i}"
                );
                assert_eq!(called(&log).contains(&i), !earlier_failure, "seed {seed} record {i}");
            }
            let ids: Vec<String> = (0..batch.len()).map(|i| format!("m{i}")).collect();
            failures_in_record_order(&response, &ids);
            let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&value))
                .with_fifo_rule(FifoRule::GroupSuffix)
                .check(&response);
            assert!(check.is_valid(), "seed {seed}: {:?}", check.findings());
        }
    }
    assert!(saw_parallel_groups, "some batch ran two groups at once");
}

fn max_in_flight(log: &[Event]) -> usize {
    let mut now = 0usize;
    let mut max = 0;
    for event in log {
        now = if matches!(event, Event::Start(_)) { now + 1 } else { now - 1 };
        max = max.max(now);
    }
    max
}

#[tokio::test(start_paused = true)]
async fn sqs_fifo_stopping_at_the_first_failure_runs_one_record_at_a_time() {
    for mode in MODES {
        sqs_fifo_stopping_at_the_first_failure_runs_one_record_at_a_time_in(mode).await;
    }
}

async fn sqs_fifo_stopping_at_the_first_failure_runs_one_record_at_a_time_in(mode: Mode) {
    for seed in 0..SEEDS {
        let batch = random_batch(seed);
        let config = SqsConfig::new()
            .with_all_failed_policy(AllFailedPolicy::ReportAll)
            .with_limits(Limits::new().with_concurrency(64));
        let value = sqs_event(&batch, true);
        let (log, _, response) = run_sqs(&value, config, mode).await;
        assert!(max_in_flight(&log) <= 1, "seed {seed}: FIFO stop-at-first must not overlap records");
        let first_failure = batch.iter().position(|b| b.1.starts_with("fail"));
        let expected_calls: Vec<usize> = (0..=first_failure.unwrap_or(batch.len() - 1)).collect();
        assert_eq!(called(&log), expected_calls, "seed {seed}");
        assert!(
            BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&value))
                .with_fifo_rule(FifoRule::BatchSuffix)
                .check(&response)
                .is_valid(),
            "seed {seed}"
        );
    }
    // Forced FIFO behaves the same on any ARN.
    let batch = random_batch(7);
    let config =
        SqsConfig::new().with_queue_kind(QueueKind::Fifo).with_limits(Limits::new().with_concurrency(8));
    let (log, _, _) =
        run_sqs(&sqs_event(&batch, false), config.with_all_failed_policy(AllFailedPolicy::ReportAll), mode)
            .await;
    assert!(max_in_flight(&log) <= 1);
}

fn kinesis_event(batch: &[(String, String)]) -> Value {
    let records: Vec<Value> = batch
        .iter()
        .enumerate()
        .map(|(i, (key, payload))| {
            lambda_batch_testkit::kinesis::record(&format!("{}", 1000 + i), key, payload.as_bytes())
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test(start_paused = true)]
async fn streams_run_in_parallel_across_keys_and_checkpoint_at_the_lowest_record_not_done() {
    for mode in MODES {
        streams_run_in_parallel_across_keys_and_checkpoint_at_the_lowest_record_not_done_in(mode).await;
    }
}

async fn streams_run_in_parallel_across_keys_and_checkpoint_at_the_lowest_record_not_done_in(mode: Mode) {
    for limit in LIMITS {
        for seed in 0..SEEDS {
            let batch = random_batch(seed);
            let keys: Vec<String> = batch.iter().map(|b| b.0.clone()).collect();
            let value = kinesis_event(&batch);
            let event = lambda_batch::BatchEvent::from(&value);
            for policy in [StreamPolicy::Checkpoint, StreamPolicy::Continue] {
                let recorder = Recorder::new(mode);
                let config = StreamConfig::new()
                    .with_stream_policy(policy)
                    .with_all_failed_policy(AllFailedPolicy::ReportAll)
                    .with_limits(Limits::new().with_concurrency(limit));
                let report = Kinesis::process(&recorder, &config, &event, &common::cx()).await.unwrap();
                let log = recorder.into_log();
                check_log(&log, &keys, limit, true);
                let not_done: Vec<usize> = report
                    .records()
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.status().is_retried())
                    .map(|(i, _)| i)
                    .collect();
                let response = serde_json::to_value(report.into_response().unwrap()).unwrap();
                let listed: Vec<&str> = response["batchItemFailures"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["itemIdentifier"].as_str().unwrap())
                    .collect();
                let check = BatchView::read(SourceKind::Kinesis, &BatchEvent::from(&value)).check(&response);
                assert!(check.is_valid(), "seed {seed}: {:?}", check.findings());
                match policy {
                    StreamPolicy::Checkpoint => {
                        let lowest = not_done.first().map(|i| format!("{}", 1000 + i));
                        assert_eq!(
                            listed,
                            lowest.iter().map(String::as_str).collect::<Vec<_>>(),
                            "seed {seed}"
                        );
                        // After a failure, no later record of the same key ran.
                        for i in called(&log) {
                            assert!(
                                !(0..i).any(|j| keys[j] == keys[i] && batch[j].1.starts_with("fail")),
                                "seed {seed}: record {i} ran after a failure of its key"
                            );
                        }
                    }
                    _ => {
                        let failed: Vec<String> = batch
                            .iter()
                            .enumerate()
                            .filter(|(_, b)| b.1.starts_with("fail"))
                            .map(|(i, _)| format!("{}", 1000 + i))
                            .collect();
                        assert_eq!(listed, failed, "seed {seed}");
                    }
                }
            }
        }
    }
}
