//! Settings of an SQS batch handler.

use crate::policy::{AllFailedPolicy, Limits};

/// Whether the queue is FIFO.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueKind {
    /// FIFO if the `eventSourceARN` of the first record that has one ends
    /// in `.fifo` (the default; every record of a batch comes from the one
    /// queue the event source mapping reads).
    #[default]
    Detect,
    /// Always apply FIFO rules (`#[batch_handler(sqs_fifo)]`).
    Fifo,
}

/// What a failure does to later records of a FIFO batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FifoPolicy {
    /// Stop at the first failure: report it and every later record, and call
    /// no later record (the default; what AWS documents).
    #[default]
    StopAtFirstFailure,
    /// Skip only the failing record's message group: its later records are
    /// reported without being called, other groups go on. A failing record
    /// without a `MessageGroupId` stops every later record.
    SkipFailedGroup,
}

/// What a failure does to later records of a standard (not FIFO) batch.
///
/// A standard queue promises no order, so by default every record runs and
/// only the failed ones are reported. Some handlers still want to stop at
/// the first failure: the records after it depend on it (a batch written in
/// order by one producer), or a failure means a dependency is down and the
/// rest would fail too. [`StopAtFirstFailure`](Self::StopAtFirstFailure)
/// then reports the failed record and every later one without calling them,
/// and runs the batch one record at a time. It has no effect on a FIFO
/// queue, which follows [`FifoPolicy`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StandardPolicy {
    /// Handle every record and report each failure (the default).
    #[default]
    Continue,
    /// Stop at the first failure: report it and every later record, and call
    /// no later record; the batch runs one record at a time.
    StopAtFirstFailure,
}

/// The settings of an SQS batch handler.
///
/// ```
/// use lambda_batch::{sqs::{FifoPolicy, QueueKind, SqsConfig}, AllFailedPolicy};
/// const CONFIG: SqsConfig = SqsConfig::new()
///     .with_queue_kind(QueueKind::Fifo)
///     .with_fifo_policy(FifoPolicy::SkipFailedGroup)
///     .with_all_failed_policy(AllFailedPolicy::ReportAll);
/// assert_eq!(CONFIG.queue_kind(), QueueKind::Fifo);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SqsConfig {
    queue: QueueKind,
    fifo_policy: FifoPolicy,
    standard_policy: StandardPolicy,
    all_failed: AllFailedPolicy,
    max_receive_count: Option<u32>,
    drop_over_budget: bool,
    limits: Limits,
}

impl SqsConfig {
    /// The defaults: detect FIFO from the ARN, stop at the first FIFO
    /// failure, handle every record of a standard queue, fail the invocation when every record failed.
    pub const fn new() -> Self {
        SqsConfig {
            queue: QueueKind::Detect,
            fifo_policy: FifoPolicy::StopAtFirstFailure,
            standard_policy: StandardPolicy::Continue,
            all_failed: AllFailedPolicy::Error,
            max_receive_count: None,
            drop_over_budget: false,
            limits: Limits::new(),
        }
    }

    /// Sets the concurrency and time limits.
    ///
    /// On a FIFO queue, records of one message group always run one after
    /// the other; with [`FifoPolicy::StopAtFirstFailure`] the whole batch
    /// runs one record at a time, because a record running beside a failed
    /// one could succeed and then have to be reported for retry anyway: on a
    /// FIFO queue the failed record and every later one are reported (see
    /// [FIFO queues: the suffix rule](crate::aws_rules#fifo-queues-the-suffix-rule)).
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The concurrency and time limits.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// Drops a record as poison, without calling the handler, once its
    /// `ApproximateReceiveCount` exceeds `max`: it goes to the handler's
    /// poison sink ([`RecordHandler::on_poison`](crate::RecordHandler::on_poison))
    /// and is acknowledged (or retried if the sink fails). Keep `max` below
    /// the queue's redrive `maxReceiveCount` for it to matter.
    ///
    /// Nothing is dropped silently: if the handler has no poison sink
    /// ([`RecordHandler::HAS_POISON_SINK`](crate::RecordHandler::HAS_POISON_SINK)
    /// is `false`), an over-budget record fails instead (the queue's redrive
    /// policy then moves it to its dead-letter queue), unless
    /// [`with_drop_over_budget`](Self::with_drop_over_budget) says to drop it.
    pub const fn with_max_receive_count(mut self, max: u32) -> Self {
        self.max_receive_count = Some(max);
        self
    }

    /// With `true`, drops over-budget records with only a log line when the
    /// handler has no poison sink: the explicit choice to lose them.
    pub const fn with_drop_over_budget(mut self, drop: bool) -> Self {
        self.drop_over_budget = drop;
        self
    }

    /// The receive-count budget, if any.
    pub const fn max_receive_count(&self) -> Option<u32> {
        self.max_receive_count
    }

    /// Whether over-budget records are dropped even without a poison sink.
    pub const fn drop_over_budget(&self) -> bool {
        self.drop_over_budget
    }

    /// Sets whether the queue is FIFO.
    pub const fn with_queue_kind(mut self, queue: QueueKind) -> Self {
        self.queue = queue;
        self
    }

    /// Sets the FIFO failure policy.
    pub const fn with_fifo_policy(mut self, policy: FifoPolicy) -> Self {
        self.fifo_policy = policy;
        self
    }

    /// Sets what a failure does to later records of a standard queue.
    pub const fn with_standard_policy(mut self, policy: StandardPolicy) -> Self {
        self.standard_policy = policy;
        self
    }

    /// Sets what to do when every record failed.
    pub const fn with_all_failed_policy(mut self, policy: AllFailedPolicy) -> Self {
        self.all_failed = policy;
        self
    }

    /// Whether the queue is FIFO.
    pub const fn queue_kind(&self) -> QueueKind {
        self.queue
    }

    /// The FIFO failure policy.
    pub const fn fifo_policy(&self) -> FifoPolicy {
        self.fifo_policy
    }

    /// The standard-queue failure policy.
    pub const fn standard_policy(&self) -> StandardPolicy {
        self.standard_policy
    }

    /// The all-failed policy.
    pub const fn all_failed_policy(&self) -> AllFailedPolicy {
        self.all_failed
    }
}
