//! The deadline guard on tokio's paused clock.

use lambda_batch::validate::BatchView;
use lambda_batch::{BatchEvent, SourceKind};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{ids, outcome_ids};
use lambda_batch::BatchPipeline;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::sqs::{FifoPolicy, Sqs, SqsConfig};
use lambda_batch::stream::StreamConfig;
use lambda_batch::validate::FifoRule;
use lambda_batch::{
    AllFailedPolicy, BatchCounts, Context, LambdaEvent, Limits, RecordErrorKind, RecordStatus, batch_handler,
};
use lambda_batch_testkit::sqs::{event, event_value, fifo_message, message};

/// Sleeps as many milliseconds as the body says.
#[batch_handler(sqs, all_failed = "report_all")]
async fn sleepy(body: &str) {
    tokio::time::sleep(Duration::from_millis(body.parse().unwrap())).await;
}

/// A context whose deadline is `ms` from now (wall clock; the engine turns
/// it into a tokio instant once, so the paused clock governs after that).
fn cx_with(ms: u64) -> Context {
    lambda_batch_testkit::context_with_budget(Duration::from_millis(ms))
}

fn config(limits: Limits) -> SqsConfig {
    SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll).with_limits(limits)
}

#[tokio::test(start_paused = true)]
async fn records_not_started_before_the_cut_off_are_reported_instead_of_started() {
    // Deadline in 2 s, margin 500 ms: starts at 0, 400, 800 and 1200 ms; the
    // fifth would start at 1600 ms, past the cut-off at ~1500 ms.
    let batch = event((0..6).map(|i| message(&format!("m{i}"), "400")));
    let started = tokio::time::Instant::now();
    let report = Sqs::process(&sleepy {}, &config(Limits::new()), &batch, &cx_with(2000)).await.unwrap();
    assert_eq!(report.counts(), BatchCounts { succeeded: 4, out_of_time: 2, ..BatchCounts::default() });
    assert_eq!(report.records()[4].status(), &RecordStatus::OutOfTime);
    assert!(started.elapsed() < Duration::from_millis(2000), "finished inside the deadline");
    assert_eq!(outcome_ids(report.into_response()), Ok(ids(&["m4", "m5"])));
}

#[tokio::test(start_paused = true)]
async fn records_still_running_at_the_abandon_point_fail_and_the_invocation_ends_in_time() {
    let batch = event([message("m0", "100"), message("m1", "60000"), message("m2", "100")]);
    let started = tokio::time::Instant::now();
    let report = Sqs::process(&sleepy {}, &config(Limits::new()), &batch, &cx_with(2000)).await.unwrap();
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(1700) && elapsed < Duration::from_millis(1800), "{elapsed:?}");
    assert_eq!(report.records()[0].status(), &RecordStatus::Succeeded);
    assert!(
        matches!(report.records()[1].status(), RecordStatus::Failed(e) if e.kind() == RecordErrorKind::Timeout)
    );
    assert_eq!(report.records()[2].status(), &RecordStatus::OutOfTime);
}

#[tokio::test(start_paused = true)]
async fn the_margin_is_configurable() {
    // Margin 1500 ms: cut-off at ~500 ms, so only the first two start.
    let batch = event((0..4).map(|i| message(&format!("m{i}"), "300")));
    let limits = Limits::new().with_deadline_margin(Duration::from_millis(1500));
    let report = Sqs::process(&sleepy {}, &config(limits), &batch, &cx_with(2000)).await.unwrap();
    assert_eq!(report.counts().succeeded, 2);
    assert_eq!(report.counts().out_of_time, 2);
}

#[tokio::test(start_paused = true)]
async fn a_record_running_past_its_timeout_fails_and_the_next_one_runs() {
    let batch = event([message("m0", "5000"), message("m1", "10")]);
    let limits = Limits::new().with_record_timeout(Duration::from_millis(100));
    let report = Sqs::process(&sleepy {}, &config(limits), &batch, &cx_with(60_000)).await.unwrap();
    match report.records()[0].status() {
        RecordStatus::Failed(error) => {
            assert_eq!(error.kind(), RecordErrorKind::Timeout);
            assert!(error.message().contains("100 ms"), "{error}");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(report.records()[1].status(), &RecordStatus::Succeeded);
}

#[batch_handler(
    sqs,
    record_timeout_ms = 50,
    deadline_margin_ms = 200,
    concurrency = 4,
    all_failed = "report_all"
)]
async fn limited(body: &str) {
    tokio::time::sleep(Duration::from_millis(body.parse().unwrap())).await;
}

#[tokio::test(start_paused = true)]
async fn the_macro_options_set_the_limits() {
    let limits = limited::CONFIG.limits();
    assert_eq!(limits.concurrency(), 4);
    assert_eq!(limits.deadline_margin(), Duration::from_millis(200));
    assert_eq!(limits.record_timeout(), Some(Duration::from_millis(50)));
    let batch = event([message("m0", "10"), message("m1", "1000")]);
    let result = limited(LambdaEvent::new(batch, cx_with(60_000))).await;
    assert_eq!(outcome_ids(result), Ok(ids(&["m1"])));
}

#[tokio::test(start_paused = true)]
async fn fifo_rules_hold_for_what_is_cut_off() {
    let records = [
        fifo_message("a0", "a", "600"),
        fifo_message("b0", "b", "600"),
        fifo_message("a1", "a", "600"),
        fifo_message("b1", "b", "600"),
        fifo_message("a2", "a", "600"),
        fifo_message("b2", "b", "600"),
        fifo_message("a3", "a", "600"),
        fifo_message("b3", "b", "600"),
    ];
    let value = event_value(records.clone());
    for (policy, rule, concurrency) in [
        (FifoPolicy::StopAtFirstFailure, FifoRule::BatchSuffix, 1),
        (FifoPolicy::SkipFailedGroup, FifoRule::GroupSuffix, 8),
    ] {
        let config = SqsConfig::new()
            .with_fifo_policy(policy)
            .with_all_failed_policy(AllFailedPolicy::ReportAll)
            .with_limits(Limits::new().with_concurrency(concurrency));
        let event = event(records.clone());
        let report = Sqs::process(&sleepy {}, &config, &event, &cx_with(2000)).await.unwrap();
        // 600 ms each: per group, starts at 0, 600 and 1200 ms; the third is
        // abandoned at ~1750 ms and the fourth never starts.
        assert!(report.counts().out_of_time > 0, "{policy:?}: the deadline cut something off");
        assert!(report.counts().failed > 0, "{policy:?}: a record was abandoned");
        let response = serde_json::to_value(report.into_response().unwrap()).unwrap();
        let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&value))
            .with_fifo_rule(rule)
            .check(&response);
        assert!(check.is_valid(), "{policy:?}: {:?}", check.findings());
    }
}

#[tokio::test(start_paused = true)]
async fn stream_checkpoint_reports_the_first_record_cut_off() {
    #[batch_handler(kinesis)]
    async fn slow(data: &str) {
        tokio::time::sleep(Duration::from_millis(data.parse().unwrap())).await;
    }
    let records = (0..6).map(|i| lambda_batch_testkit::kinesis::record(&format!("{}", 100 + i), "k", b"400"));
    let batch = lambda_batch_testkit::kinesis::event(records);
    let report = Kinesis::process(&slow {}, &StreamConfig::new(), &batch, &cx_with(2000)).await.unwrap();
    assert_eq!(outcome_ids(report.into_response()), Ok(ids(&["104"])));
}

#[test]
fn context_deadline_is_epoch_milliseconds() {
    let cx = cx_with(1000);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    assert!(cx.deadline > now && cx.deadline <= now + 1000);
}
