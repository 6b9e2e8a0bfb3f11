//! SQS standard queue rules.

use crate::common;

use crate::common::{ids, response_ids, run, statuses};
use lambda_batch::BatchPipeline;
use lambda_batch::sqs::Sqs;
use lambda_batch::sqs::SqsConfig;
use lambda_batch::{AllFailedPolicy, BatchError, RecordErrorKind, RecordStatus};
use lambda_batch_testkit::sqs::{event, message};

#[tokio::test]
async fn every_record_is_handled_and_failures_are_reported_by_message_id_in_record_order() {
    let event = event([
        message("m1", "fail"),
        message("m2", "ok"),
        message("m3", "fail"),
        message("m4", "ok"),
        message("m5", "fail"),
    ]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls, ids(&["m1", "m2", "m3", "m4", "m5"]));
    let report = report.unwrap();
    assert!(!report.is_fifo());
    assert_eq!(report.counts(), lambda_batch::BatchCounts { succeeded: 2, failed: 3, ..Default::default() });
    assert_eq!(response_ids(report), Ok(ids(&["m1", "m3", "m5"])));
}

#[tokio::test]
async fn a_fully_successful_batch_returns_an_empty_failure_list() {
    let event = event([message("m1", "ok"), message("m2", "ok")]);
    let (report, _) = run(&event, SqsConfig::new()).await;
    let response = report.unwrap().into_response().unwrap();
    assert!(response.is_complete_success());
    assert_eq!(serde_json::to_string(&response).unwrap(), r#"{"batchItemFailures":[]}"#);
}

#[tokio::test]
async fn a_panic_fails_only_its_record() {
    let event = event([message("m1", "ok"), message("m2", "panic"), message("m3", "ok")]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls, ids(&["m1", "m2", "m3"]), "records after the panic are still handled");
    let report = report.unwrap();
    match report.records()[1].status() {
        RecordStatus::Failed(error) => {
            assert_eq!(error.kind(), RecordErrorKind::Panic);
            assert!(error.message().contains("scripted panic in m2"), "{error}");
        }
        other => panic!("expected a panic failure, got {other:?}"),
    }
    assert_eq!(response_ids(report), Ok(ids(&["m2"])));
}

#[tokio::test]
async fn a_panic_while_making_the_record_future_fails_only_its_record() {
    let event = event([message("m1", "ok"), message("m2", "boom"), message("m3", "ok")]);
    let handler =
        lambda_batch::handler_fn(|record: &lambda_batch::sqs::SqsRecord<'_>, _: &lambda_batch::Context| {
            assert_ne!(record.body(), Some("boom"), "sync panic");
        });
    let report = Sqs::process(&handler, &SqsConfig::new(), &event, &common::cx()).await.unwrap();
    assert_eq!(statuses(&report), ["ok", "failed", "ok"]);
}

#[tokio::test]
async fn when_every_record_fails_the_invocation_fails_with_a_stable_error_type() {
    let event = event([message("m1", "fail"), message("m2", "panic")]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls.len(), 2);
    match report.unwrap().into_response() {
        Err(error @ BatchError::AllRecordsFailed { failed: 2, .. }) => {
            assert_eq!(error.error_type(), "LambdaBatch.AllRecordsFailed");
            assert!(error.to_string().contains("scripted failure in m1"), "{error}");
            let diagnostic = lambda_runtime::Diagnostic::from(error);
            assert_eq!(diagnostic.error_type, "LambdaBatch.AllRecordsFailed");
        }
        other => panic!("expected AllRecordsFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn report_all_returns_every_failed_id_instead_of_an_error() {
    let event = event([message("m1", "fail"), message("m2", "fail")]);
    let (report, _) = run(&event, SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll)).await;
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn a_message_id_seen_twice_is_reported_once() {
    let event =
        event([message("dup", "fail"), message("m2", "ok"), message("dup", "fail"), message("m4", "ok")]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls.len(), 4);
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["dup"])));
}

#[tokio::test]
async fn message_group_ids_on_a_standard_queue_do_not_turn_on_fifo_rules() {
    // Standard queues accept MessageGroupId ("fair queues"); only the ARN says FIFO.
    let mut first = message("m1", "fail");
    first["attributes"]["MessageGroupId"] = serde_json::json!("g");
    let mut second = message("m2", "ok");
    second["attributes"]["MessageGroupId"] = serde_json::json!("g");
    let event = event([first, second]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls, ids(&["m1", "m2"]));
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1"])));
}

#[tokio::test]
async fn stop_at_first_failure_reports_the_failed_record_and_every_later_one_without_calling_them() {
    use lambda_batch::sqs::StandardPolicy;
    let event = event([message("m1", "ok"), message("m2", "fail"), message("m3", "ok"), message("m4", "ok")]);
    let config = SqsConfig::new()
        .with_standard_policy(StandardPolicy::StopAtFirstFailure)
        .with_limits(lambda_batch::Limits::new().with_concurrency(8));
    let (report, calls) = run(&event, config).await;
    assert_eq!(calls, ids(&["m1", "m2"]), "no record after the failure is called");
    let report = report.unwrap();
    assert!(!report.is_fifo(), "the queue is still a standard queue");
    assert!(matches!(report.records()[2].status(), RecordStatus::Skipped { .. }));
    assert_eq!(
        report.counts(),
        lambda_batch::BatchCounts { succeeded: 1, failed: 1, skipped: 2, ..Default::default() }
    );
    assert_eq!(response_ids(report), Ok(ids(&["m2", "m3", "m4"])));
}

#[tokio::test]
async fn the_macro_option_standard_policy_stops_at_the_first_failure() {
    #[lambda_batch::batch_handler(sqs, standard_policy = "stop_at_first_failure")]
    fn stop_early(body: &str) -> Result<(), String> {
        if body == "fail" { Err("refused".to_owned()) } else { Ok(()) }
    }
    let event = event([message("m1", "fail"), message("m2", "ok")]);
    let response = stop_early(lambda_batch::LambdaEvent::new(event, lambda_batch_testkit::context())).await;
    assert_eq!(common::outcome_ids(response), Ok(ids(&["m1", "m2"])));
}
