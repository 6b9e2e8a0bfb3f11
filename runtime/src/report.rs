//! What happened to each record of a batch, and the response it leads to.

use std::borrow::Cow;

use crate::error::BatchError;
use crate::kind::{OrderingRule, SourceKind};
use crate::outcome::RecordError;
use crate::plan::{BatchPlan, ResponseRule};
use crate::policy::AllFailedPolicy;
use crate::response::{BatchResponse, IdentifierShape, ResponseSize};

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordStatus {
    /// The handler succeeded.
    Succeeded,
    /// The handler failed (error, panic, or a parameter that could not be
    /// extracted).
    Failed(RecordError),
    /// The handler was not called because of an earlier failure (FIFO or
    /// stream checkpoint rule); `cause` is the index of the record that
    /// stopped this one.
    Skipped {
        /// Index (in `Records`) of the record that caused the skip.
        cause: usize,
    },
    /// The handler asked to retry the record later (not an error).
    RetryLater {
        /// Why, if the handler said.
        reason: Option<String>,
    },
    /// Dropped as poison and acknowledged; the poison sink (if any) took it.
    Poison {
        /// Why it was dropped.
        reason: String,
    },
    /// Not started: the invocation deadline (minus the margin) came first.
    /// Reported for retry instead of letting the invocation time out.
    OutOfTime,
    /// Not run: its idempotency key completed in an earlier delivery, so it
    /// counts as handled (see [`idempotency`](crate::idempotency)).
    Replayed,
}

impl RecordStatus {
    /// `true` if the record is reported for retry: everything but a success,
    /// a replay, or a poison record the sink took.
    pub fn is_retried(&self) -> bool {
        !matches!(self, RecordStatus::Succeeded | RecordStatus::Replayed | RecordStatus::Poison { .. })
    }
}

/// How many records of a batch ended in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Handled successfully.
    pub succeeded: usize,
    /// Failed while being handled (error, panic, bad payload, failed sink).
    pub failed: usize,
    /// Not called because of an earlier failure.
    pub skipped: usize,
    /// The handler asked to retry them later.
    pub retry_later: usize,
    /// Dropped as poison and acknowledged.
    pub poison: usize,
    /// Not started before the invocation deadline.
    pub out_of_time: usize,
    /// Not run: handled in an earlier delivery (idempotency).
    pub replayed: usize,
}

impl BatchCounts {
    /// Counts one more record that ended with `status`.
    fn add(&mut self, status: &RecordStatus) {
        match status {
            RecordStatus::Succeeded => self.succeeded += 1,
            RecordStatus::Failed(_) => self.failed += 1,
            RecordStatus::Skipped { .. } => self.skipped += 1,
            RecordStatus::RetryLater { .. } => self.retry_later += 1,
            RecordStatus::Poison { .. } => self.poison += 1,
            RecordStatus::OutOfTime => self.out_of_time += 1,
            RecordStatus::Replayed => self.replayed += 1,
        }
    }
}

/// One record's identifier and status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordReport<'e> {
    id: Cow<'e, str>,
    status: RecordStatus,
}

impl RecordReport<'_> {
    /// The record's identifier (`messageId` for SQS).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What happened to the record.
    pub fn status(&self) -> &RecordStatus {
        &self.status
    }
}

/// The result of handling one batch: each record's status, in record order.
///
/// Turn it into the Lambda response with [`BatchReport::into_response`].
#[derive(Debug, Clone)]
pub struct BatchReport<'e> {
    records: Vec<RecordReport<'e>>,
    /// How many records ended in each status.
    counts: BatchCounts,
    /// The identifiers of the records to retry: how many, how long in all.
    retried: ResponseSize,
    all_failed: AllFailedPolicy,
    rule: ResponseRule,
    shape: IdentifierShape,
    source: SourceKind,
}

impl<'e> BatchReport<'e> {
    pub(crate) fn new(
        ids: impl IntoIterator<Item = Cow<'e, str>>,
        statuses: Vec<RecordStatus>,
        plan: &BatchPlan,
    ) -> Self {
        // Counted while the records are written (rather than in a pass of
        // their own each time they are asked for): no more passes over a
        // large batch's reports than the response needs.
        let mut counts = BatchCounts::default();
        let mut retried = ResponseSize::default();
        let records = ids
            .into_iter()
            .zip(statuses)
            .map(|(id, status)| {
                counts.add(&status);
                if status.is_retried() {
                    retried.add(&id);
                }
                RecordReport { id, status }
            })
            .collect();
        BatchReport {
            records,
            counts,
            retried,
            all_failed: plan.all_failed,
            rule: plan.response,
            shape: plan.shape,
            source: plan.source,
        }
    }

    /// Each record's report, in record order.
    pub fn records(&self) -> &[RecordReport<'e>] {
        &self.records
    }

    /// Whether the batch was handled under FIFO rules.
    pub fn is_fifo(&self) -> bool {
        self.source.ordering() == OrderingRule::MessageGroup
    }

    /// The source the batch was handled as.
    pub fn source(&self) -> SourceKind {
        self.source
    }

    /// How many records ended in each status.
    pub fn counts(&self) -> BatchCounts {
        self.counts
    }

    pub(crate) fn log_summary(&self) {
        let BatchCounts { succeeded, failed, skipped, retry_later, poison, out_of_time, replayed } =
            self.counts();
        tracing::info!(
            source = self.source.name(),
            records = self.records.len(),
            succeeded,
            failed,
            skipped,
            retry_later,
            poison,
            out_of_time,
            replayed,
            "batch handled"
        );
    }

    /// The partial batch response, ignoring the all-failed policy: every
    /// record not handled successfully, in record order, each identifier
    /// once; or, for a stream in checkpoint mode, only the lowest sequence
    /// number among them.
    pub fn response(&self) -> BatchResponse {
        let retried = self.records.iter().filter(|r| r.status.is_retried());
        let shape = self.shape;
        match self.rule {
            ResponseRule::EveryRetried => {
                BatchResponse::from_failures(retried.map(|r| &*r.id), self.retried, shape)
            }
            // One identifier, or one per partition: distinct by construction.
            ResponseRule::LowestRetried => {
                let lowest = retried
                    .min_by(|a, b| crate::sequence::compare_sequence_numbers(&a.id, &b.id))
                    .map(|r| &*r.id);
                BatchResponse::from_distinct_failures(lowest, ResponseSize::of(lowest.into_iter()), shape)
            }
            ResponseRule::LowestRetriedPerPartition => {
                let lowest = crate::response::lowest_per_partition(retried.map(|r| &*r.id));
                let size = ResponseSize::of(lowest.iter().copied());
                BatchResponse::from_distinct_failures(lowest, size, shape)
            }
        }
    }

    /// The response Lambda should get, after the all-failed policy.
    ///
    /// # Errors
    /// [`BatchError::AllRecordsFailed`] when every record failed while being
    /// handled and the policy is [`AllFailedPolicy::Error`].
    pub fn into_response(self) -> Result<BatchResponse, BatchError> {
        let failed = self.counts().failed;
        if self.all_failed == AllFailedPolicy::Error && failed > 0 && failed == self.records.len() {
            let first_error = self
                .records
                .iter()
                .find_map(|r| match &r.status {
                    RecordStatus::Failed(error) => Some(error.to_string()),
                    _ => None,
                })
                .unwrap_or_default();
            return Err(BatchError::AllRecordsFailed { failed, first_error });
        }
        Ok(self.response())
    }
}
