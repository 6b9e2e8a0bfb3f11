//! The options that take one of a fixed set of values (the source keyword,
//! `fifo_policy`, `standard_policy`, `stream_policy`, `all_failed`, `parallel`), and the
//! names users write for each value.

/// The event source a handler serves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceArg {
    /// `sqs`: a standard or FIFO queue, told apart by the queue ARN.
    Sqs,
    /// `sqs_fifo`: a FIFO queue.
    SqsFifo,
    /// `kinesis`: a Kinesis data stream.
    Kinesis,
    /// `dynamodb`: a DynamoDB stream.
    DynamoDb,
    /// `kafka`: Amazon MSK or self-managed Kafka.
    Kafka,
}

impl SourceArg {
    /// The option that names this source.
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            SourceArg::Sqs => "sqs",
            SourceArg::SqsFifo => "sqs_fifo",
            SourceArg::Kinesis => "kinesis",
            SourceArg::DynamoDb => "dynamodb",
            SourceArg::Kafka => "kafka",
        }
    }

    /// `sqs` or `sqs_fifo`.
    pub(crate) fn is_sqs(self) -> bool {
        matches!(self, SourceArg::Sqs | SourceArg::SqsFifo)
    }
}

/// `stream_policy = "..."`: what a stream does after a failed record.
#[derive(Clone, Copy)]
pub(crate) enum StreamPolicyArg {
    /// `"checkpoint"`: stop at the first failure and report only it.
    Checkpoint,
    /// `"continue"`: handle every record and report every failure.
    Continue,
}

/// `fifo_policy = "..."`: what a FIFO queue does after a failed record.
#[derive(Clone, Copy)]
pub(crate) enum FifoPolicyArg {
    /// `"stop_at_first_failure"`: report it and every later record.
    StopAtFirstFailure,
    /// `"skip_failed_group"`: skip only the rest of its message group.
    SkipFailedGroup,
}

/// `standard_policy = "..."`: what a standard queue does after a failed record.
#[derive(Clone, Copy)]
pub(crate) enum StandardPolicyArg {
    /// `"continue"`: handle every record and report every failure.
    Continue,
    /// `"stop_at_first_failure"`: report it and every later record.
    StopAtFirstFailure,
}

/// `all_failed = "..."`: the response when every record failed.
#[derive(Clone, Copy)]
pub(crate) enum AllFailedArg {
    /// `"error"`: fail the invocation.
    Error,
    /// `"report_all"`: report every record for retry.
    ReportAll,
}

/// `parallel` or `parallel = "..."`: who runs the record function's work.
#[derive(Clone, Copy)]
pub(crate) enum ParallelArg {
    /// `parallel`: the invocation's crew, one runner per core.
    Crew,
    /// `parallel = "engine_helps"`: the engine's thread too, beside one
    /// runner fewer.
    EngineHelps,
}

/// The values of `parallel = "..."` (`parallel` alone is [`ParallelArg::Crew`]).
pub(crate) const PARALLEL_MODES: &[(&str, ParallelArg)] = &[("engine_helps", ParallelArg::EngineHelps)];

/// The values of `fifo_policy`.
pub(crate) const FIFO_POLICIES: &[(&str, FifoPolicyArg)] = &[
    ("stop_at_first_failure", FifoPolicyArg::StopAtFirstFailure),
    ("skip_failed_group", FifoPolicyArg::SkipFailedGroup),
];

/// The values of `standard_policy`.
pub(crate) const STANDARD_POLICIES: &[(&str, StandardPolicyArg)] = &[
    ("continue", StandardPolicyArg::Continue),
    ("stop_at_first_failure", StandardPolicyArg::StopAtFirstFailure),
];

/// The values of `stream_policy`.
pub(crate) const STREAM_POLICIES: &[(&str, StreamPolicyArg)] =
    &[("checkpoint", StreamPolicyArg::Checkpoint), ("continue", StreamPolicyArg::Continue)];

/// The values of `all_failed`.
pub(crate) const ALL_FAILED_POLICIES: &[(&str, AllFailedArg)] =
    &[("error", AllFailedArg::Error), ("report_all", AllFailedArg::ReportAll)];
