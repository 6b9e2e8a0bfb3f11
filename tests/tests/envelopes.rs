//! The envelope extractors (`lambda_batch::envelope`) on events shaped as
//! AWS documents them (`tests/fixtures/envelopes/`), on bodies that are
//! not the envelope they claim, and on a gzip bomb.

use lambda_batch::envelope::{CloudWatchLogs, FromEventBridge, FromSns, S3Notification};
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::Sqs;
use lambda_batch::{BatchEvent, BatchPipeline, ExtractError, FromRecord, LambdaEvent, batch_handler};
use serde::Deserialize;

// An SQS event whose first two bodies are SNS notifications (with and
// without `Subject`) shaped as in AWS's "Fanout to Amazon SQS queues"
// (https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html),
// the third a body sent with raw message delivery (the message itself).
const SNS_IN_SQS: &str = include_str!("../fixtures/envelopes/sns-in-sqs.json");
// An SQS body that is the EventBridge event of AWS's "Amazon EventBridge
// event structure" page
// (https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html).
const EVENTBRIDGE_IN_SQS: &str = include_str!("../fixtures/envelopes/eventbridge-in-sqs.json");
// The `s3:TestEvent`, an `ObjectCreated:Put` notification, and the same
// notification through SNS, shaped as in AWS's "Event message structure"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
const S3_IN_SQS: &str = include_str!("../fixtures/envelopes/s3-in-sqs.json");
// A `CONTROL_MESSAGE` and the `DATA_MESSAGE` of AWS's "Subscription filters
// with Kinesis Data Streams" example
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html),
// each gzip-compressed and base64-encoded in `kinesis.data`.
const CLOUDWATCH_LOGS_IN_KINESIS: &str =
    include_str!("../fixtures/envelopes/cloudwatch-logs-in-kinesis.json");

#[derive(Debug, PartialEq, Deserialize)]
struct Order {
    id: u64,
    item: String,
}

fn sqs<T: for<'r> FromRecord<'r, Sqs>>(event: &str) -> Vec<Result<T, ExtractError>> {
    let event = BatchEvent::from_json(event).unwrap();
    let records = Sqs::read_records(&event).unwrap();
    let cx = lambda_batch_testkit::context();
    records.iter().map(|record| T::from_record(record, &cx)).collect()
}

fn kinesis<T: for<'r> FromRecord<'r, Kinesis>>(event: &str) -> Vec<Result<T, ExtractError>> {
    let event = BatchEvent::from_json(event).unwrap();
    let records = Kinesis::read_records(&event).unwrap();
    let cx = lambda_batch_testkit::context();
    records.iter().map(|record| T::from_record(record, &cx)).collect()
}

fn sqs_event(bodies: &[&str]) -> String {
    let records =
        bodies.iter().enumerate().map(|(i, body)| lambda_batch_testkit::sqs::message(&format!("m{i}"), body));
    lambda_batch_testkit::sqs::event_json(records)
}

#[test]
fn sns_notifications_give_the_message_and_its_metadata() {
    let found = sqs::<FromSns<Order>>(SNS_IN_SQS);
    let first = found[0].as_ref().unwrap();
    assert_eq!(first.message, Order { id: 7, item: "book".to_owned() });
    assert_eq!(first.topic_arn, "arn:aws:sns:us-west-2:123456789012:MyTopic");
    assert_eq!(first.message_id, "63a3f6b6-d533-4a47-aef9-fcf5cf758c76");
    assert_eq!(first.subject.as_deref(), Some("Testing publish to subscribed queues"));
    assert_eq!(first.timestamp, "2012-03-29T05:12:16.901Z");
    assert_eq!(first.message_attributes["region"].value, "us-west-2");
    let second = found[1].as_ref().unwrap();
    assert_eq!((second.id, second.subject.as_deref()), (8, None));
    // Raw message delivery: the body is the order itself, not a notification.
    let raw = found[2].as_ref().unwrap_err();
    assert_eq!(raw.extractor(), "FromSns");
    let text = raw.to_string();
    assert!(text.contains("no `Message` field") && text.contains("raw message delivery"), "{text}");
}

#[test]
fn a_body_that_is_not_an_sns_notification_says_why() {
    let confirmation = r#"{"Type":"SubscriptionConfirmation","MessageId":"1","TopicArn":"arn:aws:sns:us-west-2:123456789012:MyTopic","Message":"You have chosen to subscribe","SubscribeURL":"https://sns.example/confirm"}"#;
    let bad_message = lambda_batch_testkit::envelope::sns_notification("n-1", "not json", None);
    let event = sqs_event(&["plain text", confirmation, &bad_message, r#"{"Message": 3}"#]);
    let errors: Vec<String> =
        sqs::<FromSns<Order>>(&event).into_iter().map(|r| r.unwrap_err().to_string()).collect();
    assert!(
        errors[0].starts_with("the body is not an SNS notification: it is not a JSON object"),
        "{}",
        errors[0]
    );
    assert!(errors[1].contains("`SubscriptionConfirmation`, not a `Notification`"), "{}", errors[1]);
    assert!(errors[2].contains("`Message` is not valid JSON for `"), "{}", errors[2]);
    assert!(errors[3].starts_with("the body is not an SNS notification"), "{}", errors[3]);
}

#[derive(Debug, Deserialize)]
struct InstanceState {
    #[serde(rename = "instance-id")]
    instance_id: String,
    state: String,
}

#[test]
fn eventbridge_events_give_the_detail_and_its_metadata() {
    let event = sqs::<FromEventBridge<InstanceState>>(EVENTBRIDGE_IN_SQS).remove(0).unwrap();
    assert_eq!((event.instance_id.as_str(), event.state.as_str()), ("i-1234567890abcdef0", "terminated"));
    assert_eq!(event.detail_type, "EC2 Instance State-change Notification");
    assert_eq!(event.source, "aws.ec2");
    assert_eq!(event.id, "6a7e8feb-b491-4cf7-a9f1-bf3703467718");
    assert_eq!(event.time, "2017-12-22T18:43:48Z");
    assert_eq!((event.account.as_str(), event.region.as_str()), ("111122223333", "us-west-1"));
    assert_eq!(event.resources.len(), 1);
}

#[test]
fn a_body_that_is_not_an_eventbridge_event_says_what_is_missing() {
    let no_detail = r#"{"detail-type":"Order Placed","source":"com.example.shop"}"#;
    let no_type = r#"{"source":"com.example.shop","detail":{}}"#;
    let wrong_detail = r#"{"detail-type":"Order Placed","source":"shop","detail":{"state":1}}"#;
    let event = sqs_event(&[no_detail, no_type, wrong_detail]);
    let errors: Vec<String> = sqs::<FromEventBridge<InstanceState>>(&event)
        .into_iter()
        .map(|r| r.unwrap_err().to_string())
        .collect();
    assert!(
        errors[0]
            .contains("not an EventBridge event: no `detail` field (does the rule use an input transformer")
    );
    assert!(errors[1].contains("no `detail-type` field"), "{}", errors[1]);
    assert!(errors[2].contains("`detail` (Order Placed from shop) is not valid JSON for"), "{}", errors[2]);
}

#[test]
fn eventbridge_events_are_read_from_kinesis_too() {
    let body = lambda_batch_testkit::envelope::eventbridge_event(
        "Order Placed",
        "shop",
        serde_json::json!({"id": 1, "item": "pen"}),
    );
    let record = lambda_batch_testkit::kinesis::record(
        &lambda_batch_testkit::kinesis::sequence_number(1),
        "k",
        body.as_bytes(),
    );
    let event = lambda_batch_testkit::kinesis::event_json([record]);
    let event = kinesis::<FromEventBridge<Order>>(&event).remove(0).unwrap();
    assert_eq!((event.detail.id, event.detail_type.as_str()), (1, "Order Placed"));
}

#[test]
fn s3_notifications_give_records_the_test_event_and_the_sns_chain() {
    let found = sqs::<S3Notification>(S3_IN_SQS);
    match found[0].as_ref().unwrap() {
        S3Notification::Test(test) => {
            assert_eq!((test.event.as_str(), test.bucket.as_str()), ("s3:TestEvent", "amzn-s3-demo-bucket"))
        }
        other => panic!("the test event read as {other:?}"),
    }
    let S3Notification::Records(records) = found[1].as_ref().unwrap() else { panic!("no records") };
    assert_eq!(records[0].s3.object.key.as_deref(), Some("HappyFace.jpg"));
    assert_eq!(records[0].event_name.as_deref(), Some("ObjectCreated:Put"));
    // S3 -> SNS -> SQS: the third body is an SNS notification of the same.
    assert!(found[2].is_err());
    let chained = sqs::<FromSns<S3Notification>>(S3_IN_SQS).remove(2).unwrap();
    assert_eq!(chained.message, *found[1].as_ref().unwrap());
}

#[test]
fn a_body_that_is_not_an_s3_notification_says_why() {
    let other_event = r#"{"Service":"Amazon S3","Event":"s3:Other"}"#;
    let event = sqs_event(&["{}", other_event]);
    let errors: Vec<String> =
        sqs::<S3Notification>(&event).into_iter().map(|r| r.unwrap_err().to_string()).collect();
    assert!(
        errors[0].starts_with("the body is not an S3 event notification: no `Records` array and no `Event`"),
        "{}",
        errors[0]
    );
    assert!(errors[1].contains("its `Event` is `s3:Other`, not `s3:TestEvent`"), "{}", errors[1]);
    // Through SNS the error names the chain.
    let sns = lambda_batch_testkit::envelope::sns_notification("n", "{}", None);
    let error = sqs::<FromSns<S3Notification>>(&sqs_event(&[&sns])).remove(0).unwrap_err().to_string();
    assert!(
        error.contains("`Message` is not valid JSON for `")
            && error.contains("S3Notification`: no `Records`"),
        "{error}"
    );
    assert!(errors[0].contains("through SNS without raw message delivery, take `FromSns<S3Notification>`"));
}

#[test]
fn cloudwatch_logs_give_the_control_message_and_the_log_events() {
    let found = kinesis::<CloudWatchLogs>(CLOUDWATCH_LOGS_IN_KINESIS);
    let CloudWatchLogs::Control(control) = found[0].as_ref().unwrap() else { panic!("{:?}", found[0]) };
    assert!(control.log_events[0].message.starts_with("CWL CONTROL MESSAGE"));
    let CloudWatchLogs::Data(data) = found[1].as_ref().unwrap() else { panic!("{:?}", found[1]) };
    assert_eq!((data.owner.as_str(), data.log_group.as_str()), ("111111111111", "CloudTrail/logs"));
    assert_eq!(data.log_stream, "111111111111_CloudTrail/logs_us-east-1");
    assert_eq!(data.subscription_filters, ["Destination"]);
    assert_eq!(data.log_events.len(), 3);
    assert_eq!(data.log_events[2].id, "31953106606966983378809025079804211143289615424298221570");
    assert_eq!(data.log_events[0].timestamp, 1_432_826_855_000);
}

fn kinesis_event(data: &[&[u8]]) -> String {
    let records = data.iter().enumerate().map(|(i, data)| {
        lambda_batch_testkit::kinesis::record(
            &lambda_batch_testkit::kinesis::sequence_number(i as u64),
            "k",
            data,
        )
    });
    lambda_batch_testkit::kinesis::event_json(records)
}

#[test]
fn data_that_is_not_cloudwatch_logs_says_why() {
    use lambda_batch_testkit::envelope::gzip;
    let truncated = lambda_batch_testkit::envelope::cloudwatch_logs_data(&["a"]);
    let event = kinesis_event(&[
        b"{\"messageType\":\"DATA_MESSAGE\"}",
        &gzip(b"not json"),
        &gzip(br#"{"owner":"1"}"#),
        &gzip(br#"{"messageType":"OTHER"}"#),
        &truncated[..truncated.len() / 2],
    ]);
    let errors: Vec<String> =
        kinesis::<CloudWatchLogs>(&event).into_iter().map(|r| r.unwrap_err().to_string()).collect();
    assert!(errors[0].contains("it is not gzip (it starts with [7b, 22]"), "{}", errors[0]);
    assert!(errors[1].contains("is not CloudWatch Logs subscription JSON"), "{}", errors[1]);
    assert!(errors[2].contains("no `messageType` field"), "{}", errors[2]);
    assert!(errors[3].contains("`messageType` `OTHER`"), "{}", errors[3]);
    assert!(errors[4].contains("does not decompress"), "{}", errors[4]);
}

#[test]
fn a_gzip_bomb_fails_its_record_without_reading_it_whole() {
    use lambda_batch_testkit::envelope::gzip;
    // 40 MiB of spaces in a JSON string: about 40 KiB compressed.
    let mut json = br#"{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1,"message":""#.to_vec();
    json.resize(json.len() + 40 * 1024 * 1024, b' ');
    json.extend_from_slice(br#""}]}"#);
    let bomb = gzip(&json);
    assert!(bomb.len() < 200 * 1024, "the bomb is small: {}", bomb.len());
    let error = kinesis::<CloudWatchLogs>(&kinesis_event(&[&bomb])).remove(0).unwrap_err().to_string();
    assert!(
        error.contains("decompresses to more than 33554432 bytes") && error.contains("compression bomb"),
        "{error}"
    );
}

#[batch_handler(sqs, all_failed = "report_all")]
async fn orders_from_sns(order: FromSns<Order>) -> Result<(), String> {
    if order.item.is_empty() { Err("no item".to_owned()) } else { Ok(()) }
}

#[tokio::test]
async fn a_body_that_is_not_the_envelope_fails_that_record_alone() {
    let event = BatchEvent::from_json(SNS_IN_SQS).unwrap();
    let response = orders_from_sns(LambdaEvent::new(event, lambda_batch_testkit::context())).await.unwrap();
    let json = serde_json::to_value(response).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "0b1c2d3e-aaaa-4bbb-8ccc-0123456789ab"}]})
    );
}

/// The source is inferred from an envelope only one source carries.
#[batch_handler]
async fn inferred_sqs(order: FromSns<Order>) -> Result<(), String> {
    if order.item.is_empty() { Err("no item".to_owned()) } else { Ok(()) }
}

#[batch_handler]
async fn inferred_kinesis(logs: CloudWatchLogs) {
    let _ = logs;
}

#[batch_handler]
async fn inferred_from_s3(notification: S3Notification) {
    let _ = notification;
}

#[test]
fn the_source_is_inferred_from_sns_s3_and_cloudwatch_envelopes() {
    let _: lambda_batch::sqs::SqsConfig = inferred_sqs::CONFIG;
    let _: lambda_batch::sqs::SqsConfig = inferred_from_s3::CONFIG;
    let _: lambda_batch::stream::StreamConfig = inferred_kinesis::CONFIG;
}

#[test]
fn option_of_an_envelope_is_none_for_a_record_that_is_not_it() {
    let found = sqs::<Option<FromSns<Order>>>(SNS_IN_SQS);
    let ids: Vec<Option<u64>> = found.into_iter().map(|result| result.unwrap().map(|sns| sns.id)).collect();
    assert_eq!(ids, [Some(7), Some(8), None], "raw message delivery is not an SNS notification");
    let event = sqs_event(&["plain text"]);
    assert!(sqs::<Option<FromEventBridge<Order>>>(&event)[0].as_ref().unwrap().is_none());
    assert!(sqs::<Option<S3Notification>>(&event)[0].as_ref().unwrap().is_none());
    let logs = kinesis::<Option<CloudWatchLogs>>(CLOUDWATCH_LOGS_IN_KINESIS);
    assert!(logs.iter().all(|result| matches!(result, Ok(Some(_)))));
    let not_logs = lambda_batch_testkit::kinesis::event_json([lambda_batch_testkit::kinesis::record(
        "1",
        "k",
        b"not gzip",
    )]);
    assert!(kinesis::<Option<CloudWatchLogs>>(&not_logs)[0].as_ref().unwrap().is_none());
}
