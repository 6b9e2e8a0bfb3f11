//! Handler time and concurrent copies, tested the documented way with the
//! simulator: a real handler runs on the simulation's clock, is stopped at
//! the function timeout, and runs together with other invocations that
//! overlap it (a copy of a message SQS delivered twice, an asynchronous
//! event delivered again while its first attempt runs).
//!
//! Defects: a handler that ignores the deadline (one long batch times out
//! on every retry), and a check-then-act race (it checks whether it did
//! the effect, does it after an await, and only then remembers it).

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::sim::{
    self, AsyncConfig, AsyncSimulation, InvocationFaults, QueueConfig, SqsSimConfig, SqsSimulation, Timing,
    lambda_function,
};
use serde_json::{Value, json};

use super::suite::{Case, Written, outcome};

/// Effects done per id, and the ids claimed or remembered.
#[derive(Default)]
pub(crate) struct Effects {
    pub(crate) done: Mutex<HashMap<String, u32>>,
    seen: Mutex<HashSet<String>>,
}

impl Effects {
    fn effect(&self, id: &str) {
        *self.done.lock().unwrap().entry(id.to_owned()).or_default() += 1;
    }

    fn seen(&self, id: &str) -> bool {
        self.seen.lock().unwrap().contains(id)
    }

    /// Remembers `id`; `false` if it was already there (an atomic claim).
    fn claim(&self, id: &str) -> bool {
        self.seen.lock().unwrap().insert(id.to_owned())
    }
}

/// The charge's downstream call: it takes virtual time, so copies of a
/// message in two invocations overlap.
const CALL: Duration = Duration::from_millis(10);

/// A hand-written SQS handler that charges each message once: with a claim
/// made before the call (correct), or checked before and written after it
/// (the race).
async fn charge_once(
    effects: &Effects,
    claim_first: bool,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    for message in &event.payload.records {
        let Some(id) = message.message_id.as_deref() else { return Err("a message has no messageId".into()) };
        if claim_first {
            if !effects.claim(id) {
                continue;
            }
            tokio::time::sleep(CALL).await;
            effects.effect(id);
        } else {
            if effects.seen(id) {
                continue;
            }
            tokio::time::sleep(CALL).await;
            effects.effect(id);
            effects.claim(id);
        }
    }
    Ok(SqsBatchResponse::default())
}

/// Copies in flight at once: a standard queue whose messages SQS often
/// delivers twice, sent together, with seeded jitter on every call.
#[derive(Debug, Clone)]
pub(crate) struct Copies {
    seed: u64,
    messages: usize,
    duplicate: f64,
    jitter: u64,
}

fn copies() -> impl Strategy<Value = Copies> {
    (any::<u64>(), 4..=30usize, 0.2..0.5, 0..=5u64).prop_map(|(seed, messages, duplicate, jitter)| Copies {
        seed,
        messages,
        duplicate,
        jitter,
    })
}

fn copies_run(s: &Copies, function: &mut impl sim::Function) -> sim::SqsReport {
    let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(5));
    config.seed = s.seed;
    config.faults = InvocationFaults { duplicate: s.duplicate, ..InvocationFaults::none() };
    config.timing = Timing { jitter: s.jitter, ..Timing::default() };
    config.trace = false;
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        simulation.send(0, &format!(r#"{{"order":{i}}}"#));
    }
    simulation.run(function)
}

/// A long batch: messages sent together, each taking `work` ms of a
/// 3-second function timeout, so that a whole batch never fits.
#[derive(Debug, Clone)]
pub(crate) struct LongBatch {
    seed: u64,
    messages: usize,
    work: u64,
    function_error: f64,
}

fn long_batch() -> impl Strategy<Value = LongBatch> {
    (any::<u64>(), 10..=25usize, 400..=900u64, 0.0..0.1)
        .prop_map(|(seed, messages, work, function_error)| LongBatch { seed, messages, work, function_error })
}

fn long_batch_run(s: &LongBatch, function: &mut impl sim::Function) -> sim::SqsReport {
    let mut config = SqsSimConfig::new(QueueConfig::standard().visibility_timeout(20_000).with_dlq(25));
    config.seed = s.seed;
    config.faults = InvocationFaults { function_error: s.function_error, ..InvocationFaults::none() };
    config.trace = false;
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        simulation.send(0, &format!(r#"{{"work_ms":{},"order":{i}}}"#, s.work));
    }
    simulation.run(function)
}

fn work_of(body: &str) -> Duration {
    let body: Value = serde_json::from_str(body).unwrap_or_default();
    Duration::from_millis(body["work_ms"].as_u64().unwrap_or(0))
}

/// A hand-written SQS handler doing each message's work in turn; with
/// `guard`, it stops starting messages 500 ms before the deadline and
/// reports the rest (measured on tokio's clock, which the simulation
/// drives: the wall clock does not move there).
async fn work_through(guard: bool, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    let remaining = event.context.deadline().duration_since(std::time::SystemTime::now()).unwrap_or_default();
    let deadline = tokio::time::Instant::now() + remaining;
    let mut response = SqsBatchResponse::default();
    for message in &event.payload.records {
        let id = message.message_id.clone().unwrap_or_default();
        let work = work_of(message.body.as_deref().unwrap_or_default());
        if guard && tokio::time::Instant::now() + work + Duration::from_millis(500) > deadline {
            response.add_failure(id);
            continue;
        }
        tokio::time::sleep(work).await;
    }
    Ok(response)
}

/// The same work as a `#[batch_handler]`: the engine's deadline guard
/// reports what it could not finish.
#[batch_handler(sqs)]
async fn work_record(body: &str) -> RecordOutcome {
    tokio::time::sleep(work_of(body)).await;
    RecordOutcome::Success
}

/// An asynchronous handler charging per request id after a slow call;
/// duplicates arrive while the first attempt still runs.
async fn async_charge(
    effects: &Effects,
    claim_first: bool,
    event: LambdaEvent<Value>,
) -> Result<Value, Error> {
    let id = event.context.request_id.as_str();
    if claim_first {
        if effects.claim(id) {
            tokio::time::sleep(Duration::from_secs(2)).await;
            effects.effect(id);
        }
    } else if !effects.seen(id) {
        tokio::time::sleep(Duration::from_secs(2)).await;
        effects.effect(id);
        effects.claim(id);
    }
    Ok(json!({"charged": event.payload["order"]}))
}

fn async_run(s: &Copies, function: &mut impl sim::Function) -> sim::AsyncReport {
    let config = AsyncConfig {
        seed: s.seed,
        faults: InvocationFaults { duplicate: s.duplicate, ..InvocationFaults::none() },
        timing: Timing { jitter: s.jitter, ..Timing::default() },
        trace: false,
        ..AsyncConfig::default()
    };
    let mut simulation = AsyncSimulation::new(config).expect("valid configuration");
    for i in 0..s.messages {
        simulation.invoke(i as u64 * 100, json!({"order": i}));
    }
    simulation.run(function)
}

pub(crate) fn cases() -> Vec<Case> {
    let race = |claim_first: bool| Case {
        source: "SQS standard (simulated, copies in flight)",
        written: Written::ByHand,
        defect: (!claim_first)
            .then_some("effect twice: checks, calls, then remembers (a race between copies)"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&copies(), |s| {
                let effects = Effects::default();
                let report =
                    copies_run(&s, &mut lambda_function(|event| charge_once(&effects, claim_first, event)));
                sim::check::nothing_lost(&report)?;
                sim::check::message_effects_exactly_once(&report, &effects.done.lock().unwrap())
            }))
        }),
    };
    let async_race = |claim_first: bool| Case {
        source: "asynchronous (simulated, copies in flight)",
        written: Written::ByHand,
        defect: (!claim_first).then_some("effect twice: a duplicate runs while the first attempt does"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&copies(), |s| {
                let effects = Effects::default();
                let report =
                    async_run(&s, &mut lambda_function(|event| async_charge(&effects, claim_first, event)));
                sim::check::effects_exactly_once(&report, &effects.done.lock().unwrap())
            }))
        }),
    };
    let deadline = |guard: bool| Case {
        source: "SQS standard (simulated, handler time)",
        written: Written::ByHand,
        defect: (!guard)
            .then_some("progress: ignores the deadline, so a long batch times out on every retry"),
        cases: 32,
        test: Box::new(move |runner| {
            outcome(runner.run(&long_batch(), |s| {
                let report = long_batch_run(&s, &mut lambda_function(|event| work_through(guard, event)));
                sim::check::nothing_lost(&report)?;
                sim::check::progress(&report)
            }))
        }),
    };
    let macro_deadline = Case {
        source: "SQS standard (simulated, handler time)",
        written: Written::ByMacro,
        defect: None,
        cases: 32,
        test: Box::new(|runner| {
            outcome(runner.run(&long_batch(), |s| {
                let report = long_batch_run(&s, &mut lambda_function(work_record));
                sim::check::nothing_lost(&report)?;
                sim::check::progress(&report)
            }))
        }),
    };
    vec![
        race(true),
        race(false),
        async_race(true),
        async_race(false),
        deadline(true),
        deadline(false),
        macro_deadline,
    ]
}
