//! What the check learns from a `#[batch_handler]`'s observed calls: a
//! record whose payload does not decode may be dropped as poison on
//! purpose (the poison sink takes it), but not acknowledged as a success;
//! and `Rules::failing_when` is checked against the calls, so a handler
//! that handles a record its own rule says fails is caught.

use lambda_batch::{Context, ExtractError, Json, PoisonRecord, RecordOutcome, batch_handler};
use lambda_batch_testkit::exhaustive::{Exhaustive, World, check_all};
use lambda_batch_testkit::prelude::*;
use serde_json::json;

#[derive(serde::Deserialize)]
struct Order {
    quantity: u32,
}

/// The state the handlers take, as a deployed one would (a table name).
struct Shop {
    table: &'static str,
}

const SHOP: Shop = Shop { table: "orders" };

fn orders() -> World {
    World::new(SourceKind::SqsFifo, [json!({"quantity": 1}), json!({"quantity": 0})])
}

/// Fails an order without items; drops a body that is not an order as poison.
#[batch_handler(sqs_fifo, poison_sink = park)]
async fn poisons_bad_bodies(#[state] shop: &Shop, order: Result<Json<Order>, ExtractError>) -> RecordOutcome {
    match order {
        Ok(Json(order)) if order.quantity == 0 => RecordOutcome::failure("an order without items"),
        Ok(Json(_)) => RecordOutcome::Success,
        Err(error) => RecordOutcome::poison(format!("not an order for {}: {error}", shop.table)),
    }
}

/// The planted defect: a body that is not an order is acknowledged as
/// handled, with no poison sink to see it.
#[batch_handler(sqs_fifo)]
async fn drops_bad_bodies(#[state] _shop: &Shop, order: Result<Json<Order>, ExtractError>) -> RecordOutcome {
    match order {
        Ok(Json(order)) if order.quantity == 0 => RecordOutcome::failure("an order without items"),
        _ => RecordOutcome::Success,
    }
}

/// The planted defect: an order without items is taken.
#[batch_handler(sqs_fifo)]
async fn takes_empty_orders(Json(_order): Json<Order>) -> Result<(), String> {
    Ok(())
}

/// The correct version of the same handler.
#[batch_handler(sqs_fifo)]
async fn fails_empty_orders(Json(order): Json<Order>) -> Result<(), String> {
    if order.quantity == 0 { Err("an order without items".to_owned()) } else { Ok(()) }
}

async fn park(shop: &Shop, poison: &PoisonRecord<'_>, _cx: &Context) -> Result<(), String> {
    tracing::warn!(table = shop.table, id = poison.id, reason = poison.reason, "parked");
    Ok(())
}

fn broken_with(outcome: &Exhaustive, invariant: Invariant, words: &str) {
    let counterexample = outcome.broken.as_ref().unwrap_or_else(|| panic!("not found: {outcome}"));
    let (found, message) = counterexample.report.broken.clone().expect("a broken invariant");
    assert_eq!(found, invariant, "{outcome}");
    assert!(message.contains(words), "{message}");
}

#[test]
fn a_payload_dropped_as_poison_on_purpose_is_not_lost() {
    check_all(|event| poisons_bad_bodies(&SHOP, event), &orders(), poisons_bad_bodies::CONFIG)
        .assert_all_held();
}

#[test]
fn a_payload_that_does_not_decode_acknowledged_as_handled_is_caught() {
    let outcome = check_all(|event| drops_bad_bodies(&SHOP, event), &orders(), drops_bad_bodies::CONFIG);
    broken_with(&outcome, Invariant::NothingAcknowledgedUnhandled, "payload cannot be decoded");
    assert!(outcome.to_string().contains("RecordOutcome::poison"), "{outcome}");
}

#[test]
fn failing_when_is_checked_against_the_observed_calls() {
    let empty =
        |record: &RecordView<'_>| record.json::<serde_json::Value>().is_some_and(|o| o["quantity"] == 0);
    let rules = Rules::from(takes_empty_orders::CONFIG).failing_when(empty);
    let outcome = check_all(takes_empty_orders, &orders(), rules);
    broken_with(&outcome, Invariant::NothingAcknowledgedUnhandled, "yet your handler handled it");

    // Without the predicate the same defect passes: the check proves the
    // response against the calls, not your business rule.
    check_all(takes_empty_orders, &orders(), takes_empty_orders::CONFIG).assert_all_held();

    let rules = Rules::from(fails_empty_orders::CONFIG).failing_when(empty);
    check_all(fails_empty_orders, &orders(), rules).assert_all_held();
}

#[test]
fn fault_plans_take_every_probability_from_none_to_always() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut draw = |probability: f64| -> Vec<FaultPlan> {
        let strategy = fault_plan(4, probability);
        (0..200).map(|_| strategy.new_tree(&mut runner).expect("a plan").current()).collect()
    };
    // Call faults only (identifier faults come on top, one plan in five).
    let faulted = |plan: &FaultPlan| {
        plan.iter().filter(|(_, fault)| !fault.is_in_event() || *fault == RecordFault::BadBody).count()
    };
    for probability in [0.0, -1.0] {
        let clean = draw(probability).iter().filter(|plan| faulted(plan) == 0).count();
        assert!(clean > 150, "{probability}: {clean} of 200 plans without a fault");
    }
    for probability in [1.0, 2.0] {
        let all = draw(probability).iter().filter(|plan| plan.iter().count() == 4).count();
        assert!(all > 150, "{probability}: {all} of 200 plans with a fault on every record");
    }
}
