//! Handler time and overlapping invocations in the simulator: a real
//! handler runs on the simulation's clock, is stopped at the function
//! timeout with its effects so far kept, and runs together with the
//! invocations that overlap it; the same seed gives the same run.

use std::sync::Mutex;
use std::time::Duration;

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, Redelivery, SqsMappingConfig, SqsMessageEnd, SqsSimConfig,
    SqsSimulation, Timing, TraceEvent, lambda_function,
};

/// What the handler did, in virtual time: (ms, message id).
#[derive(Default)]
struct Log(Mutex<Vec<(u64, String)>>);

impl Log {
    fn note(&self, started: tokio::time::Instant, id: &str) {
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.lock().unwrap().push((ms, id.to_owned()));
    }

    fn ids(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().map(|(_, id)| id.clone()).collect()
    }
}

/// Does each message's effect, then a one-second call; never looks at the
/// deadline.
async fn one_second_each(log: &Log, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let started = tokio::time::Instant::now();
    for message in &event.payload.records {
        log.note(started, message.message_id.as_deref().unwrap_or_default());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(SqsBatchResponse::default())
}

/// Does each message's effect after a five-second call.
async fn five_seconds_each(log: &Log, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let started = tokio::time::Instant::now();
    for message in &event.payload.records {
        tokio::time::sleep(Duration::from_secs(5)).await;
        log.note(started, message.message_id.as_deref().unwrap_or_default());
    }
    Ok(SqsBatchResponse::default())
}

fn config(queue: QueueConfig, function_timeout: u64) -> SqsSimConfig {
    let mut config = SqsSimConfig::new(queue);
    config.mapping = SqsMappingConfig { function_timeout, ..SqsMappingConfig::default() };
    config
}

#[test]
fn an_invocation_still_running_at_the_timeout_is_stopped_there_with_its_effects_kept() {
    let mut sim = SqsSimulation::new(config(QueueConfig::standard().with_dlq(1), 3_000)).unwrap();
    for i in 0..5 {
        sim.send(0, &format!("order {i}"));
    }
    let log = Log::default();
    let report = sim.run(&mut lambda_function(|event| one_second_each(&log, event)));
    // The effects at 0, 1 and 2 s happened; the one due at 3 s did not:
    // Lambda stopped the invocation at its 3-second timeout.
    assert_eq!(
        *log.0.lock().unwrap(),
        [(0, "m-0001".into()), (1000, "m-0002".into()), (2000, "m-0003".into())]
    );
    let ended = report.trace.entries().iter().find_map(|entry| match &entry.event {
        TraceEvent::Response { invocation: 1, outcome, .. } => Some((entry.t, *outcome)),
        _ => None,
    });
    assert_eq!(ended, Some((3_000, "out_of_time")));
    // Every message came back because the invocation ran out of time, then
    // went to the DLQ (maxReceiveCount 1); progress names the cause.
    let first = &report.messages[0];
    assert_eq!(first.redeliveries, [Redelivery::OutOfTime { invocation: 1 }]);
    assert_eq!(first.end, SqsMessageEnd::MovedToDlq(30_000));
    sim::check::nothing_lost(&report).unwrap();
}

#[test]
fn progress_fails_a_batch_that_runs_out_of_time_on_every_retry_and_names_the_fix() {
    let mut sim = SqsSimulation::new(config(QueueConfig::standard().with_dlq(3), 3_000)).unwrap();
    for i in 0..5 {
        sim.send(0, &format!("order {i}"));
    }
    let log = Log::default();
    let report = sim.run(&mut lambda_function(|event| one_second_each(&log, event)));
    // Three receives, three invocations stopped after 3 messages each: the
    // first three messages' effects happened three times.
    assert_eq!(log.ids().iter().filter(|id| *id == "m-0001").count(), 3);
    let error = sim::check::progress(&report).unwrap_err().to_string();
    assert!(error.contains("message m-0001 was received 3 times and never got through"), "{error}");
    assert!(error.contains("invocations 1, 2 and 3 ran out of time and were stopped"), "{error}");
    assert!(error.contains("deadline guard"), "{error}");
}

/// The same work with the engine's deadline guard (500 ms margin).
#[batch_handler(sqs)]
async fn guarded(body: &str) -> RecordOutcome {
    let _ = body;
    tokio::time::sleep(Duration::from_secs(1)).await;
    RecordOutcome::Success
}

#[test]
fn a_deadline_guard_answers_before_the_timeout_and_every_message_gets_through() {
    let mut sim = SqsSimulation::new(config(QueueConfig::standard(), 3_000)).unwrap();
    for i in 0..5 {
        sim.send(0, &format!("order {i}"));
    }
    let report = sim.run(&mut lambda_function(guarded));
    let first = report.trace.entries().iter().find_map(|entry| match &entry.event {
        TraceEvent::Response { invocation: 1, outcome, retried, .. } => Some((entry.t, *outcome, *retried)),
        _ => None,
    });
    // Records at 0 and 1 s done; the one started at 2 s is abandoned at
    // 2.75 s (half the margin before the deadline) and reported with the
    // two not started; then 20 ms + 1 ms for each of the 5 records.
    assert_eq!(first, Some((2_775, "partial_success", 3)));
    sim::check::nothing_lost(&report).unwrap();
    sim::check::progress(&report).unwrap();
    assert!(report.messages.iter().all(|message| matches!(message.end, SqsMessageEnd::Deleted(_))));
}

#[test]
fn a_visibility_timeout_can_end_while_a_late_batch_still_runs() {
    // Reserved concurrency 1: the second batch is throttled while the first
    // runs, invoked at 6 s, and still runs at 10 s when the visibility
    // timeout of its message (received at 0) ends.
    let mut config = config(QueueConfig::standard().visibility_timeout(10_000), 10_000);
    config.mapping.batch_size = 1;
    config.mapping.reserved_concurrency = Some(1);
    let mut sim = SqsSimulation::new(config).unwrap();
    sim.send(0, "first");
    sim.send(0, "second");
    let log = Log::default();
    let report = sim.run(&mut lambda_function(|event| five_seconds_each(&log, event)));
    let second = &report.messages[1];
    assert_eq!(second.redeliveries.first(), Some(&Redelivery::StillRunning { invocation: 2 }));
    // Handled twice: the late batch's delete used a stale receipt.
    assert_eq!(log.ids().iter().filter(|id| *id == "m-0002").count(), 2);
    assert!(second.redelivery_causes().contains("its visibility timeout ended while invocation 2 still ran"));
    sim::check::nothing_lost(&report).unwrap();
}

#[test]
fn the_same_seed_interleaves_overlapping_invocations_the_same_way() {
    let run = |seed: u64| {
        let mut config = config(QueueConfig::standard(), 3_000);
        config.seed = seed;
        config.faults = InvocationFaults { duplicate: 0.5, ..InvocationFaults::none() };
        config.timing = Timing { jitter: 7, ..Timing::default() };
        let mut sim = SqsSimulation::new(config).unwrap();
        for i in 0..12 {
            sim.send(0, &format!("order {i}"));
        }
        let log = Log::default();
        let report = sim.run(&mut lambda_function(|event| one_second_each(&log, event)));
        let twice = report
            .trace
            .entries()
            .iter()
            .filter(|e| matches!(e.event, TraceEvent::DeliveredTwice { .. }))
            .count();
        (log.0.into_inner().unwrap(), twice)
    };
    let (first, twice) = run(3);
    assert!(twice > 0, "the duplicate fault delivered no message twice");
    assert_eq!(run(3).0, first);
}

/// A Kinesis handler doing a one-second call per record, deadline ignored.
async fn kinesis_one_second_each(
    event: LambdaEvent<lambda_batch::aws_events::KinesisEvent>,
) -> Result<lambda_batch::aws_events::KinesisEventResponse, Error> {
    for _ in &event.payload.records {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(lambda_batch::aws_events::KinesisEventResponse::default())
}

#[test]
fn stream_progress_fails_a_shard_whose_batch_runs_out_of_time_on_every_retry() {
    let mut config = sim::StreamSimConfig::new(sim::StreamKind::Kinesis);
    config.source.shards = 1;
    config.function_timeout = 3_000;
    config.maximum_retry_attempts = Some(2);
    let mut sim = sim::StreamSimulation::new(config).unwrap();
    for i in 0..5 {
        sim.put(0, "sensor-1", &format!("{{\"n\":{i}}}"));
    }
    let report = sim.run(&mut lambda_function(kinesis_one_second_each));
    let error = sim::check::stream_progress(&report).unwrap_err().to_string();
    assert!(error.contains("was delivered 3 times and never got through"), "{error}");
    assert!(error.contains("deadline guard"), "{error}");
    assert!(report.records.iter().all(|record| record.out_of_time == 3));
}

#[test]
fn one_real_handler_runs_several_simulations_each_from_time_zero() {
    let log = Log::default();
    let mut function = lambda_function(|event| one_second_each(&log, event));
    for _ in 0..2 {
        let mut sim = SqsSimulation::new(config(QueueConfig::standard().with_dlq(1), 3_000)).unwrap();
        sim.send(0, "order");
        let report = sim.run(&mut function);
        // Each run stops its invocation at its own 3 s, not at the first run's.
        assert_eq!(report.deliveries, 1);
        assert!(matches!(report.messages[0].end, SqsMessageEnd::Deleted(1_021)), "{:?}", report.messages[0]);
    }
}

/// Work whose time comes from the simulation's cost model; each record
/// gets at most one second.
#[batch_handler(sqs, record_timeout_ms = 1000)]
async fn costed(body: &str) -> RecordOutcome {
    let _ = body;
    RecordOutcome::Success
}

#[test]
fn a_cost_model_makes_one_record_slow_and_its_time_limit_sends_it_alone_to_the_dlq() {
    let mut sim = SqsSimulation::new(config(QueueConfig::standard().with_dlq(2), 3_000)).unwrap();
    for body in ["fast", "slow", "fast"] {
        sim.send(0, body);
    }
    let mut function = lambda_function(costed).with_record_time(|record| {
        if record.body() == Some("slow") { Duration::from_secs(20 * 60) } else { Duration::from_millis(100) }
    });
    let report = sim.run(&mut function);
    // 100 ms, then the slow record cut at its 1 s limit, then 100 ms: the
    // batch answers at 1.2 s + 23 ms, the slow message reported.
    let first = report.trace.entries().iter().find_map(|entry| match &entry.event {
        TraceEvent::Response { invocation: 1, outcome, retried, .. } => Some((entry.t, *outcome, *retried)),
        _ => None,
    });
    assert_eq!(first, Some((1_223, "partial_success", 1)));
    let slow = &report.messages[1];
    assert!(matches!(slow.end, SqsMessageEnd::MovedToDlq(_)), "{slow:?}");
    // Reported with the others, then alone: every record failed, so the
    // engine fails the invocation (`all_failed = "error"`, the default).
    assert_eq!(
        slow.redelivery_causes(),
        "invocation 1 reported it failed; invocation 2 failed (LambdaBatch.AllRecordsFailed)"
    );
    assert!(matches!(report.messages[0].end, SqsMessageEnd::Deleted(_)));
    assert!(matches!(report.messages[2].end, SqsMessageEnd::Deleted(_)));
    sim::check::progress(&report).unwrap();
}
