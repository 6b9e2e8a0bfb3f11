//! Kinesis / DynamoDB Streams event source mapping settings, checked
//! against AWS's ranges.

use lambda_batch::SourceKind;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ConfigError, MAPPING, check_function_timeout, check_range};
use crate::sim::core::faults::{SimFaults, Timing};

/// Which stream service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Kinesis Data Streams (polled about once a second per shard).
    Kinesis,
    /// DynamoDB Streams (polled about four times a second per shard).
    DynamoDb,
}

impl StreamKind {
    /// Every kind.
    pub(crate) const ALL: [StreamKind; 2] = [StreamKind::Kinesis, StreamKind::DynamoDb];

    /// The runtime's name for this source: its name in messages, its
    /// records' identifier field and ordering rule.
    pub const fn source(self) -> SourceKind {
        match self {
            StreamKind::Kinesis => SourceKind::Kinesis,
            StreamKind::DynamoDb => SourceKind::DynamoDb,
        }
    }

    pub(crate) fn poll_interval(self) -> Millis {
        match self {
            StreamKind::Kinesis => 1_000,
            StreamKind::DynamoDb => 250,
        }
    }

    pub(crate) fn arn(self) -> &'static str {
        match self {
            StreamKind::Kinesis => "arn:aws:kinesis:eu-west-1:123456789012:stream/telemetry",
            StreamKind::DynamoDb => {
                "arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000"
            }
        }
    }

    /// The key of the batch information in an on-failure record.
    pub(crate) fn batch_info_key(self) -> &'static str {
        match self {
            StreamKind::Kinesis => "KinesisBatchInfo",
            StreamKind::DynamoDb => "DDBStreamBatchInfo",
        }
    }
}

impl From<StreamKind> for SourceKind {
    fn from(kind: StreamKind) -> Self {
        kind.source()
    }
}

/// The runtime's name for the source ([`SourceKind::name`]).
impl std::fmt::Display for StreamKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.source().name())
    }
}

/// Everything about one stream simulation. [`StreamSimConfig::new`] gives
/// AWS's defaults (batch 100, retries and record age unlimited, 24 h
/// retention); property tests usually bound the retries.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSimConfig {
    /// Kinesis or DynamoDB Streams.
    pub kind: StreamKind,
    /// Number of shards (1 to 1,000 here). Keys are spread by a stable hash.
    pub shards: u32,
    /// `BatchSize`: 1 to 10,000, default 100.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds` as ms, whole seconds, 0 to 300 s.
    pub batching_window: Millis,
    /// `FunctionResponseTypes: ["ReportBatchItemFailures"]`.
    pub report_batch_item_failures: bool,
    /// `BisectBatchOnFunctionError`: after a function error, retry the
    /// batch in two halves (a split spends no retry).
    pub bisect_on_error: bool,
    /// `MaximumRetryAttempts`: `None` is -1 (unlimited, the default),
    /// otherwise 0 to 10,000.
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumRecordAgeInSeconds` as ms: `None` is -1 (unlimited), otherwise
    /// 60 s to 604,800 s.
    pub maximum_record_age: Option<Millis>,
    /// The stream's retention (ms): records older than this are trimmed.
    /// Default 24 h.
    pub retention: Millis,
    /// The function timeout (ms), 1 to 900 s.
    pub function_timeout: Millis,
    /// Whether a partial-failure response spends a retry attempt. Default
    /// `true` (AWS does not say: `docs/aws-rules.md#where-aws-is-silent`).
    pub partial_failure_spends_retry: bool,
    /// The `condition` of an on-failure record for records discarded by
    /// age. Default `"RecordAgeExceeded"` (AWS does not document it:
    /// `docs/aws-rules.md#where-aws-is-silent`).
    pub record_age_condition: String,
    /// An on-failure destination is configured (records are kept in the report).
    pub on_failure_destination: bool,
    /// What goes wrong.
    pub faults: SimFaults,
    /// How long invocations take.
    pub timing: Timing,
    /// The seed.
    pub seed: u64,
    /// Record a trace.
    pub trace: bool,
}

impl StreamSimConfig {
    /// AWS's defaults for this kind, one shard, seed 0, tracing on.
    pub fn new(kind: StreamKind) -> Self {
        StreamSimConfig {
            kind,
            shards: 1,
            batch_size: 100,
            batching_window: 0,
            report_batch_item_failures: true,
            bisect_on_error: false,
            maximum_retry_attempts: None,
            maximum_record_age: None,
            retention: 86_400_000,
            function_timeout: 3_000,
            partial_failure_spends_retry: true,
            record_age_condition: "RecordAgeExceeded".to_owned(),
            on_failure_destination: true,
            faults: SimFaults::none(),
            timing: Timing::default(),
            seed: 0,
            trace: true,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let ms = |v: Millis| i64::try_from(v).unwrap_or(i64::MAX);
        check_range(
            "shards",
            i64::from(self.shards),
            |v| (1..=1000).contains(&v),
            "1..=1000",
            "the simulator models 1 to 1,000 shards",
        )?;
        check_range(
            "BatchSize",
            i64::from(self.batch_size),
            |v| (1..=10_000).contains(&v),
            "1..=10000",
            MAPPING,
        )?;
        check_range(
            "MaximumBatchingWindowInSeconds (ms)",
            ms(self.batching_window),
            |v| v <= 300_000,
            "0..=300 s",
            MAPPING,
        )?;
        if !self.batching_window.is_multiple_of(1000) {
            return Err(ConfigError::Conflict(format!(
                "MaximumBatchingWindowInSeconds is in whole seconds; {} ms is not",
                self.batching_window
            )));
        }
        if let Some(attempts) = self.maximum_retry_attempts {
            check_range(
                "MaximumRetryAttempts",
                i64::from(attempts),
                |v| v <= 10_000,
                "-1 or 0..=10000",
                MAPPING,
            )?;
        }
        if let Some(age) = self.maximum_record_age {
            check_range(
                "MaximumRecordAgeInSeconds (ms)",
                ms(age),
                |v| (60_000..=604_800_000).contains(&v),
                "-1 or 60..=604800 s",
                MAPPING,
            )?;
        }
        check_range(
            "retention (ms)",
            ms(self.retention),
            |v| v >= 3_600_000,
            "at least 1 h",
            "the simulator takes a stream retention of at least 1 hour",
        )?;
        check_function_timeout(self.function_timeout)?;
        self.faults.validate()
    }
}
