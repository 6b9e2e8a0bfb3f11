//! The response validator against the documented SQS and stream response
//! rules and the FIFO suffix rule (`lambda_batch::aws_rules`), and the engine's
//! responses checked by it.

use crate::common;
use lambda_batch::validate::BatchView;
use lambda_batch::{BatchEvent, SourceKind};

use lambda_batch::validate::{FifoRule, Problem, Severity, Verdict};
use lambda_batch_testkit::sqs::{event_value, fifo_message, message};
use serde_json::{Value, json};

fn batch() -> Value {
    event_value([message("a", "ok"), message("b", "ok"), message("c", "ok")])
}

fn verdict(response: Value) -> Verdict {
    BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&batch()))
        .with_fifo_rule(FifoRule::None)
        .check(&response)
        .verdict()
        .clone()
}

fn retried(ids: &[&str]) -> Verdict {
    Verdict::PartialSuccess { retried: ids.iter().map(|s| (*s).to_owned()).collect() }
}

#[test]
fn sqs_complete_success_forms() {
    for response in
        [json!({"batchItemFailures": []}), json!({"batchItemFailures": null}), json!({}), Value::Null]
    {
        let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&batch()))
            .with_fifo_rule(FifoRule::None)
            .check(&response);
        assert_eq!(check.verdict(), &Verdict::CompleteSuccess, "{response}");
        assert!(check.is_valid() && check.findings().is_empty(), "{response}");
    }
}

#[test]
fn sqs_complete_failure_forms() {
    let cases = [
        (json!({"batchItemFailures": [{"itemIdentifier": ""}]}), "is empty"),
        (json!({"batchItemFailures": [{"itemIdentifier": null}]}), "is null"),
        (json!({"batchItemFailures": [{"itemId": "a"}]}), "the key `itemId`"),
        (json!({"batchItemFailures": [{}]}), "has no `itemIdentifier`"),
        (json!({"batchItemFailures": [{"itemIdentifier": "zzz"}]}), "names no record of this batch"),
        (json!({"batchItemFailures": [{"itemIdentifier": 5}]}), "not a string"),
        (json!({"batchItemFailures": ["a"]}), "is not an object"),
        // One bad entry spoils the valid ones beside it.
        (json!({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": ""}]}), "is empty"),
    ];
    for (response, message) in cases {
        let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&batch()))
            .with_fifo_rule(FifoRule::None)
            .check(&response);
        assert_eq!(check.verdict(), &Verdict::CompleteFailure, "{response}");
        assert!(!check.is_valid(), "{response}");
        let finding = &check.findings()[0];
        assert_eq!(finding.severity, Severity::Error, "{response}");
        assert_eq!(finding.reference(), aws_rules_section("sqs-what-a-partial-batch-response-may-contain"));
        let text = finding.to_string();
        assert!(text.contains(message), "{response}: {finding}");
        assert!(text.contains("Lambda retries the whole batch") && text.contains("messageId"), "{text}");
    }
    let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&batch()))
        .with_fifo_rule(FifoRule::None)
        .check_text("{\"batchItemFailures\": [");
    assert_eq!(check.verdict(), &Verdict::CompleteFailure);
    assert!(matches!(check.findings()[0].problem, Problem::NotJson(_)));
}

#[test]
fn sqs_undocumented_cases_take_the_cautious_reading() {
    // Duplicates are read as a set, with a warning.
    let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&batch()))
        .with_fifo_rule(FifoRule::None)
        .check(&json!({"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "b"}]}));
    assert_eq!(check.verdict(), &retried(&["b"]));
    assert!(check.is_valid());
    assert_eq!(check.findings()[0].severity, Severity::Warning);
    // Not an object, or a failure list that is not an array: complete failure.
    for response in [
        json!("ok"),
        json!(42),
        json!([]),
        json!({"batchItemFailures": {}}),
        json!({"batchItemFailures": "a"}),
    ] {
        assert_eq!(verdict(response.clone()), Verdict::CompleteFailure, "{response}");
    }
    // Unknown top-level keys are ignored.
    assert_eq!(verdict(json!({"batchItemFailures": [{"itemIdentifier": "c"}], "extra": 1})), retried(&["c"]));
    // Every message listed: a partial success that retries everything (not an error).
    let all = json!({"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "a"}, {"itemIdentifier": "b"}]});
    assert_eq!(verdict(all), retried(&["a", "b", "c"]));
}

#[test]
fn partial_success_lists_retried_ids_in_batch_order() {
    let response = json!({"batchItemFailures": [{"itemIdentifier": "c"}, {"itemIdentifier": "a"}]});
    assert_eq!(verdict(response), retried(&["a", "c"]));
}

#[test]
fn fifo_suffix_rule() {
    let event = event_value([
        fifo_message("a1", "a", "ok"),
        fifo_message("b1", "b", "ok"),
        fifo_message("a2", "a", "ok"),
        fifo_message("b2", "b", "ok"),
    ]);
    let response = |ids: &[&str]| json!({"batchItemFailures": ids.iter().map(|id| json!({"itemIdentifier": id})).collect::<Vec<_>>()});
    let suffix = response(&["a2", "b2"]);
    let group_suffix = response(&["b1", "b2"]);
    let broken = response(&["a1"]);

    let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&event))
        .with_fifo_rule(FifoRule::BatchSuffix)
        .check(&suffix);
    assert!(check.is_valid());
    let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&event))
        .with_fifo_rule(FifoRule::BatchSuffix)
        .check(&group_suffix);
    assert!(!check.is_valid(), "b1 retried but the later a2 deleted breaks batch order");
    assert_eq!(check.verdict(), &retried(&["b1", "b2"]), "Lambda does not enforce the rule itself");
    assert!(
        matches!(&check.findings()[0].problem, Problem::NotSuffix { failed, deleted } if failed == "b1" && deleted == "a2")
    );
    assert_eq!(check.findings()[0].reference(), aws_rules_section("fifo-queues-the-suffix-rule"));
    assert!(
        check.findings()[0].to_string().contains("report that message and every later message of the batch")
    );

    assert!(
        BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&event))
            .with_fifo_rule(FifoRule::GroupSuffix)
            .check(&group_suffix)
            .is_valid()
    );
    let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&event))
        .with_fifo_rule(FifoRule::GroupSuffix)
        .check(&broken);
    assert!(!check.is_valid());
    assert!(matches!(&check.findings()[0].problem,
        Problem::GroupNotSuffix { group: Some(g), failed, deleted } if g == "a" && failed == "a1" && deleted == "a2"));
    assert!(
        BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&event))
            .with_fifo_rule(FifoRule::None)
            .check(&broken)
            .is_valid(),
        "no rule on standard queues"
    );
}

#[tokio::test]
async fn the_engine_s_responses_pass_the_validator() {
    use lambda_batch::AllFailedPolicy;
    use lambda_batch::sqs::{FifoPolicy, SqsConfig};
    let bodies = ["ok", "fail", "panic", "ok", "fail", "ok"];
    let groups = ["a", "b", "a", "c", "b", "a"];
    let records: Vec<Value> = (0..6).map(|i| fifo_message(&format!("m{i}"), groups[i], bodies[i])).collect();
    let value = event_value(records);
    let event = lambda_batch::BatchEvent::from(&value);
    for (policy, rule) in [
        (FifoPolicy::StopAtFirstFailure, FifoRule::BatchSuffix),
        (FifoPolicy::SkipFailedGroup, FifoRule::GroupSuffix),
    ] {
        let config =
            SqsConfig::new().with_fifo_policy(policy).with_all_failed_policy(AllFailedPolicy::ReportAll);
        let (report, _) = common::run(&event, config).await;
        let response = serde_json::to_value(report.unwrap().into_response().unwrap()).unwrap();
        let check = BatchView::read(SourceKind::SqsFifo, &BatchEvent::from(&value))
            .with_fifo_rule(rule)
            .check(&response);
        assert!(check.is_valid(), "{policy:?}: {:?}", check.findings());
    }
}

mod streams {
    use super::aws_rules_section;
    use lambda_batch::validate::{BatchView, Problem, Severity, Verdict};
    use lambda_batch::{BatchEvent, SourceKind};
    use lambda_batch_testkit::{dynamodb, kinesis};
    use serde_json::{Value, json};

    fn batch() -> BatchView {
        let records = ["98", "99", "100", "101"].map(|seq| kinesis::record(seq, "pk", b"x"));
        BatchView::read(SourceKind::Kinesis, &BatchEvent::from(&json!({"Records": records})))
    }

    fn listing(ids: &[&str]) -> Value {
        json!({"batchItemFailures": ids.iter().map(|id| json!({"itemIdentifier": id})).collect::<Vec<_>>()})
    }

    fn retried(ids: &[&str]) -> Verdict {
        Verdict::PartialSuccess { retried: ids.iter().map(|s| (*s).to_owned()).collect() }
    }

    #[test]
    fn complete_success_forms() {
        for response in
            [json!({"batchItemFailures": []}), json!({"batchItemFailures": null}), json!({}), Value::Null]
        {
            let check = batch().check(&response);
            assert_eq!(check.verdict(), &Verdict::CompleteSuccess, "{response}");
            assert!(check.is_valid());
        }
    }

    #[test]
    fn complete_failure_forms() {
        // Documented by AWS, then undocumented cases taken as a complete failure.
        let cases = [
            (json!({"batchItemFailures": [{"itemIdentifier": ""}]}), "Lambda retries the whole batch"),
            (json!({"batchItemFailures": [{"itemIdentifier": null}]}), "Lambda retries the whole batch"),
            (json!({"batchItemFailures": [{"itemIdentifer": "99"}]}), "Lambda retries the whole batch"),
            (json!({"batchItemFailures": [{"itemIdentifier": "12345"}]}), "AWS does not say"),
            (json!({"batchItemFailures": "99"}), "AWS does not say"),
            (json!([]), "AWS does not say"),
        ];
        for (response, advice) in cases {
            let check = batch().check(&response);
            assert_eq!(check.verdict(), &Verdict::CompleteFailure, "{response}");
            let finding = &check.findings()[0];
            assert_eq!(
                finding.reference(),
                aws_rules_section("streams-what-a-partial-batch-response-may-contain"),
                "{response}"
            );
            assert!(finding.to_string().contains(advice), "{response}: {finding}");
            assert!(!finding.to_string().contains("messageId"), "{finding}");
        }
        let check = batch().check_text("not json");
        assert_eq!(check.verdict(), &Verdict::CompleteFailure);
        assert!(matches!(check.findings()[0].problem, Problem::NotJson(_)));
    }

    #[test]
    fn lambda_retries_from_the_numerically_lowest_listed_sequence_number() {
        // "100" < "99" as strings; as numbers 99 is lower, so 99, 100 and 101 come back.
        let check = batch().check(&listing(&["100", "99"]));
        assert_eq!(check.verdict(), &retried(&["99", "100", "101"]));
        assert!(check.is_valid(), "more than one id is harmless");
        assert_eq!(check.findings()[0].severity, Severity::Warning);
        assert!(matches!(check.findings()[0].problem, Problem::SeveralSequenceNumbers { count: 2 }));
        assert_eq!(
            check.findings()[0].reference(),
            aws_rules_section("streams-checkpoints-and-sequence-numbers")
        );
        let check = batch().check(&listing(&["100"]));
        assert_eq!(check.verdict(), &retried(&["100", "101"]));
        assert!(check.findings().is_empty());
    }

    #[test]
    fn dynamodb_views_read_sequence_numbers() {
        let event = json!({"Records": [
            dynamodb::record("111", "INSERT", json!({"id": {"S": "a"}}), None, None),
            dynamodb::record("800000000003126276362", "INSERT", json!({"id": {"S": "b"}}), None, None),
        ]});
        let batch = BatchView::read(SourceKind::DynamoDb, &BatchEvent::from(&event));
        assert_eq!(batch.ids().collect::<Vec<_>>(), ["111", "800000000003126276362"]);
        let check = batch.check(&listing(&["111"]));
        assert_eq!(check.verdict(), &retried(&["111", "800000000003126276362"]));
    }

    #[tokio::test]
    async fn the_engine_s_stream_responses_pass_the_validator_and_retry_exactly_the_unhandled_records() {
        use lambda_batch::kinesis;
        use lambda_batch::stream::{StreamConfig, StreamPolicy};
        use lambda_batch::{AllFailedPolicy, Context, RecordOutcome};
        let datas = ["ok", "fail", "ok", "fail", "ok"];
        let seqs = ["7", "8", "9", "10", "11"];
        let value =
            json!({"Records": seqs.iter().zip(datas).map(|(s, d)| kinesis_record(s, d)).collect::<Vec<_>>()});
        let event = lambda_batch::BatchEvent::from(&value);
        struct Handler;
        impl lambda_batch::RecordHandler<kinesis::Kinesis> for Handler {
            async fn handle(&self, record: &kinesis::KinesisRecord<'_>, _cx: &Context) -> RecordOutcome {
                if record.data() == Ok(b"fail".as_slice()) {
                    RecordOutcome::failure("x")
                } else {
                    RecordOutcome::Success
                }
            }
        }
        for (policy, expected) in [
            (StreamPolicy::Checkpoint, &["8", "9", "10", "11"]),
            (StreamPolicy::Continue, &["8", "9", "10", "11"]),
        ] {
            let config = StreamConfig::new()
                .with_stream_policy(policy)
                .with_all_failed_policy(AllFailedPolicy::ReportAll);
            let report = <kinesis::Kinesis as lambda_batch::BatchPipeline>::process(
                &Handler,
                &config,
                &event,
                &lambda_batch_testkit::context(),
            )
            .await
            .unwrap();
            let response = serde_json::to_value(report.into_response().unwrap()).unwrap();
            let check = BatchView::read(SourceKind::Kinesis, &BatchEvent::from(&value)).check(&response);
            assert!(check.is_valid(), "{policy:?}: {:?}", check.findings());
            assert_eq!(check.verdict(), &retried(expected), "{policy:?}");
            let listed = response["batchItemFailures"].as_array().unwrap().len();
            assert_eq!(listed, if policy == StreamPolicy::Checkpoint { 1 } else { 2 }, "{policy:?}");
        }
    }

    fn kinesis_record(seq: &str, data: &str) -> Value {
        kinesis::record(seq, "pk", data.as_bytes())
    }
}

/// The address `Finding::reference` should give: the section `id` of
/// `lambda_batch::aws_rules` in this version's documentation on docs.rs.
fn aws_rules_section(id: &str) -> String {
    format!(
        "https://docs.rs/lambda-batch/{}/lambda_batch/aws_rules/index.html#{id}",
        env!("CARGO_PKG_VERSION")
    )
}
