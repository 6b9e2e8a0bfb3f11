//! The settings the stream and Kafka simulations share, written once: the
//! event source mapping's (batch size and window, ReportBatchItemFailures,
//! bisection, the retry and record-age limits, the on-failure
//! destination), the function timeout, and the run's (faults, timing,
//! seed, trace), with their range checks. Each source brings its own part
//! (`source`: the stream's shards, the topic's partitions, the retention)
//! and, where AWS differs, its own limits and defaults.

use lambda_batch::SourceKind;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ConfigError, MAPPING, check_function_timeout, check_range, millis};
use crate::sim::core::faults::{InvocationFaults, Timing};
use crate::sim::cursor::cursors::Rules;

/// Everything about one simulation whose event source mapping reads each
/// shard or partition from a checkpoint (a cursor): [`StreamSimConfig`]
/// (Kinesis, DynamoDB Streams) and [`KafkaSimConfig`] are this with their
/// own `source`, and their `new` gives AWS's defaults for the source.
///
/// ```
/// use lambda_batch_testkit::sim::{KafkaSimConfig, StreamKind, StreamSimConfig};
/// let mut stream = StreamSimConfig::new(StreamKind::Kinesis);
/// stream.source.shards = 4;
/// stream.maximum_retry_attempts = Some(3);
/// let kafka = KafkaSimConfig { bisect_on_error: true, ..KafkaSimConfig::new("orders", 2) };
/// assert_eq!((stream.batch_size, kafka.batching_window), (100, 500));
/// ```
///
/// [`StreamSimConfig`]: crate::sim::StreamSimConfig
/// [`KafkaSimConfig`]: crate::sim::KafkaSimConfig
#[derive(Debug, Clone, PartialEq)]
pub struct CursorSimConfig<S> {
    /// The stream or topic: a [`StreamSource`](crate::sim::StreamSource)
    /// or a [`KafkaSource`](crate::sim::KafkaSource).
    pub source: S,
    /// `BatchSize`: 1 to 10,000, default 100. A Kafka batch holds records
    /// of every partition that is free when it leaves.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds` as ms, whole seconds from 0 to
    /// 300 s. Default 0 for streams; Kafka's default is 500 ms, the one
    /// value that is not whole seconds.
    pub batching_window: Millis,
    /// `FunctionResponseTypes: ["ReportBatchItemFailures"]`. Default `true`.
    pub report_batch_item_failures: bool,
    /// `BisectBatchOnFunctionError`: after a function error, the batch is
    /// retried in two halves (Kafka: each partition's records of it); a
    /// split spends no retry.
    pub bisect_on_error: bool,
    /// `MaximumRetryAttempts`: `None` is -1 (unlimited, the default; Kafka
    /// then applies 10 with an on-failure destination), otherwise 0 to
    /// 10,000.
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumRecordAgeInSeconds` as ms: `None` is -1 (unlimited, the
    /// default), otherwise 60 s to 604,800 s.
    pub maximum_record_age: Option<Millis>,
    /// The function timeout (ms), 1 to 900 s. Default 3 s.
    pub function_timeout: Millis,
    /// Whether a partial-failure response spends a retry attempt. Default
    /// `true` (AWS does not say: [Where AWS is silent](lambda_batch::aws_rules#where-aws-is-silent)).
    pub partial_failure_spends_retry: bool,
    /// The `condition` of an on-failure record for records discarded by
    /// age. Default `"RecordAgeExceeded"` (AWS does not document it:
    /// [Where AWS is silent](lambda_batch::aws_rules#where-aws-is-silent)).
    pub record_age_condition: String,
    /// An on-failure destination is configured: it receives an on-failure
    /// record for the records given up (kept in the report). Default `true`
    /// for streams, `false` for Kafka (where it also caps unlimited retries
    /// at 10).
    pub on_failure_destination: bool,
    /// What goes wrong.
    pub faults: InvocationFaults,
    /// How long invocations take.
    pub timing: Timing,
    /// The seed: the same seed and puts give the same run.
    pub seed: u64,
    /// Record a trace (off for benchmarks).
    pub trace: bool,
}

/// What AWS accepts for one source's mapping, where sources differ.
pub(crate) struct MappingLimits {
    /// The source, as the runtime names it in messages.
    pub(crate) source: SourceKind,
    /// The largest `BatchSize`, and the valid range as text.
    pub(crate) batch_size: (u32, &'static str),
    /// The one batching window (ms) accepted that is not whole seconds
    /// (Kafka's 500 ms default), if any.
    pub(crate) fractional_window: Option<Millis>,
}

impl<S> CursorSimConfig<S> {
    /// AWS's defaults for `source`, with the source's own batching window
    /// and on-failure destination; seed 0, tracing on.
    pub(crate) fn with_defaults(source: S, batching_window: Millis, on_failure_destination: bool) -> Self {
        CursorSimConfig {
            source,
            batch_size: 100,
            batching_window,
            report_batch_item_failures: true,
            bisect_on_error: false,
            maximum_retry_attempts: None,
            maximum_record_age: None,
            function_timeout: 3_000,
            partial_failure_spends_retry: true,
            record_age_condition: "RecordAgeExceeded".to_owned(),
            on_failure_destination,
            faults: InvocationFaults::none(),
            timing: Timing::default(),
            seed: 0,
            trace: true,
        }
    }

    /// Checks the mapping settings as Lambda would when creating the
    /// mapping: `BatchSize`, `MaximumBatchingWindowInSeconds`,
    /// `MaximumRetryAttempts`, `MaximumRecordAgeInSeconds`.
    pub(crate) fn check_mapping(&self, limits: &MappingLimits) -> Result<(), ConfigError> {
        let (max_batch_size, batch_sizes) = limits.batch_size;
        let batch_size = i64::from(self.batch_size);
        check_range(
            "BatchSize",
            batch_size,
            |v| (1..=i64::from(max_batch_size)).contains(&v),
            batch_sizes,
            MAPPING,
        )?;
        let window = self.batching_window;
        check_range(
            "MaximumBatchingWindowInSeconds (ms)",
            millis(window),
            |v| v <= 300_000,
            "0..=300 s",
            MAPPING,
        )?;
        if !window.is_multiple_of(1000) && limits.fractional_window != Some(window) {
            let exception = match limits.fractional_window {
                Some(fractional) => format!(" ({fractional} ms is only {}'s default)", limits.source.name()),
                None => String::new(),
            };
            return Err(ConfigError::Conflict(format!(
                "MaximumBatchingWindowInSeconds is in whole seconds{exception}; {window} ms is not"
            )));
        }
        if let Some(attempts) = self.maximum_retry_attempts {
            let attempts = i64::from(attempts);
            check_range("MaximumRetryAttempts", attempts, |v| v <= 10_000, "-1 or 0..=10000", MAPPING)?;
        }
        if let Some(age) = self.maximum_record_age {
            let valid = |v| (60_000..=604_800_000).contains(&v);
            check_range(
                "MaximumRecordAgeInSeconds (ms)",
                millis(age),
                valid,
                "-1 or 60..=604800 s",
                MAPPING,
            )?;
        }
        Ok(())
    }

    /// Checks the function timeout and the fault probabilities.
    pub(crate) fn check_function_and_faults(&self) -> Result<(), ConfigError> {
        check_function_timeout(self.function_timeout)?;
        self.faults.validate()
    }

    /// The rules the cursors apply: these settings, with the source's poll
    /// interval and the retry limit Lambda applies.
    pub(crate) fn rules(&self, poll_interval: Millis, retry_limit: Option<u32>) -> Rules {
        Rules {
            batch_size: self.batch_size as usize,
            batching_window: self.batching_window,
            maximum_record_age: self.maximum_record_age,
            record_age_condition: self.record_age_condition.as_str().into(),
            bisect_on_error: self.bisect_on_error,
            maximum_retry_attempts: retry_limit,
            poll_interval,
            on_failure_destination: self.on_failure_destination,
            partial_failure_spends_retry: self.partial_failure_spends_retry,
            report_batch_item_failures: self.report_batch_item_failures,
            function_timeout: self.function_timeout,
        }
    }
}
