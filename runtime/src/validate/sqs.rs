//! The SQS response rules (S-1.6, S-1.7.5).

use serde_json::Value;

use std::collections::HashSet;

use super::{BatchView, Finding, Problem, ResponseCheck, Rules, Verdict, error_finding, read_identifiers};

const SQS_RULES: Rules =
    Rules { entry: "S-1.6.2", not_in_batch: "S-1.6.2", shape: "S-1.6.5", duplicate: "S-1.6.5" };

/// Which FIFO ordering rule the response must keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FifoRule {
    /// Not a FIFO queue: no ordering rule.
    #[default]
    None,
    /// S-1.7.5: once a record is retried, every later record of the batch is too.
    BatchSuffix,
    /// S-1.7.5, group-scoped: once a record is retried, every later record of
    /// its message group is too. Records without a `MessageGroupId` form one group.
    GroupSuffix,
}

/// Checks a response given as text: text that is not JSON is a complete
/// failure (S-1.6.2); otherwise as [`check_sqs_response`].
pub fn check_sqs_response_text(event: &Value, response: &str, fifo: FifoRule) -> ResponseCheck {
    match serde_json::from_str::<Value>(response) {
        Ok(value) => check_sqs_response(event, &value, fifo),
        Err(error) => ResponseCheck {
            verdict: Verdict::CompleteFailure,
            findings: vec![error_finding("S-1.6.2", Problem::NotJson(error.to_string()))],
        },
    }
}

/// Checks an SQS batch response against the event it answers.
pub fn check_sqs_response(event: &Value, response: &Value, fifo: FifoRule) -> ResponseCheck {
    check_sqs_against(&BatchView::from_sqs_event(event), response, fifo)
}

/// Checks an SQS batch response against a batch view.
pub fn check_sqs_against(batch: &BatchView, response: &Value, fifo: FifoRule) -> ResponseCheck {
    let mut findings = Vec::new();
    let listed = match read_identifiers(batch, &SQS_RULES, response, &mut findings) {
        Some(listed) => listed,
        None => {
            return ResponseCheck { verdict: Verdict::CompleteFailure, findings };
        }
    };
    if listed.is_empty() {
        return ResponseCheck { verdict: Verdict::CompleteSuccess, findings };
    }
    let retried: Vec<String> =
        batch.records.iter().map(|(id, _)| id).filter(|id| listed.contains(id.as_str())).fold(
            Vec::new(),
            |mut ids, id| {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
                ids
            },
        );
    check_fifo(batch, &listed, fifo, &mut findings);
    ResponseCheck { verdict: Verdict::PartialSuccess { retried }, findings }
}

fn check_fifo(batch: &BatchView, listed: &HashSet<&str>, fifo: FifoRule, findings: &mut Vec<Finding>) {
    let is_retried = |id: &str| listed.contains(id);
    match fifo {
        FifoRule::None => {}
        FifoRule::BatchSuffix => {
            if let Some((failed, deleted)) =
                first_gap(batch.records.iter().map(|(id, _)| id.as_str()), is_retried)
            {
                findings.push(error_finding("S-1.7.5", Problem::NotSuffix { failed, deleted }));
            }
        }
        FifoRule::GroupSuffix => {
            let mut groups: Vec<Option<&str>> = Vec::new();
            for (_, group) in &batch.records {
                if !groups.contains(&group.as_deref()) {
                    groups.push(group.as_deref());
                }
            }
            for group in groups {
                let members =
                    batch.records.iter().filter(|(_, g)| g.as_deref() == group).map(|(id, _)| id.as_str());
                if let Some((failed, deleted)) = first_gap(members, is_retried) {
                    findings.push(error_finding(
                        "S-1.7.5",
                        Problem::GroupNotSuffix { group: group.map(str::to_owned), failed, deleted },
                    ));
                }
            }
        }
    }
}

/// The first retried id followed later by one that is not retried.
fn first_gap<'a>(
    ids: impl Iterator<Item = &'a str>,
    is_retried: impl Fn(&str) -> bool,
) -> Option<(String, String)> {
    let mut first_failed = None;
    for id in ids {
        match (first_failed, is_retried(id)) {
            (None, true) => first_failed = Some(id),
            (Some(failed), false) => return Some((failed.to_owned(), id.to_owned())),
            _ => {}
        }
    }
    None
}
