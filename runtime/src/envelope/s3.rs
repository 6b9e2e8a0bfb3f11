//! `S3Notification`: an S3 event notification delivered to an SQS queue
//! (directly, or through SNS as `FromSns<S3Notification>`).
//!
//! S3 writes `{"Records": [...]}`, each record as in AWS's "Event message
//! structure"
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>);
//! when a notification configuration is saved, S3 first sends a test
//! message, `{"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": ..,
//! "Bucket": .., "RequestId": .., "HostId": ..}` (same page).

use lambda_runtime::Context;
use serde::Deserialize;

pub use aws_lambda_events::s3::S3EventRecord;

use crate::extract::{ExtractError, FromRecord, OptionalPayload};
use crate::sqs::{Sqs, SqsRecord};

const EXTRACTOR: &str = "S3Notification";

/// An S3 event notification: the records of the objects that changed, or
/// the test message S3 sends when the notification is configured.
///
/// The test message is a value of its own, [`S3Notification::Test`], so a
/// handler decides what it means (usually: nothing to do, success) instead
/// of failing on a body without `Records`. Object keys are URL-encoded, as
/// S3 writes them (`s3.object.key`, a space is `+`).
///
/// Through SNS (S3 → SNS → SQS without raw message delivery), take
/// `FromSns<S3Notification>`. A body that is neither fails alone.
///
/// ```
/// use lambda_batch::batch_handler;
/// use lambda_batch::envelope::S3Notification;
///
/// #[batch_handler(sqs)]
/// async fn handle(notification: S3Notification) -> Result<(), String> {
///     let records = match notification {
///         // Sent once when the notification is configured: nothing to do.
///         S3Notification::Test(_) => return Ok(()),
///         S3Notification::Records(records) => records,
///     };
///     for record in records {
///         let key = record.s3.object.key.ok_or("an S3 record without a key")?;
///         tracing::info!(%key, event = ?record.event_name, "object changed");
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Notification")]
pub enum S3Notification {
    /// The `Records` of an event notification (usually one).
    Records(Vec<S3EventRecord>),
    /// The `s3:TestEvent` S3 sends when a notification is configured.
    Test(S3TestEvent),
}

/// The test message S3 sends to a destination when a notification
/// configuration is saved.
///
/// ```
/// let test = lambda_batch::envelope::S3TestEvent::new("amzn-s3-demo-bucket");
/// assert_eq!(test.event, "s3:TestEvent");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct S3TestEvent {
    /// `Service`: `"Amazon S3"`.
    pub service: String,
    /// `Event`: `"s3:TestEvent"`.
    pub event: String,
    /// `Time`: when it was sent (ISO 8601).
    pub time: String,
    /// `Bucket`: the bucket whose notification was configured.
    pub bucket: String,
    /// `RequestId`: S3's request id.
    pub request_id: String,
    /// `HostId`: S3's host id.
    pub host_id: String,
}

impl S3TestEvent {
    /// The test event for `bucket`, for unit tests of record functions.
    pub fn new(bucket: impl Into<String>) -> Self {
        S3TestEvent {
            service: "Amazon S3".to_owned(),
            event: TEST_EVENT.to_owned(),
            time: String::new(),
            bucket: bucket.into(),
            request_id: String::new(),
            host_id: String::new(),
        }
    }
}

const TEST_EVENT: &str = "s3:TestEvent";

/// The notification as read: records, or the test message's fields.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Notification {
    records: Option<Vec<S3EventRecord>>,
    service: Option<String>,
    event: Option<String>,
    time: Option<String>,
    bucket: Option<String>,
    request_id: Option<String>,
    host_id: Option<String>,
}

impl TryFrom<Notification> for S3Notification {
    type Error = String;

    fn try_from(notification: Notification) -> Result<Self, String> {
        if let Some(records) = notification.records {
            return Ok(S3Notification::Records(records));
        }
        match notification.event {
            Some(event) if event == TEST_EVENT => Ok(S3Notification::Test(S3TestEvent {
                service: notification.service.unwrap_or_default(),
                event,
                time: notification.time.unwrap_or_default(),
                bucket: notification.bucket.unwrap_or_default(),
                request_id: notification.request_id.unwrap_or_default(),
                host_id: notification.host_id.unwrap_or_default(),
            })),
            Some(other) => {
                Err(format!("no `Records` array, and its `Event` is `{other}`, not `{TEST_EVENT}`"))
            }
            None => Err(format!(
                "no `Records` array and no `Event` field: neither an event notification nor an `{TEST_EVENT}`"
            )),
        }
    }
}

/// `Option<S3Notification>`: `None` when the body is not an S3 event notification.
impl OptionalPayload for S3Notification {}

/// The SQS body read as an S3 event notification.
impl<'r> FromRecord<'r, Sqs> for S3Notification {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let body = record.body_text().map_err(|message| ExtractError::new(EXTRACTOR, message))?;
        serde_json::from_str(body).map_err(|error| {
            ExtractError::new(
                EXTRACTOR,
                format_args!(
                    "the body is not an S3 event notification: {error} (through SNS without raw message delivery, \
                     take `FromSns<S3Notification>`; through EventBridge, `FromEventBridge<T>`)"
                ),
            )
        })
    }
}
