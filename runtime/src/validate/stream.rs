//! The Kinesis and DynamoDB Streams response rules
//! (`docs/aws-rules.md#streams-what-a-partial-batch-response-may-contain`,
//! `docs/aws-rules.md#streams-checkpoints-and-sequence-numbers`).

use serde_json::Value;

use crate::kind::SourceKind;

use super::{BatchView, Finding, Problem, ResponseCheck, Severity, Verdict, error_finding, read_identifiers};
use crate::sequence::compare_sequence_numbers;

/// Checks a stream response given as text: text that is not JSON is taken
/// as a complete failure (AWS does not say what Lambda does with it);
/// otherwise as [`check_stream_response`].
pub fn check_stream_response_text(batch: &BatchView, response: &str) -> ResponseCheck {
    match serde_json::from_str::<Value>(response) {
        Ok(value) => check_stream_response(batch, &value),
        Err(error) => ResponseCheck {
            verdict: Verdict::CompleteFailure,
            findings: vec![error_finding(SourceKind::Kinesis, Problem::NotJson(error.to_string()))],
        },
    }
}

/// Checks a Kinesis or DynamoDB Streams batch response against the batch
/// (see [`BatchView::from_kinesis_event`] and
/// [`BatchView::from_dynamodb_event`]). Lambda retries from the lowest
/// listed sequence number, compared as a whole number, and every record
/// after it.
///
/// ```
/// use lambda_batch::validate::{check_stream_response, BatchView, Verdict};
/// use serde_json::json;
/// let event = json!({"Records": [
///     {"kinesis": {"sequenceNumber": "999"}},
///     {"kinesis": {"sequenceNumber": "1000"}},
///     {"kinesis": {"sequenceNumber": "1001"}},
/// ]});
/// let batch = BatchView::from_kinesis_event(&event);
/// let check = check_stream_response(&batch, &json!({"batchItemFailures": [{"itemIdentifier": "1000"}]}));
/// assert_eq!(check.verdict(), &Verdict::PartialSuccess { retried: vec!["1000".into(), "1001".into()] });
/// ```
pub fn check_stream_response(batch: &BatchView, response: &Value) -> ResponseCheck {
    check_with(batch, SourceKind::Kinesis, response)
}

/// Checks a response against `batch`, findings named by its source.
pub(crate) fn check(batch: &BatchView, response: &Value) -> ResponseCheck {
    check_with(batch, batch.kind, response)
}

fn check_with(batch: &BatchView, source: SourceKind, response: &Value) -> ResponseCheck {
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
