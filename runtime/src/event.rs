//! The invocation payload of a batch handler, read leniently.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::EventError;

/// The event a batch handler receives: `{"Records": [...]}` (SQS, Kinesis,
/// DynamoDB Streams) or `{"records": {"<topic>-<partition>": [...]}}` (Kafka).
///
/// It is the payload type of every generated handler
/// (`LambdaEvent<BatchEvent>`). Deserializing it accepts any JSON: in the
/// same pass that `lambda_runtime` makes over the bytes, `Records` is split
/// into each record's raw JSON (Kafka's partitions one after the other, in
/// the order of the event), which the engine reads one by one later, so
/// one malformed record never fails the others, and an event without
/// records becomes a clear [`EventError`] in the handler instead of a
/// deserialization failure. Other top-level keys are skipped.
///
/// ```
/// use lambda_batch::BatchEvent;
/// let event: BatchEvent = serde_json::json!({"Records": [{"messageId": "m1"}]}).into();
/// assert_eq!(event.records().unwrap().len(), 1);
/// let event: BatchEvent = r#"{"detail": {}}"#.parse().unwrap();
/// assert!(event.records().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct BatchEvent {
    records: Result<Vec<Box<RawValue>>, Shape>,
}

/// What is wrong with an event's shape (kept until the handler asks).
#[derive(Debug, Clone)]
enum Shape {
    NotAnObject(&'static str),
    MissingRecords,
    RecordsNotArray(&'static str),
    DuplicateRecords,
    /// Kafka's `records` is not an object.
    KafkaRecordsNotMap(&'static str),
    /// A partition of Kafka's `records` (its key) is not an array.
    KafkaPartitionNotArray(String, &'static str),
    /// Both `Records` and Kafka's `records`.
    RecordsAndKafkaRecords,
    /// A Kafka record (its index) whose topic and partition contradict the
    /// key it sits under.
    KafkaRecordUnderOtherPartition {
        index: usize,
        key: String,
        topic: String,
        partition: i64,
    },
}

impl BatchEvent {
    /// Reads an event from JSON text.
    ///
    /// # Errors
    /// [`EventError::NotJson`] if the text is not JSON.
    pub fn from_json(json: &str) -> Result<Self, EventError> {
        serde_json::from_str(json).map_err(EventError::NotJson)
    }

    /// Reads an event from JSON bytes.
    ///
    /// # Errors
    /// [`EventError::NotJson`] if the bytes are not JSON.
    pub fn from_slice(json: &[u8]) -> Result<Self, EventError> {
        serde_json::from_slice(json).map_err(EventError::NotJson)
    }

    /// The raw JSON of each record, in order.
    ///
    /// # Errors
    /// An [`EventError`] if the event is not an object with a `Records` array.
    pub fn records(&self) -> Result<&[Box<RawValue>], EventError> {
        match &self.records {
            Ok(records) => Ok(records),
            Err(Shape::NotAnObject(found)) => Err(EventError::NotAnObject { found }),
            Err(Shape::MissingRecords) => Err(EventError::MissingRecords),
            Err(Shape::RecordsNotArray(found)) => Err(EventError::RecordsNotArray { found }),
            Err(Shape::DuplicateRecords) => Err(EventError::DuplicateRecords),
            Err(Shape::KafkaRecordsNotMap(found)) => Err(EventError::KafkaRecordsNotMap { found }),
            Err(Shape::KafkaPartitionNotArray(partition, found)) => {
                Err(EventError::KafkaPartitionNotArray { partition: partition.clone(), found })
            }
            Err(Shape::RecordsAndKafkaRecords) => Err(EventError::RecordsAndKafkaRecords),
            Err(Shape::KafkaRecordUnderOtherPartition { index, key, topic, partition }) => {
                Err(EventError::KafkaRecordUnderOtherPartition {
                    index: *index,
                    key: key.clone(),
                    topic: topic.clone(),
                    partition: *partition,
                })
            }
        }
    }
}

impl<'de> Deserialize<'de> for BatchEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(EventVisitor).map(|records| BatchEvent { records })
    }
}

/// Visitor methods for the scalar JSON types: each notes which type was
/// found with `$shape`.
macro_rules! scalar_visits {
    ($shape:path) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Err($shape("string")))
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Err($shape("boolean")))
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Err($shape("number")))
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Err($shape("number")))
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Err($shape("number")))
        }
    };
}

/// The whole event: an object whose `Records` we keep, anything else noted.
struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Result<Vec<Box<RawValue>>, Shape>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut records = None;
        let mut kafka_records = None;
        while let Some(key) = map.next_key_seed(RecordsKey)? {
            match key {
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                Key::Records if records.is_some() => {
                    map.next_value::<IgnoredAny>()?;
                    records = Some(Err(Shape::DuplicateRecords));
                }
                Key::Records => records = Some(map.next_value_seed(RecordsSeed)?),
                Key::KafkaRecords if kafka_records.is_some() => {
                    map.next_value::<IgnoredAny>()?;
                    kafka_records = Some(Err(Shape::DuplicateRecords));
                }
                Key::KafkaRecords => kafka_records = Some(map.next_value_seed(KafkaRecordsSeed)?),
            }
        }
        // AWS's own sources send `Records`; Kafka sends `records`; never both.
        Ok(match (records, kafka_records) {
            (Some(_), Some(_)) => Err(Shape::RecordsAndKafkaRecords),
            (records, kafka_records) => records.or(kafka_records).unwrap_or(Err(Shape::MissingRecords)),
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(Shape::NotAnObject("array")))
    }

    scalar_visits!(Shape::NotAnObject);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(Shape::NotAnObject("null")))
    }
}

/// A top-level key of the event.
enum Key {
    /// `Records` (SQS, Kinesis, DynamoDB Streams).
    Records,
    /// `records` (Kafka: a map of partitions).
    KafkaRecords,
    /// Anything else.
    Other,
}

/// Reads a map key, compared without allocating.
struct RecordsKey;

impl<'de> DeserializeSeed<'de> for RecordsKey {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "Records" => Key::Records,
                    "records" => Key::KafkaRecords,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Kafka's `records`: `{"<topic>-<partition>": [record, ...], ...}`, each
/// partition's records kept in order, partitions one after the other.
struct KafkaRecordsSeed;

impl<'de> DeserializeSeed<'de> for KafkaRecordsSeed {
    type Value = Result<Vec<Box<RawValue>>, Shape>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(KafkaRecordsVisitor)
    }
}

struct KafkaRecordsVisitor;

impl<'de> Visitor<'de> for KafkaRecordsVisitor {
    type Value = Result<Vec<Box<RawValue>>, Shape>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Kafka's records map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut records = Ok(Vec::new());
        while let Some(key) = map.next_key::<String>()? {
            let partition = map.next_value_seed(RecordsSeed)?;
            records = match (records, partition) {
                (Ok(mut all), Ok(partition)) => match under_other_partition(&key, all.len(), &partition) {
                    Some(shape) => Err(shape),
                    None => {
                        all.extend(partition);
                        Ok(all)
                    }
                },
                (Err(shape), _) => Err(shape),
                (Ok(_), Err(Shape::RecordsNotArray(found))) => Err(Shape::KafkaPartitionNotArray(key, found)),
                (Ok(_), Err(_)) => Err(Shape::KafkaPartitionNotArray(key, "null")),
            };
        }
        Ok(records)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(Shape::KafkaRecordsNotMap("array")))
    }

    scalar_visits!(Shape::KafkaRecordsNotMap);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(Shape::MissingRecords))
    }
}

/// The first record of a Kafka partition (`first` is its index in the
/// batch) whose own `topic` and `partition` say another partition than
/// `key`, the partition it sits under. A record whose topic or partition
/// cannot be read is left to the Kafka reader, which names what is wrong.
fn under_other_partition(key: &str, first: usize, records: &[Box<RawValue>]) -> Option<Shape> {
    // The records of a partition all say the same topic and partition: the
    // key is written out again only when they change.
    let mut checked: Option<(std::borrow::Cow<'_, str>, i64)> = None;
    records.iter().enumerate().find_map(|(offset, raw)| {
        let (topic, partition) = crate::kafka::position::topic_and_partition(raw)?;
        if checked.as_ref().is_some_and(|(t, p)| *t == topic && *p == partition) {
            return None;
        }
        if crate::response::kafka_partition_key(&topic, partition) == key {
            checked = Some((topic, partition));
            return None;
        }
        Some(Shape::KafkaRecordUnderOtherPartition {
            index: first + offset,
            key: key.to_owned(),
            topic: topic.into_owned(),
            partition,
        })
    })
}

/// The `Records` value: each element kept as raw JSON; another type noted.
struct RecordsSeed;

impl<'de> DeserializeSeed<'de> for RecordsSeed {
    type Value = Result<Vec<Box<RawValue>>, Shape>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(RecordsVisitor)
    }
}

struct RecordsVisitor;

impl<'de> Visitor<'de> for RecordsVisitor {
    type Value = Result<Vec<Box<RawValue>>, Shape>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the Records array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(16));
        while let Some(record) = seq.next_element::<Box<RawValue>>()? {
            records.push(record);
        }
        Ok(Ok(records))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err(Shape::RecordsNotArray("object")))
    }

    scalar_visits!(Shape::RecordsNotArray);

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(Shape::MissingRecords))
    }
}

impl FromStr for BatchEvent {
    type Err = EventError;
    fn from_str(json: &str) -> Result<Self, Self::Err> {
        Self::from_json(json)
    }
}

impl From<&serde_json::Value> for BatchEvent {
    fn from(value: &serde_json::Value) -> Self {
        // A `Value` always prints as valid JSON, so this cannot fail; if it
        // ever did, the handler would report a clear `MissingRecords`.
        serde_json::from_str(&value.to_string()).unwrap_or(BatchEvent { records: Err(Shape::MissingRecords) })
    }
}

impl From<serde_json::Value> for BatchEvent {
    fn from(value: serde_json::Value) -> Self {
        BatchEvent::from(&value)
    }
}
