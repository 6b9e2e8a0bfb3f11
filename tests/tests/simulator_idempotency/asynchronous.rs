//! (c) Asynchronous invocations: Lambda retries a failed event (and now
//! and then delivers one twice) with the same request id, the key of
//! `lambda_batch::idempotency::idempotent`. Without it the effect repeats;
//! with it a retry answers with the stored response instead of running.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lambda_batch::idempotency::{Idempotency, Key, idempotent};
use lambda_batch::{Error, LambdaEvent};
use lambda_batch_testkit::sim::{
    self, AsyncConfig, AsyncEventEnd, AsyncReport, AsyncSimulation, FaultyStore, InvocationFaults,
    StoreEntry, StoreFaults, TraceEvent, lambda_function,
};
use lambda_runtime::tower::ServiceExt;
use serde_json::{Value, json};

use super::{CALL, store};

/// Payments made: the receipt numbers given, per request id.
#[derive(Default)]
struct Payments(Mutex<HashMap<String, Vec<u64>>>);

/// The asynchronous handler: pays the order, answers with a new receipt
/// number.
async fn pay(payments: Arc<Payments>, event: LambdaEvent<Value>) -> Result<Value, Error> {
    tokio::time::sleep(CALL).await;
    let mut made = payments.0.lock().unwrap();
    let receipt = made.values().map(|receipts| receipts.len() as u64).sum::<u64>() + 1;
    made.entry(event.context.request_id.clone()).or_default().push(receipt);
    Ok(json!({"paid": event.payload["order"], "receipt": receipt}))
}

/// 20 events, retried after crashes (the work done) and now and then
/// delivered twice, run through `function`.
fn async_run(seed: u64, function: &mut impl sim::Function) -> AsyncReport {
    let config = AsyncConfig {
        seed,
        faults: InvocationFaults { function_error: 0.3, duplicate: 0.2, ..InvocationFaults::none() },
        ..AsyncConfig::default()
    };
    let mut simulation = AsyncSimulation::new(config).expect("valid configuration");
    for i in 0..20u64 {
        simulation.invoke(i * 500, json!({"order": i}));
    }
    simulation.run(function)
}

fn paid(payments: &Payments) -> HashMap<String, u32> {
    let made = payments.0.lock().unwrap();
    made.iter().map(|(request_id, receipts)| (request_id.clone(), receipts.len() as u32)).collect()
}

#[test]
fn asynchronous_retries_and_copies_answer_from_the_stored_response() {
    let (mut caught_without, mut caught_with, mut replayed) = (0, 0, 0);
    for seed in 0..20 {
        let payments = Arc::new(Payments::default());
        let unguarded = Arc::clone(&payments);
        let report = async_run(seed, &mut lambda_function(move |event| pay(Arc::clone(&unguarded), event)));
        if let Err(error) = sim::check::effects_exactly_once(&report, &paid(&payments)) {
            assert!(error.to_string().contains("make the handler idempotent"), "{error}");
            caught_without += 1;
        }
        let payments = Arc::new(Payments::default());
        let guarded = Arc::clone(&payments);
        let store = store(StoreFaults::none(), seed);
        let idempotency = Idempotency::new(store.clone()).with_prefix("pay");
        let service = idempotent(idempotency, move |event| pay(Arc::clone(&guarded), event));
        let report = async_run(seed, &mut lambda_function(|event| service.clone().oneshot(event)));
        if sim::check::effects_exactly_once(&report, &paid(&payments)).is_err() {
            caught_with += 1;
        }
        one_key_per_event(&report, &store);
        replayed += answers_with_the_receipt_given(&report, &payments);
    }
    println!(
        "(c) asynchronous retries and copies: without idempotency {caught_without}/20 seeds caught; with it \
         {caught_with}/20, {replayed} events answered from the stored response on a retry"
    );
    assert_eq!((caught_without, caught_with), (20, 0));
    assert!(replayed > 0);
}

/// Every attempt of an event, retries and copies alike, claimed the same
/// key (the event's request id): the simulator keeps the request id.
fn one_key_per_event(report: &AsyncReport, store: &FaultyStore) {
    let journal = store.journal();
    for event in &report.events {
        let key = Key::new("pay", &event.request_id);
        let claims = journal.iter().filter(|entry| matches!(entry, StoreEntry::Claim { .. }));
        let mine: Vec<_> = claims.clone().filter(|entry| *entry.key() == key).collect();
        assert_eq!(mine.len() as u32, event.invocations, "{event:?}");
        let invoked = report.trace.entries().iter().filter(|entry| {
            matches!(&entry.event, TraceEvent::Invoked { request_id, .. } if *request_id == event.request_id)
        });
        assert_eq!(invoked.count() as u32, event.invocations);
    }
    let keys: std::collections::HashSet<&Key> = journal.iter().map(StoreEntry::key).collect();
    assert_eq!(keys.len(), report.events.len());
}

/// Every event that succeeded answered with the receipt of its one
/// payment: on a retry, the stored response. Returns how many succeeded
/// on a retry.
fn answers_with_the_receipt_given(report: &AsyncReport, payments: &Payments) -> usize {
    let made = payments.0.lock().unwrap();
    for record in &report.on_success {
        let request_id = record["requestContext"]["requestId"].as_str().unwrap();
        assert_eq!(made[request_id].len(), 1);
        assert_eq!(record["responsePayload"]["receipt"], made[request_id][0], "{record}");
    }
    let succeeded = report.events.iter().filter(|event| matches!(event.end, AsyncEventEnd::Succeeded(_)));
    assert_eq!(succeeded.clone().count(), report.on_success.len());
    succeeded.filter(|event| event.invocations > 1).count()
}

#[test]
fn the_simulator_keeps_the_request_id_on_every_retry_and_copy() {
    let config = AsyncConfig {
        seed: 4,
        faults: InvocationFaults { function_error: 0.5, duplicate: 0.5, ..InvocationFaults::none() },
        ..AsyncConfig::default()
    };
    let mut simulation = AsyncSimulation::new(config).expect("valid configuration");
    let queued: Vec<Arc<str>> = (0..10).map(|i| simulation.invoke(i * 100, json!({"order": i}))).collect();
    let seen = Mutex::new(Vec::new());
    let report = simulation.run(&mut |invocation: &sim::Invocation<'_>| {
        seen.lock().unwrap().push(invocation.request_id.to_owned());
        sim::InvocationResult::all_handled()
    });
    let seen = seen.into_inner().unwrap();
    let retried = report.events.iter().filter(|event| event.invocations > 1).count();
    assert!(retried > 3, "the faults gave few retries: {retried}");
    for (request_id, event) in queued.iter().zip(&report.events) {
        let attempts = seen.iter().filter(|seen| **seen == **request_id).count() as u32;
        assert_eq!(attempts, event.invocations, "{request_id}");
    }
    assert_eq!(seen.len() as u32, report.events.iter().map(|event| event.invocations).sum::<u32>());
}
