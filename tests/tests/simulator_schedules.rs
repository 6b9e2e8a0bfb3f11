//! Every fault schedule of a small scenario (`sim::every_fault_schedule`),
//! per source: a handler that is not idempotent is found with the fewest
//! faults that break it, in every run; the idempotent one holds for every
//! schedule. Prints each scenario's schedule count and time:
//!
//! ```text
//! cargo test --release -p lambda-batch-tests --test main simulator_schedules:: -- --nocapture
//! ```
//!
//! `SCHEDULE_FAULTS=3` checks every schedule of up to 3 faults instead of 2.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use lambda_batch::{Error, LambdaEvent, RecordMeta, batch_handler};
use lambda_batch_testkit::sim::{
    self, AsyncConfig, AsyncSimulation, InvocationFaults, KafkaSimConfig, KafkaSimulation, QueueConfig,
    SqsSimConfig, SqsSimulation, StreamKind, StreamSimConfig, StreamSimulation, lambda_function,
};
use serde_json::{Value, json};

/// Effects per id; with `idempotent`, an id already done is skipped
/// (claimed in one step, before the effect).
#[derive(Default)]
struct Ledger {
    idempotent: bool,
    effects: Mutex<HashMap<String, u32>>,
    claimed: Mutex<HashSet<String>>,
}

impl Ledger {
    fn new(idempotent: bool) -> Self {
        Ledger { idempotent, ..Ledger::default() }
    }

    fn charge(&self, id: &str) {
        if self.idempotent && !self.claimed.lock().unwrap().insert(id.to_owned()) {
            return;
        }
        *self.effects.lock().unwrap().entry(id.to_owned()).or_default() += 1;
    }

    fn effects(&self) -> HashMap<String, u32> {
        self.effects.lock().unwrap().clone()
    }
}

#[batch_handler(sqs)]
async fn sqs_charge(#[state] ledger: &Ledger, body: &str, meta: RecordMeta<'_>) -> Result<(), String> {
    let _ = body;
    ledger.charge(meta.id);
    Ok(())
}

#[batch_handler(sqs_fifo)]
async fn fifo_charge(#[state] ledger: &Ledger, body: &str, meta: RecordMeta<'_>) -> Result<(), String> {
    let _ = body;
    ledger.charge(meta.id);
    Ok(())
}

#[batch_handler(kinesis)]
async fn kinesis_charge(#[state] ledger: &Ledger, data: &str, meta: RecordMeta<'_>) -> Result<(), String> {
    let _ = data;
    ledger.charge(meta.id);
    Ok(())
}

#[batch_handler(kafka)]
async fn kafka_charge(#[state] ledger: &Ledger, value: &str, meta: RecordMeta<'_>) -> Result<(), String> {
    let _ = value;
    ledger.charge(meta.id);
    Ok(())
}

async fn async_charge(ledger: &Ledger, event: LambdaEvent<Value>) -> Result<Value, Error> {
    ledger.charge(&event.context.request_id);
    Ok(json!({"charged": event.payload["order"]}))
}

/// The most faults in one schedule: `SCHEDULE_FAULTS`, 2 by default.
fn max_faults() -> usize {
    std::env::var("SCHEDULE_FAULTS").ok().and_then(|n| n.parse().ok()).unwrap_or(2)
}

/// Every fault that can strike a batch may happen.
const ANY_FAULT: InvocationFaults = InvocationFaults {
    record_failure: 0.5,
    function_error: 0.5,
    timeout: 0.5,
    throttle: 0.5,
    lost_delete: 0.5,
    duplicate: 0.5,
};

fn sqs(idempotent: bool) -> sim::ScheduleSummary {
    sim::every_fault_schedule(max_faults(), || {
        let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(3));
        config.faults = ANY_FAULT;
        config.trace = false;
        let mut sim = SqsSimulation::new(config).unwrap();
        for body in ["a", "b", "c"] {
            sim.send(0, body);
        }
        let ledger = Ledger::new(idempotent);
        let report = sim.run(&mut lambda_function(|event| sqs_charge(&ledger, event)));
        sim::check::nothing_lost(&report)?;
        sim::check::message_effects_exactly_once(&report, &ledger.effects())
    })
}

fn fifo(idempotent: bool) -> sim::ScheduleSummary {
    sim::every_fault_schedule(max_faults(), || {
        let mut config = SqsSimConfig::new(QueueConfig::fifo().with_dlq(3));
        config.faults = ANY_FAULT;
        config.trace = false;
        let mut sim = SqsSimulation::new(config).unwrap();
        for (group, body) in [("g1", "a"), ("g1", "b"), ("g2", "c")] {
            sim.send_fifo(0, group, body);
        }
        let ledger = Ledger::new(idempotent);
        let report = sim.run(&mut lambda_function(|event| fifo_charge(&ledger, event)));
        sim::check::nothing_lost(&report)?;
        sim::check::fifo_order(&report)?;
        sim::check::message_effects_exactly_once(&report, &ledger.effects())
    })
}

fn kinesis(idempotent: bool) -> sim::ScheduleSummary {
    sim::every_fault_schedule(max_faults(), || {
        let mut config = StreamSimConfig::new(StreamKind::Kinesis);
        config.faults = InvocationFaults { lost_delete: 0.0, duplicate: 0.0, ..ANY_FAULT };
        config.maximum_retry_attempts = Some(2);
        config.trace = false;
        let mut sim = StreamSimulation::new(config).unwrap();
        for (key, data) in [("k1", "a"), ("k1", "b"), ("k2", "c")] {
            sim.put(0, key, data);
        }
        let ledger = Ledger::new(idempotent);
        let report = sim.run(&mut lambda_function(|event| kinesis_charge(&ledger, event)));
        sim::check::stream_nothing_lost(&report)?;
        sim::check::stream_effects_exactly_once(&report, &ledger.effects())
    })
}

fn kafka(idempotent: bool) -> sim::ScheduleSummary {
    sim::every_fault_schedule(max_faults(), || {
        let mut config = KafkaSimConfig::new("orders", 2);
        config.faults = InvocationFaults { lost_delete: 0.0, duplicate: 0.0, ..ANY_FAULT };
        config.maximum_retry_attempts = Some(2);
        config.trace = false;
        let mut sim = KafkaSimulation::new(config).unwrap();
        for key in ["k1", "k2", "k3"] {
            sim.produce(0, Some(key), "{}");
        }
        let ledger = Ledger::new(idempotent);
        let report = sim.run(&mut lambda_function(|event| kafka_charge(&ledger, event)));
        sim::check::kafka_nothing_lost(&report)?;
        sim::check::kafka_effects_exactly_once(&report, &ledger.effects())
    })
}

fn asynchronous(idempotent: bool) -> sim::ScheduleSummary {
    sim::every_fault_schedule(max_faults(), || {
        let config = AsyncConfig {
            faults: InvocationFaults { record_failure: 0.0, lost_delete: 0.0, ..ANY_FAULT },
            trace: false,
            ..AsyncConfig::default()
        };
        let mut sim = AsyncSimulation::new(config).unwrap();
        for order in 0..2 {
            sim.invoke(0, json!({ "order": order }));
        }
        let ledger = Ledger::new(idempotent);
        let report = sim.run(&mut lambda_function(|event| async_charge(&ledger, event)));
        sim::check::effects_exactly_once(&report, &ledger.effects())
    })
}

type Scenario = fn(bool) -> sim::ScheduleSummary;

#[test]
fn every_schedule_of_up_to_two_faults_holds_for_idempotent_handlers_and_breaks_the_others() {
    let scenarios: [(&str, Scenario); 5] = [
        ("SQS standard", sqs),
        ("SQS FIFO", fifo),
        ("Kinesis", kinesis),
        ("Kafka", kafka),
        ("asynchronous", asynchronous),
    ];
    for (source, scenario) in scenarios {
        let idempotent = scenario(true);
        println!("{source}, idempotent: {idempotent}");
        idempotent.assert_all_held();
        let not = scenario(false);
        println!("{source}, not idempotent: {not}");
        let (schedule, message) =
            not.broken.as_ref().unwrap_or_else(|| panic!("{source}: not caught: {not}"));
        // The fewest faults that break it: one redelivery is enough.
        assert_eq!(schedule.fault_count(), 1, "{source}: {not}");
        assert!(message.contains("happened 2 times"), "{source}: {message}");
    }
}

#[test]
fn a_broken_schedule_replays_to_the_same_run() {
    let summary = sqs(false);
    let (schedule, message) = summary.broken.clone().expect("broken");
    let replayed = sim::replay_schedule(&schedule, || {
        let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(3));
        config.faults = ANY_FAULT;
        let mut sim = SqsSimulation::new(config).unwrap();
        for body in ["a", "b", "c"] {
            sim.send(0, body);
        }
        let ledger = Ledger::new(false);
        let report = sim.run(&mut lambda_function(|event| sqs_charge(&ledger, event)));
        sim::check::message_effects_exactly_once(&report, &ledger.effects())
    });
    let replayed = replayed.unwrap_err().to_string();
    assert!(replayed.ends_with(&message), "{replayed}\n{message}");
    assert!(summary.to_string().contains("BROKEN with 1 of"), "{summary}");
}
