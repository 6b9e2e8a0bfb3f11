//! What is known about each record of a run: its name, its ordering key,
//! and whether it must be retried, from the calls observed, the fault plan
//! and the rules.

use lambda_batch::fault::{Call, CallSite};
use lambda_batch::sqs::FifoPolicy;
use lambda_batch::validate::{BatchView, FifoRule, ResponseCheck};
use lambda_batch::{OrderingRule, RecordStatus};

use super::rules::Rules;
use crate::faults::RecordFault;
use crate::harness::HarnessRun;
use crate::strategy::SourceKind;

/// Why a record must be retried (reported, or the whole batch retried).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Why {
    /// Its identifier is missing or empty: it cannot be named.
    Unnamed,
    /// Its payload was corrupted by the fault plan.
    BadPayload,
    /// Its call did not succeed (the status, in words).
    Failed(String),
    /// It was never called, or its call never ended.
    NotHandled,
    /// The rules' `failing_when` predicate says it fails.
    Predicted,
    /// An earlier record of its FIFO batch or group is expected to fail.
    BehindFailure,
}

/// One record's facts.
#[derive(Debug, Clone)]
pub(crate) struct RecordFacts {
    /// The identifier as text (`None`: unnamed).
    pub(crate) id: Option<String>,
    /// The ordering key (FIFO group, partition key, Kafka partition).
    pub(crate) key: Option<String>,
    /// `Some(why)`: must be retried; `None`: handled or not known, see
    /// [`Facts::known`].
    pub(crate) retry: Option<Why>,
}

/// The facts of a run.
#[derive(Debug, Clone)]
pub(crate) struct Facts {
    pub(crate) source: SourceKind,
    pub(crate) records: Vec<RecordFacts>,
    /// Whether each record's fate is known (observed, or predicted).
    pub(crate) known: bool,
    pub(crate) observed_by: Option<CallSite>,
    pub(crate) batch_is_fifo: bool,
    /// The response as Lambda reads it (the runtime's validator), read
    /// once; `None` for an invocation error.
    pub(crate) lambda_reads: Option<ResponseCheck>,
}

fn handled(calls: &[Call], index: usize) -> bool {
    calls.iter().any(|call| {
        call.index == index
            && matches!(call.status, Some(RecordStatus::Succeeded | RecordStatus::Poison { .. }))
    })
}

fn status_in_words(calls: &[Call], index: usize) -> Option<String> {
    let call = calls.iter().rev().find(|call| call.index == index)?;
    Some(match &call.status {
        Some(RecordStatus::Failed(error)) => format!("failed: {}", error.message()),
        Some(RecordStatus::Skipped { cause }) => format!("skipped behind record {cause}"),
        Some(RecordStatus::RetryLater { .. }) => "asked to be retried later".to_owned(),
        Some(RecordStatus::OutOfTime) => "not started before the deadline".to_owned(),
        Some(other) => format!("{other:?}"),
        None => "never finished".to_owned(),
    })
}

impl Facts {
    pub(crate) fn read(run: &HarnessRun, rules: &Rules) -> Facts {
        let source = run.batch.source;
        let identities = run.batch.identities();
        let observed = run.observed();
        let known = observed || rules.failing_when.is_some();
        let batch_is_fifo = source.ordering() == OrderingRule::MessageGroup;
        let mut records: Vec<RecordFacts> = identities
            .into_iter()
            .enumerate()
            .map(|(index, identity)| {
                let (id, key) = match identity {
                    Some(identity) => (Some(identity.item_identifier), identity.ordering_key),
                    None => (None, None),
                };
                let record = &run.batch.records()[index];
                let retry = if id.is_none() {
                    Some(Why::Unnamed)
                } else if rules.decodes_payloads && payload_corrupted(run, index) {
                    Some(Why::BadPayload)
                } else if observed {
                    (!handled(&run.calls, index))
                        .then(|| status_in_words(&run.calls, index).map_or(Why::NotHandled, Why::Failed))
                } else if let Some(predicate) = &rules.failing_when {
                    predicate(record).then_some(Why::Predicted)
                } else {
                    None
                };
                RecordFacts { id, key, retry }
            })
            .collect();
        // Without observed calls, a FIFO handler's records behind a failure
        // are expected to be reported too.
        if !observed && known {
            match rules.fifo(batch_is_fifo) {
                Some(FifoPolicy::SkipFailedGroup) => {
                    let mut failed_groups: Vec<Option<String>> = Vec::new();
                    for record in &mut records {
                        if failed_groups.contains(&record.key) {
                            record.retry.get_or_insert(Why::BehindFailure);
                        } else if record.retry.is_some() {
                            failed_groups.push(record.key.clone());
                        }
                    }
                }
                Some(_) => {
                    if let Some(first) = records.iter().position(|record| record.retry.is_some()) {
                        for record in &mut records[first + 1..] {
                            record.retry.get_or_insert(Why::BehindFailure);
                        }
                    }
                }
                None => {}
            }
        }
        let lambda_reads =
            run.response.as_ref().ok().map(|response| lambda_reads(run, rules, batch_is_fifo, response));
        Facts { source, records, known, observed_by: run.observed_by(), batch_is_fifo, lambda_reads }
    }

    /// Whether a record cannot be named.
    pub(crate) fn any_unnamed(&self) -> bool {
        self.records.iter().any(|record| record.id.is_none())
    }

    /// Whether every record must be retried (and there is one).
    pub(crate) fn all_fail(&self) -> bool {
        !self.records.is_empty() && self.records.iter().all(|record| record.retry.is_some())
    }

    /// The name of record `index` for messages: its identifier, or its
    /// position when it has none.
    pub(crate) fn name(&self, index: usize) -> String {
        match &self.records[index].id {
            Some(id) => id.clone(),
            None => format!("record {index} (no usable identifier)"),
        }
    }

    /// The index of the first record named `id`.
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        self.records.iter().position(|record| record.id.as_deref() == Some(id))
    }
}

/// Whether the plan corrupted record `index`'s payload.
fn payload_corrupted(run: &HarnessRun, index: usize) -> bool {
    run.plan.get(index) == Some(RecordFault::BadBody)
        && crate::faults::payload_can_be_corrupted(run.batch.source, &run.batch.records()[index])
}

/// The runtime's validator on the response, as Lambda reads it.
fn lambda_reads(
    run: &HarnessRun,
    rules: &Rules,
    batch_is_fifo: bool,
    response: &serde_json::Value,
) -> ResponseCheck {
    let rule = match rules.fifo(batch_is_fifo) {
        None => FifoRule::None,
        Some(FifoPolicy::SkipFailedGroup) => FifoRule::GroupSuffix,
        Some(_) => FifoRule::BatchSuffix,
    };
    BatchView::read(run.batch.source, &run.batch.to_event()).with_fifo_rule(rule).check(response)
}
