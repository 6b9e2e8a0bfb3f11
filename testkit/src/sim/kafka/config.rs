//! The settings of a Kafka simulation (Amazon MSK, provisioned mode: the
//! error-handling controls need it): the topic (partitions, retention)
//! and the mapping settings every cursor-read source shares
//! ([`CursorSimConfig`]), checked against AWS's and Kafka's ranges.

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ConfigError, check_range, millis};
use crate::sim::cursor::config::{CursorSimConfig, MappingLimits};
use lambda_batch::Source;
use lambda_batch::kafka::Kafka;

/// How often a partition's poller looks for records, and how long a
/// failed batch waits before its retry. AWS does not say; 500 ms, the
/// default batching window ([Where AWS is silent](lambda_batch::aws_rules#where-aws-is-silent)).
pub(crate) const POLL_INTERVAL: Millis = 500;

/// Kafka's default batching window (ms), the one that is not whole seconds.
const DEFAULT_BATCHING_WINDOW: Millis = 500;

/// With an on-failure destination and no retry limit, Lambda applies this
/// one ([Kafka: retries](lambda_batch::aws_rules#kafka-retries)).
const RETRIES_WITH_DESTINATION: u32 = 10;

/// The topic a [`KafkaSimConfig`] reads (an event source mapping reads one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSource {
    /// The topic's name (Kafka's rules: 1 to 249 letters, digits, `.`,
    /// `_` or `-`).
    pub topic: String,
    /// Number of partitions (1 to 1,000 here).
    pub partitions: u32,
    /// The topic's `retention.ms`: records older than this are deleted.
    /// Default 7 days; at least 1 minute here.
    pub retention: Millis,
}

impl KafkaSource {
    fn check_topic_and_partitions(&self) -> Result<(), ConfigError> {
        let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        let topic = &self.topic;
        if topic.is_empty() || topic.len() > 249 || !topic.chars().all(legal) || topic == "." || topic == ".."
        {
            return Err(ConfigError::Conflict(format!(
                "{topic:?} is not a {} topic name: 1 to 249 letters, digits, '.', '_' or '-' (and not . or ..)",
                Kafka::KIND.name()
            )));
        }
        let partitions = i64::from(self.partitions);
        let rule = "the simulator models 1 to 1,000 partitions";
        check_range("partitions", partitions, |v| (1..=1000).contains(&v), "1..=1000", rule)
    }

    fn check_retention(&self) -> Result<(), ConfigError> {
        let rule = "the simulator takes a topic retention of at least 1 minute";
        check_range("retention.ms", millis(self.retention), |v| v >= 60_000, "at least 1 minute", rule)
    }
}

/// Everything about one Kafka simulation: the [`KafkaSource`] and the
/// settings every cursor-read source shares. [`KafkaSimConfig::new`] gives
/// AWS's defaults (batch 100, a 500 ms batching window, retries and record
/// age unlimited, no on-failure destination) and a 7-day retention.
pub type KafkaSimConfig = CursorSimConfig<KafkaSource>;

impl KafkaSimConfig {
    /// AWS's defaults for a topic of this many partitions, seed 0, tracing on.
    pub fn new(topic: &str, partitions: u32) -> Self {
        let source = KafkaSource { topic: topic.to_owned(), partitions, retention: 7 * 86_400_000 };
        CursorSimConfig::with_defaults(source, DEFAULT_BATCHING_WINDOW, false)
    }

    /// The retry limit Lambda applies: `maximum_retry_attempts`, or 10 when
    /// it is unlimited and an on-failure destination is set.
    pub fn retry_limit(&self) -> Option<u32> {
        self.maximum_retry_attempts.or(self.on_failure_destination.then_some(RETRIES_WITH_DESTINATION))
    }

    /// Checks every setting as AWS and Kafka would (and the simulator's own
    /// bounds).
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let limits = MappingLimits {
            source: Kafka::KIND,
            batch_size: (10_000, "1..=10000"),
            fractional_window: Some(DEFAULT_BATCHING_WINDOW),
        };
        self.source.check_topic_and_partitions()?;
        self.check_mapping(&limits)?;
        self.source.check_retention()?;
        self.check_function_and_faults()
    }
}
