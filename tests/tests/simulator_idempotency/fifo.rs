//! FIFO queues: a replayed record counts as succeeded (its group goes
//! on); a record idempotency does not run now (its key still in progress)
//! fails, which stops its group until it runs.

use std::time::Duration;

use lambda_batch::idempotency::Idempotency;
use lambda_batch::{Context, RecordMeta, RecordOutcome, batch_handler};
use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, Redelivery, SqsMessageEnd, SqsReport, SqsSimConfig, SqsSimulation,
    StoreFaults, TraceEvent, lambda_function,
};

use super::{Shop, Tally, shop_idempotency, store};

/// The charge on a FIFO queue, idempotent.
#[batch_handler(sqs_fifo, idempotency = shop_idempotency)]
async fn charge_in_order(#[state] shop: &Shop, meta: RecordMeta<'_>, cx: &Context) -> RecordOutcome {
    shop.charge(&meta, cx).await
}

/// The same charge without idempotency.
#[batch_handler(sqs_fifo)]
async fn charge_in_order_unguarded(
    #[state] shop: &Shop,
    meta: RecordMeta<'_>,
    cx: &Context,
) -> RecordOutcome {
    shop.charge(&meta, cx).await
}

/// A FIFO queue, batches of 5, 24 messages in 3 groups.
fn fifo_run(seed: u64, faults: InvocationFaults, function: &mut impl sim::Function) -> SqsReport {
    let mut config = SqsSimConfig::new(QueueConfig::fifo());
    config.seed = seed;
    config.faults = faults;
    config.mapping.batch_size = 5;
    let mut simulation = SqsSimulation::new(config).expect("valid configuration");
    for i in 0..24u64 {
        simulation.send_fifo(i * 100, ["a", "b", "c"][(i % 3) as usize], &format!(r#"{{"order":{i}}}"#));
    }
    simulation.run(function)
}

/// Per group, the messages' first charges came in send order.
fn charged_in_order(shop: &Shop, report: &SqsReport) {
    let sent: Vec<(String, String)> = report
        .messages
        .iter()
        .map(|message| (message.group.as_deref().unwrap_or_default().to_owned(), message.id.to_string()))
        .collect();
    let group = |id: &str| sent.iter().find(|(_, sent)| sent == id).map(|(group, _)| group.clone());
    let charged: Vec<(String, String)> = shop
        .charges
        .lock()
        .unwrap()
        .iter()
        .map(|charge| (group(&charge.id).unwrap_or_default(), charge.id.clone()))
        .collect();
    sim::check::first_handlings_in_order(&sent, &charged).unwrap();
}

#[test]
fn a_fifo_batch_retried_whole_replays_its_done_records_and_keeps_the_order() {
    let faults = InvocationFaults { function_error: 0.3, ..InvocationFaults::none() };
    let (mut without, mut with) = (Tally::default(), Tally::default());
    for seed in 0..20 {
        let shop = Shop::new(StoreFaults::none(), seed);
        let report =
            fifo_run(seed, faults, &mut lambda_function(|event| charge_in_order_unguarded(&shop, event)));
        without.add(&report, &shop.effects());
        let shop = Shop::new(StoreFaults::none(), seed);
        let report = fifo_run(seed, faults, &mut lambda_function(|event| charge_in_order(&shop, event)));
        with.add(&report, &shop.effects());
        sim::check::fifo_order(&report).unwrap();
        charged_in_order(&shop, &report);
    }
    println!(
        "FIFO whole-batch retries: without idempotency {}/{} seeds caught; with it {}/{} ({} replayed)",
        without.caught, without.seeds, with.caught, with.seeds, with.replayed
    );
    assert_eq!(without.caught, without.seeds, "{without:?}");
    assert_eq!((with.caught, with.duplicates), (0, 0), "{with:?}");
    assert!(with.replayed > 0);
}

#[test]
fn a_record_whose_key_is_still_in_progress_fails_and_stops_its_group() {
    // A failed record's release is lost, and claims last 90 s: when it
    // comes back after 30 s its key is still in progress, so it does not
    // run and fails, and the records behind it in its group wait.
    let faults = InvocationFaults { record_failure: 0.15, ..InvocationFaults::none() };
    let lost = StoreFaults { lost_write: 1.0, ..StoreFaults::none() };
    let mut stopped = 0;
    for seed in 0..10 {
        let idempotency = Idempotency::new(store(lost, seed))
            .with_prefix("shop")
            .with_in_progress_expiry(Duration::from_secs(90));
        let shop = Shop::with(idempotency);
        let report = fifo_run(seed, faults, &mut lambda_function(|event| charge_in_order(&shop, event)));
        sim::check::nothing_lost(&report).unwrap();
        sim::check::fifo_order(&report).unwrap();
        sim::check::progress(&report).unwrap();
        sim::check::message_effects_exactly_once(&report, &shop.effects()).unwrap();
        charged_in_order(&shop, &report);
        assert!(report.messages.iter().all(|message| matches!(message.end, SqsMessageEnd::Deleted(_))));
        let not_run = stops_its_group(&shop, &report);
        for message in report.messages.iter().filter(|message| {
            message.redeliveries.iter().any(|cause| matches!(cause, Redelivery::NotRun { .. }))
        }) {
            assert!(message.redelivery_causes().contains("another invocation is handling the same key"));
        }
        stopped += not_run;
    }
    println!(
        "FIFO in-progress keys: {stopped} deliveries not run, each stopping its group; order and effects kept"
    );
    assert!(stopped > 0);
}

/// Every record not run stopped its group: no later record of its group
/// in the same batch was charged by that invocation. Returns how many
/// records were not run.
fn stops_its_group(shop: &Shop, report: &SqsReport) -> usize {
    let entries = report.trace.entries();
    let request_of = |number: u64| {
        entries.iter().find_map(|entry| match &entry.event {
            TraceEvent::Invoked { invocation, request_id, .. } if *invocation == number => {
                Some(request_id.clone())
            }
            _ => None,
        })
    };
    let group_of = |id: &str| report.messages.iter().find(|m| &*m.id == id).and_then(|m| m.group.clone());
    let charges = shop.charges.lock().unwrap();
    let mut not_run = 0;
    for entry in entries {
        let TraceEvent::NotRun { id, invocation, .. } = &entry.event else { continue };
        not_run += 1;
        let request_id = request_of(*invocation).unwrap();
        let behind = entries.iter().filter_map(|later| match &later.event {
            TraceEvent::Received { id: other, invocation: by, .. }
                if by == invocation && other > id && group_of(other) == group_of(id) =>
            {
                Some(other)
            }
            _ => None,
        });
        for other in behind {
            let ran = charges.iter().any(|c| c.id == **other && *c.request_id == *request_id);
            assert!(!ran, "{other} ran in invocation {invocation} behind {id}, which did not run");
        }
    }
    not_run
}
