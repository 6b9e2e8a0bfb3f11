//! End-to-end properties of the simulator over random fault schedules,
//! with real `#[batch_handler]` functions, and proof that each property
//! catches the handler bug it is about.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use lambda_batch::kinesis::KinesisEventRecord;
use lambda_batch::sqs::SqsMessage;
use lambda_batch::{LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, AsyncConfig, AsyncSimulation, Invocation, InvocationFaults, InvocationResult, Payload, QueueConfig,
    SqsReport, SqsSimConfig, SqsSimulation, StreamKind, StreamSimConfig, StreamSimulation, lambda_function,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

type Log = Mutex<Vec<(String, String)>>;

/// What goes wrong in one case.
#[derive(Debug, Clone)]
struct Schedule {
    seed: u64,
    messages: usize,
    keys: usize,
    faults: InvocationFaults,
    max_receive_count: u32,
    batch_size: u32,
}

fn schedule(max_messages: usize) -> impl Strategy<Value = Schedule> {
    (
        any::<u64>(),
        1..=max_messages,
        1..=4usize,
        0.0..0.4,
        0.0..0.15,
        0.0..0.15,
        0.0..0.15,
        0.0..0.1,
        1..=6u32,
        1..=10u32,
    )
        .prop_map(
            |(
                seed,
                messages,
                keys,
                record,
                timeout,
                error,
                throttle,
                lost,
                max_receive_count,
                batch_size,
            )| {
                Schedule {
                    seed,
                    messages,
                    keys,
                    faults: InvocationFaults {
                        record_failure: record,
                        timeout,
                        function_error: error,
                        throttle,
                        lost_delete: lost,
                        duplicate: lost,
                    },
                    max_receive_count,
                    batch_size,
                }
            },
        )
}

fn config() -> Config {
    Config { cases: 1000, failure_persistence: None, ..Config::default() }
}

fn record_ok(log: &Log, message: &SqsMessage) -> RecordOutcome {
    let group = message.attributes.get("MessageGroupId").cloned().unwrap_or_default();
    log.lock().unwrap().push((group, message.message_id.clone().unwrap_or_default()));
    RecordOutcome::Success
}

#[batch_handler(sqs)]
async fn standard(#[state] log: &Log, message: &SqsMessage) -> RecordOutcome {
    record_ok(log, message)
}

#[batch_handler(sqs_fifo)]
async fn fifo(#[state] log: &Log, message: &SqsMessage) -> RecordOutcome {
    record_ok(log, message)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group")]
async fn fifo_by_group(#[state] log: &Log, message: &SqsMessage) -> RecordOutcome {
    record_ok(log, message)
}

fn sqs_run(s: &Schedule, fifo: bool, function: &mut impl sim::Function) -> SqsReport {
    let queue = if fifo { QueueConfig::fifo() } else { QueueConfig::standard() };
    let mut config = SqsSimConfig::new(queue.with_dlq(s.max_receive_count));
    config.seed = s.seed;
    config.faults = s.faults;
    config.mapping.batch_size = s.batch_size;
    config.trace = false;
    let mut sim = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        sim.send_fifo(i as u64 * 500, &format!("g{}", i % s.keys), &format!("order {i}"));
    }
    sim.run(function)
}

fn handled_ids(log: &Log) -> HashSet<String> {
    log.lock().unwrap().iter().map(|(_, id)| id.clone()).collect()
}

fn sent_order(report: &SqsReport) -> Vec<(String, String)> {
    report.messages.iter().map(|m| (m.group.as_deref().unwrap_or("").to_owned(), m.id.to_string())).collect()
}

proptest! {
    #![proptest_config(config())]

    /// Standard queue: every message ends deleted (after a successful
    /// handling), in the DLQ, or expired, and the counts add up.
    #[test]
    fn standard_queue_loses_nothing(s in schedule(40)) {
        let log = Log::default();
        let report = sqs_run(&s, false, &mut lambda_function(|e| standard(&log, e)));
        sim::check::nothing_lost_or_unhandled(&report, &handled_ids(&log))?;
    }

    /// FIFO, both policies: nothing lost, no message ends before one sent
    /// ahead of it in its group, and first successful handlings per group
    /// come in send order.
    #[test]
    fn fifo_keeps_group_order(s in schedule(30), by_group in any::<bool>()) {
        let log = Log::default();
        let report = if by_group {
            sqs_run(&s, true, &mut lambda_function(|e| fifo_by_group(&log, e)))
        } else {
            sqs_run(&s, true, &mut lambda_function(|e| fifo(&log, e)))
        };
        sim::check::nothing_lost_or_unhandled(&report, &handled_ids(&log))?;
        sim::check::fifo_order(&report)?;
        sim::check::first_handlings_in_order(&sent_order(&report), &log.lock().unwrap())?;
    }
}

#[batch_handler(kinesis)]
async fn readings(#[state] log: &Log, record: &KinesisEventRecord) -> RecordOutcome {
    let kinesis = &record.kinesis;
    log.lock().unwrap().push((kinesis.partition_key.clone(), kinesis.sequence_number.clone()));
    RecordOutcome::Success
}

#[batch_handler(kinesis, stream_policy = "continue")]
async fn readings_continue(#[state] log: &Log, record: &KinesisEventRecord) -> RecordOutcome {
    let kinesis = &record.kinesis;
    log.lock().unwrap().push((kinesis.partition_key.clone(), kinesis.sequence_number.clone()));
    RecordOutcome::Success
}

fn stream_run(s: &Schedule, bisect: bool, function: &mut impl sim::Function) -> sim::StreamReport {
    let mut config = StreamSimConfig::new(StreamKind::Kinesis);
    config.seed = s.seed;
    config.faults = InvocationFaults { lost_delete: 0.0, duplicate: 0.0, ..s.faults };
    config.source.shards = 2;
    config.batch_size = s.batch_size;
    config.bisect_on_error = bisect;
    config.maximum_retry_attempts = Some(s.max_receive_count);
    config.trace = false;
    let mut sim = StreamSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        sim.put(i as u64 * 200, &format!("sensor-{}", i % (s.keys + 2)), &format!("{{\"n\":{i}}}"));
    }
    sim.run(function)
}

fn stream_sent(report: &sim::StreamReport) -> Vec<(String, String)> {
    report.records.iter().map(|r| (r.key.to_string(), r.sequence_number.to_string())).collect()
}

proptest! {
    #![proptest_config(config())]

    /// Streams: every record ends processed, discarded or expired (with
    /// on-failure records covering the discarded ones), and per partition
    /// key the first handlings come in sequence order.
    #[test]
    fn streams_keep_key_order(s in schedule(40), bisect in any::<bool>()) {
        let log = Log::default();
        let report = stream_run(&s, bisect, &mut lambda_function(|e| readings(&log, e)));
        let handled: HashSet<String> = log.lock().unwrap().iter().map(|(_, seq)| seq.clone()).collect();
        sim::check::stream_nothing_lost_or_unhandled(&report, &handled)?;
        sim::check::first_handlings_in_order(&stream_sent(&report), &log.lock().unwrap())?;
    }
}

/// An effect store: request id -> times the effect happened.
type Effects = Mutex<HashMap<String, u32>>;

async fn idempotent(effects: &Effects, event: LambdaEvent<Value>) -> Result<Value, lambda_batch::Error> {
    let mut effects = effects.lock().unwrap();
    let done = effects.entry(event.context.request_id.clone()).or_default();
    if *done == 0 {
        *done += 1;
    }
    Ok(json!({"charged": event.payload["order"]}))
}

async fn not_idempotent(effects: &Effects, event: LambdaEvent<Value>) -> Result<Value, lambda_batch::Error> {
    *effects.lock().unwrap().entry(event.context.request_id.clone()).or_default() += 1;
    Ok(json!({"charged": event.payload["order"]}))
}

fn async_schedule() -> impl Strategy<Value = (Schedule, u32)> {
    (schedule(20), 0..=2u32)
}

fn async_run(s: &Schedule, retries: u32, function: &mut impl sim::Function) -> sim::AsyncReport {
    let config = AsyncConfig {
        maximum_retry_attempts: retries,
        seed: s.seed,
        faults: InvocationFaults { record_failure: 0.0, lost_delete: 0.0, ..s.faults },
        trace: false,
        ..AsyncConfig::default()
    };
    let mut sim = AsyncSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        sim.invoke(i as u64 * 1_000, json!({"order": i}));
    }
    sim.run(function)
}

proptest! {
    #![proptest_config(config())]

    /// Asynchronous invocation: a handler idempotent by request id has each
    /// effect at most once, and exactly once for every event that
    /// succeeded, whatever the retries, timeouts and duplicates.
    #[test]
    fn idempotent_async_effects_happen_exactly_once((s, retries) in async_schedule()) {
        let effects = Effects::default();
        let report = async_run(&s, retries, &mut lambda_function(|e| idempotent(&effects, e)));
        sim::check::effects_exactly_once(&report, &effects.lock().unwrap())?;
    }
}

/// Runs `property` over the schedules and returns the shrunk counterexample.
fn counterexample<S: Strategy>(
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> String
where
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(Config { cases: 500, failure_persistence: None, ..Config::default() });
    match runner.run(&strategy, property) {
        Ok(()) => panic!("the property never failed on the buggy handler"),
        Err(failure) => failure.to_string(),
    }
}

#[test]
fn a_non_idempotent_async_handler_is_caught_doing_an_effect_twice() {
    let found = counterexample(async_schedule(), |(s, retries)| {
        let effects = Effects::default();
        let report = async_run(&s, retries, &mut lambda_function(|e| not_idempotent(&effects, e)));
        sim::check::effects_exactly_once(&report, &effects.lock().unwrap())
    });
    // Twice or more: shrinking may stop at a schedule with three invocations.
    assert!(found.contains(": the effect happened ") && !found.contains("happened 1 times"), "{found}");
}

/// A hand-written FIFO function that reports only the failed messages
/// (it forgets the FIFO suffix rule: everything after a failure must be
/// reported too).
fn fifo_reporting_only_failures(invocation: &Invocation<'_>) -> InvocationResult {
    let Payload::Sqs { messages, .. } = invocation.payload else { unreachable!() };
    InvocationResult::failures(invocation.failing_records.iter().map(|&i| &*messages[i].message_id))
}

#[test]
fn a_fifo_handler_that_breaks_the_suffix_rule_is_caught() {
    let found = counterexample(schedule(30), |s| {
        let s = Schedule {
            faults: InvocationFaults { record_failure: s.faults.record_failure.max(0.2), ..s.faults },
            ..s
        };
        let report = sqs_run(&s, true, &mut fifo_reporting_only_failures);
        sim::check::fifo_order(&report)
    });
    assert!(found.contains("ended at") && found.contains("before"), "{found}");
}

#[test]
fn a_handler_that_acknowledges_failed_records_is_caught() {
    let found = counterexample(schedule(30), |s| {
        let s = Schedule {
            faults: InvocationFaults { record_failure: s.faults.record_failure.max(0.2), ..s.faults },
            ..s
        };
        let handled = Mutex::new(HashSet::new());
        let mut acknowledges_everything = |invocation: &Invocation<'_>| {
            let Payload::Sqs { messages, .. } = invocation.payload else { unreachable!() };
            let mut handled = handled.lock().unwrap();
            for (index, message) in messages.iter().enumerate() {
                if !invocation.failing_records.contains(&index) {
                    handled.insert(message.message_id.to_string());
                }
            }
            InvocationResult::all_handled()
        };
        let report = sqs_run(&s, false, &mut acknowledges_everything);
        sim::check::nothing_lost_or_unhandled(&report, &handled.lock().unwrap())
    });
    assert!(found.contains("deleted but never handled"), "{found}");
}

#[test]
fn a_stream_handler_that_continues_past_a_failure_is_caught_breaking_key_order() {
    let found = counterexample((schedule(40), any::<bool>()), |(s, bisect)| {
        let s = Schedule {
            faults: InvocationFaults { record_failure: s.faults.record_failure.max(0.2), ..s.faults },
            ..s
        };
        let log = Log::default();
        let report = stream_run(&s, bisect, &mut lambda_function(|e| readings_continue(&log, e)));
        sim::check::first_handlings_in_order(&stream_sent(&report), &log.lock().unwrap())
    });
    assert!(found.contains("was first handled after"), "{found}");
}
