//! The Kinesis extractors.

use aws_lambda_events::kinesis::KinesisEventRecord;
use lambda_runtime::Context;
use serde::Deserialize;

use super::{Kinesis, KinesisRecord};
use crate::extract::{ExtractError, FromRecord, Json};

fn data<'r>(record: &'r KinesisRecord<'r>, extractor: &'static str) -> Result<&'r [u8], ExtractError> {
    record.data().map_err(|message| ExtractError::new(extractor, message))
}

/// The base64-decoded `data`.
impl<'r> FromRecord<'r, Kinesis> for &'r [u8] {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        data(record, "&[u8]")
    }
}

/// The decoded `data` as UTF-8 text.
impl<'r> FromRecord<'r, Kinesis> for &'r str {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        std::str::from_utf8(data(record, "&str")?)
            .map_err(|error| ExtractError::new("&str", "`kinesis.data` is not UTF-8").with_source(error))
    }
}

/// The decoded `data`, copied: for record functions that keep it or move
/// it to another thread (`parallel`).
impl<'r> FromRecord<'r, Kinesis> for Vec<u8> {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        data(record, "Vec<u8>").map(<[u8]>::to_vec)
    }
}

/// The decoded `data` as UTF-8 text, copied.
impl<'r> FromRecord<'r, Kinesis> for String {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        String::from_utf8(data(record, "String")?.to_vec())
            .map_err(|error| ExtractError::new("String", "`kinesis.data` is not UTF-8").with_source(error))
    }
}

/// The decoded `data` parsed as JSON.
impl<'r, T: Deserialize<'r>> FromRecord<'r, Kinesis> for Json<T> {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        serde_json::from_slice(data(record, "Json")?).map(Json).map_err(|error| {
            ExtractError::new(
                "Json",
                format_args!(
                    "the decoded `kinesis.data` is not valid JSON for `{}`",
                    std::any::type_name::<T>()
                ),
            )
            .with_source(error)
        })
    }
}

/// The full `aws_lambda_events` record.
impl<'r> FromRecord<'r, Kinesis> for &'r KinesisEventRecord {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.event_record().map_err(|message| {
            ExtractError::new(
                "&KinesisEventRecord",
                format_args!("the record does not fit `KinesisEventRecord`: {message}"),
            )
        })
    }
}

/// The engine's view of the record.
impl<'r> FromRecord<'r, Kinesis> for &'r KinesisRecord<'r> {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(record)
    }
}
