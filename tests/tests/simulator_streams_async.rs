//! The stream and asynchronous-invocation simulators.

use std::sync::Mutex;

use lambda_batch::kinesis::KinesisEventRecord;
use lambda_batch::{RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, AsyncConfig, AsyncEventEnd, AsyncSimulation, Invocation, InvocationFaults, InvocationResult,
    Payload, StreamKind, StreamRecordEnd, StreamSimConfig, StreamSimulation, TraceEvent, lambda_function,
};
use serde_json::json;

fn records<'a>(invocation: &Invocation<'a>) -> &'a [sim::StreamDelivery] {
    match invocation.payload {
        Payload::Kinesis { records, .. } | Payload::DynamoDb { records, .. } => records,
        other => panic!("not a stream batch: {other:?}"),
    }
}

/// Reports the first record whose data is "bad" (checkpoint style).
fn report_first_bad(invocation: &Invocation<'_>) -> InvocationResult {
    let first_bad = records(invocation).iter().find(|r| &*r.data == "bad");
    InvocationResult::failures(first_bad.map(|r| &*r.sequence_number))
}

fn kinesis(edit: impl FnOnce(&mut StreamSimConfig)) -> StreamSimulation {
    let mut config = StreamSimConfig::new(StreamKind::Kinesis);
    edit(&mut config);
    StreamSimulation::new(config).expect("valid configuration")
}

#[test]
fn a_partial_failure_checkpoints_before_the_reported_record_and_blocks_the_shard() {
    let mut sim = kinesis(|c| c.maximum_retry_attempts = Some(2));
    for data in ["a", "b", "bad", "d"] {
        sim.put(0, "k", data);
    }
    let report = sim.run(&mut report_first_bad);
    sim::check::stream_nothing_lost(&report).unwrap();
    let ends: Vec<_> = report.records.iter().map(|r| r.end).collect();
    // a and b are checkpointed after the first batch; bad and d are
    // retried twice more, then discarded together.
    assert!(matches!(ends[..2], [StreamRecordEnd::Processed(_), StreamRecordEnd::Processed(_)]));
    assert!(matches!(ends[2..], [StreamRecordEnd::Discarded(_), StreamRecordEnd::Discarded(_)]));
    assert_eq!(report.records[3].deliveries, 3);
    assert_eq!(report.invocations, 3);
    let failure = &report.on_failure[0];
    assert_eq!(failure["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(failure["KinesisBatchInfo"]["batchSize"], 2);
    assert_eq!(failure["KinesisBatchInfo"]["startSequenceNumber"], &*report.records[2].sequence_number);
    assert_eq!(failure["KinesisBatchInfo"]["shardId"], "shardId-000000000000");
    assert!(failure["timestamp"].as_str().unwrap().starts_with("2023-11-14T22:1"));
    assert_eq!(report.records[0].sequence_number.len(), 56);
}

#[test]
fn bisection_isolates_a_bad_record_without_spending_retries() {
    let mut sim = kinesis(|c| {
        c.bisect_on_error = true;
        c.maximum_retry_attempts = Some(0);
    });
    for i in 0..8 {
        sim.put(0, "k", if i == 5 { "bad" } else { "ok" });
    }
    let mut function = |invocation: &Invocation<'_>| {
        if records(invocation).iter().any(|r| &*r.data == "bad") {
            InvocationResult::error("Crash", "bad record")
        } else {
            InvocationResult::all_handled()
        }
    };
    let report = sim.run(&mut function);
    sim::check::stream_nothing_lost(&report).unwrap();
    let discarded: Vec<usize> = report
        .records
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.end, StreamRecordEnd::Discarded(_)))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(discarded, [5], "only the bad record is given up");
    let splits =
        report.trace.entries().iter().filter(|e| matches!(e.event, TraceEvent::Bisected { .. })).count();
    assert_eq!(splits, 3, "8 -> 4 -> 2 -> 1");
}

#[test]
fn records_older_than_the_maximum_age_are_discarded_with_the_configured_condition() {
    let mut sim = kinesis(|c| c.maximum_record_age = Some(60_000));
    sim.put(0, "k", "bad");
    let report = sim.run(&mut report_first_bad);
    sim::check::stream_nothing_lost(&report).unwrap();
    assert!(matches!(report.records[0].end, StreamRecordEnd::Discarded(t) if t > 60_000 && t < 62_000));
    assert_eq!(report.on_failure[0]["requestContext"]["condition"], "RecordAgeExceeded");
}

#[test]
fn with_unlimited_retries_a_bad_record_blocks_its_shard_until_retention_trims_it() {
    let mut sim = kinesis(|c| c.source.retention = 3_600_000);
    sim.put(0, "k", "bad");
    sim.put(5_000, "k", "after");
    let report = sim.run(&mut report_first_bad);
    sim::check::stream_nothing_lost(&report).unwrap();
    assert!(matches!(report.records[0].end, StreamRecordEnd::Expired(3_600_000)));
    assert!(matches!(report.records[1].end, StreamRecordEnd::Processed(t) if t > 3_600_000));
    assert!(report.metrics.iterator_age_max_ms >= 3_590_000, "the stalled shard shows in IteratorAge");
}

#[test]
fn stream_configurations_aws_refuses_are_clear_errors() {
    let mut config = StreamSimConfig::new(StreamKind::DynamoDb);
    config.maximum_record_age = Some(30_000);
    let error = StreamSimulation::new(config).err().unwrap().to_string();
    assert!(error.contains("MaximumRecordAgeInSeconds") && error.contains("60..=604800 s"), "{error}");
    let mut config = StreamSimConfig::new(StreamKind::Kinesis);
    config.maximum_retry_attempts = Some(10_001);
    assert!(StreamSimulation::new(config).is_err());
}

/// Logs `(partition key, sequence number)` of every record handled.
#[batch_handler(kinesis)]
async fn log_reading(
    #[state] log: &Mutex<Vec<(String, String)>>,
    record: &KinesisEventRecord,
) -> RecordOutcome {
    let kinesis = &record.kinesis;
    log.lock().unwrap().push((kinesis.partition_key.clone(), kinesis.sequence_number.clone()));
    RecordOutcome::Success
}

#[test]
fn a_real_kinesis_handler_reads_rendered_records_across_shards() {
    let log = Mutex::new(Vec::new());
    let mut sim = kinesis(|c| c.source.shards = 4);
    for i in 0..40 {
        sim.put(i * 10, &format!("sensor-{}", i % 7), &format!("{{\"n\":{i}}}"));
    }
    let report = sim.run(&mut lambda_function(|event| log_reading(&log, event)));
    sim::check::stream_nothing_lost(&report).unwrap();
    assert_eq!(log.lock().unwrap().len(), 40);
    let shards: std::collections::BTreeSet<u32> = report.records.iter().map(|r| r.shard).collect();
    assert!(shards.len() > 1, "keys spread over shards: {shards:?}");
}

#[test]
fn dynamodb_records_carry_their_images() {
    let mut sim = StreamSimulation::new(StreamSimConfig::new(StreamKind::DynamoDb)).unwrap();
    sim.put_item(0, "o-1", "INSERT", &json!({"id": {"S": "o-1"}, "units": {"N": "3"}}));
    let mut seen = Vec::new();
    let report = sim.run(&mut |invocation: &Invocation<'_>| {
        seen.extend(records(invocation).iter().map(|r| (r.event_name, r.data.to_string())));
        InvocationResult::all_handled()
    });
    sim::check::stream_nothing_lost(&report).unwrap();
    assert_eq!(seen, [(Some("INSERT"), r#"{"id":{"S":"o-1"},"units":{"N":"3"}}"#.to_owned())]);
    assert_eq!(report.records[0].sequence_number.len(), 21);
}

fn async_sim(edit: impl FnOnce(&mut AsyncConfig)) -> AsyncSimulation {
    let mut config = AsyncConfig::default();
    edit(&mut config);
    AsyncSimulation::new(config).expect("valid configuration")
}

#[test]
fn async_retries_come_one_and_two_minutes_later_with_the_same_request_id() {
    let mut sim = async_sim(|_| {});
    let request_id = sim.invoke(0, json!({"order": 7}));
    let mut seen = Vec::new();
    let report = sim.run(&mut |invocation: &Invocation<'_>| {
        seen.push((invocation.started_at, invocation.request_id.to_owned(), invocation.attempt));
        InvocationResult::error("Boom", "failed")
    });
    let starts: Vec<_> = seen.iter().map(|(t, id, attempt)| (*t, id == &*request_id, *attempt)).collect();
    assert_eq!(starts, [(0, true, 1), (60_021, true, 2), (180_042, true, 3)]);
    assert!(
        matches!(&report.events[0].end, AsyncEventEnd::Failed { condition, .. } if &**condition == "RetriesExhausted")
    );
    let dead = &report.dead_letters[0];
    assert_eq!(dead["body"], json!({"order": 7}));
    assert_eq!(dead["attributes"]["RequestID"]["StringValue"], &*request_id);
    assert_eq!(dead["attributes"]["ErrorCode"]["DataType"], "Number");
    let record = &report.on_failure[0];
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 3);
    assert_eq!(record["requestPayload"], json!({"order": 7}));
    assert_eq!(record["responseContext"]["functionError"], "Unhandled");
    assert_eq!(record["responsePayload"]["errorType"], "Boom");
    assert_eq!(report.metrics.async_events_dropped, 1);
    assert_eq!(report.metrics.async_events_received, 1);
}

#[test]
fn async_success_goes_to_the_on_success_destination() {
    let mut sim = async_sim(|c| c.maximum_retry_attempts = 0);
    sim.invoke(5, json!({"n": 1}));
    let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::Response(json!({"ok": true})));
    assert_eq!(report.on_success[0]["requestContext"]["condition"], "Success");
    assert_eq!(report.on_success[0]["responsePayload"], json!({"ok": true}));
    assert!(report.dead_letters.is_empty());
}

#[test]
fn throttled_async_events_back_off_until_they_are_too_old() {
    let mut sim = async_sim(|c| {
        c.maximum_event_age = 600_000;
        c.faults = InvocationFaults { throttle: 1.0, ..InvocationFaults::none() };
    });
    sim.invoke(0, json!({}));
    let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::all_handled());
    assert_eq!(report.invocations, 0);
    assert!(
        report.metrics.throttles >= 9,
        "1 s, 2 s, 4 s ... up to 10 minutes: {}",
        report.metrics.throttles
    );
    assert!(
        matches!(&report.events[0].end, AsyncEventEnd::Failed { condition, .. } if &**condition == "EventAgeExceeded")
    );
}

#[test]
fn async_configuration_errors_and_reserved_concurrency_zero() {
    assert!(
        AsyncSimulation::new(AsyncConfig { maximum_retry_attempts: 3, ..AsyncConfig::default() }).is_err()
    );
    let error = AsyncSimulation::new(AsyncConfig { maximum_event_age: 10_000, ..AsyncConfig::default() })
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("MaximumEventAgeInSeconds"), "{error}");
    let mut sim = async_sim(|c| c.reserved_concurrency_zero = true);
    sim.invoke(0, json!({}));
    let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::all_handled());
    assert_eq!(report.invocations, 0);
    assert_eq!(report.dead_letters.len(), 1);
}

#[test]
fn a_failing_dlq_counts_dead_letter_errors() {
    let mut sim = async_sim(|c| {
        c.maximum_retry_attempts = 0;
        c.dead_letter_queue_fails = true;
    });
    sim.invoke(0, json!({}));
    let report = sim.run(&mut |_: &Invocation<'_>| InvocationResult::error("E", "m"));
    assert_eq!(report.metrics.dead_letter_errors, 1);
    assert!(report.dead_letters.is_empty());
}
