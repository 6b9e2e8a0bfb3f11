//! Proptest strategies for batch events of the shape Lambda sends.
//!
//! Free functions with range parameters, each returning a named strategy
//! type whose values are [`Batch`]es. Record payloads come from your own
//! strategies: [`json_body`] turns any `Serialize` strategy into bodies.

use std::fmt;

use base64::Engine as _;
use proptest::collection::{SizeRange, vec};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde::Serialize;
use serde_json::{Value, json};

pub use crate::batch::{Batch, SourceKind};
use crate::wire;

macro_rules! named_strategy {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        #[must_use = "a strategy generates nothing until a test runner uses it"]
        pub struct $name(BoxedStrategy<Batch>);

        impl Strategy for $name {
            type Tree = <BoxedStrategy<Batch> as Strategy>::Tree;
            type Value = Batch;
            fn new_tree(&self, runner: &mut proptest::test_runner::TestRunner) -> proptest::strategy::NewTree<Self> {
                self.0.new_tree(runner)
            }
        }
    };
}

named_strategy!(
    /// Strategy for SQS batches ([`sqs_batch`], [`sqs_fifo_batch`]).
    SqsBatchStrategy
);
named_strategy!(
    /// Strategy for Kinesis batches ([`kinesis_batch`]).
    KinesisBatchStrategy
);
named_strategy!(
    /// Strategy for DynamoDB Streams batches ([`dynamodb_batch`]).
    DynamoDbBatchStrategy
);
named_strategy!(
    /// Strategy for Kafka batches ([`kafka_batch`]).
    KafkaBatchStrategy
);

/// Bodies that are the JSON of values from `values`.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn json_body<T, S>(values: S) -> BoxedStrategy<String>
where
    T: Serialize + fmt::Debug,
    S: Strategy<Value = T> + 'static,
{
    values.prop_map(|value| serde_json::to_string(&value).unwrap_or_default()).boxed()
}

/// A short `messageId` that differs from its neighbours at a glance:
/// `m-01`, `m-02`, ... (Lambda's are UUIDs, but nothing reads their shape:
/// any non-empty text names a message). Counterexamples stay readable.
pub(crate) fn message_id(index: usize) -> String {
    format!("m-{:02}", index + 1)
}

/// Large, increasing, non-consecutive decimal numbers starting at `start`.
fn increasing(start: u128, gaps: &[u64]) -> Vec<String> {
    let mut next = start;
    gaps.iter()
        .map(|gap| {
            next += u128::from(*gap) + 1;
            next.to_string()
        })
        .collect()
}

/// SQS standard-queue batches of `records` messages with bodies from `body`.
///
/// Records have short `messageId`s (`m-01`, `m-02`, ...), every attribute
/// value is a string, and the queue ARN has no `.fifo` suffix.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn sqs_batch(
    body: impl Strategy<Value = String> + 'static,
    records: impl Into<SizeRange>,
) -> SqsBatchStrategy {
    let record = (body, 1u32..4, 1_600_000_000_000u64..1_800_000_000_000);
    SqsBatchStrategy(
        vec(record, records)
            .prop_map(|records| {
                let records = records
                    .into_iter()
                    .enumerate()
                    .map(|(i, (body, receives, sent))| {
                        sqs_record(&message_id(i), &body, receives, sent, None)
                    })
                    .collect::<Vec<_>>();
                Batch::new(wire::SQS.kind, records)
            })
            .boxed(),
    )
}

/// SQS FIFO batches: `records` messages spread over up to `groups` message
/// groups (order within each group is the batch order), short `messageId`s
/// as [`sqs_batch`]'s, real-shaped `SequenceNumber`s (20 digits, large,
/// non-consecutive) and a `.fifo` queue ARN.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn sqs_fifo_batch(
    body: impl Strategy<Value = String> + 'static,
    records: impl Into<SizeRange>,
    groups: std::ops::RangeInclusive<usize>,
) -> SqsBatchStrategy {
    let record = (body, 0..*groups.end().max(&1), 0u64..1_000_000_000);
    let first_sequence = 10_000_000_000_000_000_000u128..20_000_000_000_000_000_000;
    SqsBatchStrategy(
        (vec(record, records), first_sequence)
            .prop_map(|(records, start)| {
                let gaps: Vec<u64> = records.iter().map(|r| r.2).collect();
                let sequence = increasing(start, &gaps);
                let records = records
                    .into_iter()
                    .zip(sequence)
                    .enumerate()
                    .map(|(i, ((body, group, _), seq))| {
                        let fifo = (format!("group-{group}"), seq);
                        sqs_record(&message_id(i), &body, 1, 1_700_000_000_000, Some(fifo))
                    })
                    .collect::<Vec<_>>();
                Batch::new(wire::SQS_FIFO.kind, records)
            })
            .boxed(),
    )
}

/// An SQS record as Lambda sends it; `fifo`: its message group and
/// sequence number.
pub(crate) fn sqs_record(
    id: &str,
    body: &str,
    receives: u32,
    sent: u64,
    fifo: Option<(String, String)>,
) -> Value {
    let mut record = crate::sqs::message(id, body);
    record["receiptHandle"] = json!(format!("AQEB{}", base64::engine::general_purpose::STANDARD.encode(id)));
    record["attributes"]["ApproximateReceiveCount"] = json!(receives.to_string());
    record["attributes"]["SentTimestamp"] = json!(sent.to_string());
    record["attributes"]["ApproximateFirstReceiveTimestamp"] = json!((sent + 5).to_string());
    if let Some((group, sequence)) = fifo {
        record["eventSourceARN"] = json!(crate::sqs::FIFO_QUEUE_ARN);
        record["attributes"]["MessageGroupId"] = json!(group);
        record["attributes"]["MessageDeduplicationId"] = json!(format!("dedup-{id}"));
        record["attributes"]["SequenceNumber"] = json!(sequence);
    }
    record
}

/// Kinesis batches from one shard: `records` records over up to
/// `partition_keys` keys, increasing sequence numbers whose digit count
/// changes within the batch (from 3 to 4, 20 to 21, or 55 to 56 digits:
/// Kinesis's own have 56), so comparing them as text is caught, and data
/// from `data` (base64-encoded in the event as Lambda does).
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn kinesis_batch(
    data: impl Strategy<Value = Vec<u8>> + 'static,
    records: impl Into<SizeRange>,
    partition_keys: std::ops::RangeInclusive<usize>,
) -> KinesisBatchStrategy {
    let record = (0..*partition_keys.end().max(&1), data, 0u64..1_000_000);
    let digits = prop_oneof![Just(3u32), Just(20), Just(55)];
    KinesisBatchStrategy(
        (vec(record, records), digits, any::<proptest::sample::Index>())
            .prop_map(|(records, digits, crossing)| {
                let gaps: Vec<u64> = records.iter().map(|r| r.2).collect();
                let sequence = crossing_digits(digits, &crossing, &gaps);
                let records = records
                    .into_iter()
                    .zip(sequence)
                    .map(|((key, data, _), seq)| {
                        crate::kinesis::record(&seq, &format!("partition-{key}"), &data)
                    })
                    .collect::<Vec<_>>();
                Batch::new(wire::KINESIS.kind, records)
            })
            .boxed(),
    )
}

/// Increasing decimal sequence numbers, one per gap, that cross from
/// `digits` to `digits + 1` digits at a record chosen by `crossing` (never
/// the first, so any batch of two or more has a crossing, and shrinking
/// the gaps or the batch keeps one).
fn crossing_digits(digits: u32, crossing: &proptest::sample::Index, gaps: &[u64]) -> Vec<String> {
    if gaps.is_empty() {
        return Vec::new();
    }
    let at = if gaps.len() < 2 { 0 } else { 1 + crossing.index(gaps.len() - 1) };
    // Steps below the crossing are small enough never to reach zero.
    let room = 10i128.pow(digits.min(30)) / (4 * gaps.len() as i128);
    let mut offsets = vec![0i128; gaps.len()];
    for i in (0..at).rev() {
        offsets[i] = offsets[i + 1] - 1 - i128::from(gaps[i + 1]) % room.max(1);
    }
    for i in at + 1..gaps.len() {
        offsets[i] = offsets[i - 1] + 1 + i128::from(gaps[i]);
    }
    offsets.into_iter().map(|offset| power_of_ten_plus(digits, offset)).collect()
}

/// `10^digits + offset` in decimal, for `|offset| < 10^30` and
/// `10^digits + offset > 0`.
fn power_of_ten_plus(digits: u32, offset: i128) -> String {
    if digits <= 30 {
        return (10i128.pow(digits) + offset).max(1).to_string();
    }
    let low = 10i128.pow(30) + offset;
    if low >= 10i128.pow(30) {
        format!("1{}{:030}", "0".repeat(digits as usize - 30), low - 10i128.pow(30))
    } else {
        format!("{}{:030}", "9".repeat(digits as usize - 30), low)
    }
}

/// Kinesis data that is the JSON of values from `values`.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn json_data<T, S>(values: S) -> BoxedStrategy<Vec<u8>>
where
    T: Serialize + fmt::Debug,
    S: Strategy<Value = T> + 'static,
{
    values.prop_map(|value| serde_json::to_vec(&value).unwrap_or_default()).boxed()
}

/// The key attribute of the items in [`dynamodb_batch`]'s records
/// (`Keys: {"pk": {"S": "item-3"}}`), also put in each image unless your
/// type has a field of that name.
pub const DYNAMODB_KEY_ATTRIBUTE: &str = "pk";

/// DynamoDB Streams batches: `records` changes (INSERT, MODIFY, REMOVE)
/// to up to `items` items, with images made from `image` values through
/// `serde_dynamo` (your fields kept, plus the key attribute
/// [`DYNAMODB_KEY_ATTRIBUTE`]), and increasing sequence numbers whose digit
/// count changes within the batch (from 3 to 4, 20 to 21 or 25 to 26
/// digits), so comparing them as text is caught.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn dynamodb_batch<T, S>(
    image: S,
    records: impl Into<SizeRange>,
    items: std::ops::RangeInclusive<usize>,
) -> DynamoDbBatchStrategy
where
    T: Serialize + fmt::Debug,
    S: Strategy<Value = T> + 'static,
{
    let record = (0..*items.end().max(&1), 0u8..3, image.prop_map(|v| to_image(&v)), 0u64..1_000);
    let digits = prop_oneof![Just(3u32), Just(20), Just(25)];
    DynamoDbBatchStrategy(
        (vec(record, records), digits, any::<proptest::sample::Index>())
            .prop_map(|(records, digits, crossing)| {
                let gaps: Vec<u64> = records.iter().map(|r| r.3).collect();
                let sequence = crossing_digits(digits, &crossing, &gaps);
                let records = records
                    .into_iter()
                    .zip(sequence)
                    .map(|((item, kind, image, _), seq)| {
                        let key = json!({"S": format!("item-{item}")});
                        let keys = json!({ DYNAMODB_KEY_ATTRIBUTE: key.clone() });
                        let mut with_key = image;
                        if let Some(map) = with_key.as_object_mut() {
                            map.entry(DYNAMODB_KEY_ATTRIBUTE).or_insert(key);
                        }
                        let (name, new, old) = match kind {
                            0 => ("INSERT", Some(with_key), None),
                            1 => ("MODIFY", Some(with_key.clone()), Some(with_key)),
                            _ => ("REMOVE", None, Some(with_key)),
                        };
                        crate::dynamodb::record(&seq, name, keys, new, old)
                    })
                    .collect::<Vec<_>>();
                Batch::new(wire::DYNAMODB.kind, records)
            })
            .boxed(),
    )
}

/// A value as a DynamoDB JSON attribute map (`{"field": {"S": ".."}}`).
pub(crate) fn to_image<T: Serialize>(value: &T) -> Value {
    serde_dynamo::to_item::<_, serde_dynamo::Item>(value)
        .ok()
        .and_then(|item| serde_json::to_value(item).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}))
}

/// Kafka batches: `records` records of one topic over up to `partitions`
/// partitions (each partition's offsets increasing, with gaps, and of
/// different digit lengths across partitions, so comparing offsets as text
/// is caught), keys of a few users (or none), and values from `value`
/// (base64-encoded in the event as Lambda does). The event lists each
/// partition's records together, as Lambda does.
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn kafka_batch(
    value: impl Strategy<Value = Vec<u8>> + 'static,
    records: impl Into<SizeRange>,
    partitions: std::ops::RangeInclusive<u32>,
) -> KafkaBatchStrategy {
    let users = proptest::option::weighted(0.9, 0u8..4);
    let keys = users.prop_map(|user| user.map(|user| format!("user-{user}").into_bytes()));
    kafka_keyed_batch(keys, value, records, partitions)
}

/// Kafka batches as [`kafka_batch`]'s, with each record's key drawn from
/// `key` (`None`: a record without a key), for handlers that decode keys
/// (`AvroKey<T>`, `ProtobufKey<T>`).
///
/// ```
/// use lambda_batch_testkit::prelude::*;
/// let keys = prop::option::of(Just(b"user-1".to_vec()));
/// let mut runner = prop::test_runner::TestRunner::default();
/// let batch = kafka_keyed_batch(keys, Just(b"v".to_vec()), 3, 1..=2).new_tree(&mut runner).unwrap().current();
/// assert_eq!(batch.records().len(), 3);
/// ```
#[must_use = "a strategy generates nothing until a test runner uses it"]
pub fn kafka_keyed_batch(
    key: impl Strategy<Value = Option<Vec<u8>>> + 'static,
    value: impl Strategy<Value = Vec<u8>> + 'static,
    records: impl Into<SizeRange>,
    partitions: std::ops::RangeInclusive<u32>,
) -> KafkaBatchStrategy {
    let record = (0..*partitions.end().max(&1), key, value, 1u64..20);
    let start = prop_oneof![Just(0u64), Just(7), Just(95), Just(9_990), Just(123_456_789)];
    KafkaBatchStrategy(
        (vec(record, records), start)
            .prop_map(|(records, start)| {
                let mut next: std::collections::HashMap<u32, u64> = std::collections::HashMap::new();
                let records = records
                    .into_iter()
                    .map(|(partition, key, value, gap)| {
                        // Partition p starts p * 10 offsets after `start`:
                        // offsets near 10, 100, 1000... cross a digit count.
                        let offset = next.entry(partition).or_insert(start + u64::from(partition) * 10);
                        *offset += gap;
                        crate::kafka::record("orders", partition, *offset, key.as_deref(), Some(&value))
                    })
                    .collect::<Vec<_>>();
                Batch::new(wire::KAFKA.kind, records)
            })
            .boxed(),
    )
}
