//! The settings of an SQS simulation: the queue, the event source mapping
//! and the function, checked against AWS's ranges.

use lambda_batch::SourceKind;
use lambda_batch::validate::FifoRule;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ConfigError, MAPPING, SQS_QUEUE, check_function_timeout, check_range};
use crate::sim::core::faults::{InvocationFaults, Timing};

/// Everything about one SQS simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct SqsSimConfig {
    /// The queue.
    pub queue: QueueConfig,
    /// The event source mapping and function settings.
    pub mapping: SqsMappingConfig,
    /// What goes wrong.
    pub faults: InvocationFaults,
    /// How long invocations take.
    pub timing: Timing,
    /// The seed: the same seed and sends give the same run.
    pub seed: u64,
    /// Record a trace (off for benchmarks).
    pub trace: bool,
}

impl SqsSimConfig {
    /// A configuration with defaults for this queue, seed 0, tracing on.
    pub fn new(queue: QueueConfig) -> Self {
        SqsSimConfig {
            queue,
            mapping: SqsMappingConfig::default(),
            faults: InvocationFaults::none(),
            timing: Timing::default(),
            seed: 0,
            trace: true,
        }
    }
}

/// The queue (owned by SQS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// FIFO queue (`.fifo` ARN, message groups, deduplication).
    pub fifo: bool,
    /// Visibility timeout (ms). Default 30 s; 0 to 12 h.
    pub visibility_timeout: Millis,
    /// Retention (ms). Default 4 days; 60 s to 14 days.
    pub retention: Millis,
    /// Redrive policy `maxReceiveCount` (1 to 1,000), `None` for no DLQ.
    pub max_receive_count: Option<u32>,
}

impl QueueConfig {
    /// A standard queue with AWS's defaults and no DLQ.
    pub fn standard() -> Self {
        QueueConfig {
            fifo: false,
            visibility_timeout: 30_000,
            retention: 4 * 86_400_000,
            max_receive_count: None,
        }
    }

    /// A FIFO queue with AWS's defaults and no DLQ.
    pub fn fifo() -> Self {
        QueueConfig { fifo: true, ..QueueConfig::standard() }
    }

    /// The same queue with a DLQ after `max_receive_count` receives.
    pub fn with_dlq(mut self, max_receive_count: u32) -> Self {
        self.max_receive_count = Some(max_receive_count);
        self
    }

    /// The same queue with this visibility timeout (ms).
    pub fn visibility_timeout(mut self, ms: Millis) -> Self {
        self.visibility_timeout = ms;
        self
    }

    /// The `eventSourceARN` of the queue.
    pub fn arn(&self) -> &'static str {
        if self.fifo { crate::sqs::FIFO_QUEUE_ARN } else { crate::sqs::STANDARD_QUEUE_ARN }
    }
}

/// The SQS event source mapping and the function's own settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsMappingConfig {
    /// `BatchSize`: standard 1 to 10,000, FIFO 1 to 10; default 10.
    pub batch_size: u32,
    /// `MaximumBatchingWindowInSeconds` as ms: 0 to 300 s in whole seconds;
    /// not for FIFO; at least 1 s when `batch_size` > 10.
    pub batching_window: Millis,
    /// `FunctionResponseTypes: ["ReportBatchItemFailures"]`: Lambda reads
    /// the response's `batchItemFailures`; without it any response is a
    /// complete success.
    pub report_batch_item_failures: bool,
    /// The function timeout (ms): 1 to 900 s, at most the visibility
    /// timeout (AWS refuses a mapping whose function may outlive the
    /// visibility timeout). Default 3 s.
    pub function_timeout: Millis,
    /// `ScalingConfig.MaximumConcurrency`: 2 to 1,000; `None`
    /// lets the mapping scale to 1,000 concurrent batches.
    pub maximum_concurrency: Option<u32>,
    /// The function's reserved concurrency: invocations beyond it are
    /// throttled (the mapping may pull more batches than the function can
    /// take). `None`: unlimited.
    pub reserved_concurrency: Option<u32>,
}

impl Default for SqsMappingConfig {
    fn default() -> Self {
        SqsMappingConfig {
            batch_size: 10,
            batching_window: 0,
            report_batch_item_failures: true,
            function_timeout: 3_000,
            maximum_concurrency: None,
            reserved_concurrency: None,
        }
    }
}

/// Checks the queue and mapping as AWS would when creating them.
pub(crate) fn validate(queue: &QueueConfig, mapping: &SqsMappingConfig) -> Result<(), ConfigError> {
    let ms = |v: Millis| i64::try_from(v).unwrap_or(i64::MAX);
    check_range(
        "VisibilityTimeout (ms)",
        ms(queue.visibility_timeout),
        |v| v <= 43_200_000,
        "0..=43200 s",
        SQS_QUEUE,
    )?;
    check_range(
        "MessageRetentionPeriod (ms)",
        ms(queue.retention),
        |v| (60_000..=1_209_600_000).contains(&v),
        "60..=1209600 s",
        SQS_QUEUE,
    )?;
    if let Some(max) = queue.max_receive_count {
        check_range("maxReceiveCount", i64::from(max), |v| (1..=1000).contains(&v), "1..=1000", SQS_QUEUE)?;
    }
    let (batch_range, batch_ok): (&'static str, fn(i64) -> bool) = if queue.fifo {
        ("1..=10 for a FIFO queue", |v| (1..=10).contains(&v))
    } else {
        ("1..=10000", |v| (1..=10_000).contains(&v))
    };
    check_range("BatchSize", i64::from(mapping.batch_size), batch_ok, batch_range, MAPPING)?;
    let window = mapping.batching_window;
    check_range("MaximumBatchingWindowInSeconds (ms)", ms(window), |v| v <= 300_000, "0..=300 s", MAPPING)?;
    if !window.is_multiple_of(1000) {
        return Err(ConfigError::Conflict(format!(
            "MaximumBatchingWindowInSeconds is in whole seconds; {window} ms is not"
        )));
    }
    if queue.fifo && window > 0 {
        return Err(ConfigError::Conflict(format!(
            "an {} queue takes no batching window",
            SourceKind::sqs_queue(true).name()
        )));
    }
    if mapping.batch_size > 10 && window < 1000 {
        return Err(ConfigError::Conflict(format!(
            "BatchSize {} above 10 needs MaximumBatchingWindowInSeconds of at least 1",
            mapping.batch_size
        )));
    }
    check_function_timeout(mapping.function_timeout)?;
    if mapping.function_timeout > queue.visibility_timeout {
        return Err(ConfigError::Conflict(format!(
            "the function timeout ({} ms) is greater than the queue's visibility timeout ({} ms): \
             AWS refuses this event source mapping",
            mapping.function_timeout, queue.visibility_timeout
        )));
    }
    if let Some(max) = mapping.maximum_concurrency {
        check_range("MaximumConcurrency", i64::from(max), |v| (2..=1000).contains(&v), "2..=1000", MAPPING)?;
    }
    Ok(())
}

/// The validator rule Lambda applies: none. Lambda does not enforce the
/// FIFO suffix rule (after a failed message, every later message of the batch must be reported
/// too: [FIFO queues: the suffix rule](lambda_batch::aws_rules#fifo-queues-the-suffix-rule)).
/// It deletes whatever is not listed, and the group's order breaks if the function got it
/// wrong.
pub(crate) const LAMBDA_READS_FIFO: FifoRule = FifoRule::None;
