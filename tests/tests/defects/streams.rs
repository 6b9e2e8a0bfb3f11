//! Hand-written Kinesis and DynamoDB Streams handlers (the DynamoDB one
//! typed with `aws_lambda_events` and `serde_dynamo`), correct and with one
//! planted defect each, tested the documented way.

use std::panic::AssertUnwindSafe;

use aws_lambda_events::dynamodb::EventRecord as DynamoDbEventRecord;
use aws_lambda_events::streams::{DynamoDbBatchItemFailure, KinesisBatchItemFailure};
use futures_util::FutureExt as _;
use lambda_batch::aws_events::{DynamoDbEvent, DynamoDbEventResponse, KinesisEvent, KinesisEventResponse};
use lambda_batch::{Error, LambdaEvent, observe};
use lambda_batch_testkit::prelude::*;

use super::model::{Order, data, decide, orders};
use super::suite::{Case, Written, outcome};

/// Runs one record's observed work, its panic caught: whether it succeeded.
async fn succeeded(id: &str, work: impl Future<Output = Result<(), Error>>) -> bool {
    matches!(AssertUnwindSafe(observe(id, work)).catch_unwind().await, Ok(Ok(())))
}

/// One defect planted into the Kinesis handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kinesis {
    Correct,
    /// Picks the lowest failed sequence number by comparing text.
    ComparesSequenceNumbersAsText,
    /// Reports the last failure instead of the first.
    ReportsTheLastFailure,
}

/// A Kinesis handler that goes on after a failure and reports the lowest
/// failed sequence number (Lambda retries from there).
pub(crate) async fn kinesis(
    event: LambdaEvent<KinesisEvent>,
    defect: Kinesis,
) -> Result<KinesisEventResponse, Error> {
    let records = &event.payload.records;
    if records.iter().any(|record| record.kinesis.sequence_number.is_empty()) {
        return Err("a record has no sequence number: failing the batch so that nothing is lost".into());
    }
    let mut failed: Vec<&str> = Vec::new();
    for record in records {
        let sequence_number = record.kinesis.sequence_number.as_str();
        let work = async {
            let order: Order = serde_json::from_slice(&record.kinesis.data)?;
            decide(&order)
        };
        if !succeeded(sequence_number, work).await {
            failed.push(sequence_number);
        }
    }
    let first = match defect {
        Kinesis::Correct => failed.iter().min_by_key(|number| (number.len(), **number)),
        Kinesis::ComparesSequenceNumbersAsText => failed.iter().min(),
        Kinesis::ReportsTheLastFailure => failed.last(),
    };
    let mut response = KinesisEventResponse::default();
    if let Some(first) = first {
        let mut failure = KinesisBatchItemFailure::default();
        failure.item_identifier = Some((*first).to_owned());
        response.batch_item_failures.push(failure);
    }
    Ok(response)
}

/// One defect planted into the DynamoDB Streams handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DynamoDb {
    Correct,
    /// Reports the record's `eventID` instead of its sequence number.
    ReportsEventId,
    /// Reports the record after the failed one ("resume after it").
    ReportsTheRecordAfterTheFailure,
    /// Skips a record without a sequence number (one with an empty one
    /// still fails the invocation): it is acknowledged, and lost. Only a
    /// missing identifier shows it, a shape generators seldom made.
    DropsRecordWithoutSequenceNumber,
}

/// A typed DynamoDB Streams handler: decodes each new image into an
/// `Order` with `serde_dynamo`, stops at the first failure and reports it.
pub(crate) async fn dynamodb(
    event: LambdaEvent<DynamoDbEvent>,
    defect: DynamoDb,
) -> Result<DynamoDbEventResponse, Error> {
    let mut records: Vec<&DynamoDbEventRecord> = event.payload.records.iter().collect();
    if defect == DynamoDb::DropsRecordWithoutSequenceNumber {
        records.retain(|record| record.change.sequence_number.is_some());
    }
    if records.iter().any(|record| record.change.sequence_number.as_deref().unwrap_or_default().is_empty()) {
        return Err("a record has no sequence number: failing the batch so that nothing is lost".into());
    }
    let mut response = DynamoDbEventResponse::default();
    for (index, record) in records.iter().enumerate() {
        let sequence_number = record.change.sequence_number.as_deref().unwrap_or_default();
        let work = async {
            if record.event_name == "REMOVE" {
                return Ok(());
            }
            let order: Order = serde_dynamo::from_item(record.change.new_image.clone())?;
            decide(&order)
        };
        if succeeded(sequence_number, work).await {
            continue;
        }
        let reported = match defect {
            DynamoDb::Correct => Some(sequence_number.to_owned()),
            DynamoDb::ReportsEventId => Some(record.event_id.clone()),
            DynamoDb::ReportsTheRecordAfterTheFailure => {
                records.get(index + 1).and_then(|next| next.change.sequence_number.clone())
            }
            DynamoDb::DropsRecordWithoutSequenceNumber => Some(sequence_number.to_owned()),
        };
        if let Some(reported) = reported {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(reported);
            response.batch_item_failures.push(failure);
        }
        break;
    }
    Ok(response)
}

pub(crate) fn cases() -> Vec<Case> {
    let kinesis_case = |defect: Kinesis, what: Option<&'static str>| Case {
        source: "Kinesis",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            outcome(runner.run(
                &(kinesis_batch(data(), 1..20, 1..=3), fault_plan(20, 0.2)),
                |(batch, plan)| {
                    check(&run(|event| kinesis(event, defect), &batch, &plan), Rules::stream_continue())
                },
            ))
        }),
    };
    let dynamodb_case = |defect: DynamoDb, what: Option<&'static str>| Case {
        source: "DynamoDB Streams (typed)",
        written: Written::ByHand,
        defect: what,
        cases: 256,
        test: Box::new(move |runner| {
            outcome(runner.run(
                &(dynamodb_batch(orders(), 1..20, 1..=4), fault_plan(20, 0.2)),
                |(batch, plan)| {
                    check(&run(|event| dynamodb(event, defect), &batch, &plan), Rules::stream_checkpoint())
                },
            ))
        }),
    };
    vec![
        kinesis_case(Kinesis::Correct, None),
        kinesis_case(Kinesis::ComparesSequenceNumbersAsText, Some("sequence numbers compared as text")),
        kinesis_case(Kinesis::ReportsTheLastFailure, Some("checkpoint at the last failure, not the first")),
        dynamodb_case(DynamoDb::Correct, None),
        dynamodb_case(DynamoDb::ReportsEventId, Some("wrong field reported: eventID")),
        dynamodb_case(
            DynamoDb::ReportsTheRecordAfterTheFailure,
            Some("checkpoint off by one: the record after the failure"),
        ),
        dynamodb_case(
            DynamoDb::DropsRecordWithoutSequenceNumber,
            Some("record without a sequence number dropped (acknowledged)"),
        ),
    ]
}
