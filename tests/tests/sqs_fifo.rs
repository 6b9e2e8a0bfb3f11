//! SQS FIFO rules: stop at the first failure, or skip only the failing group.

use crate::common::{ids, response_ids, run, statuses};
use lambda_batch::sqs::{FifoPolicy, QueueKind, SqsConfig};
use lambda_batch::{AllFailedPolicy, RecordStatus};
use lambda_batch_testkit::sqs::{event, fifo_message, message};

const SKIP_GROUP: SqsConfig = SqsConfig::new().with_fifo_policy(FifoPolicy::SkipFailedGroup);

#[tokio::test]
async fn the_first_record_with_an_arn_tells_whether_the_batch_is_fifo() {
    let without_arn = |id: &str, body: &str| {
        let mut record = message(id, body);
        record.as_object_mut().unwrap().remove("eventSourceARN");
        record
    };
    // Record 0 has no ARN: the next one that has one decides.
    let first_has_none =
        event([without_arn("m1", "fail"), fifo_message("m2", "a", "ok"), without_arn("m3", "ok")]);
    let (report, calls) = run(&first_has_none, SqsConfig::new()).await;
    let report = report.unwrap();
    assert!(report.is_fifo());
    assert_eq!(calls, ids(&["m1"]));
    assert_eq!(statuses(&report), ["failed", "skipped", "skipped"]);
    // The first ARN is a standard queue's: a later `.fifo` ARN (which no
    // batch from Lambda has) does not make it FIFO.
    let first_is_standard = event([message("m1", "fail"), fifo_message("m2", "a", "ok")]);
    let (report, calls) = run(&first_is_standard, SqsConfig::new()).await;
    assert!(!report.unwrap().is_fifo());
    assert_eq!(calls, ids(&["m1", "m2"]));
}

#[tokio::test]
async fn fifo_is_detected_from_the_queue_arn_and_stops_at_the_first_failure() {
    let event = event([
        fifo_message("m1", "a", "ok"),
        fifo_message("m2", "b", "fail"),
        fifo_message("m3", "a", "ok"),
        fifo_message("m4", "c", "ok"),
    ]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls, ids(&["m1", "m2"]), "no record after the failure may be called");
    let report = report.unwrap();
    assert!(report.is_fifo());
    assert_eq!(statuses(&report), ["ok", "failed", "skipped", "skipped"]);
    assert_eq!(report.records()[3].status(), &RecordStatus::Skipped { cause: 1 });
    assert_eq!(response_ids(report), Ok(ids(&["m2", "m3", "m4"])));
}

#[tokio::test]
async fn fifo_can_be_forced_when_the_arn_does_not_say_so() {
    let event = event([message("m1", "fail"), message("m2", "ok")]);
    let (report, calls) = run(&event, SqsConfig::new().with_queue_kind(QueueKind::Fifo)).await;
    assert_eq!(calls, ids(&["m1"]));
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn a_panic_in_fifo_fails_its_record_and_stops_the_rest() {
    let event = event([fifo_message("m1", "a", "panic"), fifo_message("m2", "a", "ok")]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls, ids(&["m1"]));
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn skipped_records_do_not_count_as_failed_for_the_all_failed_rule() {
    // The first record fails and the rest are skipped: one handler call failed,
    // so this is a partial response, not an invocation error.
    let event = event([
        fifo_message("m1", "a", "fail"),
        fifo_message("m2", "a", "ok"),
        fifo_message("m3", "b", "ok"),
    ]);
    let (report, calls) = run(&event, SqsConfig::new()).await;
    assert_eq!(calls, ids(&["m1"]));
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1", "m2", "m3"])));
}

#[tokio::test]
async fn a_fifo_batch_whose_every_record_failed_when_handled_is_an_invocation_error() {
    let single = event([fifo_message("m1", "a", "fail")]);
    let (report, _) = run(&single, SqsConfig::new()).await;
    assert_eq!(response_ids(report.unwrap()), Err("LambdaBatch.AllRecordsFailed"));
    let event = event([fifo_message("m1", "a", "fail"), fifo_message("m2", "b", "fail")]);
    let (report, _) = run(&event, SKIP_GROUP).await;
    assert_eq!(response_ids(report.unwrap()), Err("LambdaBatch.AllRecordsFailed"));
    let (report, _) = run(&event, SKIP_GROUP.with_all_failed_policy(AllFailedPolicy::ReportAll)).await;
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1", "m2"])));
}

#[tokio::test]
async fn skip_group_skips_only_the_failing_group_and_other_groups_go_on() {
    let event = event([
        fifo_message("a1", "a", "ok"),
        fifo_message("b1", "b", "fail"),
        fifo_message("a2", "a", "ok"),
        fifo_message("b2", "b", "ok"),
        fifo_message("c1", "c", "ok"),
        fifo_message("a3", "a", "fail"),
        fifo_message("a4", "a", "ok"),
        fifo_message("c2", "c", "ok"),
    ]);
    let (report, calls) = run(&event, SKIP_GROUP).await;
    assert_eq!(calls, ids(&["a1", "b1", "a2", "c1", "a3", "c2"]));
    let report = report.unwrap();
    assert_eq!(statuses(&report), ["ok", "failed", "ok", "skipped", "ok", "failed", "skipped", "ok"]);
    assert_eq!(report.records()[6].status(), &RecordStatus::Skipped { cause: 5 });
    assert_eq!(response_ids(report), Ok(ids(&["b1", "b2", "a3", "a4"])));
}

#[tokio::test]
async fn skip_group_stops_everything_after_a_failing_record_without_a_group() {
    let mut no_group = fifo_message("x", "g", "fail");
    no_group["attributes"].as_object_mut().unwrap().remove("MessageGroupId");
    let event = event([fifo_message("a1", "a", "ok"), no_group, fifo_message("b1", "b", "ok")]);
    let (report, calls) = run(&event, SKIP_GROUP).await;
    assert_eq!(calls, ids(&["a1", "x"]));
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["x", "b1"])));
}

#[tokio::test]
async fn skip_group_policy_does_nothing_on_a_standard_queue() {
    let event = event([message("m1", "fail"), message("m2", "ok")]);
    let (report, calls) = run(&event, SKIP_GROUP).await;
    assert_eq!(calls, ids(&["m1", "m2"]));
    assert_eq!(response_ids(report.unwrap()), Ok(ids(&["m1"])));
}
