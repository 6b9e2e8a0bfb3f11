//! The poison sink in the simulator: a message the engine hands to the
//! sink is acknowledged and parked, not lost, so a correct handler with a
//! sink passes `nothing_lost_or_unhandled` without saying anything more;
//! a handler that acknowledges a bad message without parking it anywhere
//! is still caught.

use std::collections::HashSet;
use std::sync::Mutex;

use lambda_batch::{Context, PoisonRecord, RecordOutcome, batch_handler};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, SqsSimConfig, SqsSimulation, lambda_function,
};

use super::suite::{Case, Written, outcome};

/// What the handler did: the messages it handled, the ones it parked.
#[derive(Default)]
struct Ledger {
    handled: Mutex<HashSet<String>>,
    parked: Mutex<HashSet<String>>,
}

/// Bodies `bad` are poison: parked in the sink (`park`), or, with the
/// defect, acknowledged as if handled without being handled or parked.
#[batch_handler(sqs, poison_sink = park)]
async fn triage(#[state] ledger: &Ledger, body: &str, meta: lambda_batch::RecordMeta<'_>) -> RecordOutcome {
    if body == "bad" {
        return RecordOutcome::poison("the order names no customer");
    }
    ledger.handled.lock().unwrap().insert(meta.id.to_owned());
    RecordOutcome::Success
}

async fn park(ledger: &Ledger, poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    ledger.parked.lock().unwrap().insert(poison.id.to_owned());
    Ok(())
}

/// The defect: bad messages are "skipped" with a success, so they are
/// deleted though nothing handled or parked them.
#[batch_handler(sqs)]
async fn skips_bad(
    #[state] ledger: &Ledger,
    body: &str,
    meta: lambda_batch::RecordMeta<'_>,
) -> RecordOutcome {
    if body != "bad" {
        ledger.handled.lock().unwrap().insert(meta.id.to_owned());
    }
    RecordOutcome::Success
}

/// Messages, some bad, with record failures and function errors.
#[derive(Debug, Clone)]
pub(crate) struct Mixed {
    seed: u64,
    bad: Vec<bool>,
    record_failure: f64,
    function_error: f64,
}

fn mixed() -> impl Strategy<Value = Mixed> {
    (any::<u64>(), proptest::collection::vec(proptest::bool::weighted(0.3), 1..=20), 0.0..0.2, 0.0..0.1)
        .prop_filter("at least one bad message", |(_, bad, _, _)| bad.contains(&true))
        .prop_map(|(seed, bad, record_failure, function_error)| Mixed {
            seed,
            bad,
            record_failure,
            function_error,
        })
}

fn run(s: &Mixed, function: &mut impl sim::Function) -> sim::SqsReport {
    let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(6));
    config.seed = s.seed;
    config.faults = InvocationFaults {
        record_failure: s.record_failure,
        function_error: s.function_error,
        ..InvocationFaults::none()
    };
    config.trace = false;
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    for (i, &bad) in s.bad.iter().enumerate() {
        simulation.send(i as u64 * 100, if bad { "bad" } else { "good" });
    }
    simulation.run(function)
}

pub(crate) fn cases() -> Vec<Case> {
    let case = |defect: bool| Case {
        source: "SQS standard (simulated, poison sink)",
        written: Written::ByMacro,
        defect: defect.then_some("acknowledged unhandled: a bad message skipped with a success, not parked"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&mixed(), |s| {
                let ledger = Ledger::default();
                let report = if defect {
                    run(&s, &mut lambda_function(|event| skips_bad(&ledger, event)))
                } else {
                    run(&s, &mut lambda_function(|event| triage(&ledger, event)))
                };
                let parked = ledger.parked.lock().unwrap();
                for message in report.messages.iter().filter(|message| message.parked) {
                    prop_assert!(
                        parked.contains(&*message.id),
                        "{} reported parked, not in the sink",
                        message.id
                    );
                }
                sim::check::nothing_lost_or_unhandled(&report, &ledger.handled.lock().unwrap())
            }))
        }),
    };
    vec![case(false), case(true)]
}
