//! What to delete after an invocation, the way Lambda decides it: the
//! response read by lambda-batch's validator; on a function error or an
//! invalid response nothing; otherwise every message the response does not
//! list (for a FIFO queue, minus what would break a group's order, unless
//! told to do exactly as Lambda does).

use lambda_batch::validate::{BatchView, FifoRule, Finding, Problem, Verdict};
use lambda_batch::{BatchEvent, SourceKind};
use serde_json::Value;

use crate::config::FifoOrder;
use crate::invoke::{FunctionError, Invocation};

/// What happens to each message of the batch, by `messageId`, in batch
/// order. Only the messages in `delete` are deleted: a message the
/// validator cannot read from the event is in no list, and stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Delete: the function acknowledged them.
    pub(crate) delete: Vec<String>,
    /// Leave for the visibility timeout: reported, or the whole batch failed.
    pub(crate) retry: Vec<String>,
    /// Not reported, but left to keep a FIFO group's order (Lambda would
    /// have deleted them).
    pub(crate) held: Vec<String>,
    /// How the invocation came out.
    pub(crate) verdict: PlanVerdict,
    /// The validator's findings on the response.
    pub(crate) findings: Vec<Finding>,
}

/// How an invocation came out, for the plan and the poll's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PlanVerdict {
    /// Every message acknowledged.
    CompleteSuccess,
    /// Some messages reported for retry.
    PartialSuccess,
    /// The response is not one Lambda accepts: nothing deleted.
    InvalidResponse,
    /// A function error: nothing deleted.
    FunctionError(FunctionError),
}

/// Decides what to delete. `event` is the event the function received,
/// `fifo` whether the queue is FIFO.
pub(crate) fn plan(event: &Value, invocation: &Invocation, fifo: bool, fifo_order: FifoOrder) -> Plan {
    let rule = if fifo { FifoRule::GroupSuffix } else { FifoRule::None };
    // Read with the FIFO kind so that message groups are known to the rule.
    let kind = SourceKind::sqs_queue(fifo);
    let batch = BatchView::read(kind, &BatchEvent::from(event)).with_fifo_rule(rule);
    let everything: Vec<String> = batch.ids().map(str::to_owned).collect();
    let response = match invocation {
        Invocation::Failed(error) => {
            return Plan {
                delete: Vec::new(),
                retry: everything,
                held: Vec::new(),
                verdict: PlanVerdict::FunctionError(error.clone()),
                findings: Vec::new(),
            };
        }
        Invocation::Response(text) => text,
    };
    let check = batch.check_text(response);
    let findings = check.findings().to_vec();
    // Lambda fails the whole batch on a complete failure, and on any error
    // finding other than an order one (those remain once Lambda accepted
    // the response).
    let order_only = findings.iter().all(|finding| {
        finding.severity == lambda_batch::validate::Severity::Warning
            || matches!(finding.problem, Problem::NotSuffix { .. } | Problem::GroupNotSuffix { .. })
    });
    let retried: Vec<String> = match check.verdict() {
        Verdict::CompleteSuccess if order_only => Vec::new(),
        Verdict::PartialSuccess { retried } if order_only => retried.clone(),
        _ => {
            return Plan {
                delete: Vec::new(),
                retry: everything,
                held: Vec::new(),
                verdict: PlanVerdict::InvalidResponse,
                findings,
            };
        }
    };
    let keep_order = fifo && fifo_order == FifoOrder::KeepGroupOrder;
    let mut plan = Plan {
        delete: Vec::new(),
        retry: Vec::new(),
        held: Vec::new(),
        verdict: if retried.is_empty() { PlanVerdict::CompleteSuccess } else { PlanVerdict::PartialSuccess },
        findings,
    };
    let mut stopped_groups: Vec<Option<&str>> = Vec::new();
    for (id, group) in batch.records() {
        if retried.iter().any(|retried| retried == id) {
            plan.retry.push(id.to_owned());
            if !stopped_groups.contains(&group) {
                stopped_groups.push(group);
            }
        } else if keep_order && stopped_groups.contains(&group) {
            plan.held.push(id.to_owned());
        } else {
            plan.delete.push(id.to_owned());
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(records: &[(&str, Option<&str>)]) -> Value {
        let records: Vec<Value> = records
            .iter()
            .map(|(id, group)| match group {
                Some(group) => json!({"messageId": id, "attributes": {"MessageGroupId": group}}),
                None => json!({"messageId": id}),
            })
            .collect();
        json!({ "Records": records })
    }

    fn response(ids: &[&str]) -> Invocation {
        let failures: Vec<Value> = ids.iter().map(|id| json!({"itemIdentifier": id})).collect();
        Invocation::Response(json!({ "batchItemFailures": failures }).to_string())
    }

    fn ids(plan: &Plan) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
        fn list(ids: &[String]) -> Vec<&str> {
            ids.iter().map(String::as_str).collect()
        }
        (list(&plan.delete), list(&plan.retry), list(&plan.held))
    }

    const NONE: Vec<&str> = Vec::new();

    fn standard() -> Value {
        event(&[("a", None), ("b", None), ("c", None)])
    }

    #[test]
    fn deletes_every_message_not_reported() {
        let plan = plan(&standard(), &response(&["b"]), false, FifoOrder::KeepGroupOrder);
        assert_eq!(ids(&plan), (vec!["a", "c"], vec!["b"], NONE));
        assert_eq!(plan.verdict, PlanVerdict::PartialSuccess);
    }

    #[test]
    fn every_form_of_complete_success_deletes_everything() {
        for text in ["null", "{}", r#"{"batchItemFailures": []}"#, r#"{"batchItemFailures": null}"#] {
            let plan =
                plan(&standard(), &Invocation::Response(text.to_owned()), false, FifoOrder::KeepGroupOrder);
            assert_eq!(plan.delete, ["a", "b", "c"], "{text}");
            assert_eq!(plan.verdict, PlanVerdict::CompleteSuccess, "{text}");
        }
    }

    #[test]
    fn an_invalid_response_deletes_nothing() {
        for text in [
            "not json",
            r#"{"batchItemFailures": [{"itemIdentifier": "zzz"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#,
            r#"{"batchItemFailures": [{"itemId": "a"}]}"#,
            r#"{"batchItemFailures": [{"itemIdentifier": null}]}"#,
            r#"{"batchItemFailures": "a"}"#,
            r#"["a"]"#,
        ] {
            let plan =
                plan(&standard(), &Invocation::Response(text.to_owned()), false, FifoOrder::KeepGroupOrder);
            assert!(plan.delete.is_empty(), "{text}");
            assert_eq!(plan.retry, ["a", "b", "c"], "{text}");
            assert_eq!(plan.verdict, PlanVerdict::InvalidResponse, "{text}");
            assert!(!plan.findings.is_empty(), "{text}");
        }
    }

    #[test]
    fn a_function_error_deletes_nothing() {
        let failed = Invocation::Failed(FunctionError::Panicked("boom".to_owned()));
        let plan = plan(&standard(), &failed, false, FifoOrder::KeepGroupOrder);
        assert!(plan.delete.is_empty());
        assert_eq!(plan.retry, ["a", "b", "c"]);
        assert_eq!(plan.verdict, PlanVerdict::FunctionError(FunctionError::Panicked("boom".to_owned())));
    }

    #[test]
    fn every_message_reported_is_not_a_function_error() {
        let plan = plan(&standard(), &response(&["a", "b", "c"]), false, FifoOrder::KeepGroupOrder);
        assert!(plan.delete.is_empty());
        assert_eq!(plan.verdict, PlanVerdict::PartialSuccess);
    }

    fn fifo() -> Value {
        event(&[
            ("g1-a", Some("g1")),
            ("g2-a", Some("g2")),
            ("g1-b", Some("g1")),
            ("g1-c", Some("g1")),
            ("g2-b", Some("g2")),
        ])
    }

    #[test]
    fn fifo_a_response_that_keeps_the_order_is_applied_as_is() {
        let plan = plan(&fifo(), &response(&["g1-b", "g1-c"]), true, FifoOrder::KeepGroupOrder);
        assert_eq!(ids(&plan), (vec!["g1-a", "g2-a", "g2-b"], vec!["g1-b", "g1-c"], NONE));
        assert!(plan.findings.is_empty());
    }

    #[test]
    fn fifo_the_later_messages_of_a_failed_group_are_kept() {
        // The function reports g1-a only: Lambda would delete g1-b and g1-c,
        // which would then overtake g1-a.
        let plan = plan(&fifo(), &response(&["g1-a"]), true, FifoOrder::KeepGroupOrder);
        assert_eq!(ids(&plan), (vec!["g2-a", "g2-b"], vec!["g1-a"], vec!["g1-b", "g1-c"]));
        assert!(plan.findings.iter().any(|f| matches!(f.problem, Problem::GroupNotSuffix { .. })));
        assert_eq!(plan.verdict, PlanVerdict::PartialSuccess);
    }

    #[test]
    fn fifo_like_lambda_deletes_what_is_not_reported() {
        let plan = plan(&fifo(), &response(&["g1-a"]), true, FifoOrder::LikeLambda);
        assert_eq!(ids(&plan), (vec!["g2-a", "g1-b", "g1-c", "g2-b"], vec!["g1-a"], NONE));
        assert!(plan.findings.iter().any(|f| matches!(f.problem, Problem::GroupNotSuffix { .. })));
    }

    #[test]
    fn a_standard_queue_has_no_order_to_keep() {
        let plan = plan(&fifo(), &response(&["g1-a"]), false, FifoOrder::KeepGroupOrder);
        assert_eq!(ids(&plan), (vec!["g2-a", "g1-b", "g1-c", "g2-b"], vec!["g1-a"], NONE));
        assert!(plan.findings.is_empty());
    }
}
