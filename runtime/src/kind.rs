//! Which source a batch comes from, and what every part of the project
//! reads from a record: its identifier and its ordering key.
//!
//! This is the bottom of the record model: it knows no source module. How
//! each source reads its identifiers lives in that source's module
//! ([`sqs`](crate::sqs), [`kinesis`](crate::kinesis),
//! [`dynamodb`](crate::dynamodb), [`kafka`](crate::kafka)); the one place
//! that dispatches over them by kind is `identify.rs`
//! ([`SourceKind::identify`], [`SourceKind::identifier_field`]).

/// Which event source a batch comes from.
///
/// One value per source, with one name for logs, reports and messages
/// ([`SourceKind::name`]). SQS standard and FIFO queues are one
/// [`Source`](crate::Source) in the engine but two kinds here: their ordering rules differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceKind {
    /// An SQS standard queue.
    Sqs,
    /// An SQS FIFO queue (`.fifo` ARN, message groups).
    SqsFifo,
    /// Kinesis Data Streams.
    Kinesis,
    /// DynamoDB Streams.
    DynamoDb,
    /// Amazon MSK or self-managed Apache Kafka.
    Kafka,
}

/// Which records of a batch must be handled in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderingRule {
    /// None: records may run in any order (SQS standard).
    None,
    /// Records of one FIFO message group, in batch order.
    MessageGroup,
    /// Records of one Kinesis partition key or DynamoDB item, in batch
    /// order; a failure stops the whole batch (the shard's checkpoint).
    StreamKey,
    /// Records of one Kafka partition, in offset order; a failure stops
    /// only its partition.
    KafkaPartition,
}

/// What every part of the project reads from a record: its identifier and
/// its ordering key, through the source's own reader.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordIdentity {
    /// The identifier as the report keeps it: the `messageId`, the sequence
    /// number, or for Kafka `<topic>-<partition>@<offset>` (see
    /// [`ItemIdentifier`](crate::ItemIdentifier)).
    pub item_identifier: String,
    /// The key whose records run in order under this source's rule
    /// ([`SourceKind::ordering`]); `None` when the source keeps no order or
    /// the record has no key.
    pub ordering_key: Option<String>,
}

impl SourceKind {
    /// Every kind, in a fixed order.
    pub const ALL: [SourceKind; 5] =
        [SourceKind::Sqs, SourceKind::SqsFifo, SourceKind::Kinesis, SourceKind::DynamoDb, SourceKind::Kafka];

    /// The source's name in logs, reports and messages.
    pub const fn name(self) -> &'static str {
        match self {
            SourceKind::Sqs => "SQS",
            SourceKind::SqsFifo => "SQS FIFO",
            SourceKind::Kinesis => "Kinesis",
            SourceKind::DynamoDb => "DynamoDB Streams",
            SourceKind::Kafka => "Kafka",
        }
    }

    /// The source's name in log fields (the `source` field of a failed
    /// record's log event): `sqs` (standard and FIFO), `kinesis`,
    /// `dynamodb`, `kafka`.
    pub const fn log_name(self) -> &'static str {
        match self {
            SourceKind::Sqs | SourceKind::SqsFifo => "sqs",
            SourceKind::Kinesis => "kinesis",
            SourceKind::DynamoDb => "dynamodb",
            SourceKind::Kafka => "kafka",
        }
    }

    /// The kind of an SQS queue: [`SqsFifo`](SourceKind::SqsFifo) when
    /// `fifo`, [`Sqs`](SourceKind::Sqs) otherwise.
    pub const fn sqs_queue(fifo: bool) -> SourceKind {
        if fifo { SourceKind::SqsFifo } else { SourceKind::Sqs }
    }

    /// Which records must be handled in order.
    pub const fn ordering(self) -> OrderingRule {
        match self {
            SourceKind::Sqs => OrderingRule::None,
            SourceKind::SqsFifo => OrderingRule::MessageGroup,
            SourceKind::Kinesis | SourceKind::DynamoDb => OrderingRule::StreamKey,
            SourceKind::Kafka => OrderingRule::KafkaPartition,
        }
    }

    /// `true` for the sources whose response names checkpoints (streams and
    /// Kafka), `false` for queues.
    pub const fn is_stream(self) -> bool {
        matches!(self, SourceKind::Kinesis | SourceKind::DynamoDb | SourceKind::Kafka)
    }
}

impl std::fmt::Display for SourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
