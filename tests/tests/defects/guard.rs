//! A hand-written SQS handler with a deadline guard, its work not observed
//! and judged with `failing_when` (issue 21, item 5): each order takes its
//! quantity in minutes (a slow downstream call, on the harness's paused
//! clock), so long batches reach the guard. The correct guard reports the
//! messages it did not start and passes with `Rules::guarding_deadline`;
//! the planted defect reports every message at the deadline, the ones it
//! handled too, and is caught as over-reporting.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, LambdaEvent};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::sqs;
use tokio::time::Instant;

use super::model::{Order, bodies, decide, empty_order};
use super::suite::{Case, Written, outcome};

/// From this long before the deadline the guard starts no message.
const MARGIN: Duration = Duration::from_secs(6 * 60);

/// The defect planted into the guard, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    Correct,
    /// At the deadline, reports every message of the batch, the ones it
    /// handled included.
    ReportsEverythingAtTheDeadline,
}

/// One message's work: decode, wait the order's quantity in minutes, decide.
async fn work(body: &str) -> Result<(), Error> {
    let order: Order = serde_json::from_str(body)?;
    tokio::time::sleep(Duration::from_secs(60 * u64::from(order.quantity))).await;
    decide(&order)
}

/// Handles messages one by one until less than [`MARGIN`] is left, then
/// reports the ones not started.
pub(crate) async fn guarded(event: LambdaEvent<SqsEvent>, guard: Guard) -> Result<SqsBatchResponse, Error> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let deadline = Instant::now() + Duration::from_millis(event.context.deadline).saturating_sub(now);
    let messages = &event.payload.records;
    let ids: Option<Vec<&str>> =
        messages.iter().map(|message| message.message_id.as_deref().filter(|id| !id.is_empty())).collect();
    let ids = ids.ok_or("a message has no messageId")?;
    let mut failed: Vec<&str> = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        if deadline.saturating_duration_since(Instant::now()) < MARGIN {
            match guard {
                Guard::Correct => failed.extend(&ids[index..]),
                Guard::ReportsEverythingAtTheDeadline => failed = ids.clone(),
            }
            break;
        }
        if work(message.body.as_deref().unwrap_or_default()).await.is_err() {
            failed.push(ids[index]);
        }
    }
    let mut response = SqsBatchResponse::default();
    failed.into_iter().for_each(|id| response.add_failure(id));
    Ok(response)
}

/// The rules the guarded handler follows.
pub(crate) fn rules() -> Rules {
    Rules::sqs()
        .failing_when(empty_order)
        .guarding_deadline(MARGIN)
        .accepting_unchecked(Invariant::CallsKeepOrder, "a guarded loop without observe, reviewed by hand")
}

pub(crate) fn cases() -> Vec<Case> {
    let case = |guard: Guard, what: Option<&'static str>| Case {
        source: "SQS standard",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            let strategy = (sqs_batch(bodies(), 1..20), payload_fault_plan(20, 0.2));
            outcome(runner.run(&strategy, |(batch, plan)| {
                check(&run(|event| guarded(event, guard), &batch, &plan), rules())
            }))
        }),
    };
    vec![
        case(Guard::Correct, None),
        case(
            Guard::ReportsEverythingAtTheDeadline,
            Some("not observed, deadline guard reports the handled messages too"),
        ),
    ]
}

/// Five orders of 4 minutes: the guard starts three (12 minutes) and
/// reports the last two.
fn slow_batch() -> Batch {
    let records = (0..5).map(|i| sqs::message(&format!("m{i}"), &format!(r#"{{"id": {i}, "quantity": 4}}"#)));
    Batch::new(SourceKind::Sqs, records.collect())
}

#[test]
fn a_correct_guard_is_not_over_reporting_and_the_check_says_how_to_declare_it() {
    let run = run(|event| guarded(event, Guard::Correct), &slow_batch(), &FaultPlan::none());
    assert_eq!(run.reported(), ["m3", "m4"], "the guard cut the batch");
    assert!(run.time_left() < MARGIN);
    let report = check_report(&run, rules());
    assert!(report.broken.is_none(), "{report}");
    assert!(report.held.contains(&Invariant::ExactlyTheFailedReported), "{report}");

    // Without `guarding_deadline`, the unstarted messages read as
    // over-reporting, and the message says what to declare.
    let undeclared = Rules::sqs().failing_when(empty_order);
    let error = check(&run, undeclared).expect_err("unstarted messages look handled to failing_when");
    assert!(error.to_string().contains("reported but handled"), "{error}");
    assert!(error.to_string().contains("Rules::guarding_deadline(margin)"), "{error}");
}

#[test]
fn a_guard_that_reports_what_it_handled_is_caught_at_the_first_message() {
    let run =
        run(|event| guarded(event, Guard::ReportsEverythingAtTheDeadline), &slow_batch(), &FaultPlan::none());
    let error = check(&run, rules()).expect_err("handled messages reported");
    assert!(error.to_string().contains("exactly the failed records are reported: broken"), "{error}");
    assert!(
        error.to_string().contains(r#"reported but handled (Lambda would deliver them again): ["m0"]"#),
        "{error}"
    );
}

#[test]
fn without_a_cut_the_guard_declaration_accepts_no_over_reporting() {
    // One quick order: the response comes with nearly 15 minutes left.
    let batch = Batch::new(SourceKind::Sqs, vec![sqs::message("m0", r#"{"id": 0, "quantity": 1}"#)]);
    let quick = run(|event| guarded(event, Guard::Correct), &batch, &FaultPlan::none());
    assert!(quick.reported().is_empty());
    assert!(check(&quick, rules()).is_ok());
    let over_reporting = Rules::sqs()
        .failing_when(|_| false)
        .guarding_deadline(MARGIN)
        .accepting_unchecked(Invariant::CallsKeepOrder, "test");
    let all_reported = Batch::new(
        SourceKind::Sqs,
        vec![
            sqs::message("m0", r#"{"id": 0, "quantity": 0}"#),
            sqs::message("m1", r#"{"id": 1, "quantity": 0}"#),
        ],
    );
    let run = run(|event| guarded(event, Guard::Correct), &all_reported, &FaultPlan::none());
    assert_eq!(run.reported(), ["m0", "m1"]);
    assert!(
        check(&run, over_reporting).is_err(),
        "no deadline was near: reporting handled messages is caught"
    );
}

/// The correct guard's control is not vacuous: the suite's batches reach
/// the guard often (the share is printed with `--nocapture`).
#[test]
fn the_suite_batches_reach_the_guard_often() {
    use proptest::strategy::ValueTree as _;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = (sqs_batch(bodies(), 1..20), payload_fault_plan(20, 0.2));
    let mut cut = 0;
    for _ in 0..256 {
        let (batch, plan) = strategy.new_tree(&mut runner).expect("a batch").current();
        let run = run(|event| guarded(event, Guard::Correct), &batch, &plan);
        if run.response.is_ok() && run.time_left() < MARGIN + Duration::from_secs(1) {
            cut += 1;
        }
    }
    println!("{cut} of 256 runs reached the deadline guard");
    assert!(cut >= 64, "only {cut} of 256 runs reached the deadline guard");
}
