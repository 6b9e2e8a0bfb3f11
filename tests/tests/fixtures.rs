//! AWS's own sample events and responses.

use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use lambda_batch::sqs::{self, SqsConfig, SqsMessage};
use lambda_batch::{AllFailedPolicy, BatchEvent};

const SQS_EVENT: &str = include_str!("../fixtures/aws/example-sqs-event.json");
const SQS_EVENT_OBJ: &str = include_str!("../fixtures/aws/example-sqs-event-obj.json");
const SQS_RESPONSE: &str = include_str!("../fixtures/aws/example-sqs-batch-response.json");

#[tokio::test]
async fn aws_sample_sqs_event_is_read_and_answered_by_message_id() {
    let event = BatchEvent::from_json(SQS_EVENT).unwrap();
    let records = Sqs::read_records(&event).unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].message_id(), "MessageID_1");
    assert_eq!(records[0].body(), Some("Message Body"));
    assert!(!records[0].is_from_fifo_queue());
    let message: &SqsMessage = records[0].message().unwrap();
    assert_eq!(message.attributes["ApproximateReceiveCount"], "2");

    let failing =
        lambda_batch::handler_fn(|_: &sqs::SqsRecord<'_>, _: &lambda_batch::Context| Err::<(), _>("down"));
    let config = SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll);
    let report = Sqs::process(&failing, &config, &event, &lambda_batch_testkit::context()).await.unwrap();
    let json = serde_json::to_value(report.into_response().unwrap()).unwrap();
    assert_eq!(json, serde_json::json!({"batchItemFailures": [{"itemIdentifier": "MessageID_1"}]}));
}

#[tokio::test]
async fn aws_sample_event_with_a_json_body_is_read() {
    let event = BatchEvent::from_json(SQS_EVENT_OBJ).unwrap();
    let records = Sqs::read_records(&event).unwrap();
    assert!(!records.is_empty());
    for record in &records {
        let body: serde_json::Value = serde_json::from_str(record.body().unwrap()).unwrap();
        assert!(body.is_object());
    }
}

#[tokio::test]
async fn our_response_serializes_like_the_aws_sample_response() {
    use lambda_batch_testkit::sqs::{event, message};
    let event = event(
        ["ok", "fail", "ok", "fail"]
            .iter()
            .enumerate()
            .map(|(i, body)| message(&format!("id{}", i + 1), body)),
    );
    let handler =
        lambda_batch::handler_fn(
            |record: &sqs::SqsRecord<'_>, _: &lambda_batch::Context| {
                if record.body() == Some("fail") { Err("failed") } else { Ok(()) }
            },
        );
    let report =
        Sqs::process(&handler, &SqsConfig::new(), &event, &lambda_batch_testkit::context()).await.unwrap();
    let response = report.into_response().unwrap();
    let sample: serde_json::Value = serde_json::from_str(SQS_RESPONSE).unwrap();
    assert_eq!(serde_json::to_value(&response).unwrap(), sample);
    assert_eq!(serde_json::to_value(response.to_sqs_response()).unwrap(), sample);
}
