//! Kafka values and keys in Avro and Protobuf (`kafka::Avro<T>`,
//! `AvroKey<T>`, `Protobuf<T>`, `ProtobufKey<T>`): without a prefix, with a
//! Confluent or AWS Glue prefix (zlib-compressed too), and broken; and a
//! record the schema registry integration delivers as JSON, read by
//! `Json<T>`.

use std::sync::LazyLock;

use apache_avro::Schema;
use lambda_batch::kafka::{Avro, AvroKey, Kafka, Protobuf, ProtobufKey, WireFormat, WriterSchema};
use lambda_batch::{BatchEvent, BatchPipeline, ExtractError, FromRecord, Json};
use lambda_batch_testkit::kafka::{avro_bytes, every_wire_format, frame, protobuf_bytes, record};
use serde::{Deserialize, Serialize};

// A Kafka event from an event source mapping with a schema registry and
// `EventRecordFormat: JSON`: key and value are base64 of JSON, and each
// record names its schemas (`keySchemaMetadata`, `valueSchemaMetadata`), as
// in AWS's "Using schema registries with Kafka event sources in Lambda"
// (https://docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html).
const SCHEMA_REGISTRY_JSON: &str = include_str!("../fixtures/envelopes/kafka-schema-registry-json.json");

/// The first field is a union with `null` first: a plain datum of an order
/// without a note starts with `0x00`, like a Confluent prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Order {
    note: Option<String>,
    id: String,
    quantity: i32,
}

impl WriterSchema for Order {
    fn writer_schema() -> &'static Schema {
        static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
            Schema::parse_str(
                r#"{"type": "record", "name": "Order", "fields": [
                    {"name": "note", "type": ["null", "string"]},
                    {"name": "id", "type": "string"},
                    {"name": "quantity", "type": "int"}]}"#,
            )
            .unwrap()
        });
        &SCHEMA
    }
}

/// Another schema, to write values `Order` cannot read.
#[derive(Debug, Serialize)]
struct Refund {
    amount: f64,
    reason: String,
    approved: bool,
}

fn refund_schema() -> Schema {
    Schema::parse_str(
        r#"{"type": "record", "name": "Refund", "fields": [
            {"name": "amount", "type": "double"}, {"name": "reason", "type": "string"},
            {"name": "approved", "type": "boolean"}]}"#,
    )
    .unwrap()
}

#[derive(Clone, PartialEq, prost::Message)]
struct Click {
    #[prost(string, tag = "1")]
    page: String,
    #[prost(int64, tag = "2")]
    millis: i64,
}

/// Field 1 is a number here, a string in `Click`.
#[derive(Clone, PartialEq, prost::Message)]
struct Counter {
    #[prost(int64, tag = "1")]
    count: i64,
}

fn extract<T: for<'r> FromRecord<'r, Kafka>>(
    records: Vec<serde_json::Value>,
) -> Vec<Result<T, ExtractError>> {
    let event = lambda_batch_testkit::kafka::event(records);
    let records = Kafka::read_records(&event).unwrap();
    let cx = lambda_batch_testkit::context();
    records.iter().map(|record| T::from_record(record, &cx)).collect()
}

fn values(values: &[&[u8]]) -> Vec<serde_json::Value> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| record("orders", 0, i as u64, Some(b"k"), Some(value)))
        .collect()
}

fn order(note: Option<&str>) -> Order {
    Order { note: note.map(str::to_owned), id: "o-1".to_owned(), quantity: 3 }
}

#[test]
fn avro_values_decode_plain_and_behind_every_prefix() {
    for note in [None, Some("gift")] {
        let encoded: Vec<Vec<u8>> = every_wire_format()
            .iter()
            .map(|format| avro_bytes(&order(note), Order::writer_schema(), *format).unwrap())
            .collect();
        // Without a note, the plain datum starts with 0x00 (the union's null
        // branch) and is still read as plain.
        assert_eq!(encoded[0][0] == 0, note.is_none());
        let decoded = extract::<Avro<Order>>(values(&encoded.iter().map(Vec::as_slice).collect::<Vec<_>>()));
        for (format, result) in every_wire_format().iter().zip(decoded) {
            assert_eq!(result.unwrap().0, order(note), "{format}");
        }
    }
}

#[test]
fn avro_keys_decode_like_values() {
    let format = WireFormat::Confluent { schema_id: 9 };
    let key = avro_bytes(&order(Some("key")), Order::writer_schema(), format).unwrap();
    let records =
        vec![record("orders", 0, 1, Some(&key), Some(b"v")), record("orders", 0, 2, None, Some(b"v"))];
    let mut decoded = extract::<AvroKey<Order>>(records);
    assert_eq!(decoded.remove(0).unwrap().0, order(Some("key")));
    assert_eq!(decoded.remove(0).unwrap_err().to_string(), "the record has no `key` to decode as Avro");
}

#[test]
fn broken_avro_values_fail_with_the_prefix_and_the_reason() {
    let schema = Order::writer_schema();
    let confluent = avro_bytes(&order(Some("gift")), schema, WireFormat::Confluent { schema_id: 7 }).unwrap();
    let truncated = &confluent[..confluent.len() - 2];
    let refund = Refund { amount: 9.5, reason: "broken".to_owned(), approved: true };
    let wrong_schema = avro_bytes(&refund, &refund_schema(), WireFormat::Confluent { schema_id: 8 }).unwrap();
    let mut bad_magic = confluent.clone();
    bad_magic[0] = 0x01;
    let glue_bad_compression = [&[0x03, 0x07][..], &[0u8; 16], b"\x02\x0ao-1\x06"].concat();
    let decoded =
        extract::<Avro<Order>>(values(&[truncated, &wrong_schema, &bad_magic, &glue_bad_compression, b""]));
    let errors: Vec<String> = decoded.into_iter().map(|result| result.unwrap_err().to_string()).collect();
    assert!(
        errors[0].starts_with(
            "the value has a Confluent prefix (schema id 7), but what follows is not an Avro datum of `"
        ),
        "{}",
        errors[0]
    );
    assert!(errors[1].contains("Confluent prefix (schema id 8)"), "{}", errors[1]);
    assert!(errors[2].starts_with("the value is not an Avro datum of `"), "{}", errors[2]);
    assert!(
        errors[3].contains("its compression byte is 0x07, neither 0x00 (none) nor 0x05 (zlib)"),
        "{}",
        errors[3]
    );
    assert!(errors[4].starts_with("the value is not an Avro datum of `"), "{}", errors[4]);
}

#[test]
fn an_avro_datum_with_bytes_left_over_is_from_another_schema() {
    let mut datum = avro_bytes(&order(Some("gift")), Order::writer_schema(), WireFormat::Plain).unwrap();
    datum.extend_from_slice(b"\x02\x04");
    let error = extract::<Avro<Order>>(values(&[&datum])).remove(0).unwrap_err().to_string();
    assert!(
        error.contains("2 bytes are left after the datum: it was written with another schema"),
        "{error}"
    );
}

fn click() -> Click {
    Click { page: "/checkout".to_owned(), millis: 1_700_000_000_123 }
}

#[test]
fn protobuf_values_decode_plain_and_behind_every_prefix() {
    let encoded: Vec<Vec<u8>> =
        every_wire_format().iter().map(|format| protobuf_bytes(&click(), *format)).collect();
    assert_eq!(
        &encoded[1][..6],
        &[0, 0, 1, 0x86, 0xca, 0],
        "Confluent: magic byte, schema id, message indexes [0]"
    );
    let decoded = extract::<Protobuf<Click>>(values(&encoded.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    for (format, result) in every_wire_format().iter().zip(decoded) {
        assert_eq!(result.unwrap().0, click(), "{format}");
    }
}

#[test]
fn protobuf_message_indexes_other_than_the_first_are_skipped() {
    let message = prost::Message::encode_to_vec(&click());
    let confluent = frame(WireFormat::Confluent { schema_id: 3 }, &message, Some(2));
    let glue = frame(WireFormat::Glue { schema_version_id: [7; 16], zlib: true }, &message, Some(300));
    for result in extract::<Protobuf<Click>>(values(&[&confluent, &glue])) {
        assert_eq!(result.unwrap().0, click());
    }
}

#[test]
fn protobuf_keys_decode_like_values() {
    let key =
        protobuf_bytes(&Counter { count: 42 }, WireFormat::Glue { schema_version_id: [1; 16], zlib: false });
    let records =
        vec![record("orders", 0, 1, Some(&key), Some(b"v")), record("orders", 0, 2, None, Some(b"v"))];
    let mut decoded = extract::<ProtobufKey<Counter>>(records);
    assert_eq!(decoded.remove(0).unwrap().0.count, 42);
    assert_eq!(decoded.remove(0).unwrap_err().to_string(), "the record has no `key` to decode as Protobuf");
}

#[test]
fn broken_protobuf_values_fail_with_the_prefix_and_the_reason() {
    let confluent = protobuf_bytes(&click(), WireFormat::Confluent { schema_id: 5 });
    let truncated = &confluent[..confluent.len() - 3];
    let wrong_schema = protobuf_bytes(&Counter { count: 1 }, WireFormat::Confluent { schema_id: 6 });
    let mut bad_magic = confluent.clone();
    bad_magic[0] = 0x01;
    let glue_zlib = protobuf_bytes(&click(), WireFormat::Glue { schema_version_id: [2; 16], zlib: true });
    let corrupt_zlib = [&glue_zlib[..18], b"not zlib data"].concat();
    let decoded = extract::<Protobuf<Click>>(values(&[
        truncated,
        &wrong_schema,
        &bad_magic,
        &corrupt_zlib,
        &confluent[..3],
    ]));
    let errors: Vec<String> = decoded.into_iter().map(|result| result.unwrap_err().to_string()).collect();
    assert!(
        errors[0].starts_with("the value (a Confluent prefix (schema id 5)) is not a Protobuf message of `"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("(a Confluent prefix (schema id 6)) is not a Protobuf message"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].starts_with("the value (no schema registry prefix) is not a Protobuf message of `"),
        "{}",
        errors[2]
    );
    assert!(
        errors[3].contains("the zlib data of the value (AWS Glue compression byte 0x05) does not decompress"),
        "{}",
        errors[3]
    );
    assert!(errors[4].contains("starts with the Confluent magic byte 0x00 but has 3 bytes"), "{}", errors[4]);
}

#[test]
fn wire_formats_name_themselves() {
    let glue = WireFormat::Glue {
        schema_version_id: *b"\x6b\x0f\x1e\x2a\x39\x4d\x4e\x5f\x8a\x9b\xac\xbd\xce\xdf\xe0\xf1",
        zlib: true,
    };
    assert_eq!(
        glue.to_string(),
        "an AWS Glue prefix (schema version 6b0f1e2a-394d-4e5f-8a9b-acbdcedfe0f1, zlib-compressed)"
    );
    assert_eq!(WireFormat::detect(&[0x03, 0x05]), WireFormat::Plain, "too short for a Glue header");
}

#[derive(Debug, Deserialize, PartialEq)]
struct Person {
    name: String,
    age: u32,
}

#[test]
fn records_the_schema_registry_delivers_as_json_are_read_by_json() {
    let event = BatchEvent::from_json(SCHEMA_REGISTRY_JSON).unwrap();
    let records = Kafka::read_records(&event).unwrap();
    let cx = lambda_batch_testkit::context();
    let Json(person) = <Json<Person> as FromRecord<'_, Kafka>>::from_record(&records[0], &cx).unwrap();
    assert_eq!(person, Person { name: "Ada".to_owned(), age: 36 });
    let key: serde_json::Value = serde_json::from_slice(records[0].key().unwrap().unwrap()).unwrap();
    assert_eq!(key["userId"], "u-42");
    assert_eq!(records[0].event_record().unwrap().offset, 15);
}

#[test]
fn option_of_avro_and_protobuf_is_none_for_a_value_that_does_not_decode() {
    let good =
        avro_bytes(&order(None), Order::writer_schema(), WireFormat::Confluent { schema_id: 3 }).unwrap();
    let decoded = extract::<Option<Avro<Order>>>(values(&[&good, b"\x00\x00"]));
    let decoded: Vec<Option<Order>> =
        decoded.into_iter().map(|result| result.unwrap().map(|Avro(o)| o)).collect();
    assert_eq!(decoded, [Some(order(None)), None]);
    let good = protobuf_bytes(&click(), WireFormat::Confluent { schema_id: 5 });
    let decoded = extract::<Option<Protobuf<Click>>>(values(&[&good, &good[..3]]));
    let decoded: Vec<bool> = decoded.into_iter().map(|result| result.unwrap().is_some()).collect();
    assert_eq!(decoded, [true, false]);
}

#[test]
fn an_avro_value_claiming_a_huge_string_fails_its_record_without_allocating_it() {
    // An `Order`: no note (the union's null branch, 0x00), then an `id`
    // string whose zig-zag length is 400,000,000 (0x80 0xd8 0xb8 0xfd 0x02),
    // then nothing. With apache-avro's default cap this asks for 400 MB.
    let claim: &[u8] = &[0x00, 0x80, 0xd8, 0xb8, 0xfd, 0x02];
    let decoded = extract::<Avro<Order>>(values(&[claim]));
    let error = decoded.into_iter().next().unwrap().unwrap_err().to_string();
    // Refused before allocating (under apache-avro's default cap of 512 MiB
    // the 400 MB buffer would be allocated, then found empty).
    assert!(error.contains("allocate"), "{error}");
}

#[lambda_batch::batch_handler]
async fn inferred_from_avro(Avro(order): Avro<Order>, Protobuf(click): Protobuf<Click>) {
    let _ = (order, click);
}

#[test]
fn the_source_is_inferred_from_the_avro_and_protobuf_extractors() {
    // Kafka handlers take a `StreamConfig` whose policy is per partition.
    let _: lambda_batch::stream::StreamConfig = inferred_from_avro::CONFIG;
}
