//! Kafka event source mapping settings (Amazon MSK, provisioned mode:
//! the error-handling controls need it), checked against AWS's ranges.

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ConfigError, MAPPING, check_function_timeout, check_range};
use crate::sim::core::faults::{SimFaults, Timing};

/// How often a partition's poller looks for records, and how long a
/// failed batch waits before its retry. AWS does not say; 500 ms, the
/// default batching window (`docs/aws-rules.md#where-aws-is-silent`).
pub(crate) const POLL_INTERVAL: Millis = 500;

/// With an on-failure destination and no retry limit, Lambda applies this
/// one (`docs/aws-rules.md#kafka-retries`).
const RETRIES_WITH_DESTINATION: u32 = 10;

/// Everything about one Kafka simulation: one topic (an event source
/// mapping reads one) and its mapping. [`KafkaSimConfig::new`] gives AWS's
/// defaults (batch 100, a 500 ms batching window, retries and record age
/// unlimited, no on-failure destination) and a 7-day retention.
#[derive(Debug, Clone, PartialEq)]
pub struct KafkaSimConfig {
    /// The topic's name (Kafka's rules: 1 to 249 letters, digits, `.`,
    /// `_` or `-`).
    pub topic: String,
    /// Number of partitions (1 to 1,000 here).
    pub partitions: u32,
    /// `BatchSize`: 1 to 10,000, default 100. A batch holds records of
    /// every partition that is free when it leaves.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds` as ms: Kafka's default of 500 ms,
    /// or whole seconds up to 300 s.
    pub batching_window: Millis,
    /// `FunctionResponseTypes: ["ReportBatchItemFailures"]`. Default `true`.
    pub report_batch_item_failures: bool,
    /// `BisectBatchOnFunctionError`: after a function error, each
    /// partition's records of the batch are retried in two halves (a split
    /// spends no retry).
    pub bisect_on_error: bool,
    /// `MaximumRetryAttempts`: `None` is -1 (unlimited, the default; 10
    /// with an on-failure destination), otherwise 0 to 10,000.
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumRecordAgeInSeconds` as ms: `None` is -1 (unlimited), otherwise
    /// 60 s to 604,800 s.
    pub maximum_record_age: Option<Millis>,
    /// The topic's `retention.ms`: records older than this are deleted.
    /// Default 7 days.
    pub retention: Millis,
    /// The function timeout (ms), 1 to 900 s.
    pub function_timeout: Millis,
    /// Whether a partial-failure response spends a retry attempt. Default
    /// `true` (AWS does not say: `docs/aws-rules.md#where-aws-is-silent`).
    pub partial_failure_spends_retry: bool,
    /// The `condition` of an on-failure record for records discarded by
    /// age. Default `"RecordAgeExceeded"` (AWS does not document it).
    pub record_age_condition: String,
    /// An on-failure destination is configured: it receives the discarded
    /// records (kept in the report), and caps unlimited retries at 10.
    /// Default `false`.
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

impl KafkaSimConfig {
    /// AWS's defaults for a topic of this many partitions, seed 0, tracing on.
    pub fn new(topic: &str, partitions: u32) -> Self {
        KafkaSimConfig {
            topic: topic.to_owned(),
            partitions,
            batch_size: 100,
            batching_window: 500,
            report_batch_item_failures: true,
            bisect_on_error: false,
            maximum_retry_attempts: None,
            maximum_record_age: None,
            retention: 7 * 86_400_000,
            function_timeout: 3_000,
            partial_failure_spends_retry: true,
            record_age_condition: "RecordAgeExceeded".to_owned(),
            on_failure_destination: false,
            faults: SimFaults::none(),
            timing: Timing::default(),
            seed: 0,
            trace: true,
        }
    }

    /// The retry limit Lambda applies: `maximum_retry_attempts`, or 10 when
    /// it is unlimited and an on-failure destination is set.
    pub fn retry_limit(&self) -> Option<u32> {
        self.maximum_retry_attempts.or(self.on_failure_destination.then_some(RETRIES_WITH_DESTINATION))
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let ms = |v: Millis| i64::try_from(v).unwrap_or(i64::MAX);
        let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if self.topic.is_empty()
            || self.topic.len() > 249
            || !self.topic.chars().all(legal)
            || self.topic == "."
            || self.topic == ".."
        {
            return Err(ConfigError::Conflict(format!(
                "{:?} is not a Kafka topic name: 1 to 249 letters, digits, '.', '_' or '-' (and not . or ..)",
                self.topic
            )));
        }
        check_range(
            "partitions",
            i64::from(self.partitions),
            |v| (1..=1000).contains(&v),
            "1..=1000",
            "the simulator models 1 to 1,000 partitions",
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
        if self.batching_window != 500 && !self.batching_window.is_multiple_of(1000) {
            return Err(ConfigError::Conflict(format!(
                "MaximumBatchingWindowInSeconds is in whole seconds (500 ms is only Kafka's default); {} ms is not",
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
            "retention.ms",
            ms(self.retention),
            |v| v >= 60_000,
            "at least 1 minute",
            "the simulator takes a topic retention of at least 1 minute",
        )?;
        check_function_timeout(self.function_timeout)?;
        self.faults.validate()
    }
}
