//! Idempotency under Lambda's redeliveries, shown with the simulator: the
//! same handler, without `lambda_batch::idempotency` and with it, over the
//! same seeds. Without it the effects checks fail (each scenario asserts
//! they do, on every seed, so none of these tests can pass by accident);
//! with it they pass. Then the window no store can close, store faults,
//! FIFO groups, asynchronous retries, and the timeline's replayed mark.
//!
//! `cargo test -p lambda-batch-tests --test main simulator_idempotency -- --nocapture`
//! prints the counts of each scenario.

mod asynchronous;
mod fifo;
mod replayed;
mod schedules;
mod store_faults;
mod window;

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Mutex;
use std::time::Duration;

use lambda_batch::idempotency::{Idempotency, Key, MemoryStore};
use lambda_batch::{Context, RecordMeta, RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, FaultyStore, InvocationFaults, QueueConfig, Redelivery, SqsReport, SqsSimConfig, SqsSimulation,
    StoreFaults, Timing, TraceEvent, lambda_function,
};
use tokio::time::Instant;

/// The downstream call of a charge: it takes virtual time, so copies of a
/// message in two invocations overlap.
pub(crate) const CALL: Duration = Duration::from_millis(10);

/// One charge made: the message, the invocation (request id), and when.
#[derive(Debug, Clone)]
pub(crate) struct Charge {
    pub(crate) id: String,
    pub(crate) request_id: String,
    pub(crate) at: Instant,
}

/// The shop the handlers charge for: the charges made, and its
/// idempotency (one shared store, as a DynamoDB table is).
pub(crate) struct Shop {
    pub(crate) charges: Mutex<Vec<Charge>>,
    pub(crate) idempotency: Idempotency<FaultyStore>,
}

impl Shop {
    /// A shop whose store has `faults`, drawn from `seed`; its keys are
    /// prefixed `shop` ([`key_of`]).
    pub(crate) fn new(faults: StoreFaults, seed: u64) -> Shop {
        Shop::with(Idempotency::new(store(faults, seed)).with_prefix("shop"))
    }

    /// A shop with these idempotency settings.
    pub(crate) fn with(idempotency: Idempotency<FaultyStore>) -> Shop {
        Shop { charges: Mutex::default(), idempotency }
    }

    /// Charges per message id.
    pub(crate) fn effects(&self) -> HashMap<String, u32> {
        let mut effects = HashMap::new();
        for charge in self.charges.lock().unwrap().iter() {
            *effects.entry(charge.id.clone()).or_default() += 1;
        }
        effects
    }

    async fn charge(&self, meta: &RecordMeta<'_>, cx: &Context) -> RecordOutcome {
        tokio::time::sleep(CALL).await;
        let charge = Charge { id: meta.id.to_owned(), request_id: cx.request_id.clone(), at: Instant::now() };
        self.charges.lock().unwrap().push(charge);
        RecordOutcome::Success
    }
}

/// A `FaultyStore` over a `MemoryStore`.
pub(crate) fn store(faults: StoreFaults, seed: u64) -> FaultyStore {
    FaultyStore::new(MemoryStore::new(), faults).expect("valid store faults").with_seed(seed)
}

/// The key the shop's store holds for message `id`.
pub(crate) fn key_of(id: &str) -> Key {
    Key::new("shop", id)
}

pub(crate) fn shop_idempotency(shop: &Shop) -> &Idempotency<FaultyStore> {
    &shop.idempotency
}

/// The charge, idempotent.
#[batch_handler(sqs, idempotency = shop_idempotency)]
pub(crate) async fn charge(#[state] shop: &Shop, meta: RecordMeta<'_>, cx: &Context) -> RecordOutcome {
    shop.charge(&meta, cx).await
}

/// The same charge without idempotency.
#[batch_handler(sqs)]
pub(crate) async fn charge_unguarded(
    #[state] shop: &Shop,
    meta: RecordMeta<'_>,
    cx: &Context,
) -> RecordOutcome {
    shop.charge(&meta, cx).await
}

/// A standard queue (DLQ after 8 receives) with `faults` and seeded
/// jitter, 20 messages sent over 4 seconds, run through `function`.
pub(crate) fn sqs_run(seed: u64, faults: InvocationFaults, function: &mut impl sim::Function) -> SqsReport {
    sqs_run_on(QueueConfig::standard().with_dlq(8), seed, faults, function)
}

/// [`sqs_run`] on `queue`.
pub(crate) fn sqs_run_on(
    queue: QueueConfig,
    seed: u64,
    faults: InvocationFaults,
    function: &mut impl sim::Function,
) -> SqsReport {
    let mut config = SqsSimConfig::new(queue);
    config.seed = seed;
    config.faults = faults;
    config.timing = Timing { jitter: 5, ..Timing::default() };
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..20 {
        simulation.send(i * 200, &format!(r#"{{"order":{i}}}"#));
    }
    simulation.run(function)
}

/// What the runs of one handler over some seeds showed.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub(crate) seeds: u64,
    /// Seeds whose effects check failed.
    pub(crate) caught: u64,
    /// Messages whose effect happened more than once, over all seeds.
    pub(crate) duplicates: usize,
    /// Deliveries the engine replayed, over all seeds.
    pub(crate) replayed: u32,
    /// Deliveries idempotency did not run, over all seeds.
    pub(crate) not_run: usize,
    /// The first failure of the effects check.
    pub(crate) first_failure: Option<String>,
}

impl Tally {
    /// Adds one run.
    pub(crate) fn add(&mut self, report: &SqsReport, effects: &HashMap<String, u32>) {
        self.seeds += 1;
        self.duplicates += effects.values().filter(|&&done| done > 1).count();
        self.replayed += report.messages.iter().map(|message| message.replayed).sum::<u32>();
        self.not_run += report
            .messages
            .iter()
            .flat_map(|message| &message.redeliveries)
            .filter(|cause| matches!(cause, Redelivery::NotRun { .. }))
            .count();
        sim::check::nothing_lost(report).unwrap();
        if let Err(error) = sim::check::message_effects_exactly_once(report, effects) {
            self.caught += 1;
            self.first_failure.get_or_insert(error.to_string());
        }
    }
}

/// The charge handler without idempotency and with it (store faults off),
/// over `seeds`, under `faults`: the tallies, printed.
pub(crate) fn compare(scenario: &str, seeds: Range<u64>, faults: InvocationFaults) -> (Tally, Tally) {
    let (mut without, mut with) = (Tally::default(), Tally::default());
    for seed in seeds {
        let shop = Shop::new(StoreFaults::none(), seed);
        let report = sqs_run(seed, faults, &mut lambda_function(|event| charge_unguarded(&shop, event)));
        without.add(&report, &shop.effects());
        let shop = Shop::new(StoreFaults::none(), seed);
        let report = sqs_run(seed, faults, &mut lambda_function(|event| charge(&shop, event)));
        with.add(&report, &shop.effects());
        sim::check::progress(&report).unwrap();
    }
    println!(
        "{scenario}: without idempotency {}/{} seeds caught, {} duplicated messages; with it {}/{} seeds caught, \
         {} duplicated messages, {} deliveries replayed, {} not run",
        without.caught,
        without.seeds,
        without.duplicates,
        with.caught,
        with.seeds,
        with.duplicates,
        with.replayed,
        with.not_run
    );
    (without, with)
}

/// The checks fail without idempotency on every seed, with the effects
/// check's message, and pass with it; `replays` says the layer replayed.
fn assert_idempotency_closes(without: &Tally, with: &Tally) {
    assert_eq!(
        without.caught, without.seeds,
        "the scenario must show the duplicate on every seed: {without:?}"
    );
    let message = without.first_failure.as_deref().unwrap_or_default();
    assert!(
        message.contains("its effect happened") && message.contains("make the handler idempotent"),
        "{message}"
    );
    assert_eq!((with.caught, with.duplicates), (0, 0), "{with:?}");
    assert!(with.replayed > 0, "the layer replayed nothing: {with:?}");
}

#[test]
fn sqs_redelivery_after_the_visibility_timeout_is_replayed_not_run_again() {
    // A delete that does not take: the message is visible again after its
    // 30-second visibility timeout, already handled.
    let faults = InvocationFaults { lost_delete: 0.3, ..InvocationFaults::none() };
    let (without, with) = compare("(a) lost deletes", 0..20, faults);
    assert_idempotency_closes(&without, &with);
    assert!(without.first_failure.unwrap().contains("its delete did not take"));
}

#[test]
fn a_batch_retried_whole_after_a_crash_replays_what_was_done() {
    // The function crashes after its work: the whole batch comes back.
    let faults = InvocationFaults { function_error: 0.3, ..InvocationFaults::none() };
    let (without, with) = compare("(b) whole-batch retries", 0..20, faults);
    assert_idempotency_closes(&without, &with);
    assert!(without.first_failure.unwrap().contains("failed (Runtime.ExitError)"));
}

#[test]
fn copies_in_flight_at_once_run_once_the_other_fails_then_replays() {
    // SQS hands a message to two batches at once; both copies overlap.
    let faults = InvocationFaults { duplicate: 0.3, ..InvocationFaults::none() };
    let (without, with) = compare("(d) concurrent copies", 0..20, faults);
    assert_idempotency_closes(&without, &with);
    assert!(without.first_failure.unwrap().contains("SQS delivered it to two batches at once"));
    // The copy that found the other's claim in progress was not run, and
    // came back: the claim was the only thing between the two.
    assert!(with.not_run > 0, "{with:?}");
}

#[test]
fn an_invocation_stopped_at_its_timeout_after_its_work_is_replayed() {
    // The invocation does its work, then Lambda stops it at the function
    // timeout (`Sandbox.Timedout`): the whole batch comes back.
    let faults = InvocationFaults { timeout: 0.3, ..InvocationFaults::none() };
    let (without, with) = compare("(e) timeouts", 0..20, faults);
    assert_idempotency_closes(&without, &with);
    assert!(without.first_failure.unwrap().contains("timed out"));
}

#[test]
fn replays_are_in_the_fates_and_the_trace() {
    let faults = InvocationFaults { lost_delete: 0.3, ..InvocationFaults::none() };
    let shop = Shop::new(StoreFaults::none(), 3);
    let report = sqs_run(3, faults, &mut lambda_function(|event| charge(&shop, event)));
    let replayed: BTreeSet<&str> =
        report.messages.iter().filter(|message| message.replayed > 0).map(|message| &*message.id).collect();
    let traced: BTreeSet<&str> = report
        .trace
        .entries()
        .iter()
        .filter_map(|entry| match &entry.event {
            TraceEvent::Replayed { id, .. } => Some(&**id),
            _ => None,
        })
        .collect();
    assert!(!replayed.is_empty());
    assert_eq!(replayed, traced);
    // Each replayed message came back because its delete was lost, and was
    // deleted by the invocation that replayed it.
    for message in report.messages.iter().filter(|message| message.replayed > 0) {
        assert!(message.redeliveries.contains(&Redelivery::DeleteLost), "{message:?}");
        assert!(matches!(message.end, sim::SqsMessageEnd::Deleted(_)), "{message:?}");
    }
}
