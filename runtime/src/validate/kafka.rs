//! The Kafka response rules (`docs/aws-rules.md#kafka-partial-batch-responses`):
//! identifiers are `{"partition": "<topic>-<partition>", "offset": n}`
//! objects, and Lambda retries each listed partition from its lowest listed
//! offset, committing the offsets before it; partitions not listed are
//! committed whole.

use std::collections::HashMap;

use serde_json::Value;

use super::{BatchView, Finding, Problem, ResponseCheck, Severity, Verdict, error_finding, read_identifiers};
use crate::kind::SourceKind;
use crate::response::split_kafka_identifier;

/// Checks a Kafka response given as text: text that is not JSON is taken as
/// a complete failure (AWS does not say what Lambda does with it);
/// otherwise as [`check_kafka_response`].
pub fn check_kafka_response_text(batch: &BatchView, response: &str) -> ResponseCheck {
    match serde_json::from_str::<Value>(response) {
        Ok(value) => check_kafka_response(batch, &value),
        Err(error) => ResponseCheck {
            verdict: Verdict::CompleteFailure,
            findings: vec![error_finding(SourceKind::Kafka, Problem::NotJson(error.to_string()))],
        },
    }
}

/// Checks a Kafka batch response against the batch (see
/// [`BatchView::from_kafka_event`]).
///
/// ```
/// use lambda_batch::validate::{check_kafka_response, BatchView, Verdict};
/// use serde_json::json;
/// let event = json!({"records": {
///     "orders-0": [{"topic": "orders", "partition": 0, "offset": 5},
///                  {"topic": "orders", "partition": 0, "offset": 6}],
///     "orders-1": [{"topic": "orders", "partition": 1, "offset": 9}],
/// }});
/// let batch = BatchView::from_kafka_event(&event);
/// let response = json!({"batchItemFailures": [
///     {"itemIdentifier": {"partition": "orders-0", "offset": 5}},
/// ]});
/// let check = check_kafka_response(&batch, &response);
/// assert_eq!(check.verdict(), &Verdict::PartialSuccess {
///     retried: vec!["orders-0@5".into(), "orders-0@6".into()],
/// });
/// ```
pub fn check_kafka_response(batch: &BatchView, response: &Value) -> ResponseCheck {
    check_with(batch, SourceKind::Kafka, response)
}

/// Checks a response against `batch`, findings named by its source.
pub(crate) fn check(batch: &BatchView, response: &Value) -> ResponseCheck {
    check_with(batch, batch.kind, response)
}

fn check_with(batch: &BatchView, source: SourceKind, response: &Value) -> ResponseCheck {
    let mut findings = Vec::new();
    let Some(listed) = read_identifiers(batch, source, response, &mut findings) else {
        return ResponseCheck { verdict: Verdict::CompleteFailure, findings };
    };
    if listed.is_empty() {
        return ResponseCheck { verdict: Verdict::CompleteSuccess, findings };
    }
    let mut lowest: HashMap<&str, (i64, usize)> = HashMap::new();
    for (partition, offset) in listed.iter().filter_map(|id| split_kafka_identifier(id)) {
        let entry = lowest.entry(partition).or_insert((offset, 0));
        entry.0 = entry.0.min(offset);
        entry.1 += 1;
    }
    if let Some(count) = lowest.values().map(|(_, count)| *count).max().filter(|count| *count > 1) {
        findings.push(Finding::new(Severity::Warning, source, Problem::SeveralSequenceNumbers { count }));
    }
    let mut retried: Vec<String> = Vec::new();
    for id in batch.ids() {
        let Some((partition, offset)) = split_kafka_identifier(id) else { continue };
        if lowest.get(partition).is_some_and(|(from, _)| offset >= *from) && !retried.iter().any(|r| r == id)
        {
            retried.push(id.to_owned());
        }
    }
    ResponseCheck { verdict: Verdict::PartialSuccess { retried }, findings }
}
