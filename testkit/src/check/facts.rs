//! What is known about each record of a run: its name, its ordering key,
//! and whether it must be retried, from the calls observed, the fault plan
//! and the rules.

use lambda_batch::fault::{Call, CallSite};
use lambda_batch::reported::kafka_position;
use lambda_batch::sqs::FifoPolicy;
use lambda_batch::validate::{BatchView, FifoRule, ResponseCheck};
use lambda_batch::wire::partition_key;
use lambda_batch::{OrderingRule, RecordStatus, compare_sequence_numbers};

use super::rules::{HeldBack, Rules};
use super::view::RecordView;
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
    /// Reported after the handler's deadline guard stopped starting
    /// records (see [`Rules::guarding_deadline`]).
    Unstarted,
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

/// Whether record `index` was handled: it succeeded, was parked as poison,
/// or was replayed (handled in an earlier delivery): acknowledged, not retried.
pub(crate) fn handled(calls: &[Call], index: usize) -> bool {
    calls
        .iter()
        .any(|call| call.index == index && call.status.as_ref().is_some_and(|status| !status.is_retried()))
}

/// Whether record `index` was dropped as poison (and the poison sink, if
/// any, took it): acknowledged on purpose.
fn parked_as_poison(calls: &[Call], index: usize) -> bool {
    calls.iter().any(|call| call.index == index && matches!(call.status, Some(RecordStatus::Poison { .. })))
}

fn status_in_words(calls: &[Call], index: usize) -> Option<String> {
    let call = calls.iter().rev().find(|call| call.index == index)?;
    Some(match &call.status {
        Some(RecordStatus::Failed(error)) => format!("failed ({error})"),
        Some(RecordStatus::Skipped { cause }) => format!("skipped behind record {cause}"),
        Some(RecordStatus::RetryLater { .. }) => "asked to be retried later".to_owned(),
        Some(RecordStatus::OutOfTime) => "not started before the deadline".to_owned(),
        Some(RecordStatus::Replayed) => "replayed: handled in an earlier delivery, not run again".to_owned(),
        Some(other) => format!("{other:?}"),
        None => "never finished".to_owned(),
    })
}

impl Facts {
    pub(crate) fn read(run: &HarnessRun, rules: &Rules) -> Facts {
        let source = run.batch.source;
        let observed = run.observed();
        let known = observed || rules.failing_when.is_some();
        let batch_is_fifo = source.ordering() == OrderingRule::MessageGroup;
        let records = record_facts(run, rules, observed);
        let lambda_reads =
            run.response.as_ref().ok().map(|response| lambda_reads(run, rules, batch_is_fifo, response));
        let mut facts =
            Facts { source, records, known, observed_by: run.observed_by(), batch_is_fifo, lambda_reads };
        if !observed && known {
            facts.mark_unstarted(run, rules);
            facts.mark_behind_failures(rules);
        }
        facts
    }

    /// Without observed calls, a deadline guard's records not started: when
    /// the response came within the guard's margin of the deadline, the
    /// records Lambda retries from the point where the handler stopped to
    /// the end of the batch. The first record is always started.
    fn mark_unstarted(&mut self, run: &HarnessRun, rules: &Rules) {
        let Some(margin) = rules.deadline_margin else { return };
        // The handler reads the deadline from the `Context` (whole
        // milliseconds, written just before the run): it may see a little
        // less time left than the harness's clock says.
        if run.response.is_err() || run.time_left() >= margin + CLOCK_SLACK {
            return;
        }
        let reported = run.reported();
        let mut from = self.records.len();
        while from > 1 && self.retried(run, &reported, from - 1) {
            from -= 1;
        }
        for record in &mut self.records[from..] {
            record.retry.get_or_insert(Why::Unstarted);
        }
    }

    /// Without observed calls, the records a failure holds back (FIFO, or
    /// a standard queue stopping at the first failure) are expected to be
    /// reported too.
    fn mark_behind_failures(&mut self, rules: &Rules) {
        match rules.held_back(self.batch_is_fifo) {
            HeldBack::SameGroup => {
                let mut failed_groups: Vec<Option<String>> = Vec::new();
                for record in &mut self.records {
                    if failed_groups.contains(&record.key) {
                        record.retry.get_or_insert(Why::BehindFailure);
                    } else if record.retry.is_some() {
                        failed_groups.push(record.key.clone());
                    }
                }
            }
            HeldBack::Everything => {
                if let Some(first) = self.records.iter().position(|record| record.retry.is_some()) {
                    for record in &mut self.records[first + 1..] {
                        record.retry.get_or_insert(Why::BehindFailure);
                    }
                }
            }
            HeldBack::Nothing => {}
        }
    }

    /// Whether Lambda retries record `index` after reading `reported` (a
    /// partial batch response): listed (SQS); at or after the lowest listed
    /// sequence number (streams); at or after the lowest listed offset of
    /// its partition (Kafka). A record with no usable identifier is retried
    /// by a stream response that lists a record before it.
    pub(crate) fn retried(&self, run: &HarnessRun, reported: &[String], index: usize) -> bool {
        let record = &self.records[index];
        let at_or_before = |r: &String| self.position(r).is_some_and(|position| position <= index);
        match (self.source.ordering(), &record.id) {
            (OrderingRule::StreamKey, Some(id)) => {
                reported.iter().any(|r| compare_sequence_numbers(r, id).is_le())
            }
            (OrderingRule::StreamKey, None) => reported.iter().any(at_or_before),
            (OrderingRule::KafkaPartition, Some(id)) => {
                let Some((partition, offset)) = kafka_position(id) else { return false };
                reported.iter().filter_map(|r| kafka_position(r)).any(|(p, o)| p == partition && o <= offset)
            }
            (OrderingRule::KafkaPartition, None) => {
                let partition = partition_key(self.source, &run.batch.records()[index]).unwrap_or_default();
                reported
                    .iter()
                    .any(|r| kafka_position(r).is_some_and(|(p, _)| p == partition) && at_or_before(r))
            }
            (_, Some(id)) => reported.iter().any(|r| r == id),
            (_, None) => false,
        }
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

/// How much earlier than the harness's clock a handler may see the
/// deadline (see [`Facts::mark_unstarted`]).
const CLOCK_SLACK: std::time::Duration = std::time::Duration::from_secs(1);

/// Each record's name, ordering key, and whether it must be retried as
/// far as the calls observed (or the rules' `failing_when`) tell.
fn record_facts(run: &HarnessRun, rules: &Rules, observed: bool) -> Vec<RecordFacts> {
    let source = run.batch.source;
    run.batch
        .identities()
        .into_iter()
        .enumerate()
        .map(|(index, identity)| {
            let (id, key) = match identity {
                Some(identity) => (Some(identity.item_identifier), identity.ordering_key),
                None => (None, None),
            };
            let record = &run.batch.records()[index];
            let predicted =
                || rules.failing_when.as_ref().is_some_and(|fails| fails(&RecordView::new(source, record)));
            let retry = if id.is_none() {
                Some(Why::Unnamed)
            } else if rules.decodes_payloads
                && payload_corrupted(run, index)
                && !(observed && parked_as_poison(&run.calls, index))
            {
                // A payload that does not decode is retried, unless the
                // handler's call shows it dropped the record as poison on
                // purpose (the poison sink took it: not lost).
                Some(Why::BadPayload)
            } else if observed && !handled(&run.calls, index) {
                Some(status_in_words(&run.calls, index).map_or(Why::NotHandled, Why::Failed))
            } else if predicted() {
                // Observed or not, a record the rules say fails must not be
                // acknowledged: with observed calls, the handler handled it
                // although the rules say it fails.
                Some(Why::Predicted)
            } else {
                None
            };
            RecordFacts { id, key, retry }
        })
        .collect()
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
