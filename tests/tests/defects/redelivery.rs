//! Effects under redelivery, tested the documented way with the
//! simulator: handlers whose side effect (counted per message id, sequence
//! number or request id) must happen exactly once although Lambda
//! delivers at least once. The idempotent handler remembers what it has
//! handled; the defect is the same handler without that memory.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use aws_lambda_events::streams::KinesisBatchItemFailure;
use lambda_batch::aws_events::{KinesisEvent, KinesisEventResponse, SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, LambdaEvent, observe};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::sim::{
    self, AsyncConfig, AsyncSimulation, InvocationFaults, QueueConfig, SqsSimConfig, SqsSimulation,
    StreamKind, StreamSimConfig, StreamSimulation, lambda_function,
};
use serde_json::{Value, json};

use super::suite::{Case, Written, outcome};

/// The effects done (id -> times) and the ids an idempotent handler
/// remembers having handled.
#[derive(Default)]
pub(crate) struct Ledger {
    pub(crate) effects: Mutex<HashMap<String, u32>>,
    handled: Mutex<HashSet<String>>,
}

impl Ledger {
    /// Does the effect of `id`, once if `idempotent`, else every time.
    pub(crate) fn charge(&self, id: &str, idempotent: bool) {
        if idempotent && self.handled.lock().unwrap().contains(id) {
            return;
        }
        *self.effects.lock().unwrap().entry(id.to_owned()).or_default() += 1;
        self.handled.lock().unwrap().insert(id.to_owned());
    }
}

/// What goes wrong in one simulated run.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    seed: u64,
    messages: usize,
    faults: InvocationFaults,
}

pub(crate) fn schedule() -> impl Strategy<Value = Schedule> {
    (any::<u64>(), 1..=30usize, 0.0..0.3, 0.0..0.15, 0.0..0.15, 0.0..0.1).prop_map(
        |(seed, messages, record_failure, timeout, function_error, lost_delete)| Schedule {
            seed,
            messages,
            faults: InvocationFaults {
                record_failure,
                timeout,
                function_error,
                lost_delete,
                duplicate: lost_delete,
                ..InvocationFaults::none()
            },
        },
    )
}

/// An SQS queue with a DLQ, `s.messages` messages, run through `function`.
pub(crate) fn sqs_run(s: &Schedule, function: &mut impl sim::Function) -> sim::SqsReport {
    let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(4));
    config.seed = s.seed;
    config.faults = s.faults;
    config.trace = false;
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        simulation.send(i as u64 * 300, &format!(r#"{{"id":{i},"quantity":1}}"#));
    }
    simulation.run(function)
}

/// A hand-written SQS handler whose work is a charge per message.
async fn sqs_charges(
    ledger: &Ledger,
    idempotent: bool,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for message in &event.payload.records {
        let Some(id) = message.message_id.as_deref().filter(|id| !id.is_empty()) else {
            return Err("a message has no messageId".into());
        };
        let work = observe(id, async {
            ledger.charge(id, idempotent);
            Ok::<(), Error>(())
        });
        if work.await.is_err() {
            response.add_failure(id.to_owned());
        }
    }
    Ok(response)
}

/// A Kinesis run: two shards, bisection on errors, limited retries.
fn kinesis_run(s: &Schedule, function: &mut impl sim::Function) -> sim::StreamReport {
    let mut config = StreamSimConfig::new(StreamKind::Kinesis);
    config.seed = s.seed;
    config.faults = InvocationFaults { lost_delete: 0.0, duplicate: 0.0, ..s.faults };
    config.source.shards = 2;
    config.bisect_on_error = true;
    config.maximum_retry_attempts = Some(4);
    config.trace = false;
    let mut simulation = StreamSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        simulation.put(i as u64 * 200, &format!("sensor-{}", i % 3), &format!("{{\"n\":{i}}}"));
    }
    simulation.run(function)
}

/// A hand-written Kinesis handler that charges per record and stops at
/// the first failure, reporting it.
async fn kinesis_charges(
    ledger: &Ledger,
    idempotent: bool,
    event: LambdaEvent<KinesisEvent>,
) -> Result<KinesisEventResponse, Error> {
    let mut response = KinesisEventResponse::default();
    for record in &event.payload.records {
        let sequence_number = record.kinesis.sequence_number.as_str();
        let work = observe(sequence_number, async {
            ledger.charge(sequence_number, idempotent);
            Ok::<(), Error>(())
        });
        if work.await.is_err() {
            let mut failure = KinesisBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number.to_owned());
            response.batch_item_failures.push(failure);
            break;
        }
    }
    Ok(response)
}

/// An asynchronous invocation run with retries.
fn async_run(s: &Schedule, function: &mut impl sim::Function) -> sim::AsyncReport {
    let config = AsyncConfig {
        maximum_retry_attempts: 2,
        seed: s.seed,
        faults: InvocationFaults { record_failure: 0.0, lost_delete: 0.0, ..s.faults },
        trace: false,
        ..AsyncConfig::default()
    };
    let mut simulation = AsyncSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        simulation.invoke(i as u64 * 1_000, json!({"order": i}));
    }
    simulation.run(function)
}

/// A hand-written asynchronous handler that charges per request id.
async fn async_charges(ledger: &Ledger, idempotent: bool, event: LambdaEvent<Value>) -> Result<Value, Error> {
    ledger.charge(&event.context.request_id, idempotent);
    Ok(json!({"charged": event.payload["order"]}))
}

pub(crate) fn cases() -> Vec<Case> {
    let sqs_case = |idempotent: bool| Case {
        source: "SQS standard (simulated)",
        written: Written::ByHand,
        defect: (!idempotent).then_some("effect repeated on redelivery"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&schedule(), |s| {
                let ledger = Ledger::default();
                let report =
                    sqs_run(&s, &mut lambda_function(|event| sqs_charges(&ledger, idempotent, event)));
                sim::check::nothing_lost(&report)?;
                sim::check::message_effects_exactly_once(&report, &ledger.effects.lock().unwrap())
            }))
        }),
    };
    let kinesis_case = |idempotent: bool| Case {
        source: "Kinesis (simulated)",
        written: Written::ByHand,
        defect: (!idempotent).then_some("effect repeated on redelivery"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&schedule(), |s| {
                let ledger = Ledger::default();
                let report = kinesis_run(
                    &s,
                    &mut lambda_function(|event| kinesis_charges(&ledger, idempotent, event)),
                );
                sim::check::stream_nothing_lost(&report)?;
                sim::check::stream_effects_exactly_once(&report, &ledger.effects.lock().unwrap())
            }))
        }),
    };
    let async_case = |idempotent: bool| Case {
        source: "asynchronous (simulated)",
        written: Written::ByHand,
        defect: (!idempotent).then_some("effect repeated on retry"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&schedule(), |s| {
                let ledger = Ledger::default();
                let report =
                    async_run(&s, &mut lambda_function(|event| async_charges(&ledger, idempotent, event)));
                sim::check::effects_exactly_once(&report, &ledger.effects.lock().unwrap())
            }))
        }),
    };
    vec![
        sqs_case(true),
        sqs_case(false),
        kinesis_case(true),
        kinesis_case(false),
        async_case(true),
        async_case(false),
    ]
}
