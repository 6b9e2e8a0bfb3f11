//! The Kafka simulator: partitions and offsets, the partial batch response
//! applied per partition, bisection, retry and age limits, the on-failure
//! destination, and end-to-end properties over random fault schedules with
//! a real `#[batch_handler(kafka)]`, each shown catching the bug it is about.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use base64::Engine as _;
use lambda_batch::kafka::{Headers, KafkaRecord, Key};
use lambda_batch::{Context, Json, LambdaEvent, PoisonRecord, RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, EPOCH_MS, Invocation, InvocationFaults, InvocationResult, KafkaDelivery, KafkaReport,
    KafkaSimConfig, KafkaSimulation, Payload, StreamRecordEnd, TraceEvent, lambda_function,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde::Deserialize;
use serde_json::{Value, json};

fn records<'a>(invocation: &Invocation<'a>) -> &'a [KafkaDelivery] {
    match invocation.payload {
        Payload::Kafka { records } => records,
        other => panic!("not a Kafka batch: {other:?}"),
    }
}

fn simulation(partitions: u32, edit: impl FnOnce(&mut KafkaSimConfig)) -> KafkaSimulation {
    let mut config = KafkaSimConfig::new("clicks", partitions);
    edit(&mut config);
    KafkaSimulation::new(config).expect("valid configuration")
}

/// Reports, per partition, the first record whose value is `bad` (what a
/// checkpointing handler answers).
fn report_first_bad(invocation: &Invocation<'_>) -> InvocationResult {
    let mut partitions = HashSet::new();
    let first_bad =
        records(invocation).iter().filter(|r| &*r.value == b"bad" && partitions.insert(r.partition_key()));
    InvocationResult::kafka_failures(first_bad)
}

fn ends(report: &KafkaReport) -> Vec<(String, StreamRecordEnd)> {
    report.records.iter().map(|r| (r.item_identifier(), r.end)).collect()
}

fn discarded(report: &KafkaReport) -> Vec<String> {
    ends(report)
        .into_iter()
        .filter(|(_, end)| matches!(end, StreamRecordEnd::Discarded(_)))
        .map(|(id, _)| id)
        .collect()
}

fn commits(report: &KafkaReport) -> Vec<(String, u64)> {
    report
        .trace
        .entries()
        .iter()
        .filter_map(|entry| match &entry.event {
            TraceEvent::Committed { partition, offset } => Some((partition.to_string(), *offset)),
            _ => None,
        })
        .collect()
}

#[derive(Deserialize)]
struct Click {
    page: String,
}

/// `(<topic>-<partition>@<offset>, succeeded)` of every handling, in order.
type Log = Mutex<Vec<(String, bool)>>;

/// Fails a click on `/flaky` the first time it sees it; checks the key and
/// header the test produced.
#[batch_handler(kafka)]
async fn count_click(
    #[state] log: &Log,
    record: &KafkaRecord<'_>,
    Json(click): Json<Click>,
    Key(user): Key<'_>,
    headers: Headers<'_>,
) -> Result<(), String> {
    let id = format!("{}@{}", record.partition_key(), record.offset());
    if user != Some(&b"user-1"[..]) || headers.get("source") != Some(&b"web"[..]) {
        return Err("key or header not rendered".to_owned());
    }
    let seen_before = log.lock().unwrap().iter().any(|(handled, _)| *handled == id);
    let ok = click.page != "/flaky" || seen_before;
    log.lock().unwrap().push((id, ok));
    if ok { Ok(()) } else { Err(format!("could not count {}", click.page)) }
}

fn click(page: &str) -> Vec<u8> {
    format!(r#"{{"page":"{page}"}}"#).into_bytes()
}

/// Clicks by `user-1` with a `source: web` header, on the given partitions.
fn produce_clicks(sim: &mut KafkaSimulation, clicks: &[(u32, &str)]) {
    for (partition, page) in clicks {
        sim.produce_with_headers(0, Some(*partition), Some("user-1"), click(page), &[("source", b"web")]);
    }
}

#[test]
fn a_partial_failure_retries_its_partition_from_the_lowest_offset_while_other_partitions_advance() {
    let log = Log::default();
    let mut sim = simulation(2, |_| {});
    produce_clicks(&mut sim, &[(0, "/a"), (0, "/flaky"), (0, "/c"), (1, "/x"), (1, "/y"), (1, "/z")]);
    let report = sim.run(&mut lambda_function(|event| count_click(&log, event)));
    let log = log.into_inner().unwrap();
    sim::check::kafka_nothing_lost_or_unhandled(&report, &log).unwrap();
    sim::check::kafka_first_handlings_in_order(&report, &log).unwrap();
    // One batch holds both partitions: partition 0 stops at /flaky (offset
    // 1) and comes back from there; partition 1 is committed whole.
    let deliveries: Vec<u32> = report.records.iter().map(|r| r.deliveries).collect();
    assert_eq!(deliveries, [1, 2, 2, 1, 1, 1]);
    assert_eq!(report.invocations, 2);
    assert_eq!(commits(&report), [("clicks-0".into(), 1), ("clicks-1".into(), 3), ("clicks-0".into(), 3)]);
    assert!(report.records.iter().all(|r| matches!(r.end, StreamRecordEnd::Processed(_))));
    let handled: Vec<&str> = log.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(
        handled,
        ["clicks-0@0", "clicks-0@1", "clicks-1@0", "clicks-1@1", "clicks-1@2", "clicks-0@1", "clicks-0@2"]
    );
}

#[test]
fn the_function_gets_the_kafka_event_lambda_sends() {
    let mut sim = simulation(3, |c| c.batching_window = 0);
    sim.produce_with_headers(250, Some(2), Some("user-1"), b"{}", &[("source", b"web")]);
    sim.produce(250, None, b"no key");
    let events = Mutex::new(Vec::new());
    let report = sim.run(&mut lambda_function(|event: LambdaEvent<Value>| {
        events.lock().unwrap().push(event.payload);
        async { Ok::<_, lambda_batch::Error>(json!({"batchItemFailures": []})) }
    }));
    sim::check::kafka_nothing_lost(&report).unwrap();
    let events = events.into_inner().unwrap();
    assert_eq!(events.len(), 1, "both records in one batch");
    let event = &events[0];
    assert_eq!(event["eventSource"], "aws:kafka");
    assert_eq!(event["eventSourceArn"], lambda_batch_testkit::kafka::CLUSTER_ARN);
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    assert_eq!(
        event["records"]["clicks-2"][0],
        json!({
            "topic": "clicks", "partition": 2, "offset": 0, "timestamp": EPOCH_MS + 250,
            "timestampType": "CREATE_TIME", "key": b64(b"user-1"), "value": b64(b"{}"),
            "headers": [{"source": [119, 101, 98]}],
        })
    );
    // Keyless records go to the partitions in turn, starting at 0.
    assert_eq!(event["records"]["clicks-0"][0]["key"], Value::Null);
    assert_eq!(event["records"]["clicks-0"][0]["value"], b64(b"no key"));
}

/// `/poison` clicks are acknowledged and kept aside.
#[batch_handler(kafka, poison_sink = keep_poison)]
async fn triage_click(#[state] kept: &Mutex<Vec<String>>, Json(click): Json<Click>) -> RecordOutcome {
    let _ = kept;
    if click.page == "/poison" {
        RecordOutcome::poison("a click on a page that does not exist")
    } else {
        RecordOutcome::Success
    }
}

async fn keep_poison(
    kept: &Mutex<Vec<String>>,
    poison: &PoisonRecord<'_>,
    _cx: &Context,
) -> Result<(), String> {
    kept.lock().unwrap().push(poison.id.to_string());
    Ok(())
}

#[test]
fn a_poisoned_record_is_acknowledged_and_its_partition_goes_on() {
    let kept = Mutex::new(Vec::new());
    let mut sim = simulation(1, |_| {});
    for page in ["/a", "/poison", "/c"] {
        sim.produce(0, Some("user-1"), click(page));
    }
    let report = sim.run(&mut lambda_function(|event| triage_click(&kept, event)));
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert_eq!(report.invocations, 1);
    assert!(
        report.records.iter().all(|r| matches!(r.end, StreamRecordEnd::Processed(_)) && r.deliveries == 1)
    );
    assert_eq!(kept.into_inner().unwrap(), ["clicks-0@1"]);
}

#[test]
fn bisection_isolates_a_bad_record_of_its_partition_without_spending_retries() {
    let mut sim = simulation(2, |c| {
        c.bisect_on_error = true;
        c.maximum_retry_attempts = Some(0);
        c.on_failure_destination = true;
    });
    for offset in 0..8 {
        sim.produce_to(0, 0, None, if offset == 5 { "bad" } else { "ok" });
        sim.produce_to(0, 1, None, "ok");
    }
    let mut function = |invocation: &Invocation<'_>| {
        if records(invocation).iter().any(|r| &*r.value == b"bad") {
            InvocationResult::error("Crash", "bad record")
        } else {
            InvocationResult::all_handled()
        }
    };
    let report = sim.run(&mut function);
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert_eq!(discarded(&report), ["clicks-0@5"], "only the bad record is given up");
    let splits: Vec<u32> = report
        .trace
        .entries()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::PartitionBisected { partition, records } if &**partition == "clicks-0" => {
                Some(*records)
            }
            _ => None,
        })
        .collect();
    // The first batch failed as a whole: both partitions were split.
    assert_eq!(splits, [8, 4, 2], "8 -> 4 -> 2 -> 1 on partition 0");
    assert_eq!(report.on_failure.len(), 1);
}

#[test]
fn exhausted_retries_send_exactly_the_discarded_records_to_the_on_failure_destination() {
    let mut sim = simulation(2, |c| {
        c.maximum_retry_attempts = Some(2);
        c.on_failure_destination = true;
    });
    for value in ["a", "bad", "c"] {
        sim.produce_to(0, 0, Some("k"), value);
    }
    sim.produce_to(0, 1, Some("k"), "bad");
    sim.produce_to(0, 1, Some("k"), "e");
    let report = sim.run(&mut report_first_bad);
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert_eq!(discarded(&report), ["clicks-0@1", "clicks-0@2", "clicks-1@0", "clicks-1@1"]);
    assert!(matches!(report.records[0].end, StreamRecordEnd::Processed(_)));
    assert_eq!(report.records[1].deliveries, 3, "the first attempt and 2 retries");
    let failure = &report.on_failure[0];
    assert_eq!(failure["requestContext"]["condition"], "RetryAttemptsExhausted");
    assert_eq!(failure["requestContext"]["approximateInvokeCount"], 3);
    let info = &failure["KafkaBatchInfo"];
    assert_eq!(info["batchSize"], 2);
    assert_eq!(info["eventSourceArn"], lambda_batch_testkit::kafka::CLUSTER_ARN);
    assert_eq!(info["recordsInfo"]["clicks-0"]["firstRecordOffset"], "1");
    assert_eq!(info["recordsInfo"]["clicks-0"]["lastRecordOffset"], "2");
    let values: Vec<&Value> = failure["payload"]["records"]["clicks-0"].as_array().unwrap().iter().collect();
    assert_eq!(values.iter().map(|r| r["offset"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(report.metrics.records_discarded, 4);

    // The check notices a destination that misses a discarded record.
    let mut tampered = report.clone();
    tampered.on_failure.pop();
    let error = sim::check::kafka_nothing_lost(&tampered).unwrap_err().to_string();
    assert!(error.contains("was discarded but is not in the on-failure destination"), "{error}");
}

#[test]
fn unlimited_retries_with_an_on_failure_destination_stop_after_ten() {
    let mut sim = simulation(1, |c| c.on_failure_destination = true);
    sim.produce(0, None, "bad");
    let report = sim.run(&mut report_first_bad);
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert_eq!(report.records[0].deliveries, 11);
    assert_eq!(discarded(&report), ["clicks-0@0"]);
}

#[test]
fn records_older_than_the_maximum_age_are_discarded_with_the_configured_condition() {
    let mut sim = simulation(1, |c| {
        c.maximum_record_age = Some(60_000);
        c.maximum_retry_attempts = Some(1_000);
        c.on_failure_destination = true;
    });
    sim.produce(0, None, "bad");
    sim.produce(0, None, "after");
    let report = sim.run(&mut report_first_bad);
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert!(matches!(report.records[0].end, StreamRecordEnd::Discarded(t) if t > 60_000 && t < 62_000));
    assert!(matches!(report.records[1].end, StreamRecordEnd::Discarded(t) if t > 60_000 && t < 62_000));
    assert_eq!(report.on_failure[0]["requestContext"]["condition"], "RecordAgeExceeded");
}

#[test]
fn a_string_item_identifier_makes_the_whole_batch_come_back() {
    let mut sim = simulation(2, |_| {});
    sim.produce_to(0, 0, None, "a");
    sim.produce_to(0, 0, None, "b");
    sim.produce_to(0, 1, None, "c");
    let mut calls = 0;
    let report = sim.run(&mut |_: &Invocation<'_>| {
        calls += 1;
        // The SQS and stream form: the validator rejects it for Kafka.
        if calls == 1 { InvocationResult::failures(["clicks-0@1"]) } else { InvocationResult::all_handled() }
    });
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert!(report.records.iter().all(|r| r.deliveries == 2), "every record of every partition came back");
    let outcomes: Vec<&str> = report
        .trace
        .entries()
        .iter()
        .filter_map(|e| match &e.event {
            TraceEvent::Response { outcome, .. } => Some(*outcome),
            _ => None,
        })
        .collect();
    // A retry carries one partition: each comes back on its own.
    assert_eq!(outcomes, ["complete_failure", "complete_success", "complete_success"]);
}

#[test]
fn with_unlimited_retries_a_bad_record_blocks_its_partition_until_retention_deletes_it() {
    let mut sim = simulation(2, |c| c.source.retention = 3_600_000);
    sim.produce_to(0, 0, None, "bad");
    sim.produce_to(5_000, 0, None, "after");
    sim.produce_to(5_000, 1, None, "elsewhere");
    let report = sim.run(&mut report_first_bad);
    sim::check::kafka_nothing_lost(&report).unwrap();
    assert!(matches!(report.records[0].end, StreamRecordEnd::Expired(3_600_000)));
    assert!(matches!(report.records[1].end, StreamRecordEnd::Processed(t) if t > 3_600_000));
    assert!(
        matches!(report.records[2].end, StreamRecordEnd::Processed(t) if t < 10_000),
        "other partitions go on"
    );
    assert_eq!(report.metrics.offset_lag_max, 1, "the record behind the bad one shows in OffsetLag");
}

#[test]
fn kafka_configurations_aws_refuses_are_clear_errors() {
    let error = |edit: fn(&mut KafkaSimConfig)| {
        let mut config = KafkaSimConfig::new("clicks", 1);
        edit(&mut config);
        KafkaSimulation::new(config).err().map(|e| e.to_string()).unwrap_or_default()
    };
    let age = error(|c| c.maximum_record_age = Some(30_000));
    assert!(age.contains("MaximumRecordAgeInSeconds") && age.contains("60..=604800 s"), "{age}");
    assert!(error(|c| c.maximum_retry_attempts = Some(10_001)).contains("MaximumRetryAttempts"));
    assert!(error(|c| c.batch_size = 10_001).contains("BatchSize"));
    assert!(error(|c| c.batching_window = 1_500).contains("whole seconds"));
    assert!(error(|c| c.source.topic = "orders@eu".to_owned()).contains("not a Kafka topic name"));
    assert!(error(|c| c.source.partitions = 0).contains("partitions"));
    assert_eq!(error(|c| c.batching_window = 0), "");
    let mut config = KafkaSimConfig::new("clicks", 1);
    assert_eq!(config.retry_limit(), None);
    config.on_failure_destination = true;
    assert_eq!(config.retry_limit(), Some(10));
}

#[test]
fn the_same_seed_gives_the_same_kafka_run() {
    let run = |seed| {
        let mut sim = simulation(3, |c| {
            c.seed = seed;
            c.faults = InvocationFaults {
                record_failure: 0.2,
                timeout: 0.1,
                throttle: 0.1,
                ..InvocationFaults::none()
            };
            c.maximum_retry_attempts = Some(3);
            c.bisect_on_error = true;
        });
        for i in 0..40 {
            sim.produce(i * 100, Some(&format!("user-{}", i % 5)), "v");
        }
        let report = sim.run(&mut |invocation: &Invocation<'_>| {
            let failing = invocation.failing_records.iter().map(|&i| &records(invocation)[i]);
            InvocationResult::kafka_failures(failing)
        });
        sim::check::kafka_nothing_lost(&report).unwrap();
        report.trace.to_jsonl()
    };
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

// ---- Properties over random fault schedules ----

/// What goes wrong in one case.
#[derive(Debug, Clone)]
struct Schedule {
    seed: u64,
    records: u64,
    partitions: u32,
    keys: u64,
    /// A record's handling fails with this probability (the handler draws).
    record_failure: f64,
    faults: InvocationFaults,
    batch_size: u32,
    bisect: bool,
    retries: Option<u32>,
    destination: bool,
    maximum_age: bool,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        (any::<u64>(), 1..=50u64, 1..=4u32, 1..=6u64, 0.0..0.4),
        (0.0..0.1, 0.0..0.1, 0.0..0.1),
        (1..=20u32, any::<bool>(), proptest::option::of(0..=4u32), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (seed, records, partitions, keys, record_failure),
                (timeout, function_error, throttle),
                (batch_size, bisect, retries, destination, maximum_age),
            )| Schedule {
                seed,
                records,
                partitions,
                keys,
                record_failure,
                faults: InvocationFaults { timeout, function_error, throttle, ..InvocationFaults::none() },
                batch_size,
                bisect,
                retries,
                destination,
                maximum_age,
            },
        )
}

/// A handler's own seeded failures: the `n`th handling of a record fails
/// with probability `rate`, the same for every handler given the seed.
struct Flaky {
    seed: u64,
    rate: f64,
    handlings: Mutex<HashMap<String, u64>>,
    log: Log,
}

impl Flaky {
    fn new(s: &Schedule) -> Self {
        Flaky { seed: s.seed, rate: s.record_failure, handlings: Mutex::default(), log: Log::default() }
    }

    /// Handles record `id` once more: whether it succeeded (logged).
    fn handle(&self, id: String) -> bool {
        let mut handlings = self.handlings.lock().unwrap();
        let n = handlings.entry(id.clone()).or_default();
        *n += 1;
        let ok = unit(&format!("{}/{id}/{n}", self.seed)) >= self.rate;
        self.log.lock().unwrap().push((id, ok));
        ok
    }

    fn log(&self) -> Vec<(String, bool)> {
        self.log.lock().unwrap().clone()
    }
}

/// A uniform number in `[0, 1)` from `text`: FNV-1a, then SplitMix64's
/// finalizer (FNV alone barely moves the high bits for a changed last byte).
fn unit(text: &str) -> f64 {
    let mut z =
        text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

async fn flaky_click_of(flaky: &Flaky, record: &KafkaRecord<'_>, click: Click) -> Result<(), String> {
    let id = format!("{}@{}", record.partition_key(), record.offset());
    if flaky.handle(id) { Ok(()) } else { Err(format!("could not count {}", click.page)) }
}

/// A correct handler: stops a partition at its first failure (the default).
#[batch_handler(kafka)]
async fn flaky_click(
    #[state] flaky: &Flaky,
    record: &KafkaRecord<'_>,
    Json(click): Json<Click>,
) -> Result<(), String> {
    flaky_click_of(flaky, record, click).await
}

/// Goes on past a failure in its partition and reports every failure.
#[batch_handler(kafka, stream_policy = "continue")]
async fn flaky_click_continue(
    #[state] flaky: &Flaky,
    record: &KafkaRecord<'_>,
    Json(click): Json<Click>,
) -> Result<(), String> {
    flaky_click_of(flaky, record, click).await
}

fn kafka_run(s: &Schedule, report_failures: bool, function: &mut impl sim::Function) -> KafkaReport {
    let mut config = KafkaSimConfig::new("clicks", s.partitions);
    config.seed = s.seed;
    config.faults = s.faults;
    config.batch_size = s.batch_size;
    config.bisect_on_error = s.bisect;
    config.maximum_retry_attempts = s.retries;
    config.on_failure_destination = s.destination;
    config.maximum_record_age = s.maximum_age.then_some(60_000);
    config.report_batch_item_failures = report_failures;
    config.trace = false;
    let mut sim = KafkaSimulation::new(config).expect("valid configuration");
    for i in 0..s.records {
        sim.produce(i * 100, Some(&format!("user-{}", i % s.keys)), click(&format!("/p/{i}")));
    }
    sim.run(function)
}

fn config() -> Config {
    Config { cases: 1000, failure_persistence: None, ..Config::default() }
}

proptest! {
    #![proptest_config(config())]

    /// Every record produced is committed after its last handling
    /// succeeded, or is in the on-failure destination (discarded), or
    /// expired; per partition, first successful handlings come in offset
    /// order.
    #[test]
    fn kafka_loses_nothing_and_keeps_partition_order(s in schedule()) {
        let flaky = Flaky::new(&s);
        let report = kafka_run(&s, true, &mut lambda_function(|e| flaky_click(&flaky, e)));
        sim::check::kafka_nothing_lost_or_unhandled(&report, &flaky.log())?;
        sim::check::kafka_first_handlings_in_order(&report, &flaky.log())?;
    }
}

/// Runs `property` over the schedules and returns the shrunk counterexample.
fn counterexample(property: impl Fn(Schedule) -> Result<(), TestCaseError>) -> String {
    let mut runner = TestRunner::new(Config { cases: 500, failure_persistence: None, ..Config::default() });
    let failing = schedule().prop_map(|s| Schedule { record_failure: s.record_failure.max(0.2), ..s });
    match runner.run(&failing, property) {
        Ok(()) => panic!("the property never failed on the buggy handler"),
        Err(failure) => failure.to_string(),
    }
}

#[test]
fn a_handler_that_reports_the_highest_failed_offset_is_caught_losing_records() {
    let found = counterexample(|s| {
        let flaky = Flaky::new(&s);
        let mut highest_failed = |invocation: &Invocation<'_>| {
            let mut highest: HashMap<String, &KafkaDelivery> = HashMap::new();
            for record in records(invocation) {
                if !flaky.handle(record.item_identifier()) {
                    highest.insert(record.partition_key(), record);
                }
            }
            InvocationResult::kafka_failures(highest.into_values())
        };
        let report = kafka_run(&s, true, &mut highest_failed);
        sim::check::kafka_nothing_lost_or_unhandled(&report, &flaky.log())
    });
    assert!(found.contains("was committed but its last handling failed"), "{found}");
}

#[test]
fn a_handler_that_continues_past_a_failure_is_caught_breaking_partition_order() {
    let found = counterexample(|s| {
        let flaky = Flaky::new(&s);
        let report = kafka_run(&s, true, &mut lambda_function(|e| flaky_click_continue(&flaky, e)));
        sim::check::kafka_nothing_lost_or_unhandled(&report, &flaky.log())?;
        sim::check::kafka_first_handlings_in_order(&report, &flaky.log())
    });
    assert!(found.contains("was first handled after"), "{found}");
}

#[test]
fn a_mapping_without_report_batch_item_failures_is_caught_committing_failed_records() {
    let found = counterexample(|s| {
        let flaky = Flaky::new(&s);
        let report = kafka_run(&s, false, &mut lambda_function(|e| flaky_click(&flaky, e)));
        sim::check::kafka_nothing_lost_or_unhandled(&report, &flaky.log())
    });
    assert!(found.contains("was committed but"), "{found}");
}
