//! (f) The one window no store can close: the effect happened, and the
//! completion that would have said so was never written (the process
//! stopped after the effect, before the batch's results were stored; here
//! the store loses every completion). The key stays in progress until its
//! claim expires; a delivery after that runs the record again. The
//! simulator catches the duplicate, and it is bounded: the record never
//! runs again while its first claim lives.

use std::collections::HashMap;
use std::time::Duration;

use lambda_batch::idempotency::{Idempotency, Key};
use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, Redelivery, SqsReport, StoreEntry, StoreFaults, lambda_function,
};

use super::{Shop, charge, key_of, sqs_run, sqs_run_on, store};

/// Every completion and release is lost; deletes are lost now and then,
/// so messages come back after their visibility timeout.
const LOST_WRITES: StoreFaults = StoreFaults { lost_write: 1.0, ..StoreFaults::none() };
const LOST_DELETES: InvocationFaults = InvocationFaults { lost_delete: 0.3, ..InvocationFaults::none() };

/// The claims granted per key: `(now_ms, expires_at_ms)`, in order.
fn grants(journal: &[StoreEntry]) -> HashMap<Key, Vec<(u64, u64)>> {
    let mut grants: HashMap<Key, Vec<(u64, u64)>> = HashMap::new();
    for entry in journal {
        if let Some((now, expires, _)) = entry.granted() {
            grants.entry(entry.key().clone()).or_default().push((now, expires));
        }
    }
    grants
}

/// Every message charged twice was claimed again only once its earlier
/// claim had expired; returns how many were.
fn duplicates_after_expiry(shop: &Shop, report: &SqsReport) -> usize {
    let grants = grants(&shop.idempotency.store().journal());
    let effects = shop.effects();
    let mut duplicated = 0;
    for message in &report.messages {
        let done = effects.get(&*message.id).copied().unwrap_or(0);
        let granted = grants.get(&key_of(&message.id)).map_or(&[][..], Vec::as_slice);
        // Each run had its own claim.
        assert_eq!(done as usize, granted.len(), "{} ran {done} times with {granted:?}", message.id);
        for pair in granted.windows(2) {
            let ((_, expired_at), (claimed_at, _)) = (pair[0], pair[1]);
            assert!(
                claimed_at >= expired_at,
                "{} claimed again at {claimed_at}, before {expired_at}",
                message.id
            );
        }
        duplicated += usize::from(done > 1);
    }
    duplicated
}

#[test]
fn a_completion_never_written_lets_a_delivery_after_the_claims_expiry_run_the_record_again() {
    let mut caught = 0;
    let mut duplicated = 0;
    for seed in 0..10 {
        let shop = Shop::new(LOST_WRITES, seed);
        let report = sqs_run(seed, LOST_DELETES, &mut lambda_function(|event| charge(&shop, event)));
        sim::check::nothing_lost(&report).unwrap();
        let error =
            sim::check::message_effects_exactly_once(&report, &shop.effects()).unwrap_err().to_string();
        assert!(error.contains("a run's completion was never written"), "{error}");
        assert!(error.contains("make such an effect idempotent where it lands"), "{error}");
        // Nothing showed idempotency at work (each message came back after
        // its claim expired): the message names the causes with and without.
        assert!(error.contains("make the handler idempotent"), "{error}");
        caught += 1;
        duplicated += duplicates_after_expiry(&shop, &report);
    }
    println!(
        "(f) lost completions: 10/10 seeds caught, {duplicated} messages run twice, each after its claim expired"
    );
    assert_eq!(caught, 10);
}

#[test]
fn the_duplicate_comes_no_sooner_than_the_claims_expiry() {
    // Claims that last 10 minutes: a message back after 30 s finds its key
    // in progress and is not run; only after 10 minutes does it run again.
    let expiry = Duration::from_secs(600);
    let idempotency =
        Idempotency::new(store(LOST_WRITES, 5)).with_prefix("shop").with_in_progress_expiry(expiry);
    let shop = Shop::with(idempotency);
    let queue = QueueConfig::standard();
    let report = sqs_run_on(queue, 5, LOST_DELETES, &mut lambda_function(|event| charge(&shop, event)));
    sim::check::nothing_lost(&report).unwrap();
    let error = sim::check::message_effects_exactly_once(&report, &shop.effects()).unwrap_err().to_string();
    // It saw the key refused in between, so it knows idempotency was on.
    assert!(error.contains("idempotency guarded it, yet it ran again"), "{error}");
    assert!(duplicates_after_expiry(&shop, &report) > 0);
    let charges = shop.charges.lock().unwrap().clone();
    for message in report.messages.iter().filter(|message| message.receive_count > 1) {
        let times: Vec<_> = charges.iter().filter(|charge| *charge.id == *message.id).map(|c| c.at).collect();
        if let [first, second, ..] = times[..] {
            assert!(
                second - first >= expiry - Duration::from_secs(1),
                "{}: {:?}",
                message.id,
                second - first
            );
            let refused =
                message.redeliveries.iter().filter(|cause| matches!(cause, Redelivery::NotRun { .. }));
            assert!(refused.count() >= 15, "{message:?}");
        }
    }
}
