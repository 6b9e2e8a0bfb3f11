//! The Kafka extractors.

use lambda_runtime::Context;
use serde::Deserialize;

use super::{Kafka, KafkaEventRecord, KafkaHeader, KafkaRecord};
use crate::extract::{ExtractError, FromRecord, Json, OptionalPayload};

/// The record's key, base64-decoded; `None` when the record has no key.
///
/// ```
/// use lambda_batch::{batch_handler, kafka::Key};
/// #[batch_handler(kafka)]
/// async fn by_key(Key(key): Key<'_>, value: &str) -> Result<(), String> {
///     let key = key.ok_or("every order has a key")?;
///     println!("{} -> {value}", String::from_utf8_lossy(key));
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key<'r>(pub Option<&'r [u8]>);

/// The record's headers, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers<'r>(pub &'r [KafkaHeader]);

impl<'r> Headers<'r> {
    /// The value of the first header named `name`.
    pub fn get(&self, name: &str) -> Option<&'r [u8]> {
        self.0.iter().find(|header| header.name == name).map(|header| header.value.as_slice())
    }
}

fn value<'r>(record: &'r KafkaRecord<'r>, extractor: &'static str) -> Result<&'r [u8], ExtractError> {
    record.value().map_err(|message| ExtractError::new(extractor, message))
}

/// The base64-decoded `value`.
impl<'r> FromRecord<'r, Kafka> for &'r [u8] {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        value(record, "&[u8]")
    }
}

/// The decoded `value` as UTF-8 text.
impl<'r> FromRecord<'r, Kafka> for &'r str {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        std::str::from_utf8(value(record, "&str")?)
            .map_err(|error| ExtractError::new("&str", "the decoded `value` is not UTF-8").with_source(error))
    }
}

/// The decoded `value`, copied: for record functions that keep it or move
/// it to another thread (`parallel`).
impl<'r> FromRecord<'r, Kafka> for Vec<u8> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        value(record, "Vec<u8>").map(<[u8]>::to_vec)
    }
}

/// The decoded `value` as UTF-8 text, copied.
impl<'r> FromRecord<'r, Kafka> for String {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        String::from_utf8(value(record, "String")?.to_vec()).map_err(|error| {
            ExtractError::new("String", "the decoded `value` is not UTF-8").with_source(error)
        })
    }
}

/// The decoded `value` parsed as JSON.
impl<'r, T: Deserialize<'r>> FromRecord<'r, Kafka> for Json<T> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        serde_json::from_slice(value(record, "Json")?).map(Json).map_err(|error| {
            ExtractError::new(
                "Json",
                format_args!("the decoded `value` is not valid JSON for `{}`", std::any::type_name::<T>()),
            )
            .with_source(error)
        })
    }
}

/// `Option<Key>` is `None` when the key cannot be decoded (a record
/// without a key is `Some(Key(None))`).
impl OptionalPayload for Key<'_> {}

/// `Option<Headers>` is `None` when the headers cannot be decoded.
impl OptionalPayload for Headers<'_> {}

impl<'r> FromRecord<'r, Kafka> for Key<'r> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.key().map(Key).map_err(|message| ExtractError::new("Key", message))
    }
}

impl<'r> FromRecord<'r, Kafka> for Headers<'r> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.headers().map(Headers).map_err(|message| ExtractError::new("Headers", message))
    }
}

/// The full `aws_lambda_events` record.
impl<'r> FromRecord<'r, Kafka> for &'r KafkaEventRecord {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.event_record().map_err(|message| {
            ExtractError::new(
                "&KafkaEventRecord",
                format_args!("the record does not fit `aws_lambda_events`' Kafka record: {message}"),
            )
        })
    }
}

/// The engine's view of the record.
impl<'r> FromRecord<'r, Kafka> for &'r KafkaRecord<'r> {
    fn from_record(record: &'r KafkaRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(record)
    }
}
