//! The SQS response rules: what a partial batch response may contain, and the FIFO ordering
//! rule ([SQS: what a partial batch response may
//! contain](crate::aws_rules#sqs-what-a-partial-batch-response-may-contain), [FIFO queues: the
//! suffix rule](crate::aws_rules#fifo-queues-the-suffix-rule)).

use serde_json::Value;

use crate::kind::{OrderingRule, SourceKind};

use std::borrow::Cow;
use std::collections::HashSet;

use super::{BatchView, Finding, Problem, ResponseCheck, Verdict, error_finding, read_identifiers};

/// Which FIFO ordering rule the response must keep.
///
/// Lambda deletes every message a response does not list, so reporting a
/// failed message but not a later one of the same group lets the later one
/// overtake it. See [FIFO queues: the suffix rule](crate::aws_rules#fifo-queues-the-suffix-rule) and
/// <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FifoRule {
    /// Not a FIFO queue: no ordering rule.
    #[default]
    None,
    /// Once a record is retried, every later record of the batch is too: the
    /// retried records are the tail of the batch.
    BatchSuffix,
    /// The same rule per message group: once a record is retried, every later
    /// record of its message group is too. Records without a `MessageGroupId` form one group.
    GroupSuffix,
}

/// Checks an SQS response against `batch` under its FIFO rule.
pub(crate) fn check(batch: &BatchView, response: &Value) -> ResponseCheck {
    let (source, fifo) = (batch.kind, batch.fifo);
    let mut findings = Vec::new();
    let listed = match read_identifiers(batch, source, response, &mut findings) {
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
    check_fifo(batch, source, &listed, fifo, &mut findings);
    ResponseCheck { verdict: Verdict::PartialSuccess { retried }, findings }
}

fn check_fifo(
    batch: &BatchView,
    source: SourceKind,
    listed: &HashSet<Cow<'_, str>>,
    fifo: FifoRule,
    findings: &mut Vec<Finding>,
) {
    let is_retried = |id: &str| listed.contains(id);
    match fifo {
        FifoRule::None => {}
        FifoRule::BatchSuffix => {
            if let Some((failed, deleted)) =
                first_gap(batch.records.iter().map(|(id, _)| id.as_str()), is_retried)
            {
                findings.push(error_finding(source, Problem::NotSuffix { failed, deleted }));
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
                        source,
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

impl FifoRule {
    /// The rule a batch of `kind` is checked against unless told otherwise:
    /// [`GroupSuffix`](FifoRule::GroupSuffix) for FIFO queues (every correct
    /// FIFO handler keeps it, whichever failure policy it has), none
    /// otherwise.
    pub fn default_for(kind: SourceKind) -> Self {
        match kind.ordering() {
            OrderingRule::MessageGroup => FifoRule::GroupSuffix,
            _ => FifoRule::None,
        }
    }
}
