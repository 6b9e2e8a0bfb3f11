//! `FromEventBridge<T>`: an EventBridge event delivered by a rule to an SQS
//! queue or a Kinesis stream.
//!
//! A rule target without an input transformer receives the whole event:
//! `version`, `id`, `detail-type`, `source`, `account`, `time`, `region`,
//! `resources` and `detail`. See AWS's "Amazon EventBridge event structure"
//! (<https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html>)
//! and "Amazon EventBridge targets"
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html>).

use std::ops::{Deref, DerefMut};

use lambda_runtime::Context;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::extract::{ExtractError, FromRecord, OptionalPayload};
use crate::kinesis::{Kinesis, KinesisRecord};
use crate::sqs::{Sqs, SqsRecord};

const EXTRACTOR: &str = "FromEventBridge";

/// The `detail` of an EventBridge event that a rule sent to SQS or Kinesis,
/// parsed as JSON into `T`.
///
/// The event's metadata stays reachable: `detail-type`, `source`, `id`,
/// `time`, `account`, `region` and `resources`. `FromEventBridge<T>` derefs
/// to `T`.
///
/// A rule with an input transformer sends what the transformer makes, not
/// the event: take [`Json<T>`](crate::Json) then. A record that is not an
/// event (no `detail`, no `detail-type` or no `source`) or whose `detail`
/// is not JSON for `T` fails alone.
///
/// ```
/// use lambda_batch::batch_handler;
/// use lambda_batch::envelope::FromEventBridge;
///
/// #[derive(serde::Deserialize)]
/// struct InstanceState { state: String }
///
/// #[batch_handler(sqs)]
/// async fn handle(event: FromEventBridge<InstanceState>) -> Result<(), String> {
///     if event.detail_type != "EC2 Instance State-change Notification" {
///         return Err(format!("unexpected `{}` from {}", event.detail_type, event.source));
///     }
///     tracing::info!(id = %event.id, state = %event.detail.state, "instance changed");
///     Ok(())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FromEventBridge<T> {
    /// The event's `detail`, parsed as JSON.
    pub detail: T,
    /// `detail-type`: what happened (`"Object Created"`, ...).
    pub detail_type: String,
    /// `source`: who sent it (`"aws.s3"`, `"com.example.orders"`).
    pub source: String,
    /// `id`: the event's unique id.
    pub id: String,
    /// `time`: when it happened (RFC 3339, as the sender wrote it).
    pub time: String,
    /// `account`: the AWS account it happened in.
    pub account: String,
    /// `region`: the AWS Region it happened in.
    pub region: String,
    /// `resources`: the ARNs it concerns (often empty).
    pub resources: Vec<String>,
}

impl<T> FromEventBridge<T> {
    /// An event of this `detail-type` and `source` with `detail` and empty
    /// metadata otherwise, for unit tests of record functions (set the
    /// public fields as needed).
    ///
    /// ```
    /// let event = lambda_batch::envelope::FromEventBridge::new("Order Placed", "com.example.shop", 3);
    /// assert_eq!((event.detail_type.as_str(), *event), ("Order Placed", 3));
    /// ```
    pub fn new(detail_type: impl Into<String>, source: impl Into<String>, detail: T) -> Self {
        FromEventBridge {
            detail,
            detail_type: detail_type.into(),
            source: source.into(),
            id: String::new(),
            time: String::new(),
            account: String::new(),
            region: String::new(),
            resources: Vec::new(),
        }
    }

    /// The parsed `detail`.
    pub fn into_inner(self) -> T {
        self.detail
    }
}

impl<T> Deref for FromEventBridge<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.detail
    }
}

impl<T> DerefMut for FromEventBridge<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.detail
    }
}

/// The event as read, every field optional so a missing one is named.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    detail: Option<&'a RawValue>,
    #[serde(rename = "detail-type")]
    detail_type: Option<String>,
    source: Option<String>,
    id: Option<String>,
    time: Option<String>,
    account: Option<String>,
    region: Option<String>,
    #[serde(default)]
    resources: Option<Vec<String>>,
}

const TRANSFORMER_HINT: &str = "does the rule use an input transformer? then take `Json<T>`";

/// Reads an EventBridge event from `text` (`what` names it: "the body")
/// and parses its `detail` as `T`.
fn parse<'a, T: Deserialize<'a>>(text: &'a str, what: &str) -> Result<FromEventBridge<T>, String> {
    let event: Event<'a> = serde_json::from_str(text).map_err(|error| {
        format!(
            "{what} is not an EventBridge event: it is not a JSON object of one ({error}; {TRANSFORMER_HINT})"
        )
    })?;
    let missing =
        |field: &str| format!("{what} is not an EventBridge event: no `{field}` field ({TRANSFORMER_HINT})");
    let detail = event.detail.ok_or_else(|| missing("detail"))?;
    let detail_type = event.detail_type.ok_or_else(|| missing("detail-type"))?;
    let source = event.source.ok_or_else(|| missing("source"))?;
    let detail = serde_json::from_str(detail.get()).map_err(|error| {
        format!(
            "the EventBridge event's `detail` ({detail_type} from {source}) is not valid JSON for `{}`: {error}",
            std::any::type_name::<T>()
        )
    })?;
    Ok(FromEventBridge {
        detail,
        detail_type,
        source,
        id: event.id.unwrap_or_default(),
        time: event.time.unwrap_or_default(),
        account: event.account.unwrap_or_default(),
        region: event.region.unwrap_or_default(),
        resources: event.resources.unwrap_or_default(),
    })
}

/// `Option<FromEventBridge<T>>`: `None` when the record is not an EventBridge event with a `T` in its `detail`.
impl<T> OptionalPayload for FromEventBridge<T> {}

/// The SQS body read as an EventBridge event.
impl<'r, T: Deserialize<'r>> FromRecord<'r, Sqs> for FromEventBridge<T> {
    fn from_record(record: &'r SqsRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let body = record.body_text().map_err(|message| ExtractError::new(EXTRACTOR, message))?;
        parse(body, "the body").map_err(|message| ExtractError::new(EXTRACTOR, message))
    }
}

/// The decoded Kinesis `data` read as an EventBridge event.
impl<'r, T: Deserialize<'r>> FromRecord<'r, Kinesis> for FromEventBridge<T> {
    fn from_record(record: &'r KinesisRecord<'r>, _cx: &'r Context) -> Result<Self, ExtractError> {
        let data = record.data().map_err(|message| ExtractError::new(EXTRACTOR, message))?;
        let text = std::str::from_utf8(data).map_err(|error| {
            ExtractError::new(
                EXTRACTOR,
                format_args!(
                    "the decoded `kinesis.data` is not an EventBridge event: it is not UTF-8 ({error})"
                ),
            )
        })?;
        parse(text, "the decoded `kinesis.data`").map_err(|message| ExtractError::new(EXTRACTOR, message))
    }
}
