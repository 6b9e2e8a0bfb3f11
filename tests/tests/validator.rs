//! The response validator against SEMANTICS.md S-1.6 and S-1.7.5, and the
//! engine's responses checked by it.

mod common;

use lambda_batch::validate::{
    FifoRule, Problem, Severity, Verdict, check_sqs_response, check_sqs_response_text,
};
use lambda_batch_testkit::sqs::{event_value, fifo_message, message};
use serde_json::{Value, json};

fn batch() -> Value {
    event_value([message("a", "ok"), message("b", "ok"), message("c", "ok")])
}

fn verdict(response: Value) -> Verdict {
    check_sqs_response(&batch(), &response, FifoRule::None)
        .verdict()
        .clone()
}

fn retried(ids: &[&str]) -> Verdict {
    Verdict::PartialSuccess {
        retried: ids.iter().map(|s| (*s).to_owned()).collect(),
    }
}

#[test]
fn s_1_6_1_complete_success_forms() {
    for response in [
        json!({"batchItemFailures": []}),
        json!({"batchItemFailures": null}),
        json!({}),
        Value::Null,
    ] {
        let check = check_sqs_response(&batch(), &response, FifoRule::None);
        assert_eq!(check.verdict(), &Verdict::CompleteSuccess, "{response}");
        assert!(
            check.is_valid() && check.findings().is_empty(),
            "{response}"
        );
    }
}

#[test]
fn s_1_6_2_complete_failure_forms() {
    let cases = [
        (
            json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
            "is empty",
        ),
        (
            json!({"batchItemFailures": [{"itemIdentifier": null}]}),
            "is null",
        ),
        (
            json!({"batchItemFailures": [{"itemId": "a"}]}),
            "the key `itemId`",
        ),
        (
            json!({"batchItemFailures": [{}]}),
            "has no `itemIdentifier`",
        ),
        (
            json!({"batchItemFailures": [{"itemIdentifier": "zzz"}]}),
            "not a messageId of this batch",
        ),
        (
            json!({"batchItemFailures": [{"itemIdentifier": 5}]}),
            "not a string",
        ),
        (json!({"batchItemFailures": ["a"]}), "is not an object"),
        // One bad entry spoils the valid ones beside it.
        (
            json!({"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": ""}]}),
            "is empty",
        ),
    ];
    for (response, message) in cases {
        let check = check_sqs_response(&batch(), &response, FifoRule::None);
        assert_eq!(check.verdict(), &Verdict::CompleteFailure, "{response}");
        assert!(!check.is_valid(), "{response}");
        let finding = &check.findings()[0];
        assert_eq!(
            (finding.severity, finding.rule),
            (Severity::Error, "S-1.6.2"),
            "{response}"
        );
        assert!(
            finding.to_string().contains(message),
            "{response}: {finding}"
        );
    }
    let check = check_sqs_response_text(&batch(), "{\"batchItemFailures\": [", FifoRule::None);
    assert_eq!(check.verdict(), &Verdict::CompleteFailure);
    assert!(matches!(check.findings()[0].problem, Problem::NotJson(_)));
}

#[test]
fn s_1_6_5_uncertain_cases_take_the_documented_defaults() {
    // Duplicates are read as a set, with a warning.
    let check = check_sqs_response(
        &batch(),
        &json!({"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "b"}]}),
        FifoRule::None,
    );
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
        assert_eq!(
            verdict(response.clone()),
            Verdict::CompleteFailure,
            "{response}"
        );
    }
    // Unknown top-level keys are ignored.
    assert_eq!(
        verdict(json!({"batchItemFailures": [{"itemIdentifier": "c"}], "extra": 1})),
        retried(&["c"])
    );
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
fn s_1_7_5_fifo_suffix_rule() {
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

    let check = check_sqs_response(&event, &suffix, FifoRule::BatchSuffix);
    assert!(check.is_valid());
    let check = check_sqs_response(&event, &group_suffix, FifoRule::BatchSuffix);
    assert!(
        !check.is_valid(),
        "b1 retried but the later a2 deleted breaks batch order"
    );
    assert_eq!(
        check.verdict(),
        &retried(&["b1", "b2"]),
        "Lambda does not enforce the rule itself"
    );
    assert!(
        matches!(&check.findings()[0].problem, Problem::NotSuffix { failed, deleted } if failed == "b1" && deleted == "a2")
    );

    assert!(check_sqs_response(&event, &group_suffix, FifoRule::GroupSuffix).is_valid());
    let check = check_sqs_response(&event, &broken, FifoRule::GroupSuffix);
    assert!(!check.is_valid());
    assert!(matches!(&check.findings()[0].problem,
        Problem::GroupNotSuffix { group: Some(g), failed, deleted } if g == "a" && failed == "a1" && deleted == "a2"));
    assert!(
        check_sqs_response(&event, &broken, FifoRule::None).is_valid(),
        "no rule on standard queues"
    );
}

#[tokio::test]
async fn the_engine_s_responses_pass_the_validator() {
    use lambda_batch::AllFailedPolicy;
    use lambda_batch::sqs::{FifoPolicy, SqsConfig};
    let bodies = ["ok", "fail", "panic", "ok", "fail", "ok"];
    let groups = ["a", "b", "a", "c", "b", "a"];
    let records: Vec<Value> = (0..6)
        .map(|i| fifo_message(&format!("m{i}"), groups[i], bodies[i]))
        .collect();
    let value = event_value(records);
    let event = lambda_batch::BatchEvent::from(&value);
    for (policy, rule) in [
        (FifoPolicy::StopAtFirstFailure, FifoRule::BatchSuffix),
        (FifoPolicy::SkipFailedGroup, FifoRule::GroupSuffix),
    ] {
        let config = SqsConfig::new()
            .fifo_policy(policy)
            .all_failed(AllFailedPolicy::ReportAll);
        let (report, _) = common::run(&event, config).await;
        let response = serde_json::to_value(report.unwrap().into_response().unwrap()).unwrap();
        let check = check_sqs_response(&value, &response, rule);
        assert!(check.is_valid(), "{policy:?}: {:?}", check.findings());
    }
}
