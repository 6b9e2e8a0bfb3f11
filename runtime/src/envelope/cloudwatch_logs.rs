//! `CloudWatchLogs`: CloudWatch Logs subscription data in a Kinesis record.
//!
//! A subscription filter whose destination is a Kinesis stream writes, per
//! record, gzip-compressed JSON: `messageType` (`DATA_MESSAGE` or
//! `CONTROL_MESSAGE`), `owner`, `logGroup`, `logStream`,
//! `subscriptionFilters` and `logEvents` (`id`, `timestamp`, `message`).
//! CloudWatch Logs sends a `CONTROL_MESSAGE` to check that the destination
//! is reachable. See AWS's "Log group-level subscription filters", example
//! "Subscription filters with Kinesis Data Streams"
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html>).

use flate2::read::MultiGzDecoder;
use lambda_runtime::Context;
use serde::Deserialize;

use crate::extract::{ExtractError, FromRecord, OptionalPayload};
use crate::inflate::{MAX_DECOMPRESSED_BYTES, read_capped};
use crate::kinesis::{Kinesis, KinesisRecord};

const EXTRACTOR: &str = "CloudWatchLogs";

/// CloudWatch Logs subscription data from a Kinesis record: log events, or
/// the control message CloudWatch Logs sends to check the stream.
///
/// The control message is a value of its own, [`CloudWatchLogs::Control`],
/// so a handler does not take its text for a log line: match it and
/// return success. Data that is not gzip, decompresses past
/// [`MAX_DECOMPRESSED_BYTES`], or is not subscription JSON fails its
/// record alone.
///
/// ```
/// use lambda_batch::batch_handler;
/// use lambda_batch::envelope::CloudWatchLogs;
///
/// #[batch_handler(kinesis)]
/// async fn handle(logs: CloudWatchLogs) -> Result<(), String> {
///     let data = match logs {
///         // CloudWatch Logs checking the stream: nothing to do.
///         CloudWatchLogs::Control(_) => return Ok(()),
///         CloudWatchLogs::Data(data) => data,
///     };
///     for event in &data.log_events {
///         if event.message.contains("ERROR") {
///             tracing::warn!(group = %data.log_group, id = %event.id, "{}", event.message);
///         }
///     }
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloudWatchLogs {
    /// `DATA_MESSAGE`: log events of one log stream.
    Data(SubscriptionData),
    /// `CONTROL_MESSAGE`: CloudWatch Logs checking the destination; its one
    /// log event's message says so.
    Control(SubscriptionData),
}

impl CloudWatchLogs {
    /// The subscription data, whichever the message type.
    ///
    /// ```
    /// use lambda_batch::envelope::{CloudWatchLogs, SubscriptionData};
    /// let logs = CloudWatchLogs::Control(SubscriptionData::new("", ""));
    /// assert!(logs.data().log_events.is_empty());
    /// ```
    pub fn data(&self) -> &SubscriptionData {
        match self {
            CloudWatchLogs::Data(data) | CloudWatchLogs::Control(data) => data,
        }
    }
}

/// The decompressed JSON of a CloudWatch Logs subscription record.
///
/// ```
/// let data = lambda_batch::envelope::SubscriptionData::new("/aws/lambda/orders", "2024/01/01/[$LATEST]abc");
/// assert!(data.log_events.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SubscriptionData {
    /// The AWS account id of the log data (`CloudwatchLogs` in a control
    /// message).
    #[serde(default)]
    pub owner: String,
    /// The log group the events come from.
    #[serde(default)]
    pub log_group: String,
    /// The log stream the events come from.
    #[serde(default)]
    pub log_stream: String,
    /// The names of the subscription filters that matched.
    #[serde(default)]
    pub subscription_filters: Vec<String>,
    /// The log events, oldest first.
    #[serde(default)]
    pub log_events: Vec<LogEvent>,
    /// `messageType`, read in the same pass (a separate `#[serde(flatten)]`
    /// wrapper would buffer the whole decompressed object first).
    #[serde(default)]
    message_type: Option<String>,
}

impl SubscriptionData {
    /// Data of this log group and stream, without events, for unit tests of
    /// record functions.
    pub fn new(log_group: impl Into<String>, log_stream: impl Into<String>) -> Self {
        SubscriptionData {
            owner: String::new(),
            log_group: log_group.into(),
            log_stream: log_stream.into(),
            subscription_filters: Vec::new(),
            log_events: Vec::new(),
            message_type: None,
        }
    }
}

/// One log event of [`SubscriptionData`].
///
/// ```
/// let event = lambda_batch::envelope::LogEvent::new("1", 1_700_000_000_000, "hello");
/// assert_eq!(event.message, "hello");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LogEvent {
    /// The event's id (a long decimal string; empty in a control message).
    #[serde(default)]
    pub id: String,
    /// When it was logged, in milliseconds since the Unix epoch.
    pub timestamp: i64,
    /// The log line.
    pub message: String,
}

impl LogEvent {
    /// An event with this id, timestamp and message.
    pub fn new(id: impl Into<String>, timestamp: i64, message: impl Into<String>) -> Self {
        LogEvent { id: id.into(), timestamp, message: message.into() }
    }
}

/// The gzip magic number (RFC 1952, section 2.3.1).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Decompresses and reads CloudWatch Logs subscription data.
pub(crate) fn parse(compressed: &[u8], limit: usize) -> Result<CloudWatchLogs, String> {
    if !compressed.starts_with(&GZIP_MAGIC) {
        return Err(format!(
            "the decoded `kinesis.data` is not CloudWatch Logs subscription data: it is not gzip (it starts with \
             {:02x?}, gzip with 1f 8b); a record put by another producer is not from a subscription filter",
            &compressed[..compressed.len().min(2)]
        ));
    }
    let json = read_capped(MultiGzDecoder::new(compressed), limit, "the gzip data in `kinesis.data`")?;
    let mut data: SubscriptionData = serde_json::from_slice(&json).map_err(|error| {
        format!("the decompressed `kinesis.data` is not CloudWatch Logs subscription JSON: {error}")
    })?;
    match data.message_type.take().as_deref() {
        Some("DATA_MESSAGE") => Ok(CloudWatchLogs::Data(data)),
        Some("CONTROL_MESSAGE") => Ok(CloudWatchLogs::Control(data)),
        Some(other) => Err(format!(
            "the CloudWatch Logs subscription data has `messageType` `{other}`, neither `DATA_MESSAGE` nor \
             `CONTROL_MESSAGE`"
        )),
        None => {
            Err("the decompressed `kinesis.data` is not CloudWatch Logs subscription JSON: no `messageType` \
                     field"
                .to_owned())
        }
    }
}

/// `Option<CloudWatchLogs>`: `None` when the data is not CloudWatch Logs subscription data.
impl OptionalPayload for CloudWatchLogs {}

/// The decoded Kinesis `data`, decompressed and read.
impl<'r> FromRecord<'r, Kinesis> for CloudWatchLogs {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let data = record.data().map_err(|message| ExtractError::new(EXTRACTOR, message))?;
        parse(data, MAX_DECOMPRESSED_BYTES).map_err(|message| ExtractError::new(EXTRACTOR, message))
    }
}
