//! `FromSns<T>`: an SNS notification delivered to an SQS queue.
//!
//! Without raw message delivery, SNS writes to a subscribed queue the JSON
//! notification it would post to an HTTP endpoint: `Type`
//! (`"Notification"`), `MessageId`, `TopicArn`, `Subject` (when the
//! publisher gave one), `Message` (the published text), `Timestamp`,
//! `SignatureVersion`, `Signature`, `SigningCertURL`, `UnsubscribeURL`,
//! `MessageAttributes` (when there are some) and, from a FIFO topic,
//! `SequenceNumber`. See AWS's "Amazon SNS message and JSON formats"
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html>)
//! and "Fanout to Amazon SQS queues"
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html>).

use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};

use lambda_runtime::Context;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::extract::{ExtractError, FromRecord, OptionalPayload};
use crate::sqs::{Sqs, SqsRecord};

const EXTRACTOR: &str = "FromSns";

/// The payload of an SNS notification that reached SQS: the SQS body is the
/// notification JSON, and `T` is its `Message`, parsed as JSON.
///
/// The notification's metadata stays reachable: topic ARN, message id,
/// subject, timestamp and message attributes. `FromSns<T>` derefs to `T`.
///
/// With raw message delivery on, the body *is* the message: take
/// [`Json<T>`](crate::Json) instead. A body that is not a notification (no
/// `Message`, or another `Type` such as `SubscriptionConfirmation`) or
/// whose `Message` is not JSON for `T` fails that record alone.
///
/// An S3 event notification published to SNS, then delivered to SQS, is
/// `FromSns<S3Notification>` ([`S3Notification`](super::S3Notification)).
///
/// ```
/// use lambda_batch::batch_handler;
/// use lambda_batch::envelope::FromSns;
///
/// #[derive(serde::Deserialize)]
/// struct Order { id: u64 }
///
/// #[batch_handler(sqs)]
/// async fn handle(sns: FromSns<Order>) -> Result<(), String> {
///     if sns.subject.as_deref() == Some("test") {
///         return Ok(());
///     }
///     tracing::info!(topic = %sns.topic_arn, order = sns.id, "order");
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FromSns<T> {
    /// The published message (`Message`), parsed as JSON.
    pub message: T,
    /// The SNS `MessageId` (not the SQS `messageId`).
    pub message_id: String,
    /// The topic the message was published to (`TopicArn`).
    pub topic_arn: String,
    /// The `Subject` the publisher gave, if any.
    pub subject: Option<String>,
    /// When SNS accepted the message (`Timestamp`, ISO 8601 in UTC).
    pub timestamp: String,
    /// The message attributes (`MessageAttributes`), by name.
    pub message_attributes: BTreeMap<String, SnsAttribute>,
}

/// One SNS message attribute as the notification writes it.
///
/// ```
/// let attribute = lambda_batch::envelope::SnsAttribute::new("String", "eu");
/// assert_eq!(attribute.value, "eu");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SnsAttribute {
    /// `String`, `String.Array`, `Number` or `Binary`.
    #[serde(rename = "Type")]
    pub data_type: String,
    /// The value as text (base64 for `Binary`).
    #[serde(rename = "Value")]
    pub value: String,
}

impl SnsAttribute {
    /// An attribute of this type and value.
    pub fn new(data_type: impl Into<String>, value: impl Into<String>) -> Self {
        SnsAttribute { data_type: data_type.into(), value: value.into() }
    }
}

impl<T> FromSns<T> {
    /// A notification of `message` with empty metadata, for unit tests of
    /// record functions (set the public fields as needed).
    ///
    /// ```
    /// let mut sns = lambda_batch::envelope::FromSns::new(7);
    /// sns.topic_arn = "arn:aws:sns:eu-west-1:123456789012:orders".to_owned();
    /// assert_eq!(*sns, 7);
    /// ```
    pub fn new(message: T) -> Self {
        FromSns {
            message,
            message_id: String::new(),
            topic_arn: String::new(),
            subject: None,
            timestamp: String::new(),
            message_attributes: BTreeMap::new(),
        }
    }

    /// The parsed message.
    pub fn into_inner(self) -> T {
        self.message
    }
}

impl<T> Deref for FromSns<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.message
    }
}

impl<T> DerefMut for FromSns<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.message
    }
}

/// The notification as read, every field optional so a missing one is
/// named in the error.
#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(rename = "MessageId")]
    message_id: Option<String>,
    #[serde(rename = "TopicArn")]
    topic_arn: Option<String>,
    #[serde(rename = "Subject")]
    subject: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
    #[serde(rename = "Timestamp")]
    timestamp: Option<String>,
    #[serde(rename = "MessageAttributes", default)]
    message_attributes: Option<BTreeMap<String, SnsAttribute>>,
}

const RAW_DELIVERY_HINT: &str = "is raw message delivery on? then take `Json<T>` or `&str`";

/// Reads an SNS notification from `text` and parses its `Message` as `T`.
pub(crate) fn parse<T: DeserializeOwned>(text: &str) -> Result<FromSns<T>, String> {
    let notification: Notification = serde_json::from_str(text).map_err(|error| {
        format!("the body is not an SNS notification: it is not a JSON object of one ({error}; {RAW_DELIVERY_HINT})")
    })?;
    if let Some(kind) = notification.kind.as_deref().filter(|kind| *kind != "Notification") {
        return Err(format!(
            "the body is an SNS `{kind}`, not a `Notification`: it carries no published message (a \
             `SubscriptionConfirmation` is confirmed by visiting its `SubscribeURL`)"
        ));
    }
    let Some(message) = notification.message else {
        return Err(format!("the body is not an SNS notification: no `Message` field ({RAW_DELIVERY_HINT})"));
    };
    let Some(topic_arn) = notification.topic_arn else {
        return Err(format!(
            "the body is not an SNS notification: no `TopicArn` field ({RAW_DELIVERY_HINT})"
        ));
    };
    let parsed = serde_json::from_str(&message).map_err(|error| {
        format!(
            "the SNS notification's `Message` is not valid JSON for `{}`: {error}",
            std::any::type_name::<T>()
        )
    })?;
    Ok(FromSns {
        message: parsed,
        message_id: notification.message_id.unwrap_or_default(),
        topic_arn,
        subject: notification.subject,
        timestamp: notification.timestamp.unwrap_or_default(),
        message_attributes: notification.message_attributes.unwrap_or_default(),
    })
}

/// `Option<FromSns<T>>`: `None` when the body is not an SNS notification whose `Message` is a `T`.
impl<T> OptionalPayload for FromSns<T> {}

/// The SQS body read as an SNS notification.
impl<'r, T: DeserializeOwned> FromRecord<'r, Sqs> for FromSns<T> {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let body = record.body_text().map_err(|message| ExtractError::new(EXTRACTOR, message))?;
        parse(body).map_err(|message| ExtractError::new(EXTRACTOR, message))
    }
}
