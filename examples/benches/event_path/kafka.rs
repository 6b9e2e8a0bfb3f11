//! The Kafka rows: the generated handler, a hand-written loop over
//! `aws_lambda_events`' `KafkaEvent`, and the borrowed floor, all
//! answering with every failure (`stream_policy = "continue"`, so that
//! every record is parsed, as in the SQS rows).

use std::borrow::Cow;
use std::collections::BTreeMap;

use aws_lambda_events::kafka::KafkaEvent;
use base64::Engine as _;
use lambda_batch::{BatchEvent, Json, LambdaEvent, batch_handler};
use serde::{Deserialize, Serialize};

use super::events::{Order, check};

#[batch_handler(kafka, stream_policy = "continue", all_failed = "report_all")]
fn generated(Json(order): Json<Order>) -> Result<(), &'static str> {
    check(&order)
}

/// The generated handler, event bytes in, response bytes out.
pub(crate) fn run_generated(runtime: &tokio::runtime::Runtime, bytes: &[u8]) -> Vec<u8> {
    let event: BatchEvent = serde_json::from_slice(bytes).expect("event");
    let cx = lambda_batch::Context::default();
    let response = runtime.block_on(generated(LambdaEvent::new(event, cx))).expect("response");
    serde_json::to_vec(&response).expect("response bytes")
}

/// Lambda's Kafka partial batch response (`aws_lambda_events` has none).
#[derive(Serialize)]
struct Response<'a> {
    #[serde(rename = "batchItemFailures")]
    batch_item_failures: Vec<Failure<'a>>,
}

#[derive(Serialize)]
struct Failure<'a> {
    #[serde(rename = "itemIdentifier")]
    item_identifier: Position<'a>,
}

#[derive(Serialize)]
struct Position<'a> {
    partition: &'a str,
    offset: i64,
}

/// The value's order, if it decodes, parses and passes.
fn accepted(value: Option<&str>, buffer: &mut Vec<u8>) -> bool {
    buffer.clear();
    value.is_some_and(|value| base64::engine::general_purpose::STANDARD.decode_vec(value, buffer).is_ok())
        && serde_json::from_slice::<Order>(buffer).is_ok_and(|order| check(&order).is_ok())
}

/// What a careful user writes today without lambda-batch. Partitions come
/// out of a `HashMap`, so failures are listed in partition order of the
/// map: [`same_failures`] compares them as sets.
pub(crate) fn hand_written(bytes: &[u8]) -> Vec<u8> {
    let event: KafkaEvent = serde_json::from_slice(bytes).expect("event");
    let mut buffer = Vec::new();
    let mut failures = Vec::new();
    for (partition, records) in &event.records {
        for record in records {
            if !accepted(record.value.as_deref(), &mut buffer) {
                failures.push(Failure { item_identifier: Position { partition, offset: record.offset } });
            }
        }
    }
    serde_json::to_vec(&Response { batch_item_failures: failures }).expect("response")
}

#[derive(Deserialize)]
struct BorrowedEvent<'a> {
    #[serde(borrow)]
    records: BTreeMap<Cow<'a, str>, Vec<BorrowedRecord<'a>>>,
}

#[derive(Deserialize)]
struct BorrowedRecord<'a> {
    offset: i64,
    #[serde(borrow)]
    value: Option<Cow<'a, str>>,
}

/// The least a correct handler does: only the partition keys, offsets and
/// values, borrowed; each value decoded into one reused buffer and parsed.
pub(crate) fn borrowed_floor(bytes: &[u8]) -> Vec<u8> {
    let event: BorrowedEvent<'_> = serde_json::from_slice(bytes).expect("event");
    let mut buffer = Vec::new();
    let mut failures = Vec::new();
    for (partition, records) in &event.records {
        for record in records {
            if !accepted(record.value.as_deref(), &mut buffer) {
                failures.push(Failure { item_identifier: Position { partition, offset: record.offset } });
            }
        }
    }
    serde_json::to_vec(&Response { batch_item_failures: failures }).expect("response")
}

/// `true` if two Kafka responses name the same failures (in any order).
pub(crate) fn same_failures(left: &[u8], right: &[u8]) -> bool {
    let failures = |bytes: &[u8]| {
        let response: serde_json::Value = serde_json::from_slice(bytes).expect("response JSON");
        let mut failures: Vec<String> = response["batchItemFailures"]
            .as_array()
            .expect("batchItemFailures")
            .iter()
            .map(|failure| failure["itemIdentifier"].to_string())
            .collect();
        failures.sort();
        failures
    };
    let left = failures(left);
    !left.is_empty() && left == failures(right)
}
