//! Extractors: the parameter types a record function may take.

use std::fmt;
use std::ops::{Deref, DerefMut};

use lambda_runtime::Context;

use crate::handler::Source;

/// A record payload parsed as JSON into `T` with serde.
///
/// For SQS it is the message body. A body that is not valid JSON for `T`
/// fails that record only, and the serde error is logged.
///
/// ```
/// use lambda_batch::Json;
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
/// fn total(Json(order): Json<Order>) -> u64 { order.id }
/// assert_eq!(total(Json(Order { id: 7 })), 7);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Json<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Why a parameter could not be extracted from a record. It fails that
/// record only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractError {
    extractor: &'static str,
    message: String,
}

impl ExtractError {
    /// A new error for `extractor` (for example `"Json<Order>"`).
    pub fn new(extractor: &'static str, message: impl fmt::Display) -> Self {
        ExtractError { extractor, message: message.to_string() }
    }

    /// The extractor that failed.
    pub fn extractor(&self) -> &'static str {
        self.extractor
    }
}

impl fmt::Display for ExtractError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExtractError {}

/// A parameter type `#[batch_handler]` can fill from a record of source `S`.
///
/// For SQS: [`Json<T>`], `&str` (the raw body), `&SqsMessage` (the full
/// record), `&SqsRecord` (the engine's view). For Kinesis: [`Json<T>`],
/// `&[u8]` and `&str` (the decoded `data`), `&KinesisEventRecord`,
/// `&KinesisRecord`. For DynamoDB Streams: `NewImage<T>`, `OldImage<T>`,
/// `Keys<T>` (and `Option` of each), `EventName`, `&EventRecord`,
/// `&DynamoDbRecord`. For all: `&Context`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter of a #[batch_handler] for this event source",
    label = "unsupported parameter type",
    note = "SQS takes `Json<T>`, `&str` (body), `&SqsMessage`, `&SqsRecord`; Kinesis takes `Json<T>`, `&[u8]` or `&str` (decoded data), `&KinesisEventRecord`, `&KinesisRecord`; DynamoDB takes `NewImage<T>`, `OldImage<T>`, `Keys<T>` (or `Option` of them), `EventName`, `&EventRecord`, `&DynamoDbRecord`; every source takes `&Context`"
)]
pub trait FromRecord<'r, S: Source>: Sized {
    /// Extracts the parameter from `record`.
    ///
    /// # Errors
    /// An [`ExtractError`] that fails the record.
    fn from_record(record: &'r S::Record<'r>, cx: &'r Context) -> Result<Self, ExtractError>;
}

impl<'r, S: Source> FromRecord<'r, S> for &'r Context {
    fn from_record(_record: &'r S::Record<'r>, cx: &'r Context) -> Result<Self, ExtractError> {
        Ok(cx)
    }
}
