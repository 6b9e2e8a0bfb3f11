//! The DynamoDB Streams extractors: images decoded with serde_dynamo.

use aws_lambda_events::dynamodb::EventRecord;
use lambda_runtime::Context;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use super::{DynamoDb, DynamoDbRecord, EventName, Keys, NewImage, OldImage};
use crate::extract::{ExtractError, FromRecord};

/// Decodes a DynamoDB attribute map (`{"id": {"S": "1"}, ...}`) into `T`.
fn decode<T: DeserializeOwned>(
    raw: &RawValue,
    field: &'static str,
    extractor: &'static str,
) -> Result<T, ExtractError> {
    let item: serde_dynamo::Item = serde_json::from_str(raw.get()).map_err(|error| {
        ExtractError::new(extractor, format_args!("`dynamodb.{field}` is not a DynamoDB attribute map"))
            .with_source(error)
    })?;
    serde_dynamo::from_item(item).map_err(|error| {
        ExtractError::new(
            extractor,
            format_args!("`dynamodb.{field}` does not fit `{}`", std::any::type_name::<T>()),
        )
        .with_source(error)
    })
}

fn required<'e>(
    raw: Option<&'e RawValue>,
    field: &'static str,
    extractor: &'static str,
) -> Result<&'e RawValue, ExtractError> {
    raw.ok_or_else(|| {
        ExtractError::new(
            extractor,
            format_args!(
                "the record has no `dynamodb.{field}` (see the stream's view type; use `Option<{extractor}>` when it may be missing)"
            ),
        )
    })
}

macro_rules! image_extractor {
    ($wrapper:ident, $field:literal, $index:tt) => {
        impl<'r, T: DeserializeOwned> FromRecord<'r, DynamoDb> for $wrapper<T> {
            fn from_record(record: &'r DynamoDbRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
                let raw = required(record.image_values()[$index], $field, stringify!($wrapper))?;
                decode(raw, $field, stringify!($wrapper)).map($wrapper)
            }
        }

        /// `None` when the record has no such image; an image that does
        /// not fit `T` still fails the record (this is not
        /// [`OptionalPayload`](crate::extract::OptionalPayload)'s meaning).
        impl<'r, T: DeserializeOwned> FromRecord<'r, DynamoDb> for Option<$wrapper<T>> {
            fn from_record(record: &'r DynamoDbRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
                record.image_values()[$index]
                    .map(|raw| decode(raw, $field, stringify!($wrapper)).map($wrapper))
                    .transpose()
            }
        }
    };
}

image_extractor!(Keys, "Keys", 0);
image_extractor!(NewImage, "NewImage", 1);
image_extractor!(OldImage, "OldImage", 2);

/// The `eventName`.
impl<'r> FromRecord<'r, DynamoDb> for EventName {
    fn from_record(record: &'r DynamoDbRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        match record.event_name() {
            Some("INSERT") => Ok(EventName::Insert),
            Some("MODIFY") => Ok(EventName::Modify),
            Some("REMOVE") => Ok(EventName::Remove),
            Some(other) => {
                Err(ExtractError::new("EventName", format_args!("unknown `eventName` \"{other}\"")))
            }
            None => Err(ExtractError::new("EventName", "the record has no `eventName`")),
        }
    }
}

/// The full `aws_lambda_events` record.
impl<'r> FromRecord<'r, DynamoDb> for &'r EventRecord {
    fn from_record(record: &'r DynamoDbRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.event_record().map_err(|message| {
            ExtractError::new(
                "&EventRecord",
                format_args!("the record does not fit `EventRecord`: {message}"),
            )
        })
    }
}

/// The engine's view of the record.
impl<'r> FromRecord<'r, DynamoDb> for &'r DynamoDbRecord<'r> {
    fn from_record(record: &'r DynamoDbRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(record)
    }
}
