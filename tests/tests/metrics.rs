//! Metrics in CloudWatch Embedded Metric Format: every line the engine
//! writes, for batches of every source, passes the testkit's EMF checker
//! and holds the report's counts; the settings refuse, when built, what
//! would make an invalid line; and the checker rejects each kind of
//! invalid line.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kafka::Kafka;
use lambda_batch::kinesis::Kinesis;
use lambda_batch::metrics::{BatchTimes, Metrics, MetricsError};
use lambda_batch::sqs::{Sqs, SqsConfig};
use lambda_batch::stream::{StreamConfig, StreamPolicy};
use lambda_batch::{
    AllFailedPolicy, BatchEvent, BatchPipeline, BatchRecord, Context, LambdaEvent, RecordHandler,
    RecordOutcome, Source, batch_handler,
};
use lambda_batch_testkit::emf::{EmfViolation, check_line, violations};
use lambda_batch_testkit::prelude::*;
use serde_json::{Value, json};

use crate::common::cx;

/// Every line written, in order.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl Lines {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

/// Metrics whose lines go to `lines`.
fn metrics(lines: &Lines) -> Metrics {
    let lines = lines.clone();
    Metrics::new("LambdaBatchTests")
        .and_then(|m| m.with_service("tests"))
        .and_then(|m| m.with_dimension("Stage", "test"))
        .unwrap()
        .with_output(move |line| lines.0.lock().unwrap().push(line.to_owned()))
}

/// A handler of any source that succeeds, fails or asks for a retry by
/// the length of the record's JSON, and has metrics.
struct Measured(Metrics);

impl<S: Source> RecordHandler<S> for Measured {
    fn handle<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        _cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a {
        std::future::ready(match record.raw_json().len() % 3 {
            0 => RecordOutcome::Success,
            1 => RecordOutcome::failure("scripted"),
            _ => RecordOutcome::retry_later(),
        })
    }

    fn metrics(&self) -> Option<&Metrics> {
        Some(&self.0)
    }
}

/// Runs `event` as source `S` and checks its one line against the report.
fn check_batch<S: BatchPipeline>(config: &S::Config, event: &BatchEvent) -> Result<(), TestCaseError> {
    let lines = Lines::default();
    let handler = Measured(metrics(&lines));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let report = runtime.block_on(S::process(&handler, config, event, &cx())).unwrap();
    let lines = lines.take();
    prop_assert_eq!(lines.len(), 1, "one line per invocation");
    prop_assert_eq!(check_line(&lines[0]), Ok(()), "{}", lines[0]);
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    let counts = report.counts();
    for (metric, count) in [
        ("RecordsSucceeded", counts.succeeded),
        ("RecordsFailed", counts.failed),
        ("RecordsSkipped", counts.skipped),
        ("RecordsRetryLater", counts.retry_later),
        ("RecordsOutOfTime", counts.out_of_time),
        ("BatchSize", report.records().len()),
    ] {
        prop_assert_eq!(&line[metric], &json!(count), "{}", metric);
    }
    prop_assert_eq!(&line["EventSource"], &json!(report.source().name()));
    prop_assert_eq!(&line["Service"], &json!("tests"));
    let records = S::read_records(event).unwrap();
    let arrivals = records.iter().filter_map(BatchRecord::arrival_time).count();
    prop_assert_eq!(line.get("OldestRecordAge").is_some(), arrivals > 0);
    Ok(())
}

#[test]
fn every_line_for_random_batches_of_every_source_is_valid_emf_and_holds_the_counts() {
    let mut runner =
        proptest::test_runner::TestRunner::new(ProptestConfig { cases: 32, ..ProptestConfig::default() });
    let sqs = SqsConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll);
    let streams = StreamConfig::new()
        .with_stream_policy(StreamPolicy::Continue)
        .with_all_failed_policy(AllFailedPolicy::ReportAll);
    let checkpoint = StreamConfig::new().with_all_failed_policy(AllFailedPolicy::ReportAll);
    let body = json_body(0u32..1000);
    runner.run(&sqs_batch(body.clone(), 0..20), |b| check_batch::<Sqs>(&sqs, &b.to_event())).unwrap();
    runner.run(&sqs_fifo_batch(body, 0..20, 1..=3), |b| check_batch::<Sqs>(&sqs, &b.to_event())).unwrap();
    runner
        .run(&kinesis_batch(json_data(0u32..1000), 0..20, 1..=3), |b| {
            check_batch::<Kinesis>(&checkpoint, &b.to_event())
        })
        .unwrap();
    runner
        .run(&dynamodb_batch(0u32..1000, 0..20, 1..=3), |b| check_batch::<DynamoDb>(&streams, &b.to_event()))
        .unwrap();
    runner
        .run(&kafka_batch(json_data(0u32..1000), 0..20, 1..=3), |b| {
            check_batch::<Kafka>(&streams, &b.to_event())
        })
        .unwrap();
}

/// The `OldestRecordAge` of a line.
fn age_of(line: &str) -> f64 {
    serde_json::from_str::<Value>(line).unwrap()["OldestRecordAge"].as_f64().unwrap()
}

#[tokio::test]
async fn the_oldest_record_age_comes_from_each_sources_arrival_time() {
    use lambda_batch_testkit::{dynamodb, kafka, kinesis, sqs};
    let lines = Lines::default();
    let handler = Measured(metrics(&lines));
    let stream = StreamConfig::new();
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as f64;
    let mut older = sqs::message("m0", "x");
    older["attributes"]["SentTimestamp"] = json!("1600000000000");
    Sqs::process(&handler, &SqsConfig::new(), &sqs::event([sqs::message("m1", "x"), older]), &cx())
        .await
        .unwrap();
    Kinesis::process(&handler, &stream, &kinesis::event([kinesis::record("1", "k", b"x")]), &cx())
        .await
        .unwrap();
    let keys = json!({"id": {"S": "1"}});
    let change = dynamodb::record("1", "INSERT", keys, None, None);
    DynamoDb::process(&handler, &stream, &dynamodb::event([change]), &cx()).await.unwrap();
    // Kafka: the older record second, hours older, and one without a
    // timestamp (-1), which is no arrival.
    let mut kafka_older = kafka::record("t", 0, 5, None, Some(b"x"));
    kafka_older["timestamp"] = json!(1_650_000_000_000_u64);
    let mut no_timestamp = kafka::record("t", 0, 9, None, Some(b"x"));
    no_timestamp["timestamp"] = json!(-1);
    let records = [kafka::record("t", 0, 7, None, Some(b"x")), kafka_older, no_timestamp];
    Kafka::process(&handler, &stream, &kafka::event(records), &cx()).await.unwrap();
    let arrivals = [1_600_000_000_000.0, 1_700_000_000_123.0, 1_700_000_000_000.0, 1_650_000_000_000.0];
    let lines = lines.take();
    assert_eq!(lines.len(), arrivals.len());
    for (line, arrival) in lines.iter().zip(arrivals) {
        let (age, expected) = (age_of(line), now_ms - arrival);
        assert!((age - expected).abs() < 10_000.0, "age {age} ms, expected about {expected} ms: {line}");
    }
}

#[test]
fn the_line_is_a_function_of_the_settings_the_report_and_the_times() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let handler = Measured(metrics(&Lines::default()));
    let batch = lambda_batch_testkit::sqs::event([
        lambda_batch_testkit::sqs::message("m0", "a"),
        lambda_batch_testkit::sqs::message("m1", "bb"),
    ]);
    let report = runtime.block_on(Sqs::process(&handler, &SqsConfig::new(), &batch, &cx())).unwrap();
    let times = BatchTimes {
        timestamp_ms: 1_700_000_000_000,
        duration: Duration::from_micros(12_500),
        oldest_record_age: Some(Duration::from_secs(2)),
    };
    let line: Value = serde_json::from_str(&handler.0.line(&report, &times)).unwrap();
    let counts = report.counts();
    let count = |name: &str| json!({"Name": name, "Unit": "Count"});
    assert_eq!(
        line,
        json!({
            "_aws": {
                "Timestamp": 1_700_000_000_000u64,
                "CloudWatchMetrics": [{
                    "Namespace": "LambdaBatchTests",
                    "Dimensions": [["Service", "EventSource", "Stage"]],
                    "Metrics": [
                        count("RecordsSucceeded"), count("RecordsFailed"), count("RecordsTimedOut"),
                        count("RecordsSkipped"), count("RecordsPoisoned"), count("RecordsRetryLater"),
                        count("RecordsOutOfTime"), count("RecordsReplayed"), count("BatchSize"),
                        {"Name": "HandlerDuration", "Unit": "Milliseconds"},
                        {"Name": "OldestRecordAge", "Unit": "Milliseconds"},
                    ],
                }],
            },
            "Service": "tests", "EventSource": "SQS", "Stage": "test",
            "RecordsSucceeded": counts.succeeded, "RecordsFailed": counts.failed, "RecordsTimedOut": 0,
            "RecordsSkipped": 0, "RecordsPoisoned": 0, "RecordsRetryLater": counts.retry_later,
            "RecordsOutOfTime": 0, "RecordsReplayed": 0, "BatchSize": 2,
            "HandlerDuration": 12.5, "OldestRecordAge": 2000.0,
        })
    );
}

#[test]
fn settings_that_would_make_an_invalid_line_are_refused_when_built() {
    let mut full = Metrics::new("Orders").unwrap().with_service("orders").unwrap();
    for i in 0..28 {
        full = full.with_dimension(format!("D{i}"), "v").unwrap();
    }
    assert_eq!(
        full.clone().with_dimension("D28", "v").unwrap_err(),
        MetricsError::TooManyDimensions { name: "D28".to_owned() }
    );
    let message = full.clone().with_dimension("D28", "v").unwrap_err().to_string();
    assert!(message.contains("at most 30") && message.contains("drop a dimension"), "{message}");
    for taken in ["D3", "Service", "EventSource", "RecordsFailed", "_aws"] {
        let error =
            Metrics::new("Orders").unwrap().with_dimension("D3", "v").unwrap().with_dimension(taken, "v");
        assert_eq!(error.unwrap_err(), MetricsError::NameTaken { name: taken.to_owned() });
    }
    assert_eq!(Metrics::new("").unwrap_err(), MetricsError::Empty { what: "namespace" });
    assert!(matches!(
        Metrics::new("n".repeat(256)),
        Err(MetricsError::TooLong { length: 256, max: 255, .. })
    ));
    assert!(Metrics::new("n".repeat(255)).is_ok());
    let empty_value = Metrics::new("Orders").unwrap().with_dimension("Stage", "");
    assert_eq!(empty_value.unwrap_err(), MetricsError::Empty { what: "dimension value" });
    // The fullest settings still make a valid line.
    let lines = Lines::default();
    let sink = lines.clone();
    let handler = Measured(full.with_output(move |line| sink.0.lock().unwrap().push(line.to_owned())));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let batch = lambda_batch_testkit::sqs::event([lambda_batch_testkit::sqs::message("m0", "a")]);
    runtime.block_on(Sqs::process(&handler, &SqsConfig::new(), &batch, &cx())).unwrap();
    assert_eq!(check_line(&lines.take()[0]), Ok(()));
}

#[test]
fn names_cloudwatch_would_drop_are_refused_when_built() {
    let refused = |result: Result<Metrics, MetricsError>, what: &str, problem: &str| match result {
        Err(MetricsError::InvalidCharacter { what: found, problem: why, .. }) => {
            assert_eq!(found, what);
            assert!(why.contains(problem), "{why}");
        }
        other => panic!("expected an invalid {what}, got {other:?}"),
    };
    refused(Metrics::new("AWS/Orders"), "namespace", "AWS/");
    refused(Metrics::new("Orders!"), "namespace", "letters, digits");
    refused(Metrics::new("   "), "namespace", "only spaces");
    let orders = || Metrics::new("Shop/Orders #1: eu-west_1").unwrap();
    refused(orders().with_service("caf\u{e9}"), "service", "outside ASCII");
    refused(orders().with_dimension("Stage", " "), "dimension value", "only spaces");
    refused(orders().with_dimension(":Stage", "prod"), "dimension name", "starts with `:`");
    refused(orders().with_dimension("Stage", "a\tb"), "dimension value", "control character");
    let message = orders().with_dimension(":Stage", "prod").unwrap_err().to_string();
    assert!(message.contains("CloudWatch would drop the metrics"), "{message}");
}

/// A valid line, as the engine writes it, to break.
fn valid_line() -> Value {
    let handler = Measured(metrics(&Lines::default()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let batch = lambda_batch_testkit::sqs::event([lambda_batch_testkit::sqs::message("m0", "a")]);
    let report = runtime.block_on(Sqs::process(&handler, &SqsConfig::new(), &batch, &cx())).unwrap();
    let times = BatchTimes { timestamp_ms: 1, duration: Duration::ZERO, oldest_record_age: None };
    serde_json::from_str(&handler.0.line(&report, &times)).unwrap()
}

/// `valid_line()` changed by `break_it`, checked.
fn broken(break_it: impl FnOnce(&mut Value)) -> Vec<EmfViolation> {
    let mut line = valid_line();
    break_it(&mut line);
    violations(&line.to_string())
}

#[test]
fn the_checker_rejects_each_kind_of_invalid_line() {
    assert_eq!(violations(&valid_line().to_string()), []);
    let directive = "/_aws/CloudWatchMetrics/0";
    assert_eq!(
        broken(|l| drop(l["_aws"].as_object_mut().unwrap().remove("Timestamp"))),
        [EmfViolation::BadTimestamp]
    );
    assert_eq!(broken(|l| l["_aws"]["Timestamp"] = json!(1.5)), [EmfViolation::BadTimestamp]);
    assert_eq!(broken(|l| l["_aws"]["Timestamp"] = json!("1")), [EmfViolation::BadTimestamp]);
    let too_many = broken(|l| {
        let names: Vec<String> = (0..31).map(|i| format!("D{i}")).collect();
        for name in &names {
            l[name] = json!("v");
        }
        l.pointer_mut(directive).unwrap()["Dimensions"] = json!([names]);
    });
    assert_eq!(too_many, [EmfViolation::TooManyDimensions { directive: 0, count: 31 }]);
    let many_metrics = broken(|l| {
        let metrics: Vec<Value> = (0..101).map(|i| json!({"Name": format!("M{i}")})).collect();
        for i in 0..101 {
            l[format!("M{i}")] = json!(1);
        }
        l.pointer_mut(directive).unwrap()["Metrics"] = json!(metrics);
    });
    assert_eq!(many_metrics, [EmfViolation::TooManyMetrics { directive: 0, count: 101 }]);
    let bad_unit = broken(|l| {
        l.pointer_mut(&format!("{directive}/Metrics/0/Unit")).map(|u| *u = json!("Apples")).unwrap()
    });
    assert_eq!(
        bad_unit,
        [EmfViolation::BadUnit { name: "RecordsSucceeded".to_owned(), unit: "\"Apples\"".to_owned() }]
    );
    let not_at_root = broken(|l| drop(l.as_object_mut().unwrap().remove("RecordsFailed")));
    assert_eq!(not_at_root, [EmfViolation::MetricNotAtRoot { name: "RecordsFailed".to_owned() }]);
    let not_a_number = broken(|l| l["RecordsFailed"] = json!("3"));
    assert_eq!(not_a_number, [EmfViolation::MetricNotAtRoot { name: "RecordsFailed".to_owned() }]);
    let dimension_not_string = broken(|l| l["Stage"] = json!(7));
    assert_eq!(dimension_not_string, [EmfViolation::DimensionNotAtRoot { name: "Stage".to_owned() }]);
    let values = broken(|l| l["BatchSize"] = json!(vec![1; 101]));
    assert_eq!(values, [EmfViolation::TooManyValues { name: "BatchSize".to_owned(), count: 101 }]);
    assert_eq!(broken(|l| l["BatchSize"] = json!(vec![1; 100])), []);
    let long = "n".repeat(256);
    assert!(
        broken(|l| l.pointer_mut(directive).unwrap()["Namespace"] = json!(long.clone()))
            .contains(&EmfViolation::BadName { what: "namespace", name: long.clone() })
    );
    assert!(matches!(violations("not json")[..], [EmfViolation::NotAnObject { .. }]));
    assert!(matches!(violations("[1]")[..], [EmfViolation::NotAnObject { .. }]));
    assert_eq!(broken(|l| drop(l.as_object_mut().unwrap().remove("_aws"))), [EmfViolation::NoMetadata]);
    assert_eq!(broken(|l| l["_aws"]["CloudWatchMetrics"] = json!({})), [EmfViolation::NoDirectives]);
    let resolution =
        broken(|l| l.pointer_mut(&format!("{directive}/Metrics/0")).unwrap()["StorageResolution"] = json!(5));
    assert_eq!(resolution, [EmfViolation::BadStorageResolution { name: "RecordsSucceeded".to_owned() }]);
    let message = EmfViolation::TooManyDimensions { directive: 0, count: 31 }.to_string();
    assert!(message.contains("31") && message.contains("30"), "{message}");
}

/// The state that owns the metrics.
struct App {
    metrics: Metrics,
}

fn app_metrics(app: &App) -> &Metrics {
    &app.metrics
}

#[batch_handler(sqs, metrics = app_metrics, all_failed = "report_all")]
async fn measured(#[state] _app: &App, body: &str) -> Result<(), String> {
    if body == "fail" { Err("scripted".to_owned()) } else { Ok(()) }
}

#[tokio::test]
async fn the_macro_option_writes_one_line_per_invocation() {
    let lines = Lines::default();
    let app = App { metrics: metrics(&lines) };
    let batch = lambda_batch_testkit::sqs::event([
        lambda_batch_testkit::sqs::message("m0", "ok"),
        lambda_batch_testkit::sqs::message("m1", "fail"),
    ]);
    measured(&app, LambdaEvent::new(batch, cx())).await.unwrap();
    let lines = lines.take();
    assert_eq!(lines.len(), 1);
    check_line(&lines[0]).unwrap();
    let line: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!((&line["RecordsSucceeded"], &line["RecordsFailed"]), (&json!(1), &json!(1)));
}

/// A handler whose metrics function panics (a settings `expect` that
/// failed, say), and one whose output panics.
struct PanickingMetrics(Option<Metrics>);

impl RecordHandler<lambda_batch::sqs::Sqs> for PanickingMetrics {
    fn handle<'a>(
        &'a self,
        record: &'a lambda_batch::sqs::SqsRecord<'a>,
        _cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a {
        std::future::ready(if record.body() == Some("fail") {
            RecordOutcome::failure("scripted")
        } else {
            RecordOutcome::Success
        })
    }

    fn metrics(&self) -> Option<&Metrics> {
        Some(self.0.as_ref().expect("scripted: the metrics settings were invalid"))
    }
}

#[tokio::test]
async fn metrics_that_panic_never_change_the_response() {
    let batch = lambda_batch_testkit::sqs::event([
        lambda_batch_testkit::sqs::message("m0", "ok"),
        lambda_batch_testkit::sqs::message("m1", "fail"),
    ]);
    let output_panics =
        Metrics::new("LambdaBatchTests").unwrap().with_output(|_| panic!("scripted: the output broke"));
    for handler in [PanickingMetrics(None), PanickingMetrics(Some(output_panics))] {
        let response = Sqs::handle(&handler, &SqsConfig::new(), LambdaEvent::new(batch.clone(), cx())).await;
        assert_eq!(crate::common::outcome_ids(response), Ok(vec!["m1".to_owned()]));
    }
}

/// Set in the child process of
/// [`lines_go_to_standard_output_whole_one_per_invocation`]: write the
/// lines.
const IN_CHILD: &str = "LAMBDA_BATCH_TESTS_METRICS_STDOUT_CHILD";

#[test]
fn lines_go_to_standard_output_whole_one_per_invocation() {
    if std::env::var_os(IN_CHILD).is_some() {
        // Four invocations at once on four threads, writing to the real
        // standard output.
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_time().build().unwrap();
        let handler = Arc::new(Measured(Metrics::new("StdoutTest").unwrap()));
        return runtime.block_on(async {
            let tasks: Vec<_> = (0..4)
                .map(|i| {
                    let handler = Arc::clone(&handler);
                    tokio::spawn(async move {
                        let batch = lambda_batch_testkit::sqs::event(
                            (0..50).map(|j| lambda_batch_testkit::sqs::message(&format!("m{i}-{j}"), "body")),
                        );
                        Sqs::process(&*handler, &SqsConfig::new(), &batch, &cx()).await.unwrap();
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
    }
    let module = module_path!().split_once("::").map_or(module_path!(), |(_crate, path)| path);
    let name = format!("{module}::lines_go_to_standard_output_whole_one_per_invocation");
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name.as_str(), "--exact", "--test-threads=1"])
        .env(IN_CHILD, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success(),
        "the child process failed:\n{stdout}{}",
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(stdout.contains("test result: ok. 1 passed"), "the child did not run {name}:\n{stdout}");
    // The test harness writes `test name ... ` before the test and `ok`
    // after it, so a line may start after that prefix.
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("\"_aws\""))
        .map(|line| &line[line.find('{').unwrap()..])
        .collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for line in lines {
        assert_eq!(check_line(line), Ok(()), "{line}");
        assert_eq!(serde_json::from_str::<Value>(line).unwrap()["BatchSize"], json!(50));
    }
}
