//! Kafka events shaped as Lambda sends them (Amazon MSK; self-managed
//! Kafka differs only in `eventSource` and has no `eventSourceArn`).

use base64::Engine as _;
use lambda_batch::kafka::Kafka;
use lambda_batch::{BatchEvent, Source};
use serde_json::{Map, Value, json};

/// The ARN of the MSK cluster the builders use.
pub const CLUSTER_ARN: &str = crate::wire::KAFKA_CLUSTER_ARN;

/// A record of `topic`'s `partition` at `offset`, with `key` and `value`
/// base64-encoded as Lambda does (`None` writes `null`) and one header.
pub fn record(topic: &str, partition: u32, offset: u64, key: Option<&[u8]>, value: Option<&[u8]>) -> Value {
    let encode = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    json!({
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": 1_700_000_000_000_u64 + offset,
        "timestampType": "CREATE_TIME",
        "key": key.map(encode),
        "value": value.map(encode),
        "headers": [{"source": b"testkit".to_vec()}]
    })
}

/// The event text, `{"eventSource": "aws:kafka", ..., "records": {"<topic>-<partition>": [...]}}`,
/// with records grouped by their `topic` and `partition`, partitions in the
/// order they first appear, each partition's records in the given order.
pub fn event_json(records: impl IntoIterator<Item = Value>) -> String {
    let records: Vec<Value> = records.into_iter().collect();
    crate::wire::event_text(Kafka::KIND, &records)
}

/// The event as a [`BatchEvent`].
pub fn event(records: impl IntoIterator<Item = Value>) -> BatchEvent {
    let text = event_json(records);
    // The text is always valid JSON; were it not, the handler would see an
    // event without records and fail the invocation (nothing acknowledged).
    BatchEvent::from_json(&text).unwrap_or_else(|_| BatchEvent::from(Value::Object(Map::new())))
}

#[cfg(any(feature = "avro", feature = "protobuf"))]
pub use self::formats::*;

/// Kafka values and keys in Avro or Protobuf, framed as schema registries
/// frame them (features `avro`, `protobuf`).
#[cfg(any(feature = "avro", feature = "protobuf"))]
mod formats {
    use std::io::Write as _;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    pub use lambda_batch::kafka::WireFormat;

    /// The Confluent schema id the strategies use.
    pub const CONFLUENT_SCHEMA_ID: u32 = 100_042;
    /// The AWS Glue schema version id the strategies use.
    pub const GLUE_SCHEMA_VERSION_ID: [u8; 16] =
        *b"\x6b\x0f\x1e\x2a\x39\x4d\x4e\x5f\x8a\x9b\xac\xbd\xce\xdf\xe0\xf1";

    /// The formats the strategies draw from: plain, Confluent, Glue, and
    /// Glue with zlib.
    ///
    /// ```
    /// use lambda_batch_testkit::kafka::{every_wire_format, WireFormat};
    /// assert_eq!(every_wire_format()[0], WireFormat::Plain);
    /// ```
    pub fn every_wire_format() -> [WireFormat; 4] {
        [
            WireFormat::Plain,
            WireFormat::Confluent { schema_id: CONFLUENT_SCHEMA_ID },
            WireFormat::Glue { schema_version_id: GLUE_SCHEMA_VERSION_ID, zlib: false },
            WireFormat::Glue { schema_version_id: GLUE_SCHEMA_VERSION_ID, zlib: true },
        ]
    }

    /// `data` framed as `format` says: nothing added when plain; magic byte
    /// `0x00` and the big-endian schema id for Confluent; header version
    /// `0x03`, compression byte and schema version id for Glue (the data
    /// zlib-compressed when `zlib`). `message_index`: for Protobuf, the
    /// index of the message in its schema, written as each registry writes
    /// it (Confluent: `0`, the one-byte form of `[0]`, or a count and the
    /// index, zig-zag varints; Glue: one varint); `None` for Avro.
    ///
    /// ```
    /// use lambda_batch_testkit::kafka::{frame, WireFormat};
    /// assert_eq!(frame(WireFormat::Confluent { schema_id: 7 }, b"x", None), b"\0\0\0\0\x07x");
    /// ```
    pub fn frame(format: WireFormat, data: &[u8], message_index: Option<u32>) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() + 24);
        let mut body = Vec::with_capacity(data.len() + 4);
        match format {
            WireFormat::Confluent { schema_id } => {
                out.push(0x00);
                out.extend_from_slice(&schema_id.to_be_bytes());
                match message_index {
                    None => {}
                    Some(0) => out.push(0),
                    Some(index) => {
                        varint(&mut out, 2); // zig-zag of the count, 1
                        varint(&mut out, u64::from(index) << 1);
                    }
                }
            }
            WireFormat::Glue { schema_version_id, zlib } => {
                out.push(0x03);
                out.push(if zlib { 0x05 } else { 0x00 });
                out.extend_from_slice(&schema_version_id);
                if let Some(index) = message_index {
                    varint(&mut body, u64::from(index));
                }
            }
            _ => {}
        }
        body.extend_from_slice(data);
        match format {
            WireFormat::Glue { zlib: true, .. } => out.extend_from_slice(&zlib_compress(&body)),
            _ => out.extend_from_slice(&body),
        }
        out
    }

    /// An unsigned LEB128 varint.
    fn varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn zlib_compress(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        // Writing to a Vec cannot fail.
        let _ = encoder.write_all(bytes);
        encoder.finish().unwrap_or_default()
    }

    /// `value` as an Avro datum of `schema`, framed as `format` says.
    ///
    /// ```
    /// use lambda_batch_testkit::kafka::{avro_bytes, WireFormat};
    /// let schema = apache_avro::Schema::parse_str(r#""long""#).unwrap();
    /// let bytes = avro_bytes(&21i64, &schema, WireFormat::Confluent { schema_id: 1 }).unwrap();
    /// assert_eq!(bytes, [0, 0, 0, 0, 1, 42]);
    /// ```
    ///
    /// # Errors
    /// The value does not fit the schema.
    #[cfg(feature = "avro")]
    pub fn avro_bytes<T: serde::Serialize>(
        value: &T,
        schema: &apache_avro::Schema,
        format: WireFormat,
    ) -> Result<Vec<u8>, apache_avro::Error> {
        let datum = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
            .build()?
            .write_ser_to_vec(value)?;
        Ok(frame(format, &datum, None))
    }

    /// `message` encoded with prost, framed as `format` says (message
    /// index 0: the schema's first message).
    ///
    /// ```
    /// use lambda_batch_testkit::kafka::{protobuf_bytes, WireFormat};
    /// // A message with no fields set encodes to no bytes.
    /// assert_eq!(protobuf_bytes(&(), WireFormat::Confluent { schema_id: 1 }), [0, 0, 0, 0, 1, 0]);
    /// ```
    #[cfg(feature = "protobuf")]
    pub fn protobuf_bytes<T: prost::Message>(message: &T, format: WireFormat) -> Vec<u8> {
        frame(format, &message.encode_to_vec(), Some(0))
    }

    #[cfg(all(feature = "harness", feature = "avro"))]
    pub use super::strategies::avro_value;
    #[cfg(all(feature = "harness", feature = "protobuf"))]
    pub use super::strategies::protobuf_value;
}

/// Strategies of Avro and Protobuf bytes in every wire format.
#[cfg(all(feature = "harness", any(feature = "avro", feature = "protobuf")))]
mod strategies {
    use std::fmt;

    use proptest::prelude::*;
    use proptest::sample::select;
    use proptest::strategy::BoxedStrategy;

    use super::formats::every_wire_format;

    /// Avro data of the values from `values`, written with `schema`, each
    /// plain, Confluent-framed, Glue-framed or Glue-framed and
    /// zlib-compressed (drawn per value), for
    /// [`kafka_batch`](crate::strategy::kafka_batch) values or
    /// [`kafka_keyed_batch`](crate::strategy::kafka_keyed_batch) keys.
    /// Values that do not fit the schema are rejected (proptest reports
    /// too many rejects, naming this).
    ///
    /// ```
    /// use std::sync::LazyLock;
    /// use lambda_batch_testkit::kafka::avro_value;
    /// use lambda_batch_testkit::prelude::*;
    /// static SCHEMA: LazyLock<apache_avro::Schema> = LazyLock::new(|| apache_avro::Schema::parse_str(r#""long""#).unwrap());
    /// let mut runner = prop::test_runner::TestRunner::default();
    /// let value = avro_value(0i64..10, &SCHEMA).new_tree(&mut runner).unwrap().current();
    /// assert!(!value.is_empty());
    /// ```
    #[cfg(feature = "avro")]
    #[must_use = "a strategy generates nothing until a test runner uses it"]
    pub fn avro_value<T, S>(values: S, schema: &'static apache_avro::Schema) -> BoxedStrategy<Vec<u8>>
    where
        T: serde::Serialize + fmt::Debug,
        S: Strategy<Value = T> + 'static,
    {
        (values, select(every_wire_format().to_vec()))
            .prop_filter_map("the value does not fit the Avro schema", move |(value, format)| {
                super::formats::avro_bytes(&value, schema, format).ok()
            })
            .boxed()
    }

    /// Protobuf messages from `messages`, each plain, Confluent-framed,
    /// Glue-framed or Glue-framed and zlib-compressed (drawn per message).
    ///
    /// ```
    /// use lambda_batch_testkit::kafka::protobuf_value;
    /// use lambda_batch_testkit::prelude::*;
    /// let mut runner = prop::test_runner::TestRunner::default();
    /// // `()` is prost's empty message.
    /// let value = protobuf_value(Just(())).new_tree(&mut runner).unwrap().current();
    /// assert!(value.is_empty() || value[0] == 0x00 || value[0] == 0x03);
    /// ```
    #[cfg(feature = "protobuf")]
    #[must_use = "a strategy generates nothing until a test runner uses it"]
    pub fn protobuf_value<T, S>(messages: S) -> BoxedStrategy<Vec<u8>>
    where
        T: prost::Message + fmt::Debug,
        S: Strategy<Value = T> + 'static,
    {
        (messages, select(every_wire_format().to_vec()))
            .prop_map(|(message, format)| super::formats::protobuf_bytes(&message, format))
            .boxed()
    }
}
