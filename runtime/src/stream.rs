//! What Kinesis, DynamoDB Streams and Kafka share: the failure policy, the
//! settings, and how they plan a batch.

use crate::kind::SourceKind;
use crate::plan::{BatchPlan, ResponseRule, StopRule};
use crate::policy::{AllFailedPolicy, Limits};
use crate::response::IdentifierShape;

/// What a failure does to the rest of a stream batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamPolicy {
    /// Stop at the first failure and report only the lowest sequence number
    /// not handled, so Lambda checkpoints just before it and the records that
    /// succeeded earlier are not replayed (the default).
    #[default]
    Checkpoint,
    /// Handle every record and report every failure. Lambda still retries
    /// from the lowest reported one, so later successes run again.
    Continue,
}

/// The settings of a Kinesis or DynamoDB Streams batch handler.
///
/// ```
/// use lambda_batch::stream::{StreamConfig, StreamPolicy};
/// const CONFIG: StreamConfig = StreamConfig::new().with_stream_policy(StreamPolicy::Continue);
/// assert_eq!(CONFIG.stream_policy(), StreamPolicy::Continue);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamConfig {
    policy: StreamPolicy,
    all_failed: AllFailedPolicy,
    limits: Limits,
}

impl StreamConfig {
    /// The defaults: checkpoint at the first failure, fail the invocation
    /// when every record failed.
    pub const fn new() -> Self {
        StreamConfig {
            policy: StreamPolicy::Checkpoint,
            all_failed: AllFailedPolicy::Error,
            limits: Limits::new(),
        }
    }

    /// Sets the failure policy.
    pub const fn with_stream_policy(mut self, policy: StreamPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets what to do when every record failed.
    pub const fn with_all_failed_policy(mut self, policy: AllFailedPolicy) -> Self {
        self.all_failed = policy;
        self
    }

    /// Sets the concurrency and time limits. Records with the same
    /// partition key (Kinesis) or item keys (DynamoDB) always run one after
    /// the other.
    pub const fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The concurrency and time limits.
    pub const fn limits(&self) -> Limits {
        self.limits
    }

    /// The failure policy.
    pub const fn stream_policy(&self) -> StreamPolicy {
        self.policy
    }

    /// The all-failed policy.
    pub const fn all_failed_policy(&self) -> AllFailedPolicy {
        self.all_failed
    }
}

/// What a failure stops under [`StreamPolicy::Checkpoint`], and so which
/// sequence numbers (or offsets) the response names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checkpoint {
    /// The batch is one shard: a failure stops every later record and the
    /// response names the lowest record not done (Kinesis, DynamoDB).
    Batch,
    /// The batch holds several partitions: a failure stops the later
    /// records of its partition, and the response names the lowest record
    /// not done of each partition (Kafka).
    PerOrderingKey,
}

/// How a stream batch of `source` is handled under `config`: records of one
/// key in order, a failure stopping what `checkpoint` says.
pub(crate) fn plan(
    config: &StreamConfig,
    source: SourceKind,
    checkpoint: Checkpoint,
    shape: IdentifierShape,
) -> BatchPlan {
    let (stop, response) = match (config.stream_policy(), checkpoint) {
        (StreamPolicy::Checkpoint, Checkpoint::Batch) => (StopRule::Everything, ResponseRule::LowestRetried),
        (StreamPolicy::Checkpoint, Checkpoint::PerOrderingKey) => {
            (StopRule::SameKey, ResponseRule::LowestRetriedPerPartition)
        }
        (StreamPolicy::Continue, _) => (StopRule::Nothing, ResponseRule::EveryRetried),
    };
    BatchPlan {
        source,
        stop,
        ordered: true,
        limits: config.limits(),
        max_receive_count: None,
        drop_over_budget: false,
        response,
        shape,
        all_failed: config.all_failed_policy(),
    }
}
