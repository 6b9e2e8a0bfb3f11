//! How a batch is handled: the rules a source's settings and records
//! choose, read by the engine (which records run, in which order, what a
//! failure stops) and by the report (which identifiers the response lists).

use crate::kind::SourceKind;
use crate::policy::{AllFailedPolicy, Limits};
use crate::response::IdentifierShape;

/// How one batch is handled, decided once per invocation by the source
/// ([`Source::plan`](crate::Source)) from its settings and records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[doc(hidden)]
pub struct BatchPlan {
    /// The batch's source (told apart for SQS: standard or FIFO).
    pub(crate) source: SourceKind,
    /// Which later records a failure stops.
    pub(crate) stop: StopRule,
    /// Records with the same ordering key run one after the other.
    pub(crate) ordered: bool,
    /// Concurrency and time limits.
    pub(crate) limits: Limits,
    /// Drop a record as poison, without calling the handler, once it has
    /// been received more than this many times.
    pub(crate) max_receive_count: Option<u32>,
    /// Drop over-budget records even when the handler has no poison sink.
    pub(crate) drop_over_budget: bool,
    /// Which identifiers the response lists.
    pub(crate) response: ResponseRule,
    /// The JSON form of the identifiers in the response.
    pub(crate) shape: IdentifierShape,
    /// What to do when every record failed.
    pub(crate) all_failed: AllFailedPolicy,
}

/// Which later records a failure stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopRule {
    /// A failure stops nothing (SQS standard, streams `Continue`).
    Nothing,
    /// A failure stops every later record (FIFO default, stream checkpoint).
    Everything,
    /// A failure stops the later records with the same ordering key; a
    /// failing record without a key stops every later record.
    SameKey,
}

/// Which identifiers the response lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseRule {
    /// Every record not handled successfully (SQS, streams `Continue`).
    EveryRetried,
    /// Only the lowest sequence number among the records not handled
    /// (streams `Checkpoint`): Lambda retries from there on.
    LowestRetried,
    /// Only the lowest offset not handled of each Kafka partition (Kafka
    /// `Checkpoint`): Lambda retries each partition from there on.
    LowestRetriedPerPartition,
}
