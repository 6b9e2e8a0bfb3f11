//! Hand-written handlers that do NOT wrap their work in `observe` (issue
//! 21, item 5: no silent pass). Their call order cannot be seen, so:
//! - a FIFO handler that goes on after a failure and a Kafka handler that
//!   goes on in a partition after its failure, which report exactly what a
//!   correct handler reports, must fail the test with the message that
//!   names the opt-out and how to observe (a silent pass before);
//! - correct handlers that opt out explicitly pass, and the report names
//!   the opt-out; their `failing_when` predicates read each source's
//!   decoded payload through `RecordView` (SQS body, Kinesis data, DynamoDB
//!   image, Kafka value), so a wrong decoding would read as over-reporting.
//!
//! Tested with `payload_fault_plan` (call faults cannot reach them).

use aws_lambda_events::streams::{DynamoDbBatchItemFailure, KinesisBatchItemFailure};
use lambda_batch::aws_events::{
    DynamoDbEvent, DynamoDbEventResponse, KafkaEvent, KinesisEvent, KinesisEventResponse, SqsBatchResponse,
    SqsEvent,
};
use lambda_batch::{Error, LambdaEvent};
use lambda_batch_testkit::prelude::*;
use serde_json::{Value, json};

use super::model::{Order, bodies, data, decide, empty_order, orders};
use super::suite::{Case, Written, outcome};

/// Whether a handler goes on after a failure (the defect) or stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    Stops,
    GoesOn,
}

/// The opt-out the correct handlers give.
const REASON: &str = "legacy loop without observe; its order was reviewed by hand";

/// One record's work without `observe`: decode the order and decide.
fn work(payload: &[u8]) -> Result<(), Error> {
    decide(&serde_json::from_slice::<Order>(payload)?)
}

/// FIFO: reports the first failure and every later message; with
/// `After::GoesOn` it still runs the later messages (their effects happen
/// before the failed message is retried: the order breaks, unseen).
async fn fifo(event: LambdaEvent<SqsEvent>, after: After) -> Result<SqsBatchResponse, Error> {
    let messages = &event.payload.records;
    let ids: Option<Vec<&str>> =
        messages.iter().map(|message| message.message_id.as_deref().filter(|id| !id.is_empty())).collect();
    let ids = ids.ok_or("a message has no messageId")?;
    let mut response = SqsBatchResponse::default();
    let mut failed = false;
    for (message, id) in messages.iter().zip(ids) {
        if !failed || after == After::GoesOn {
            let ok = work(message.body.as_deref().unwrap_or_default().as_bytes()).is_ok();
            failed = failed || !ok;
        }
        if failed {
            response.add_failure(id);
        }
    }
    Ok(response)
}

/// Kafka, checkpoint: per partition, reports the first failure; with
/// `After::GoesOn` it runs the partition's later records anyway.
async fn kafka(event: LambdaEvent<KafkaEvent>, after: After) -> Result<Value, Error> {
    use base64::Engine as _;
    let mut failures = Vec::new();
    for (partition, records) in &event.payload.records {
        let mut first_failure = None;
        for record in records {
            if first_failure.is_some() && after == After::Stops {
                break;
            }
            let value =
                base64::engine::general_purpose::STANDARD.decode(record.value.as_deref().unwrap_or_default());
            if value.map_err(Error::from).and_then(|bytes| work(&bytes)).is_err() {
                first_failure.get_or_insert(record.offset);
            }
        }
        if let Some(offset) = first_failure {
            failures.push(json!({"itemIdentifier": {"partition": partition, "offset": offset}}));
        }
    }
    Ok(json!({ "batchItemFailures": failures }))
}

/// Kinesis, checkpoint: stops at the first failure and reports it.
async fn kinesis(event: LambdaEvent<KinesisEvent>) -> Result<KinesisEventResponse, Error> {
    let records = &event.payload.records;
    if records.iter().any(|record| record.kinesis.sequence_number.is_empty()) {
        return Err("a record has no sequence number".into());
    }
    let mut response = KinesisEventResponse::default();
    if let Some(record) = records.iter().find(|record| work(&record.kinesis.data).is_err()) {
        let mut failure = KinesisBatchItemFailure::default();
        failure.item_identifier = Some(record.kinesis.sequence_number.clone());
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

/// DynamoDB Streams, checkpoint: stops at the first failure and reports it.
async fn dynamodb(event: LambdaEvent<DynamoDbEvent>) -> Result<DynamoDbEventResponse, Error> {
    let records = &event.payload.records;
    let ids: Option<Vec<&str>> = records
        .iter()
        .map(|record| record.change.sequence_number.as_deref().filter(|id| !id.is_empty()))
        .collect();
    let ids = ids.ok_or("a record has no sequence number")?;
    let mut response = DynamoDbEventResponse::default();
    for (record, id) in records.iter().zip(ids) {
        let decided = match record.event_name.as_str() {
            "REMOVE" => Ok(()),
            _ => serde_dynamo::from_item::<_, Order>(record.change.new_image.clone())
                .map_err(Error::from)
                .and_then(|order| decide(&order)),
        };
        if decided.is_err() {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(id.to_owned());
            response.batch_item_failures.push(failure);
            break;
        }
    }
    Ok(response)
}

/// What the test of a case found: the check's error; for a correct
/// handler with an opt-out, also an error when the report does not name
/// the opt-out; for a defect, an error only when it is the message that
/// names the opt-out and how to observe (any other error is not the catch
/// this case is about, so it counts as escaped).
fn judged(run: &HarnessRun, rules: Rules, defect: bool) -> Result<(), TestCaseError> {
    let report = check_report(run, rules);
    let result = report.result();
    if !defect {
        result?;
        // Calls keep order held where the invocation failed before any
        // work (a record without an identifier); elsewhere it is not
        // checked, and the report must name the opt-out.
        let unchecked =
            report.not_checked.iter().any(|(invariant, _)| *invariant == Invariant::CallsKeepOrder);
        let named = report.opt_out(Invariant::CallsKeepOrder) == Some(REASON)
            && report.to_string().contains(&format!("not checked (opted out: {REASON}): calls keep order"));
        return if unchecked && !named {
            Err(TestCaseError::fail(format!("the report does not name the opt-out:\n{report}")))
        } else {
            Ok(())
        };
    }
    match result {
        Err(error)
            if error.to_string().contains("calls keep order: NOT CHECKED")
                && error.to_string().contains("lambda_batch::observe(id, work)")
                && error.to_string().contains(".accepting_unchecked(Invariant::CallsKeepOrder, \"why\")") =>
        {
            Err(error)
        }
        _ => Ok(()),
    }
}

fn fifo_case(after: After, what: Option<&'static str>) -> Case {
    Case {
        source: "SQS FIFO",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            let strategy = (sqs_fifo_batch(bodies(), 1..10, 1..=3), payload_fault_plan(10, 0.2));
            outcome(runner.run(&strategy, |(batch, plan)| {
                let rules = Rules::sqs_fifo().failing_when(empty_order);
                let rules = match after {
                    After::Stops => rules.accepting_unchecked(Invariant::CallsKeepOrder, REASON),
                    After::GoesOn => rules,
                };
                judged(&run(|event| fifo(event, after), &batch, &plan), rules, what.is_some())
            }))
        }),
    }
}

fn kafka_case(after: After, what: Option<&'static str>) -> Case {
    Case {
        source: "Kafka",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            let strategy = (kafka_batch(data(), 1..20, 1..=3), payload_fault_plan(20, 0.2));
            outcome(runner.run(&strategy, |(batch, plan)| {
                let rules = Rules::stream_checkpoint().failing_when(empty_order);
                let rules = match after {
                    After::Stops => rules.accepting_unchecked(Invariant::CallsKeepOrder, REASON),
                    After::GoesOn => rules,
                };
                judged(&run(|event| kafka(event, after), &batch, &plan), rules, what.is_some())
            }))
        }),
    }
}

fn stream_controls() -> Vec<Case> {
    let rules = || {
        Rules::stream_checkpoint()
            .failing_when(empty_order)
            .accepting_unchecked(Invariant::CallsKeepOrder, REASON)
    };
    let kinesis_control = Case {
        source: "Kinesis",
        written: Written::ByHand,
        defect: None,
        cases: 256,
        test: Box::new(move |runner| {
            let strategy = (kinesis_batch(data(), 1..20, 1..=3), payload_fault_plan(20, 0.2));
            outcome(
                runner.run(&strategy, |(batch, plan)| judged(&run(kinesis, &batch, &plan), rules(), false)),
            )
        }),
    };
    let dynamodb_control = Case {
        source: "DynamoDB Streams",
        written: Written::ByHand,
        defect: None,
        cases: 256,
        test: Box::new(move |runner| {
            let strategy = (dynamodb_batch(orders(), 1..20, 1..=4), payload_fault_plan(20, 0.2));
            outcome(
                runner.run(&strategy, |(batch, plan)| judged(&run(dynamodb, &batch, &plan), rules(), false)),
            )
        }),
    };
    vec![kinesis_control, dynamodb_control]
}

pub(crate) fn cases() -> Vec<Case> {
    let mut cases = vec![
        fifo_case(After::Stops, None),
        fifo_case(
            After::GoesOn,
            Some(
                "not observed, FIFO goes on after a failure (reports the right messages): fails as NOT CHECKED",
            ),
        ),
        kafka_case(After::Stops, None),
        kafka_case(
            After::GoesOn,
            Some("not observed, Kafka goes on in a partition after its failure: fails as NOT CHECKED"),
        ),
    ];
    cases.extend(stream_controls());
    cases
}
