//! Every fault schedule of a small scenario, store faults included: the
//! store's draws are decisions of the schedule like the simulation's own,
//! so `every_fault_schedule` finds the smallest schedule that opens the
//! window no store closes.

use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, SqsSimConfig, SqsSimulation, StoreFaults, lambda_function,
};
use proptest::test_runner::TestCaseError;

use super::{Shop, charge};

/// Two messages through the idempotent charge, with `faults` and a store
/// with `store_faults`; every check.
fn scenario(faults: InvocationFaults, store_faults: StoreFaults) -> Result<(), TestCaseError> {
    let shop = Shop::new(store_faults, 0);
    let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(5));
    config.faults = faults;
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    simulation.send(0, "a");
    simulation.send(0, "b");
    let report = simulation.run(&mut lambda_function(|event| charge(&shop, event)));
    sim::check::nothing_lost(&report)?;
    sim::check::progress(&report)?;
    sim::check::message_effects_exactly_once(&report, &shop.effects())
}

#[test]
fn every_schedule_of_slow_store_calls_crashes_and_lost_deletes_holds() {
    let faults = InvocationFaults { function_error: 0.5, lost_delete: 0.5, ..InvocationFaults::none() };
    let store_faults = StoreFaults { slow: 0.5, slow_by: 3_000, ..StoreFaults::none() };
    let summary = sim::every_fault_schedule(2, || scenario(faults, store_faults));
    println!("slow store, crashes, lost deletes: {summary}");
    summary.assert_all_held();
    assert!(summary.schedules > 20, "{summary}");
}

#[test]
fn the_smallest_schedule_that_repeats_an_effect_is_an_unreachable_store_then_a_lost_delete() {
    let faults = InvocationFaults { lost_delete: 0.5, ..InvocationFaults::none() };
    let store_faults = StoreFaults { unreachable: 0.5, ..StoreFaults::none() };
    let summary = sim::every_fault_schedule(2, || scenario(faults, store_faults));
    println!("unreachable store, lost deletes: {summary}");
    let (schedule, message) = summary.broken.clone().expect("a schedule repeats an effect");
    assert!(summary.complete);
    // The store could not be reached when the batch's results were
    // written, and the delete was lost: the message came back after its
    // claim expired and ran again.
    let named: Vec<&str> = schedule.faults().iter().map(|(_, fault)| *fault).collect();
    assert_eq!(named, ["store.unreachable", "lost_delete"], "{schedule}");
    assert!(message.contains("its effect happened 2 times"), "{message}");
    // The schedule replays: the same run, the same failure.
    let replayed = sim::replay_schedule(&schedule, || scenario(faults, store_faults));
    assert!(replayed.unwrap_err().to_string().contains(&message));
}
