//! `Protobuf<T>` and `ProtobufKey<T>`: Kafka values and keys that are
//! Protocol Buffers messages (feature `protobuf`).

use lambda_runtime::Context;
use prost::Message;

use super::framing::{self, WireFormat};
use super::{Kafka, KafkaRecord};
use crate::extract::{ExtractError, FromRecord, OptionalPayload};

/// A Kafka record's `value`, a Protocol Buffers message decoded with prost
/// into `T` (a `#[derive(prost::Message)]` type, or one prost-build
/// generated).
///
/// A Confluent prefix (`0x00`, schema id, then the message indexes) or an
/// AWS Glue prefix (`0x03`, compression byte, schema version id, then the
/// message index; zlib-compressed data is inflated) is recognised and
/// stripped; [`WireFormat`] tells the rules. The message index says which
/// message of the schema the producer wrote; it is not checked against
/// `T`, which the handler names. A value that does not decode fails its
/// record alone.
///
/// ```
/// use lambda_batch::batch_handler;
/// use lambda_batch::kafka::Protobuf;
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// struct Click {
///     #[prost(string, tag = "1")]
///     page: String,
/// }
///
/// #[batch_handler(kafka)]
/// async fn count(Protobuf(click): Protobuf<Click>) -> Result<(), String> {
///     tracing::info!(page = %click.page, "click");
///     Ok(())
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protobuf<T>(pub T);

/// A Kafka record's `key`, a Protocol Buffers message, read as
/// [`Protobuf<T>`] reads the value. A record without a key fails.
///
/// ```
/// use lambda_batch::batch_handler;
/// use lambda_batch::kafka::ProtobufKey;
///
/// #[derive(Clone, PartialEq, prost::Message)]
/// struct UserId {
///     #[prost(int64, tag = "1")]
///     id: i64,
/// }
///
/// #[batch_handler(kafka)]
/// async fn by_user(ProtobufKey(user): ProtobufKey<UserId>, value: &[u8]) -> Result<(), String> {
///     tracing::info!(user = user.id, bytes = value.len(), "event");
///     Ok(())
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "protobuf")))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtobufKey<T>(pub T);

decoded_wrapper!(Protobuf);
decoded_wrapper!(ProtobufKey);

/// Skips Confluent's message indexes: a zig-zag varint count, then that
/// many zig-zag varint indexes; a count of 0 stands for `[0]`.
fn skip_confluent_indexes(bytes: &mut &[u8]) -> Result<(), String> {
    let count = prost::encoding::decode_varint(bytes)
        .map_err(|error| format!("the Confluent message indexes are cut short: {error}"))?;
    let count = (count >> 1) as i64 ^ -((count & 1) as i64);
    if !(0..=1024).contains(&count) {
        return Err(format!("the Confluent message-index count is {count}, not a count of nested messages"));
    }
    for _ in 0..count {
        prost::encoding::decode_varint(bytes)
            .map_err(|error| format!("the Confluent message indexes are cut short: {error}"))?;
    }
    Ok(())
}

/// Decodes `bytes` (`what`: "the value" or "the key"), prefixed or not.
pub(crate) fn decode<T: Message + Default>(bytes: &[u8], what: &str) -> Result<T, String> {
    let type_name = std::any::type_name::<T>();
    if let Some(why) = framing::broken_prefix(bytes) {
        return Err(format!("{what} is not a Protobuf message of `{type_name}`: {why}"));
    }
    let format = WireFormat::detect(bytes);
    let payload = framing::strip(bytes, format, what)?;
    let mut message: &[u8] = &payload;
    match format {
        WireFormat::Plain => {}
        WireFormat::Confluent { .. } => skip_confluent_indexes(&mut message)?,
        WireFormat::Glue { .. } => {
            prost::encoding::decode_varint(&mut message)
                .map_err(|error| format!("the AWS Glue message index is cut short: {error}"))?;
        }
    }
    T::decode(message)
        .map_err(|error| format!("{what} ({format}) is not a Protobuf message of `{type_name}`: {error}"))
}

/// `Option<Protobuf<T>>`: `None` when the value does not decode.
impl<T> OptionalPayload for Protobuf<T> {}

/// `Option<ProtobufKey<T>>`: `None` when the key does not decode.
impl<T> OptionalPayload for ProtobufKey<T> {}

/// The decoded `value`.
impl<'r, T: Message + Default> FromRecord<'r, Kafka> for Protobuf<T> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let value = record.value().map_err(|message| ExtractError::new("Protobuf", message))?;
        decode(value, "the value").map(Protobuf).map_err(|message| ExtractError::new("Protobuf", message))
    }
}

/// The decoded `key`.
impl<'r, T: Message + Default> FromRecord<'r, Kafka> for ProtobufKey<T> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let key =
            record.key().map_err(|message| ExtractError::new("ProtobufKey", message))?.ok_or_else(|| {
                ExtractError::new("ProtobufKey", "the record has no `key` to decode as Protobuf")
            })?;
        decode(key, "the key").map(ProtobufKey).map_err(|message| ExtractError::new("ProtobufKey", message))
    }
}
