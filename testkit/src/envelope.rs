//! Envelopes shaped as AWS writes them: SQS bodies that are SNS
//! notifications, EventBridge events or S3 event notifications, and Kinesis
//! data that is CloudWatch Logs subscription data (gzip-compressed JSON),
//! for the extractors of `lambda_batch::envelope`.
//!
//! The builders make one body or one `data`; the strategies (feature
//! `harness`) wrap your own payload strategy, to feed
//! [`sqs_batch`](crate::strategy::sqs_batch) and
//! [`kinesis_batch`](crate::strategy::kinesis_batch):
//!
//! ```
//! use lambda_batch::batch_handler;
//! use lambda_batch::envelope::FromSns;
//! use lambda_batch_testkit::envelope::sns_body;
//! use lambda_batch_testkit::prelude::*;
//!
//! #[derive(serde::Serialize, serde::Deserialize, Debug)]
//! struct Order { id: u32 }
//!
//! #[batch_handler(sqs)]
//! async fn handle(order: FromSns<Order>) -> Result<(), String> {
//!     if order.topic_arn.is_empty() { Err("no topic".to_owned()) } else { Ok(()) }
//! }
//!
//! let mut runner = proptest::test_runner::TestRunner::default();
//! let orders = (0u32..100).prop_map(|id| Order { id });
//! runner
//!     .run(&(sqs_batch(sns_body(orders), 0..10), fault_plan(10, 0.2)), |(batch, faults)| {
//!         check(&run(handle, &batch, &faults), handle::CONFIG)
//!     })
//!     .unwrap();
//! ```

use std::io::Write as _;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::{Value, json};

/// The ARN of the SNS topic the builders use.
pub const TOPIC_ARN: &str = "arn:aws:sns:eu-west-1:123456789012:orders";
/// The bucket the S3 builders use.
pub const BUCKET: &str = "amzn-s3-demo-bucket";
/// The log group the CloudWatch Logs builders use.
pub const LOG_GROUP: &str = "/aws/lambda/orders";

/// An SQS body that is an SNS notification of `message` (its `Message`, as
/// published), as SNS writes it to a queue without raw message delivery.
///
/// ```
/// let body = lambda_batch_testkit::envelope::sns_notification("m-1", r#"{"id":7}"#, Some("orders"));
/// let json: serde_json::Value = serde_json::from_str(&body).unwrap();
/// assert_eq!(json["Message"], r#"{"id":7}"#);
/// ```
pub fn sns_notification(message_id: &str, message: &str, subject: Option<&str>) -> String {
    let mut notification = json!({
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": TOPIC_ARN,
        "Subject": subject,
        "Message": message,
        "Timestamp": "2024-01-01T12:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
        "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:eu-west-1:123456789012:orders:0a1b2c3d",
        "MessageAttributes": {"origin": {"Type": "String", "Value": "testkit"}}
    });
    if subject.is_none()
        && let Some(map) = notification.as_object_mut()
    {
        map.remove("Subject");
    }
    notification.to_string()
}

/// An SQS (or Kinesis) body that is an EventBridge event with this
/// `detail-type`, `source` and `detail`, as a rule target without an input
/// transformer receives it.
///
/// ```
/// let body = lambda_batch_testkit::envelope::eventbridge_event("Order Placed", "com.example.shop", serde_json::json!({"id": 7}));
/// assert!(body.contains(r#""detail-type":"Order Placed""#));
/// ```
pub fn eventbridge_event(detail_type: &str, source: &str, detail: Value) -> String {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2024-01-01T12:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail
    })
    .to_string()
}

/// An S3 object key URL-encoded as S3 writes it in notifications: letters,
/// digits, `-_.*/` kept, a space as `+`, any other byte as `%XX`.
///
/// ```
/// assert_eq!(lambda_batch_testkit::envelope::s3_encoded_key("red flower.jpg"), "red+flower.jpg");
/// ```
pub fn s3_encoded_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' | b'/' => {
                out.push(char::from(byte))
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// An SQS body that is an S3 event notification of `ObjectCreated:Put`
/// records, one per key (`keys` unencoded: they are URL-encoded here).
///
/// ```
/// let body = lambda_batch_testkit::envelope::s3_notification(&["in/a b.csv"]);
/// assert!(body.contains(r#""key":"in/a+b.csv""#));
/// ```
pub fn s3_notification<K: AsRef<str>>(keys: &[K]) -> String {
    let records: Vec<Value> = keys
        .iter()
        .enumerate()
        .map(|(index, key)| {
            json!({
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "eu-west-1",
                "eventTime": "2024-01-01T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:AIDAINPONIXQXHT3IKHL2"},
                "requestParameters": {"sourceIPAddress": "198.51.100.7"},
                "responseElements": {
                    "x-amz-request-id": "C3D13FE58DE4C810",
                    "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "orders-created",
                    "bucket": {
                        "name": BUCKET,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                        "arn": format!("arn:aws:s3:::{BUCKET}")
                    },
                    "object": {
                        "key": s3_encoded_key(key.as_ref()),
                        "size": 1024 + index,
                        "eTag": "d41d8cd98f00b204e9800998ecf8427e",
                        "versionId": "096fKKXTRTtl3on89fVO.nfljtsv6qko",
                        "sequencer": format!("0055AED6DCD90281E{index}")
                    }
                }
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

/// The `s3:TestEvent` body S3 sends when a notification is configured.
///
/// ```
/// assert!(lambda_batch_testkit::envelope::s3_test_event().contains("s3:TestEvent"));
/// ```
pub fn s3_test_event() -> String {
    json!({
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "2024-01-01T12:00:00.000Z",
        "Bucket": BUCKET,
        "RequestId": "5582815E1AEA5ADF",
        "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"
    })
    .to_string()
}

/// gzip-compressed `bytes`, as CloudWatch Logs compresses its data.
///
/// ```
/// let data = lambda_batch_testkit::envelope::gzip(b"hello");
/// assert_eq!(&data[..2], &[0x1f, 0x8b]);
/// ```
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Kinesis data (before base64) that is a CloudWatch Logs `DATA_MESSAGE`
/// of `messages` from [`LOG_GROUP`], gzip-compressed as the subscription
/// filter writes it.
///
/// ```
/// let data = lambda_batch_testkit::envelope::cloudwatch_logs_data(&["started", "done"]);
/// assert_eq!(&data[..2], &[0x1f, 0x8b]);
/// ```
pub fn cloudwatch_logs_data<M: AsRef<str>>(messages: &[M]) -> Vec<u8> {
    let events: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(index, message)| {
            json!({
                "id": format!("3195310660696698337880902507980421114328961542429822156{index}"),
                "timestamp": 1_700_000_000_000_i64 + index as i64,
                "message": message.as_ref()
            })
        })
        .collect();
    let data = json!({
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": LOG_GROUP,
        "logStream": "2024/01/01/[$LATEST]0123456789abcdef0123456789abcdef",
        "subscriptionFilters": ["orders-errors"],
        "logEvents": events
    });
    gzip(data.to_string().as_bytes())
}

/// Kinesis data (before base64) that is the `CONTROL_MESSAGE` CloudWatch
/// Logs sends to check a subscription's stream.
///
/// ```
/// let data = lambda_batch_testkit::envelope::cloudwatch_logs_control();
/// assert_eq!(&data[..2], &[0x1f, 0x8b]);
/// ```
pub fn cloudwatch_logs_control() -> Vec<u8> {
    let data = json!({
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [{
            "id": "",
            "timestamp": 1_700_000_000_000_i64,
            "message": "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
        }]
    });
    gzip(data.to_string().as_bytes())
}

#[cfg(feature = "harness")]
pub use self::strategies::{cloudwatch_logs, eventbridge_body, s3_body, sns_body};

#[cfg(feature = "harness")]
mod strategies {
    use std::fmt;

    use proptest::prelude::*;
    use proptest::strategy::BoxedStrategy;
    use serde::Serialize;

    /// SQS bodies that are SNS notifications whose `Message` is the JSON
    /// of a value from `messages` (a subject half the time).
    ///
    /// ```
    /// use lambda_batch_testkit::envelope::sns_body;
    /// use lambda_batch_testkit::prelude::*;
    /// let mut runner = prop::test_runner::TestRunner::default();
    /// let body = sns_body(0u32..10).new_tree(&mut runner).unwrap().current();
    /// assert!(body.contains(r#""Type":"Notification""#));
    /// ```
    #[must_use = "a strategy generates nothing until a test runner uses it"]
    pub fn sns_body<T, S>(messages: S) -> BoxedStrategy<String>
    where
        T: Serialize + fmt::Debug,
        S: Strategy<Value = T> + 'static,
    {
        (messages, any::<bool>(), 0u32..1_000_000)
            .prop_map(|(message, subject, id)| {
                let message = serde_json::to_string(&message).unwrap_or_default();
                let subject = subject.then_some("orders");
                super::sns_notification(&format!("sns-{id:06}"), &message, subject)
            })
            .boxed()
    }

    /// SQS (or, as bytes, Kinesis) bodies that are EventBridge events
    /// whose `detail` is a value from `details`.
    ///
    /// ```
    /// use lambda_batch_testkit::envelope::eventbridge_body;
    /// use lambda_batch_testkit::prelude::*;
    /// let mut runner = prop::test_runner::TestRunner::default();
    /// let body = eventbridge_body(Just(7)).new_tree(&mut runner).unwrap().current();
    /// assert!(body.ends_with(r#""detail":7}"#) || body.contains(r#""detail":7"#));
    /// ```
    #[must_use = "a strategy generates nothing until a test runner uses it"]
    pub fn eventbridge_body<T, S>(details: S) -> BoxedStrategy<String>
    where
        T: Serialize + fmt::Debug,
        S: Strategy<Value = T> + 'static,
    {
        details
            .prop_map(|detail| {
                let detail = serde_json::to_value(&detail).unwrap_or_default();
                super::eventbridge_event("Order Placed", "com.example.shop", detail)
            })
            .boxed()
    }

    /// SQS bodies that are S3 event notifications of one object whose key
    /// comes from `keys` (URL-encoded as S3 does), and, one time in eight,
    /// the `s3:TestEvent` S3 sends when the notification is configured: a
    /// handler must not fail on it.
    ///
    /// ```
    /// use lambda_batch_testkit::envelope::s3_body;
    /// use lambda_batch_testkit::prelude::*;
    /// let mut runner = prop::test_runner::TestRunner::default();
    /// let body = s3_body("[a-z]{1,4}/[a-z]{1,4}\\.csv").new_tree(&mut runner).unwrap().current();
    /// assert!(body.contains("Records") || body.contains("s3:TestEvent"));
    /// ```
    #[must_use = "a strategy generates nothing until a test runner uses it"]
    pub fn s3_body(keys: impl Strategy<Value = String> + 'static) -> BoxedStrategy<String> {
        prop_oneof![
            7 => keys.prop_map(|key| super::s3_notification(&[key])),
            1 => Just(super::s3_test_event()),
        ]
        .boxed()
    }

    /// Kinesis data that is CloudWatch Logs subscription data: a
    /// `DATA_MESSAGE` of the log lines from `messages` (gzip-compressed),
    /// and, one time in eight, the `CONTROL_MESSAGE` CloudWatch Logs sends
    /// to check the stream: a handler must not take it for log lines.
    ///
    /// ```
    /// use lambda_batch_testkit::envelope::cloudwatch_logs;
    /// use lambda_batch_testkit::prelude::*;
    /// let mut runner = prop::test_runner::TestRunner::default();
    /// let lines = prop::collection::vec("[a-z ]{1,20}", 1..4);
    /// let data = cloudwatch_logs(lines).new_tree(&mut runner).unwrap().current();
    /// assert_eq!(&data[..2], &[0x1f, 0x8b]); // gzip
    /// ```
    #[must_use = "a strategy generates nothing until a test runner uses it"]
    pub fn cloudwatch_logs(messages: impl Strategy<Value = Vec<String>> + 'static) -> BoxedStrategy<Vec<u8>> {
        prop_oneof![
            7 => messages.prop_map(|messages| super::cloudwatch_logs_data(&messages)),
            1 => Just(super::cloudwatch_logs_control()),
        ]
        .boxed()
    }
}
