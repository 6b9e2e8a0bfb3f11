//! The same checks on `#[batch_handler]` functions: a correct handler per
//! source passes, and the defects a handler written with the macro can
//! still have (the engine rules out the rest by construction) are caught.

use lambda_batch::dynamodb::NewImage;
use lambda_batch::{Json, RecordMeta, RecordOutcome, batch_handler};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::sim::{self, lambda_function};

use super::model::{Order, bodies, data, orders, outcome_of};
use super::redelivery::{Ledger, schedule, sqs_run};
use super::suite::{Case, Test, Written, outcome};

#[batch_handler(sqs, concurrency = 4)]
async fn sqs_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

/// The classic defect a typed extractor prevents, written back in: the
/// body is taken as text and a decoding error is acknowledged.
#[batch_handler(sqs)]
async fn sqs_orders_swallowing(body: &str) -> RecordOutcome {
    match serde_json::from_str::<Order>(body) {
        Ok(order) => outcome_of(&order),
        Err(_) => RecordOutcome::Success,
    }
}

#[batch_handler(sqs_fifo)]
async fn fifo_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

#[batch_handler(kinesis)]
async fn kinesis_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

#[batch_handler(dynamodb)]
async fn dynamodb_orders(image: Option<NewImage<Order>>) -> RecordOutcome {
    image.map_or(RecordOutcome::Success, |NewImage(order)| outcome_of(&order))
}

/// A charge per message, idempotent or not.
#[batch_handler(sqs)]
async fn sqs_charges(#[state] ledger: &(Ledger, bool), meta: RecordMeta<'_>) -> RecordOutcome {
    ledger.0.charge(meta.id, ledger.1);
    RecordOutcome::Success
}

fn case(source: &'static str, defect: Option<&'static str>, test: Test) -> Case {
    Case { source, written: Written::ByMacro, defect, cases: 256, test }
}

pub(crate) fn cases() -> Vec<Case> {
    let charges = |idempotent: bool| Case {
        source: "SQS standard (simulated)",
        written: Written::ByMacro,
        defect: (!idempotent).then_some("effect repeated on redelivery"),
        cases: 64,
        test: Box::new(move |runner| {
            outcome(runner.run(&schedule(), |s| {
                let ledger = (Ledger::default(), idempotent);
                let report = sqs_run(&s, &mut lambda_function(|event| sqs_charges(&ledger, event)));
                sim::check::nothing_lost(&report)?;
                sim::check::message_effects_exactly_once(&report, &ledger.0.effects.lock().unwrap())
            }))
        }),
    };
    vec![
        case(
            "SQS standard",
            None,
            Box::new(|runner| {
                outcome(runner.run(&(sqs_batch(bodies(), 1..20), fault_plan(20, 0.2)), |(batch, plan)| {
                    check(&run(sqs_orders, &batch, &plan), sqs_orders::CONFIG)
                }))
            }),
        ),
        case(
            "SQS standard",
            Some("bad body swallowed (acknowledged)"),
            Box::new(|runner| {
                outcome(runner.run(&(sqs_batch(bodies(), 1..20), fault_plan(20, 0.2)), |(batch, plan)| {
                    check(&run(sqs_orders_swallowing, &batch, &plan), sqs_orders_swallowing::CONFIG)
                }))
            }),
        ),
        case(
            "SQS FIFO",
            None,
            Box::new(|runner| {
                outcome(
                    runner.run(
                        &(sqs_fifo_batch(bodies(), 1..10, 1..=3), fault_plan(10, 0.2)),
                        |(batch, plan)| check(&run(fifo_orders, &batch, &plan), fifo_orders::CONFIG),
                    ),
                )
            }),
        ),
        case(
            "Kinesis",
            None,
            Box::new(|runner| {
                outcome(
                    runner
                        .run(&(kinesis_batch(data(), 1..20, 1..=3), fault_plan(20, 0.2)), |(batch, plan)| {
                            check(&run(kinesis_orders, &batch, &plan), kinesis_orders::CONFIG)
                        }),
                )
            }),
        ),
        case(
            "DynamoDB Streams",
            None,
            Box::new(|runner| {
                outcome(
                    runner.run(
                        &(dynamodb_batch(orders(), 1..20, 1..=4), fault_plan(20, 0.2)),
                        |(batch, plan)| check(&run(dynamodb_orders, &batch, &plan), dynamodb_orders::CONFIG),
                    ),
                )
            }),
        ),
        charges(true),
        charges(false),
    ]
}
