//! The Kinesis and DynamoDB Streams response rules ([Streams: what a partial batch response
//! may contain](crate::aws_rules#streams-what-a-partial-batch-response-may-contain), [Streams:
//! checkpoints and sequence
//! numbers](crate::aws_rules#streams-checkpoints-and-sequence-numbers)).

use serde_json::Value;

use super::{BatchView, Finding, Problem, ResponseCheck, Severity, Verdict, read_identifiers};
use crate::sequence::compare_sequence_numbers;

/// Checks a response against `batch`, findings named by its source.
pub(crate) fn check(batch: &BatchView, response: &Value) -> ResponseCheck {
    let source = batch.kind;
    let mut findings = Vec::new();
    let listed = match read_identifiers(batch, source, response, &mut findings) {
        Some(listed) => listed,
        None => {
            return ResponseCheck { verdict: Verdict::CompleteFailure, findings };
        }
    };
    let Some(lowest) = listed.iter().map(|id| &**id).min_by(|a, b| compare_sequence_numbers(a, b)) else {
        return ResponseCheck { verdict: Verdict::CompleteSuccess, findings };
    };
    if listed.len() > 1 {
        findings.push(Finding::new(
            Severity::Warning,
            source,
            Problem::SeveralSequenceNumbers { count: listed.len() },
        ));
    }
    let mut retried: Vec<String> = Vec::new();
    for id in batch.ids() {
        if compare_sequence_numbers(id, lowest).is_ge() && !retried.iter().any(|r| r == id) {
            retried.push(id.to_owned());
        }
    }
    ResponseCheck { verdict: Verdict::PartialSuccess { retried }, findings }
}
