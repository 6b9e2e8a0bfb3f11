//! The settings of a Kinesis or DynamoDB Streams simulation: which
//! stream service, the stream (shards, retention), and the mapping
//! settings every cursor-read source shares ([`CursorSimConfig`]), checked
//! against AWS's ranges.

use lambda_batch::Source;
use lambda_batch::SourceKind;
use lambda_batch::dynamodb::DynamoDb;
use lambda_batch::kinesis::Kinesis;

use crate::sim::core::clock::Millis;
use crate::sim::core::error::{ConfigError, check_range, millis};
use crate::sim::cursor::config::{CursorSimConfig, MappingLimits};

/// Which stream service: the stream sources of the runtime's
/// [`SourceKind`], which names them ([`StreamKind::source`]).
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
            StreamKind::Kinesis => Kinesis::KIND,
            StreamKind::DynamoDb => DynamoDb::KIND,
        }
    }

    /// How often a shard's poller looks for records, and how long a
    /// failed batch waits before its retry.
    pub(crate) fn poll_interval(self) -> Millis {
        match self {
            StreamKind::Kinesis => 1_000,
            StreamKind::DynamoDb => 250,
        }
    }

    /// The stream's `eventSourceARN`.
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

/// The stream a [`StreamSimConfig`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSource {
    /// Kinesis or DynamoDB Streams.
    pub kind: StreamKind,
    /// Number of shards (1 to 1,000 here). Keys are spread by a stable hash.
    pub shards: u32,
    /// The stream's retention (ms): records older than this are trimmed.
    /// Default 24 h; at least 1 h here.
    pub retention: Millis,
}

impl StreamSource {
    fn check_shards(&self) -> Result<(), ConfigError> {
        let shards = i64::from(self.shards);
        let rule = "the simulator models 1 to 1,000 shards";
        check_range("shards", shards, |v| (1..=1000).contains(&v), "1..=1000", rule)
    }

    fn check_retention(&self) -> Result<(), ConfigError> {
        let rule = "the simulator takes a stream retention of at least 1 hour";
        check_range("retention (ms)", millis(self.retention), |v| v >= 3_600_000, "at least 1 h", rule)
    }
}

/// Everything about one stream simulation: the [`StreamSource`] and the
/// settings every cursor-read source shares. [`StreamSimConfig::new`]
/// gives AWS's defaults (batch 100, retries and record age unlimited, an
/// on-failure destination, 24 h retention); property tests usually bound
/// the retries.
pub type StreamSimConfig = CursorSimConfig<StreamSource>;

impl StreamSimConfig {
    /// AWS's defaults for this kind, one shard, seed 0, tracing on.
    pub fn new(kind: StreamKind) -> Self {
        let source = StreamSource { kind, shards: 1, retention: 86_400_000 };
        CursorSimConfig::with_defaults(source, 0, true)
    }

    /// Checks every setting as AWS would (and the simulator's own bounds).
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let limits = MappingLimits {
            source: self.source.kind.source(),
            batch_size: (10_000, "1..=10000"),
            fractional_window: None,
        };
        self.source.check_shards()?;
        self.check_mapping(&limits)?;
        self.source.check_retention()?;
        self.check_function_and_faults()
    }
}
