//! The idempotency store going wrong: unreachable, throttled, slow. A
//! record whose claim failed does not run; it is reported and comes back;
//! in the end every message is handled once. A store that is never
//! reachable runs nothing, and `progress` says why.

use std::collections::HashSet;

use lambda_batch::idempotency::{ClaimAnswer, StoreErrorKind};
use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, Redelivery, SqsMessageEnd, StoreEntry, StoreFaults, WriteOutcome,
    lambda_function,
};

use super::{Shop, charge, key_of, sqs_run, sqs_run_on};

/// Runs the idempotent charge over 10 seeds with a store that has
/// `faults`; every check passes, every message is deleted, and every
/// charge was made under a claim its invocation was granted. Returns the
/// claims that failed, the deliveries not run, and the redeliveries.
fn handled_once_despite(faults: StoreFaults) -> (usize, usize, usize) {
    let (mut failed_claims, mut not_run, mut redelivered) = (0, 0, 0);
    for seed in 0..10 {
        let shop = Shop::new(faults, seed);
        let report = sqs_run_on(
            QueueConfig::standard(),
            seed,
            InvocationFaults::none(),
            &mut lambda_function(|event| charge(&shop, event)),
        );
        sim::check::nothing_lost(&report).unwrap();
        sim::check::progress(&report).unwrap();
        sim::check::message_effects_exactly_once(&report, &shop.effects()).unwrap();
        assert!(report.messages.iter().all(|message| matches!(message.end, SqsMessageEnd::Deleted(_))));
        let journal = shop.idempotency.store().journal();
        let granted: HashSet<(_, &str)> = journal
            .iter()
            .filter_map(|entry| entry.granted().map(|(_, _, token)| (entry.key().clone(), token)))
            .collect();
        for charge in shop.charges.lock().unwrap().iter() {
            let claimed = granted
                .iter()
                .any(|(key, token)| *key == key_of(&charge.id) && token.starts_with(&*charge.request_id));
            assert!(claimed, "{} was charged by {} without a claim", charge.id, charge.request_id);
        }
        failed_claims += journal
            .iter()
            .filter(|entry| matches!(entry, StoreEntry::Claim { answer: ClaimAnswer::Failed(_), .. }))
            .count();
        not_run += report
            .messages
            .iter()
            .flat_map(|message| &message.redeliveries)
            .filter(|cause| matches!(cause, Redelivery::NotRun { .. }))
            .count();
        redelivered += report.messages.iter().map(|message| message.redeliveries.len()).sum::<usize>();
    }
    (failed_claims, not_run, redelivered)
}

#[test]
fn an_unreachable_store_fails_the_records_which_run_once_later() {
    let (failed, not_run, _) = handled_once_despite(StoreFaults { unreachable: 0.3, ..StoreFaults::none() });
    println!(
        "store unreachable 30%: {failed} claims failed, {not_run} deliveries not run, every message once"
    );
    assert!(failed > 0 && not_run > 0);
}

#[test]
fn a_throttled_key_fails_alone_and_runs_once_later() {
    let (failed, not_run, _) = handled_once_despite(StoreFaults { throttled: 0.3, ..StoreFaults::none() });
    println!("store throttled 30%: {failed} claims failed, {not_run} deliveries not run, every message once");
    assert!(failed > 0 && not_run > 0);
}

#[test]
fn a_slow_store_costs_time_and_a_claim_answered_too_late_runs_nothing() {
    // 1 s late: the records run with less time, or the batch's results are
    // written after the invocation stopped waiting (they were written). 3 s
    // late: a claim answered after the cut-off leaves no time to start any
    // record; they are reported, and run once when they come back.
    let (failed, not_run, redelivered) =
        handled_once_despite(StoreFaults { slow: 0.3, slow_by: 1_000, ..StoreFaults::none() });
    assert_eq!((failed, not_run, redelivered), (0, 0, 0));
    let (failed, _, redelivered) =
        handled_once_despite(StoreFaults { slow: 0.3, slow_by: 3_000, ..StoreFaults::none() });
    println!("store slow by 3 s 30%: {redelivered} deliveries reported unstarted, every message once");
    assert!(failed == 0 && redelivered > 0);
}

#[test]
fn a_store_never_reachable_runs_nothing_and_progress_says_why() {
    let shop = Shop::new(StoreFaults { unreachable: 1.0, ..StoreFaults::none() }, 1);
    let report = sqs_run(1, InvocationFaults::none(), &mut lambda_function(|event| charge(&shop, event)));
    assert!(shop.charges.lock().unwrap().is_empty(), "a record ran without its claim");
    // Every message went to the DLQ unrun: nothing lost, nothing repeated...
    sim::check::nothing_lost(&report).unwrap();
    sim::check::message_effects_exactly_once(&report, &shop.effects()).unwrap();
    assert!(report.messages.iter().all(|message| matches!(message.end, SqsMessageEnd::MovedToDlq(_))));
    // ...but nothing ever ran, and `progress` says why and what to do.
    let error = sim::check::progress(&report).unwrap_err().to_string();
    assert!(error.contains("was received 8 times and never ran: idempotency did not run it"), "{error}");
    assert!(error.contains("the idempotency store could not be reached"), "{error}");
    assert!(error.contains("make the idempotency store reachable"), "{error}");
    // Every call failed: the claims, and the releases that give back what
    // a failed claim call may have claimed.
    let unreachable = |entry: &StoreEntry| match entry {
        StoreEntry::Claim { answer: ClaimAnswer::Failed(error), .. } => {
            error.kind() == StoreErrorKind::Unreachable
        }
        StoreEntry::Release { write: WriteOutcome::Failed(kind), .. } => *kind == StoreErrorKind::Unreachable,
        _ => false,
    };
    assert!(shop.idempotency.store().journal().iter().all(unreachable));
}
