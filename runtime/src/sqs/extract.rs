//! The SQS extractors.

use lambda_runtime::Context;
use serde::Deserialize;

use super::{Sqs, SqsMessage, SqsRecord};
use crate::extract::{ExtractError, FromRecord, Json};

/// The raw body.
impl<'r> FromRecord<'r, Sqs> for &'r str {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.body_text().map_err(|message| ExtractError::new("&str", message))
    }
}

/// The raw body, copied: for record functions that keep it or move it to
/// another thread (`parallel`).
impl<'r> FromRecord<'r, Sqs> for String {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.body_text().map(str::to_owned).map_err(|message| ExtractError::new("String", message))
    }
}

/// The body parsed as JSON: straight from the event's escaped text when
/// that gives exactly what parsing the decoded body gives (no decoded copy
/// is made), else from the decoded body.
impl<'r, T: Deserialize<'r>> FromRecord<'r, Sqs> for Json<T> {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        if let Some(value) =
            record.escaped_body().and_then(|text| crate::escaped_json::from_escaped(text).ok())
        {
            return Ok(Json(value));
        }
        let body = record.body_text().map_err(|message| ExtractError::new("Json", message))?;
        serde_json::from_str(body).map(Json).map_err(|error| {
            ExtractError::new(
                "Json",
                format_args!("the body is not valid JSON for `{}`", std::any::type_name::<T>()),
            )
            .with_source(error)
        })
    }
}

/// The full `aws_lambda_events` record.
impl<'r> FromRecord<'r, Sqs> for &'r SqsMessage {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        record.message().map_err(|message| {
            ExtractError::new("&SqsMessage", format_args!("the record does not fit `SqsMessage`: {message}"))
        })
    }
}

/// The engine's view of the record.
impl<'r> FromRecord<'r, Sqs> for &'r SqsRecord<'r> {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(record)
    }
}
