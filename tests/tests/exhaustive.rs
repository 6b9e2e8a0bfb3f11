//! Exhaustive small worlds (`lambda_batch_testkit::exhaustive`): correct
//! handlers of every source, `#[batch_handler]` and hand-written, hold on
//! every batch of up to 4 records × every fault × every grouping; planted
//! defects are found on every run, with a smallest counterexample. Each
//! `check_all` prints its summary line (case count and time: printed, not
//! asserted): `cargo test -p lambda-batch-tests --test main exhaustive:: --
//! --nocapture`.

use lambda_batch::aws_events::{SqsBatchResponse, SqsEvent};
use lambda_batch::dynamodb::NewImage;
use lambda_batch::{Error, Json, LambdaEvent, RecordOutcome, batch_handler};
use lambda_batch_testkit::check::Invariant;
use lambda_batch_testkit::exhaustive::{Exhaustive, World, check_all};
use lambda_batch_testkit::prelude::*;
use serde_json::{Value, json};

use crate::defects::kafka::{Kafka, kafka};
use crate::defects::model::{Order, decide, outcome_of};
use crate::defects::sqs::{Fifo, Standard, fifo, standard};
use crate::defects::streams::{DynamoDb, Kinesis, dynamodb, kinesis};

/// The payload: an order that is taken (the injected error stands for an
/// order the handler fails).
fn orders() -> [Value; 1] {
    [json!({"id": 1, "quantity": 1})]
}

#[batch_handler(sqs, concurrency = 4)]
async fn sqs_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

#[batch_handler(sqs_fifo, fifo_policy = "skip_failed_group", concurrency = 4)]
async fn fifo_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

#[batch_handler(kinesis, concurrency = 4)]
async fn kinesis_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

#[batch_handler(dynamodb)]
async fn dynamodb_orders(image: Option<NewImage<Order>>) -> RecordOutcome {
    image.map_or(RecordOutcome::Success, |NewImage(order)| outcome_of(&order))
}

#[batch_handler(kafka, concurrency = 4)]
async fn kafka_orders(Json(order): Json<Order>) -> RecordOutcome {
    outcome_of(&order)
}

fn world(source: SourceKind) -> World {
    World::new(source, orders())
}

#[test]
fn batch_handlers_hold_on_every_small_batch() {
    check_all(sqs_orders, &world(SourceKind::Sqs), sqs_orders::CONFIG).assert_all_held();
    check_all(fifo_orders, &world(SourceKind::SqsFifo), fifo_orders::CONFIG).assert_all_held();
    check_all(kinesis_orders, &world(SourceKind::Kinesis), kinesis_orders::CONFIG).assert_all_held();
    check_all(dynamodb_orders, &world(SourceKind::DynamoDb), dynamodb_orders::CONFIG).assert_all_held();
    check_all(kafka_orders, &world(SourceKind::Kafka), kafka_orders::CONFIG).assert_all_held();
}

#[test]
fn hand_written_handlers_hold_on_every_small_batch() {
    let sqs = |event| standard(event, Standard::Correct);
    check_all(sqs, &world(SourceKind::Sqs), Rules::sqs()).assert_all_held();
    let fifo = |event| fifo(event, Fifo::Correct);
    check_all(fifo, &world(SourceKind::SqsFifo), Rules::sqs_fifo()).assert_all_held();
    let kinesis = |event| kinesis(event, Kinesis::Correct);
    check_all(kinesis, &world(SourceKind::Kinesis), Rules::stream_continue()).assert_all_held();
    let dynamodb = |event| dynamodb(event, DynamoDb::Correct);
    check_all(dynamodb, &world(SourceKind::DynamoDb), Rules::stream_checkpoint()).assert_all_held();
    let kafka = |event| kafka(event, Kafka::Correct);
    check_all(kafka, &world(SourceKind::Kafka), Rules::stream_continue()).assert_all_held();
}

/// The first broken case of a run that must have one.
fn broken(outcome: &Exhaustive) -> (Invariant, usize, Vec<(usize, RecordFault)>) {
    let counterexample = outcome.broken.as_ref().unwrap_or_else(|| panic!("not found: {outcome}"));
    let (invariant, _) = counterexample.report.broken.clone().expect("a broken invariant");
    (invariant, counterexample.run.batch.len(), counterexample.run.plan.iter().collect())
}

#[test]
fn a_dropped_record_without_sequence_number_is_found_in_one_record() {
    let handler = |event| dynamodb(event, DynamoDb::DropsRecordWithoutSequenceNumber);
    let outcome = check_all(handler, &world(SourceKind::DynamoDb), Rules::stream_checkpoint());
    println!("{outcome}");
    let (invariant, records, faults) = broken(&outcome);
    assert_eq!(invariant, Invariant::NothingAcknowledgedUnhandled, "{outcome}");
    assert_eq!((records, faults), (1, vec![(0, RecordFault::MissingId)]), "{outcome}");
}

#[test]
fn every_planted_hand_written_defect_is_found() {
    let found = |outcome: Exhaustive| {
        let (invariant, records, faults) = broken(&outcome);
        println!("  found in {records} records, faults {faults:?}: {invariant}");
    };
    for defect in [
        Standard::ReportsWrongField,
        Standard::AllFailedReturnsEmptyList,
        Standard::OverReports,
        Standard::PanicFailsTheBatch,
        Standard::DropsUnnamedMessage,
        Standard::LosesFailureUnderConcurrency,
        Standard::SwallowsDecodeError,
    ] {
        found(check_all(|event| standard(event, defect), &world(SourceKind::Sqs), Rules::sqs()));
    }
    for defect in [Fifo::ContinuesAfterFailure, Fifo::ReportsOnlyTheFailure] {
        found(check_all(|event| fifo(event, defect), &world(SourceKind::SqsFifo), Rules::sqs_fifo()));
    }
    for defect in [Kinesis::ComparesSequenceNumbersAsText, Kinesis::ReportsTheLastFailure] {
        let rules = Rules::stream_continue();
        found(check_all(|event| kinesis(event, defect), &world(SourceKind::Kinesis), rules));
    }
    for defect in [DynamoDb::ReportsEventId, DynamoDb::ReportsTheRecordAfterTheFailure] {
        let rules = Rules::stream_checkpoint();
        found(check_all(|event| dynamodb(event, defect), &world(SourceKind::DynamoDb), rules));
    }
    for defect in [Kafka::ComparesOffsetsAsText, Kafka::ReportsTheHighestFailure] {
        found(check_all(|event| kafka(event, defect), &world(SourceKind::Kafka), Rules::stream_continue()));
    }
}

/// A hand-written handler that does not call `observe` (no call fault
/// reaches it); `swallow`: a body that does not decode is acknowledged.
async fn unobserved_orders(event: LambdaEvent<SqsEvent>, swallow: bool) -> Result<SqsBatchResponse, Error> {
    let mut response = SqsBatchResponse::default();
    for message in &event.payload.records {
        let id =
            message.message_id.as_deref().filter(|id| !id.is_empty()).ok_or("a message has no messageId")?;
        match serde_json::from_str::<Order>(message.body.as_deref().unwrap_or_default()) {
            Ok(order) if decide(&order).is_ok() => {}
            Err(_) if swallow => {}
            _ => response.add_failure(id),
        }
    }
    Ok(response)
}

#[test]
fn an_unobserved_handler_gets_the_faults_in_the_event_and_a_failing_payload() {
    let empty_order =
        |record: &RecordView<'_>| record.json::<Order>().is_some_and(|order| decide(&order).is_err());
    let failing = json!({"id": 2, "quantity": 0});
    let world = World::new(SourceKind::Sqs, [orders()[0].clone(), failing]).in_event_faults_only();
    let rules = Rules::sqs()
        .failing_when(empty_order)
        .accepting_unchecked(Invariant::CallsKeepOrder, "the handler works through the messages in order");
    let correct = check_all(|event| unobserved_orders(event, false), &world, rules.clone());
    correct.assert_all_held();
    assert!(correct.not_checked.iter().any(|(invariant, _)| *invariant == Invariant::CallsKeepOrder));
    let swallowing = check_all(|event| unobserved_orders(event, true), &world, rules);
    let (invariant, records, faults) = broken(&swallowing);
    assert_eq!(invariant, Invariant::NothingAcknowledgedUnhandled, "{swallowing}");
    assert_eq!((records, faults), (1, vec![(0, RecordFault::BadBody)]), "{swallowing}");
}

/// Every fault on every record, every grouping of 4 records: the world
/// the default one is cut down from (see docs/DESIGN.md, "Exhaustive small
/// worlds"). Tens of thousands of cases a source; slow in a debug build,
/// so run it on demand: `cargo test --release -p lambda-batch-tests --test
/// main exhaustive:: -- --ignored --nocapture`.
#[test]
#[ignore = "minutes in a debug build: run with --release -- --ignored"]
fn every_fault_everywhere() {
    let every_fault = [
        RecordFault::Error,
        RecordFault::Panic,
        RecordFault::BadBody,
        RecordFault::Slow(lambda_batch_testkit::exhaustive::SLOW),
        RecordFault::Hang,
        RecordFault::MissingId,
        RecordFault::EmptyId,
        RecordFault::DuplicateId,
    ];
    let world = |source| world(source).faults(every_fault, []).groups(4);
    check_all(sqs_orders, &world(SourceKind::Sqs), sqs_orders::CONFIG).assert_all_held();
    check_all(fifo_orders, &world(SourceKind::SqsFifo), fifo_orders::CONFIG).assert_all_held();
    check_all(kinesis_orders, &world(SourceKind::Kinesis), kinesis_orders::CONFIG).assert_all_held();
    check_all(dynamodb_orders, &world(SourceKind::DynamoDb), dynamodb_orders::CONFIG).assert_all_held();
    check_all(kafka_orders, &world(SourceKind::Kafka), kafka_orders::CONFIG).assert_all_held();
}
