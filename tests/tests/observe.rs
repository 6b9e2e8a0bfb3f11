//! Hand-written handlers under the testkit: `lambda_batch::observe` logs
//! their per-record work and lets the fault plan reach it; without it,
//! `check_report` says what it could not check; the simulator's record
//! failures reach them too.

use std::collections::HashSet;
use std::sync::Mutex;

use lambda_batch::aws_events::{DynamoDbEvent, DynamoDbEventResponse, SqsBatchResponse, SqsEvent};
use lambda_batch::{Error, InjectedFailure, LambdaEvent, observe};
use lambda_batch_testkit::prelude::*;
use lambda_batch_testkit::sim::{
    self, InvocationFaults, QueueConfig, SqsSimConfig, SqsSimulation, lambda_function,
};
use lambda_batch_testkit::sqs;
use serde_json::json;

fn batch(bodies: &[&str]) -> Batch {
    let records = bodies.iter().enumerate().map(|(i, body)| sqs::message(&format!("m{i}"), body)).collect();
    Batch::new(SourceKind::Sqs, records)
}

/// Observes each message's work; reports the failures; `report_all`
/// reports every message when one fails (over-reporting).
async fn observed(event: LambdaEvent<SqsEvent>, report_all: bool) -> Result<SqsBatchResponse, Error> {
    let mut failed = Vec::new();
    for message in &event.payload.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.clone().unwrap_or_default();
        let work =
            observe(&id, async move { if body == "bad" { Err(Error::from("bad body")) } else { Ok(()) } });
        if work.await.is_err() {
            failed.push(id);
        }
    }
    if report_all && !failed.is_empty() {
        failed = event.payload.records.iter().filter_map(|m| m.message_id.clone()).collect();
    }
    let mut response = SqsBatchResponse::default();
    failed.into_iter().for_each(|id| response.add_failure(id));
    Ok(response)
}

/// The same without `observe` (also used by `check_gaps`).
pub(crate) async fn unobserved(
    event: LambdaEvent<SqsEvent>,
    report_all: bool,
) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    let any_bad = event.payload.records.iter().any(|m| m.body.as_deref() == Some("bad"));
    for message in &event.payload.records {
        if message.body.as_deref() == Some("bad") || report_all && any_bad {
            response.add_failure(message.message_id.clone().unwrap_or_default());
        }
    }
    Ok(response)
}

#[test]
fn observed_work_is_logged_and_every_invariant_runs() {
    let run = run(|event| observed(event, false), &batch(&["ok", "bad", "ok"]), &FaultPlan::none());
    assert_eq!(run.calls.len(), 3);
    assert_eq!(run.observed_by(), Some(lambda_batch::fault::CallSite::Observe));
    let report = check_report(&run, Rules::sqs());
    assert!(report.broken.is_none() && report.not_checked.is_empty(), "{report}");
    assert!(report.held.contains(&Invariant::ExactlyTheFailedReported), "{report}");
}

#[test]
fn over_reporting_is_caught_when_observed_or_predicted_and_said_unchecked_otherwise() {
    let batch = batch(&["ok", "bad", "ok"]);
    let observed_run = run(|event| observed(event, true), &batch, &FaultPlan::none());
    let report = check_report(&observed_run, Rules::sqs());
    assert_eq!(
        report.broken.as_ref().map(|(i, _)| *i),
        Some(Invariant::ExactlyTheFailedReported),
        "{report}"
    );

    let unobserved_run = run(|event| unobserved(event, true), &batch, &FaultPlan::none());
    let report = check_report(&unobserved_run, Rules::sqs());
    assert!(report.broken.is_none(), "{report}");
    let not_checked: Vec<Invariant> = report.not_checked.iter().map(|(i, _)| *i).collect();
    assert_eq!(not_checked, [Invariant::ExactlyTheFailedReported, Invariant::CallsKeepOrder], "{report}");
    assert!(report.not_checked[0].1.contains("lambda_batch::observe"), "{report}");

    let predicted = Rules::sqs().failing_when(|record| record["body"] == "bad");
    let report = check_report(&unobserved_run, predicted.clone());
    assert_eq!(
        report.broken.as_ref().map(|(i, _)| *i),
        Some(Invariant::ExactlyTheFailedReported),
        "{report}"
    );
    let correct = run(|event| unobserved(event, false), &batch, &FaultPlan::none());
    assert!(check_report(&correct, predicted).broken.is_none());
}

#[test]
fn call_faults_reach_observed_work() {
    let plan = FaultPlan::none().with(0, RecordFault::Error).with(2, RecordFault::Panic);
    // The handler isolates nothing: the injected panic fails the invocation.
    let run = run(|event| observed(event, false), &batch(&["ok", "ok", "ok"]), &plan);
    let error = run.response.as_ref().expect_err("the panic escapes the handler");
    assert_eq!(error.error_type, "Runtime.Panic");
    assert!(error.message.contains("injected panic"), "{}", error.message);
    let report = check_report(&run, Rules::sqs());
    let (invariant, message) = report.broken.expect("a panic failing the whole batch is over-reporting");
    assert_eq!(invariant, Invariant::ExactlyTheFailedReported);
    assert!(message.contains("catch it per record"), "{message}");
}

#[test]
fn an_injected_error_is_an_injected_failure_and_a_hang_times_the_invocation_out() {
    let seen: Mutex<Vec<String>> = Mutex::default();
    let handler = |event: LambdaEvent<SqsEvent>| {
        let seen = &seen;
        async move {
            for message in &event.payload.records {
                let id = message.message_id.clone().unwrap_or_default();
                if let Err(error) = observe(&id, async { Ok::<(), Error>(()) }).await {
                    let injected = error.downcast_ref::<InjectedFailure>().map(|f| f.id().to_owned());
                    seen.lock().unwrap().push(injected.unwrap_or_default());
                }
            }
            Ok::<_, Error>(SqsBatchResponse::default())
        }
    };
    let run_one = run(handler, &batch(&["ok", "ok"]), &FaultPlan::none().with(1, RecordFault::Error));
    assert!(run_one.response.is_ok());
    assert_eq!(*seen.lock().unwrap(), ["m1"]);

    let hung = run(handler, &batch(&["ok", "ok"]), &FaultPlan::none().with(0, RecordFault::Hang));
    assert_eq!(hung.response.as_ref().map_err(|e| e.error_type.as_str()), Err("Sandbox.Timedout"));
    // A hand-written handler without a deadline guard times out: the
    // whole batch is retried, which loses nothing.
    check(&hung, Rules::sqs()).unwrap();
}

#[test]
fn observe_given_an_identifier_outside_the_batch_is_reported() {
    // The message is reported (so nothing is lost and nothing is
    // over-reported): only the wrong identifier given to `observe` is left.
    let handler = |_event: LambdaEvent<SqsEvent>| async {
        observe("not-a-message", async { Ok::<(), Error>(()) }).await?;
        let mut response = SqsBatchResponse::default();
        response.add_failure("m0".to_owned());
        Ok::<_, Error>(response)
    };
    let run = run(handler, &batch(&["ok"]), &FaultPlan::none());
    let (invariant, message) = check_report(&run, Rules::sqs()).broken.expect("caught");
    assert_eq!(invariant, Invariant::CallsKeepOrder);
    assert!(
        message.contains("`observe` was given `not-a-message`, which names no record of this batch"),
        "{message}"
    );
}

/// A typed DynamoDB handler that only deserializes the event.
async fn typed(_event: LambdaEvent<DynamoDbEvent>) -> Result<DynamoDbEventResponse, Error> {
    Ok(DynamoDbEventResponse::default())
}

proptest! {
    /// Corrupted DynamoDB images stay valid DynamoDB JSON: the typed event
    /// still deserializes, and the image no longer decodes as the item.
    #[test]
    fn corrupted_dynamodb_images_still_deserialize_as_the_typed_event(
        batch in dynamodb_batch((any::<u32>(), "[a-z]{1,4}").prop_map(|(n, s)| json!({"n": n, "s": s})), 1..8, 1..=3),
    ) {
        let mut plan = FaultPlan::none();
        for index in 0..batch.len() {
            plan = plan.with(index, RecordFault::BadBody);
        }
        let outcome = run(typed, &batch, &plan);
        prop_assert!(outcome.response.is_ok(), "{:?}", outcome.response);
        for record in outcome.batch.records().iter().filter(|r| r["eventName"] != "REMOVE") {
            let image = &record["dynamodb"]["NewImage"];
            prop_assert!(image["n"].get("S").is_some() && image["s"].get("BOOL").is_some(), "{image}");
            prop_assert!(image["pk"].get("S").is_some(), "the key attribute is left alone: {image}");
        }
    }
}

#[test]
fn the_simulators_record_failures_reach_a_hand_written_handler() {
    let handled: Mutex<HashSet<String>> = Mutex::default();
    let handler = |event: LambdaEvent<SqsEvent>| {
        let handled = &handled;
        async move {
            let mut response = SqsBatchResponse::default();
            for message in &event.payload.records {
                let id = message.message_id.clone().unwrap_or_default();
                match observe(&id, async { Ok::<(), Error>(()) }).await {
                    Ok(()) => drop(handled.lock().unwrap().insert(id)),
                    Err(_) => response.add_failure(id),
                }
            }
            Ok::<_, Error>(response)
        }
    };
    let mut config = SqsSimConfig::new(QueueConfig::standard().with_dlq(3));
    config.faults = InvocationFaults { record_failure: 1.0, ..InvocationFaults::none() };
    let mut simulation = SqsSimulation::new(config).unwrap();
    for i in 0..5 {
        simulation.send(i * 100, "ok");
    }
    let report = simulation.run(&mut lambda_function(handler));
    sim::check::nothing_lost_or_unhandled(&report, &handled.lock().unwrap()).unwrap();
    assert!(handled.lock().unwrap().is_empty(), "every record failed by the schedule");
    assert_eq!(report.metrics.dlq_messages_visible, 5);
}

/// One tokio task per message (a panic fails only its task); with
/// `spawn_observed`, each task's work is made by `observed_task`, else by
/// `observe` inside the task.
async fn task_per_message(
    event: LambdaEvent<SqsEvent>,
    spawn_observed: bool,
) -> Result<SqsBatchResponse, Error> {
    let mut tasks = Vec::new();
    for message in event.payload.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.clone().unwrap_or_default();
        let work = async move { if body == "bad" { Err(Error::from("bad body")) } else { Ok(()) } };
        let task = if spawn_observed {
            tokio::spawn(lambda_batch::observed_task(id.clone(), work))
        } else {
            let id = id.clone();
            tokio::spawn(async move { observe(&id, work).await })
        };
        tasks.push((id, task));
    }
    let mut response = SqsBatchResponse::default();
    for (id, task) in tasks {
        if !matches!(task.await, Ok(Ok(()))) {
            response.add_failure(id);
        }
    }
    Ok(response)
}

#[test]
fn observed_task_carries_the_fault_plan_into_a_spawned_task() {
    let plan = FaultPlan::none()
        .with(0, RecordFault::Error)
        .with(2, RecordFault::Panic)
        .with(3, RecordFault::Slow(std::time::Duration::from_millis(5)));
    let batch = batch(&["ok", "ok", "ok", "ok", "bad"]);
    let spawned = run(|event| task_per_message(event, true), &batch, &plan);
    assert_eq!(spawned.calls.len(), 5, "every task's work is observed");
    let mut reported = spawned.reported();
    reported.sort();
    assert_eq!(reported, ["m0", "m2", "m4"]);
    let report = check_report(&spawned, Rules::sqs());
    assert!(report.broken.is_none() && report.not_checked.is_empty(), "{report}");

    // `observe` inside the spawned task sees no plan: nothing observed,
    // nothing faulted, and the report says what it could not check.
    let inside = run(|event| task_per_message(event, false), &batch, &plan);
    assert!(inside.calls.is_empty());
    assert_eq!(inside.reported(), ["m4"]);
    let report = check_report(&inside, Rules::sqs());
    assert_eq!(report.not_checked.len(), 2, "{report}");
}
