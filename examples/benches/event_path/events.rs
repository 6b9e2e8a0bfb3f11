//! The benchmarks' deterministic events, the order their records carry, and
//! the hand-written SQS handler they are measured against.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use serde::Deserialize;
use serde_json::{Value, json};

/// The typed payload every handler parses.
#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "parsed as a handler would; only `fail` is read")]
pub(crate) struct Order {
    order_id: String,
    customer: String,
    items: Vec<Item>,
    fail: bool,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "parsed as a handler would")]
struct Item {
    sku: String,
    quantity: u32,
    price_cents: u64,
}

/// The handlers' business rule: an order marked to fail is rejected.
pub(crate) fn check(order: &Order) -> Result<(), &'static str> {
    if order.fail { Err("rejected") } else { Ok(()) }
}

/// Order `i` with `items` items, as JSON.
fn order(i: usize, items: usize, fail: bool) -> Value {
    let items: Vec<_> = (0..items)
        .map(|k| json!({"sku": format!("SKU-{:08}-{k}", i * 7 + k), "quantity": (i + k) % 9 + 1, "price_cents": 1999 + k * 100}))
        .collect();
    json!({"order_id": format!("order-{i:012}"), "customer": format!("customer-{:06}@example.com", i % 977), "items": items, "fail": fail})
}

/// An SQS event: ~1.1 KB records (~440-byte JSON bodies), every 10th
/// failing (or only the first); FIFO with 10 groups.
pub(crate) fn sqs_event(records: usize, fifo: bool, fail_first_only: bool) -> Vec<u8> {
    let records: Vec<_> = (0..records)
        .map(|i| {
            let fail = if fail_first_only { i == 0 } else { i % 10 == 9 };
            let body = order(i, 5, fail).to_string();
            let id = message_id(i);
            let mut record = if fifo {
                lambda_batch_testkit::sqs::fifo_message(&id, &format!("group-{}", i % 10), &body)
            } else {
                lambda_batch_testkit::sqs::message(&id, &body)
            };
            record["md5OfBody"] = json!(format!("{:032x}", i * 31_337));
            record
        })
        .collect();
    lambda_batch_testkit::sqs::event_json(records).into_bytes()
}

/// What a careful user writes without lambda-batch, on an event already read.
pub(crate) fn hand_written_read(event: &SqsEvent) -> Vec<u8> {
    let mut response = SqsBatchResponse::default();
    let fifo = event
        .records
        .first()
        .and_then(|r| r.event_source_arn.as_deref())
        .is_some_and(|a| a.ends_with(".fifo"));
    let mut stopped = false;
    for message in &event.records {
        let id = message.message_id.clone().unwrap_or_default();
        if stopped {
            response.add_failure(id);
            continue;
        }
        let ok = message
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Order>(b).ok())
            .is_some_and(|o| check(&o).is_ok());
        if !ok {
            response.add_failure(id);
            stopped = fifo;
        }
    }
    serde_json::to_vec(&response).expect("response")
}

/// A deterministic SQS `messageId` (a UUID's shape).
pub(crate) fn message_id(i: usize) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        i * 2_654_435_761 % (1 << 32),
        i % 65_536,
        i % 4096,
        (i * 7) % 4096,
        i * 97
    )
}

/// The partitions of a Kafka event.
pub(crate) const KAFKA_PARTITIONS: usize = 4;

/// A Kafka event: records spread over [`KAFKA_PARTITIONS`] partitions of
/// one topic, each with a key, a ~1.1 KB JSON value (base64, as Lambda
/// sends it) and a header; every 10th failing.
pub(crate) fn kafka_event(records: usize) -> Vec<u8> {
    let records = (0..records).map(|i| {
        let value = order(i, 18, i % 10 == 9).to_string();
        let partition = (i % KAFKA_PARTITIONS) as u32;
        let offset = 1_000_000 + (i / KAFKA_PARTITIONS) as u64;
        let key = format!("order-{i:012}");
        lambda_batch_testkit::kafka::record(
            "orders",
            partition,
            offset,
            Some(key.as_bytes()),
            Some(value.as_bytes()),
        )
    });
    lambda_batch_testkit::kafka::event_json(records).into_bytes()
}
