//! What Kinesis and DynamoDB Streams share: the failure policy and settings.

use crate::policy::AllFailedPolicy;

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
}

impl StreamConfig {
    /// The defaults: checkpoint at the first failure, fail the invocation
    /// when every record failed.
    pub const fn new() -> Self {
        StreamConfig { policy: StreamPolicy::Checkpoint, all_failed: AllFailedPolicy::Error }
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

    /// The failure policy.
    pub const fn stream_policy(&self) -> StreamPolicy {
        self.policy
    }

    /// The all-failed policy.
    pub const fn all_failed_policy(&self) -> AllFailedPolicy {
        self.all_failed
    }
}

/// Handles the records of a stream batch under `config`.
pub(crate) async fn process<'e, S, H>(
    records: Vec<S::Record<'e>>,
    into_id: fn(S::Record<'e>) -> std::borrow::Cow<'e, str>,
    handler: &H,
    config: &StreamConfig,
    cx: &lambda_runtime::Context,
    source: &'static str,
) -> crate::report::BatchReport<'e>
where
    S: crate::handler::Source,
    H: crate::handler::RecordHandler<S>,
{
    use crate::engine::{Plan, StopRule};
    use crate::report::ResponseRule;
    let (stop, rule) = match config.stream_policy() {
        StreamPolicy::Checkpoint => (StopRule::Everything, ResponseRule::LowestRetried),
        StreamPolicy::Continue => (StopRule::Nothing, ResponseRule::EveryRetried),
    };
    let statuses =
        crate::engine::run::<S, H>(&records, Plan { stop, max_receive_count: None }, handler, cx).await;
    let report = crate::report::BatchReport::new(
        records.into_iter().map(into_id),
        statuses,
        config.all_failed_policy(),
        rule,
        false,
    );
    report.log_summary(source);
    report
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
    source: &'static str,
    result: Result<T, crate::error::BatchError>,
) -> Result<T, crate::error::BatchError> {
    if let Err(error) = &result {
        tracing::error!(source, error = %error, error_type = error.error_type(), "batch failed as a whole");
    }
    result
}
