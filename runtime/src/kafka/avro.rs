//! `Avro<T>` and `AvroKey<T>`: Kafka values and keys in Avro's binary
//! encoding (feature `avro`).

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use lambda_runtime::Context;
use serde::de::DeserializeOwned;

use super::framing::{self, WireFormat};
use super::{Kafka, KafkaRecord};
use crate::extract::{ExtractError, FromRecord, OptionalPayload};

/// The Avro schema a type's values were written with, for [`Avro<T>`] and
/// [`AvroKey<T>`].
///
/// Avro's binary encoding carries no field names: the decoder needs the
/// writer's schema. Implement this for your type, returning a schema parsed
/// once (a `static` [`LazyLock`](std::sync::LazyLock)); with apache-avro's
/// `derive` feature, `#[derive(apache_avro::AvroSchema)]` gives
/// `Order::get_schema()` to put in the `LazyLock`.
///
/// ```
/// use std::sync::LazyLock;
/// use apache_avro::Schema;
/// use lambda_batch::kafka::WriterSchema;
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: String, quantity: i32 }
///
/// impl WriterSchema for Order {
///     fn writer_schema() -> &'static Schema {
///         static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
///             Schema::parse_str(r#"{"type": "record", "name": "Order", "fields": [
///                 {"name": "id", "type": "string"}, {"name": "quantity", "type": "int"}]}"#)
///                 .expect("the Order schema is valid Avro")
///         });
///         &SCHEMA
///     }
/// }
/// # let _ = Order::writer_schema();
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "avro")))]
pub trait WriterSchema {
    /// The schema values of this type were encoded with.
    fn writer_schema() -> &'static Schema;
}

/// A Kafka record's `value` in Avro's binary encoding, decoded with
/// `T`'s [`WriterSchema`] and deserialized into `T` with serde.
///
/// A Confluent (`0x00` + schema id) or AWS Glue (`0x03`, compression byte,
/// schema version id; zlib-compressed data is inflated) prefix is
/// recognised and stripped; [`WireFormat`] tells the rules. As a plain
/// datum may itself start with `0x00`, bytes that do not decode after the
/// prefix are tried whole. The datum must take every byte: bytes left over
/// mean another schema wrote it. A value that does not decode fails its
/// record alone, naming the prefix found and apache-avro's error.
///
/// Records the event source mapping's schema registry integration
/// delivers as JSON (`EventRecordFormat: JSON`) are read by
/// [`Json<T>`](crate::Json) instead.
///
/// ```
/// # use std::sync::LazyLock;
/// # use apache_avro::Schema;
/// use lambda_batch::batch_handler;
/// use lambda_batch::kafka::{Avro, WriterSchema};
///
/// #[derive(serde::Deserialize)]
/// struct Click { page: String }
/// # impl WriterSchema for Click {
/// #     fn writer_schema() -> &'static Schema {
/// #         static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse_str(
/// #             r#"{"type": "record", "name": "Click", "fields": [{"name": "page", "type": "string"}]}"#).unwrap());
/// #         &SCHEMA
/// #     }
/// # }
///
/// #[batch_handler(kafka)]
/// async fn count(Avro(click): Avro<Click>) -> Result<(), String> {
///     tracing::info!(page = %click.page, "click");
///     Ok(())
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "avro")))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Avro<T>(pub T);

/// A Kafka record's `key` in Avro's binary encoding, read as [`Avro<T>`]
/// reads the value. A record without a key fails.
///
/// ```
/// # use std::sync::LazyLock;
/// # use apache_avro::Schema;
/// use lambda_batch::batch_handler;
/// use lambda_batch::kafka::{Avro, AvroKey, WriterSchema};
///
/// #[derive(serde::Deserialize)]
/// struct UserId { id: i64 }
/// # impl WriterSchema for UserId {
/// #     fn writer_schema() -> &'static Schema {
/// #         static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::parse_str(
/// #             r#"{"type": "record", "name": "UserId", "fields": [{"name": "id", "type": "long"}]}"#).unwrap());
/// #         &SCHEMA
/// #     }
/// # }
///
/// #[batch_handler(kafka)]
/// async fn by_user(AvroKey(user): AvroKey<UserId>, value: &[u8]) -> Result<(), String> {
///     tracing::info!(user = user.id, bytes = value.len(), "event");
///     Ok(())
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "avro")))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AvroKey<T>(pub T);

decoded_wrapper!(Avro);
decoded_wrapper!(AvroKey);

/// The most apache-avro may allocate for one string, bytes or array of a
/// datum: a few bytes that claim a huge length then fail that record with
/// an error instead of asking for the library's default of 512 MiB (which
/// a small function cannot give, and an allocation failure aborts the
/// process, so the whole batch would be retried). Kafka records delivered
/// to Lambda are at most 6 MB, so no real datum comes near it. The limit
/// is process-wide in apache-avro and the first setting wins: an
/// application that sets its own before the first record keeps it.
pub const MAX_AVRO_ALLOCATION_BYTES: usize = 32 * 1024 * 1024;

/// Decodes one datum that must take all of `bytes`.
fn datum<T: DeserializeOwned + WriterSchema>(mut bytes: &[u8]) -> Result<T, String> {
    static CAPPED: std::sync::Once = std::sync::Once::new();
    CAPPED.call_once(|| {
        apache_avro::util::max_allocation_bytes(MAX_AVRO_ALLOCATION_BYTES);
    });
    let value = GenericDatumReader::builder(T::writer_schema())
        .build()
        .and_then(|reader| reader.read_value(&mut bytes))
        .map_err(|error| error.to_string())?;
    if !bytes.is_empty() {
        return Err(format!(
            "{} bytes are left after the datum: it was written with another schema than `{}`'s",
            bytes.len(),
            std::any::type_name::<T>()
        ));
    }
    apache_avro::from_value(&value).map_err(|error| error.to_string())
}

/// Decodes `bytes` (`what`: "the value" or "the key"), prefixed or not.
pub(crate) fn decode<T: DeserializeOwned + WriterSchema>(bytes: &[u8], what: &str) -> Result<T, String> {
    let type_name = std::any::type_name::<T>();
    let format = WireFormat::detect(bytes);
    let framed = match format {
        WireFormat::Plain => None,
        _ => match framing::strip(bytes, format, what).and_then(|payload| datum::<T>(&payload)) {
            Ok(value) => return Ok(value),
            Err(error) => Some(error),
        },
    };
    let plain = match datum::<T>(bytes) {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    Err(match framed {
        Some(error) => format!(
            "{what} has {format}, but what follows is not an Avro datum of `{type_name}`: {error} (read whole, \
             without the prefix: {plain})"
        ),
        None => {
            let prefix = framing::broken_prefix(bytes).map(|why| format!("; {why}")).unwrap_or_default();
            format!("{what} is not an Avro datum of `{type_name}`: {plain}{prefix}")
        }
    })
}

/// `Option<Avro<T>>`: `None` when the value does not decode.
impl<T> OptionalPayload for Avro<T> {}

/// `Option<AvroKey<T>>`: `None` when the key does not decode.
impl<T> OptionalPayload for AvroKey<T> {}

/// The decoded `value`.
impl<'r, T: DeserializeOwned + WriterSchema> FromRecord<'r, Kafka> for Avro<T> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let value = record.value().map_err(|message| ExtractError::new("Avro", message))?;
        decode(value, "the value").map(Avro).map_err(|message| ExtractError::new("Avro", message))
    }
}

/// The decoded `key`.
impl<'r, T: DeserializeOwned + WriterSchema> FromRecord<'r, Kafka> for AvroKey<T> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let key = record
            .key()
            .map_err(|message| ExtractError::new("AvroKey", message))?
            .ok_or_else(|| ExtractError::new("AvroKey", "the record has no `key` to decode as Avro"))?;
        decode(key, "the key").map(AvroKey).map_err(|message| ExtractError::new("AvroKey", message))
    }
}
