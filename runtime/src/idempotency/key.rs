//! Idempotency keys: which records count as the same, and the hashed form
//! a store holds.

use std::borrow::Cow;
use std::fmt;

use lambda_runtime::Context;
use sha2::{Digest, Sha256};

use crate::extract::FromRecord;
use crate::source::{BatchRecord, Source};
use crate::sqs::{Sqs, SqsRecord};

/// A key as the store holds it: `<prefix>#<SHA-256 of the key, in hex>`.
///
/// Hashing bounds the key's length whatever the user's key is (a
/// DynamoDB partition key holds at most 2,048 bytes) and keeps the
/// records' own identifiers out of the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(String);

impl Key {
    /// The key for `raw` under `prefix`.
    pub fn new(prefix: &str, raw: &str) -> Self {
        Key(format!("{prefix}#{}", hash_hex(raw.as_bytes())))
    }

    /// A key exactly as a store returned it (no hashing).
    pub fn from_stored(stored: impl Into<String>) -> Self {
        Key(stored.into())
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The SHA-256 of `bytes`, in lower-case hex: the form both keys and
/// payload hashes take.
pub fn hash_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Chooses a record's idempotency key and the payload that must not change
/// under it.
///
/// [`RecordIdKey`] (the default) keys on the record's own identifier;
/// [`key_fn`] on any function of the record; [`key_from`] on a function of
/// an extracted parameter, such as the order id inside a JSON body.
pub trait RecordKey<S: Source>: Send + Sync {
    /// The record's key, before hashing.
    ///
    /// # Errors
    /// Why the record has no key: the record then fails, and is retried.
    fn key<'r>(&self, record: &'r S::Record<'r>, cx: &'r Context) -> Result<String, String>;

    /// The bytes whose hash is stored with the key and compared on every
    /// later delivery: by default the record's payload (SQS body, Kinesis
    /// data, DynamoDB images, Kafka value).
    fn payload<'r>(&self, record: &'r S::Record<'r>) -> Cow<'r, [u8]> {
        record.idempotency_payload()
    }
}

/// The default key: the record's own identifier, the same on every
/// redelivery (SQS `messageId`, Kinesis and DynamoDB Streams `eventID`, Kafka
/// topic, partition and offset).
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordIdKey;

impl<S: Source> RecordKey<S> for RecordIdKey {
    fn key<'r>(&self, record: &'r S::Record<'r>, _cx: &'r Context) -> Result<String, String> {
        record.idempotency_key().map(Cow::into_owned)
    }
}

/// The key of an SQS FIFO message: the `MessageDeduplicationId` its
/// sender chose (or SQS derived from the body), the same for a message
/// sent twice within SQS's five-minute deduplication interval, which the
/// message id is not.
///
/// A record without the attribute (a standard queue) fails with a message
/// saying so.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeduplicationIdKey;

impl RecordKey<Sqs> for DeduplicationIdKey {
    fn key<'r>(&self, record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<String, String> {
        let message = record.message().map_err(|error| format!("the record cannot be read: {error}"))?;
        match message.attributes.get("MessageDeduplicationId") {
            Some(id) if !id.is_empty() => Ok(id.clone()),
            _ => Err("the message has no `MessageDeduplicationId` attribute (is the queue FIFO?)".to_owned()),
        }
    }
}

/// A key from a function of the record: `key_fn(|record: &SqsRecord<'_>| ..)`.
///
/// The function returns the key, or why there is none; an empty key is
/// refused (the record fails with a message saying so).
///
/// ```
/// use lambda_batch::idempotency::key_fn;
/// use lambda_batch::sqs::SqsRecord;
///
/// // Key on a message attribute the sender sets.
/// let key = key_fn(|record: &SqsRecord<'_>| {
///     let message = record.message().map_err(str::to_owned)?;
///     let order = message.message_attributes.get("order-id").and_then(|value| value.string_value.clone());
///     order.ok_or_else(|| "no order-id attribute".to_owned())
/// });
/// # let _ = key;
/// ```
pub fn key_fn<F>(function: F) -> KeyFn<F> {
    KeyFn(function)
}

/// The key made by [`key_fn`].
#[derive(Debug, Clone, Copy)]
pub struct KeyFn<F>(F);

impl<S, F, K, E> RecordKey<S> for KeyFn<F>
where
    S: Source,
    F: for<'r> Fn(&'r S::Record<'r>) -> Result<K, E> + Send + Sync,
    K: Into<String>,
    E: fmt::Display,
{
    fn key<'r>(&self, record: &'r S::Record<'r>, _cx: &'r Context) -> Result<String, String> {
        (self.0)(record).map(Into::into).map_err(|error| error.to_string())
    }
}

/// A key from a function of an extracted parameter, for example the order
/// id inside a JSON body: `key_from(|Json(order): Json<Order>| order.id.to_string())`.
///
/// A record whose parameter cannot be extracted fails with the extractor's
/// message. The stored payload hash still covers the whole payload, so the
/// same order id with a different body is refused, not replayed.
///
/// ```
/// use lambda_batch::idempotency::key_from;
/// use lambda_batch::Json;
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
///
/// let key = key_from(|Json(order): Json<Order>| order.id.to_string());
/// # let _ = key;
/// ```
pub fn key_from<X, F, K>(function: F) -> KeyFrom<X, F>
where
    F: Fn(X) -> K,
{
    KeyFrom { function, extract: std::marker::PhantomData }
}

/// The key made by [`key_from`].
pub struct KeyFrom<X, F> {
    function: F,
    extract: std::marker::PhantomData<fn() -> X>,
}

impl<X, F: fmt::Debug> fmt::Debug for KeyFrom<X, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFrom").field("function", &self.function).finish()
    }
}

impl<S, X, F, K> RecordKey<S> for KeyFrom<X, F>
where
    S: Source,
    X: for<'r> FromRecord<'r, S>,
    F: Fn(X) -> K + Send + Sync,
    K: Into<String>,
{
    fn key<'r>(&self, record: &'r S::Record<'r>, cx: &'r Context) -> Result<String, String> {
        let extracted = X::from_record(record, cx).map_err(|error| error.to_string())?;
        Ok((self.function)(extracted).into())
    }
}
