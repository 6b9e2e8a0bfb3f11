//! The Kafka response rules ([Kafka: partial batch
//! responses](crate::aws_rules#kafka-partial-batch-responses)): identifiers are `{"partition":
//! "<topic>-<partition>", "offset": n}` objects, and Lambda retries each listed partition from
//! its lowest listed offset, committing the offsets before it; partitions not listed are
//! committed whole.

use std::collections::HashMap;

use serde_json::Value;

use super::{BatchView, Finding, Problem, ResponseCheck, Severity, Verdict, read_identifiers};
use crate::response::split_kafka_identifier;

/// Checks a response against `batch`, findings named by its source.
pub(crate) fn check(batch: &BatchView, response: &Value) -> ResponseCheck {
    let source = batch.kind;
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
