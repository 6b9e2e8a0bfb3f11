//! What Kinesis and DynamoDB Streams share: the failure policy, settings,
//! and how a stream batch is handled.

use lambda_runtime::{Context, LambdaEvent};

use crate::engine::{Plan, StopRule};
use crate::error::BatchError;
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::report::{BatchReport, ResponseRule};
use crate::response::BatchResponse;
use crate::source::Source;

use crate::policy::{AllFailedPolicy, Limits};

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
/// const CONFIG: StreamConfig = StreamConfig::new().policy(StreamPolicy::Continue);
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
    pub const fn policy(mut self, policy: StreamPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Sets what to do when every record failed.
    pub const fn all_failed(mut self, policy: AllFailedPolicy) -> Self {
        self.all_failed = policy;
        self
    }

    /// Sets the concurrency and time limits. Records with the same
    /// partition key (Kinesis) or item keys (DynamoDB) always run one after
    /// the other.
    pub const fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The concurrency and time limits.
    pub const fn run_limits(&self) -> Limits {
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

/// A source whose batches are checkpointed: streams and Kafka.
pub(crate) trait StreamSource: Source {
    /// What a failure stops under [`StreamPolicy::Checkpoint`].
    const CHECKPOINT: Checkpoint;
}

/// Handles a stream batch under `config` and reports each record's status.
pub(crate) async fn process<'e, S, H>(
    handler: &H,
    config: &StreamConfig,
    event: &'e BatchEvent,
    cx: &Context,
) -> Result<BatchReport<'e>, BatchError>
where
    S: StreamSource,
    H: RecordHandler<S>,
{
    let records = crate::source::read_records::<S>(event)?;
    let (stop, rule) = match (config.stream_policy(), S::CHECKPOINT) {
        (StreamPolicy::Checkpoint, Checkpoint::Batch) => (StopRule::Everything, ResponseRule::LowestRetried),
        (StreamPolicy::Checkpoint, Checkpoint::PerOrderingKey) => {
            (StopRule::SameKey, ResponseRule::LowestRetriedPerPartition)
        }
        (StreamPolicy::Continue, _) => (StopRule::Nothing, ResponseRule::EveryRetried),
    };
    let statuses = crate::engine::run::<S, H>(
        &records,
        Plan {
            source: S::KIND,
            stop,
            ordered: true,
            limits: config.run_limits(),
            max_receive_count: None,
            drop_over_budget: false,
        },
        handler,
        cx,
    )
    .await;
    let report = BatchReport::new(
        records.into_iter().map(S::into_item_identifier),
        statuses,
        config.all_failed_policy(),
        rule,
        S::KIND,
    );
    report.log_summary();
    Ok(report)
}

/// Handles a stream invocation: [`process`], then the all-failed policy.
pub(crate) async fn handle<S, H>(
    handler: &H,
    config: &StreamConfig,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError>
where
    S: StreamSource,
    H: RecordHandler<S>,
{
    let (payload, context) = event.into_parts();
    let result =
        process::<S, H>(handler, config, &payload, &context).await.and_then(BatchReport::into_response);
    log_failure(S::KIND, result)
}

/// Reads a stream record's sequence number field.
pub(crate) fn sequence_number<'e>(
    raw: Option<&'e serde_json::value::RawValue>,
    index: usize,
    field: &'static str,
) -> Result<std::borrow::Cow<'e, str>, crate::error::BatchError> {
    let missing = |problem| crate::error::BatchError::MissingItemIdentifier { index, field, problem };
    match raw.map(crate::json::string_field) {
        None => Err(missing("absent or null")),
        Some(Err(_)) => Err(missing("not a string")),
        Some(Ok(number)) if number.is_empty() => Err(missing("empty string")),
        Some(Ok(number)) if !crate::sequence::is_sequence_number(&number) => {
            Err(missing("not a decimal number"))
        }
        Some(Ok(number)) => Ok(number),
    }
}

/// Logs an invocation error (for any source) and passes the result on.
pub(crate) fn log_failure<T>(
    source: crate::source::SourceKind,
    result: Result<T, crate::error::BatchError>,
) -> Result<T, crate::error::BatchError> {
    if let Err(error) = &result {
        tracing::error!(source = source.name(), error = %error, error_type = error.error_type(), "batch failed as a whole");
    }
    result
}
