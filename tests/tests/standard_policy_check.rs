//! The testkit's `check` on handlers that stop at the first failure on a
//! standard queue (`StandardPolicy::StopAtFirstFailure`): a hand-written
//! handler that keeps the rule passes, one that goes on after a failure
//! and reports only the failures is caught, and a `#[batch_handler]` with
//! `standard_policy` passes with its own `CONFIG`.

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::sqs::{SqsConfig, StandardPolicy};
use lambda_batch::{Error, LambdaEvent};
use lambda_batch_testkit::prelude::*;

use crate::defects::model::{Order, bodies, decide, empty_order, outcome_of};

/// Whether a handler keeps stopping at the first failure (the rule) or goes
/// on and reports only the failures (the defect).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Stops,
    GoesOn,
}

/// A hand-written standard-queue handler: with `After::Stops` it reports
/// the first failure and every later message without running them.
async fn by_hand(event: LambdaEvent<SqsEvent>, after: After) -> Result<SqsBatchResponse, Error> {
    let messages = &event.payload.records;
    let ids: Option<Vec<&str>> =
        messages.iter().map(|message| message.message_id.as_deref().filter(|id| !id.is_empty())).collect();
    let ids = ids.ok_or("a message has no messageId")?;
    let mut response = SqsBatchResponse::default();
    let mut failed = false;
    for (message, id) in messages.iter().zip(ids) {
        if failed && after == After::Stops {
            response.add_failure(id);
            continue;
        }
        let body = message.body.as_deref().unwrap_or_default();
        let ok =
            serde_json::from_str::<Order>(body).map_err(Error::from).and_then(|order| decide(&order)).is_ok();
        if !ok {
            failed = true;
            response.add_failure(id);
        }
    }
    Ok(response)
}

/// The rules of a hand-written handler that does not observe its calls.
fn rules() -> Rules {
    Rules::from(SqsConfig::new().with_standard_policy(StandardPolicy::StopAtFirstFailure))
        .failing_when(empty_order)
        .accepting_unchecked(Invariant::CallsKeepOrder, "a plain loop, reviewed by hand")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_hand_written_handler_that_stops_at_the_first_failure_passes(
        (batch, plan) in (sqs_batch(bodies(), 1..10), payload_fault_plan(10, 0.2)),
    ) {
        check(&run(|event| by_hand(event, After::Stops), &batch, &plan), rules())?;
    }

    #[test]
    fn the_generated_handler_passes_with_its_own_config(
        (batch, plan) in (sqs_batch(bodies(), 1..10), payload_fault_plan(10, 0.2)),
    ) {
        check(&run(stop_early, &batch, &plan), stop_early::CONFIG)?;
    }
}

#[lambda_batch::batch_handler(sqs, standard_policy = "stop_at_first_failure")]
fn stop_early(order: lambda_batch::Json<Order>) -> lambda_batch::RecordOutcome {
    outcome_of(&order)
}

#[test]
fn a_handler_that_goes_on_after_a_failure_is_caught() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(256));
    let strategy = (sqs_batch(bodies(), 2..10), payload_fault_plan(10, 0.2));
    let result = runner.run(&strategy, |(batch, plan)| {
        check(&run(|event| by_hand(event, After::GoesOn), &batch, &plan), rules())?;
        Ok(())
    });
    let error = result.expect_err("reporting only the failures breaks stop-at-first-failure").to_string();
    assert!(
        error.contains("the rules stop at the first failure, yet the response acknowledges it, although"),
        "{error}"
    );
}
