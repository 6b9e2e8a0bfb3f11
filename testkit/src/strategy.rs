//! Proptest strategies for batch events of the shape Lambda sends.
//!
//! Free functions with range parameters, each returning a named strategy
//! type whose values are [`Batch`]es. Record payloads come from your own
//! strategies: [`json_body`] turns any `Serialize` strategy into bodies.

use std::fmt;

use base64::Engine as _;
use lambda_batch::BatchEvent;
use proptest::collection::{SizeRange, vec};
use proptest::prelude::*;
use proptest::strategy::BoxedStrategy;
use serde::Serialize;
use serde_json::{Value, json};

/// Which event source a [`Batch`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// SQS standard queue.
    Sqs,
    /// SQS FIFO queue (`.fifo` ARN, message groups).
    SqsFifo,
    /// Kinesis Data Streams.
    Kinesis,
    /// DynamoDB Streams.
    DynamoDb,
}

/// A generated batch event.
#[derive(Clone, PartialEq)]
pub struct Batch {
    /// The source.
    pub source: SourceKind,
    /// The event JSON, `{"Records": [...]}`.
    pub event: Value,
}

impl Batch {
    /// The event as the handler payload.
    pub fn to_event(&self) -> BatchEvent {
        BatchEvent::from(&self.event)
    }

    /// The records.
    pub fn records(&self) -> &[Value] {
        self.event["Records"].as_array().map(Vec::as_slice).unwrap_or_default()
    }

    /// How many records.
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// `true` for an empty batch.
    pub fn is_empty(&self) -> bool {
        self.records().is_empty()
    }
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Shrunk counterexamples read best as the ids and payloads.
        let records: Vec<String> = self.records().iter().map(describe_record).collect();
        f.debug_struct("Batch").field("source", &self.source).field("records", &records).finish()
    }
}

fn describe_record(record: &Value) -> String {
    if let Some(id) = record["messageId"].as_str() {
        let group = record["attributes"]["MessageGroupId"]
            .as_str()
            .map(|g| format!(" group={g}"))
            .unwrap_or_default();
        return format!("{id}{group} body={}", record["body"]);
    }
    if let Some(seq) = record["kinesis"]["sequenceNumber"].as_str() {
        return format!("{seq} key={} data={}", record["kinesis"]["partitionKey"], record["kinesis"]["data"]);
    }
    format!(
        "{} {} keys={}",
        record["dynamodb"]["SequenceNumber"], record["eventName"], record["dynamodb"]["Keys"]
    )
}

macro_rules! named_strategy {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
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

/// Bodies that are the JSON of values from `values`.
pub fn json_body<T, S>(values: S) -> BoxedStrategy<String>
where
    T: Serialize + fmt::Debug,
    S: Strategy<Value = T> + 'static,
{
    values.prop_map(|value| serde_json::to_string(&value).unwrap_or_default()).boxed()
}

/// A UUID-shaped `messageId`, unique within the batch (the index is in the
/// low bits), random across batches.
fn message_id(base: u64, index: usize) -> String {
    uuid((u128::from(base) << 64) | index as u128)
}

fn uuid(bits: u128) -> String {
    let hex = format!("{bits:032x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
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
/// Records have UUID `messageId`s, every attribute value is a string, and
/// the queue ARN has no `.fifo` suffix.
pub fn sqs_batch(
    records: impl Into<SizeRange>,
    body: impl Strategy<Value = String> + 'static,
) -> SqsBatchStrategy {
    let record = (body, 1u32..4, 1_600_000_000_000u64..1_800_000_000_000);
    SqsBatchStrategy(
        (vec(record, records), any::<u64>())
            .prop_map(|(records, id_base)| {
                let records = records
                    .into_iter()
                    .enumerate()
                    .map(|(i, (body, receives, sent))| {
                        sqs_record(&message_id(id_base, i), &body, receives, sent, None)
                    })
                    .collect::<Vec<_>>();
                Batch { source: SourceKind::Sqs, event: json!({ "Records": records }) }
            })
            .boxed(),
    )
}

/// SQS FIFO batches: `records` messages spread over up to `groups` message
/// groups (order within each group is the batch order), with large
/// non-consecutive `SequenceNumber`s and a `.fifo` queue ARN.
pub fn sqs_fifo_batch(
    records: impl Into<SizeRange>,
    groups: std::ops::RangeInclusive<usize>,
    body: impl Strategy<Value = String> + 'static,
) -> SqsBatchStrategy {
    let record = (body, 0..*groups.end().max(&1), 0u64..1_000_000_000);
    let first_sequence = 10_000_000_000_000_000_000u128..20_000_000_000_000_000_000;
    SqsBatchStrategy(
        (vec(record, records), first_sequence, any::<u64>())
            .prop_map(|(records, start, id_base)| {
                let gaps: Vec<u64> = records.iter().map(|r| r.2).collect();
                let sequence = increasing(start, &gaps);
                let records = records
                    .into_iter()
                    .zip(sequence)
                    .enumerate()
                    .map(|(i, ((body, group, _), seq))| {
                        let fifo = (format!("group-{group}"), seq);
                        sqs_record(&message_id(id_base, i), &body, 1, 1_700_000_000_000, Some(fifo))
                    })
                    .collect::<Vec<_>>();
                Batch { source: SourceKind::SqsFifo, event: json!({ "Records": records }) }
            })
            .boxed(),
    )
}

fn sqs_record(id: &str, body: &str, receives: u32, sent: u64, fifo: Option<(String, String)>) -> Value {
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
/// `partition_keys` keys, 56-digit increasing sequence numbers, and data
/// from `data` (base64-encoded in the event as Lambda does).
pub fn kinesis_batch(
    records: impl Into<SizeRange>,
    partition_keys: std::ops::RangeInclusive<usize>,
    data: impl Strategy<Value = Vec<u8>> + 'static,
) -> KinesisBatchStrategy {
    let record = (0..*partition_keys.end().max(&1), data, 0u64..1_000_000);
    KinesisBatchStrategy(
        vec(record, records)
            .prop_map(|records| {
                let gaps: Vec<u64> = records.iter().map(|r| r.2).collect();
                let base = 49_568_167_373_333_333_333_333_333_333u128;
                let sequence = increasing(base, &gaps);
                let records = records
                    .into_iter()
                    .zip(sequence)
                    .map(|((key, data, _), seq)| {
                        crate::kinesis::record(&format!("{seq:0>56}"), &format!("partition-{key}"), &data)
                    })
                    .collect::<Vec<_>>();
                Batch { source: SourceKind::Kinesis, event: json!({ "Records": records }) }
            })
            .boxed(),
    )
}

/// Kinesis data that is the JSON of values from `values`.
pub fn json_data<T, S>(values: S) -> BoxedStrategy<Vec<u8>>
where
    T: Serialize + fmt::Debug,
    S: Strategy<Value = T> + 'static,
{
    values.prop_map(|value| serde_json::to_vec(&value).unwrap_or_default()).boxed()
}

/// DynamoDB Streams batches: `records` changes (INSERT, MODIFY, REMOVE)
/// to up to `items` items, with images made from `image` values through
/// `serde_dynamo`, and sequence numbers of varied length.
pub fn dynamodb_batch<T, S>(
    records: impl Into<SizeRange>,
    items: std::ops::RangeInclusive<usize>,
    image: S,
) -> DynamoDbBatchStrategy
where
    T: Serialize + fmt::Debug,
    S: Strategy<Value = T> + 'static,
{
    let record = (0..*items.end().max(&1), 0u8..3, image.prop_map(|v| to_image(&v)), 0u64..1_000);
    let start = prop_oneof![
        Just(100u128),
        Just(1_405_400_000_000_002_063_282_832),
        Just(800_000_000_003_126_276_362)
    ];
    DynamoDbBatchStrategy(
        (vec(record, records), start)
            .prop_map(|(records, start)| {
                let gaps: Vec<u64> = records.iter().map(|r| r.3).collect();
                let sequence = increasing(start, &gaps);
                let records = records
                    .into_iter()
                    .zip(sequence)
                    .map(|((item, kind, image, _), seq)| {
                        let keys = json!({"id": {"S": format!("item-{item}")}});
                        let mut with_key = image;
                        if let Some(map) = with_key.as_object_mut() {
                            map.insert("id".to_owned(), json!({"S": format!("item-{item}")}));
                        }
                        let (name, new, old) = match kind {
                            0 => ("INSERT", Some(with_key), None),
                            1 => ("MODIFY", Some(with_key.clone()), Some(with_key)),
                            _ => ("REMOVE", None, Some(with_key)),
                        };
                        crate::dynamodb::record(&seq, name, keys, new, old)
                    })
                    .collect::<Vec<_>>();
                Batch { source: SourceKind::DynamoDb, event: json!({ "Records": records }) }
            })
            .boxed(),
    )
}

/// A value as a DynamoDB JSON attribute map (`{"field": {"S": ".."}}`).
fn to_image<T: Serialize>(value: &T) -> Value {
    serde_dynamo::to_item::<_, serde_dynamo::Item>(value)
        .ok()
        .and_then(|item| serde_json::to_value(item).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}))
}
