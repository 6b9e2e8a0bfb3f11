//! What is wrong with a response: problems, their severity, and advice.

use std::fmt;

use crate::kind::{OrderingRule, SourceKind};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The response breaks a rule: Lambda fails the batch, or order breaks.
    Error,
    /// Lambda copes, but the response shows a mistake.
    Warning,
}

/// One problem with a response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// The response text is not JSON: Lambda fails the whole batch
    /// (documented for SQS, assumed for streams).
    NotJson(String),
    /// The response is JSON but neither an object nor `null`. AWS does not
    /// say what Lambda does with it; taken as a complete failure.
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// `batchItemFailures` is neither an array nor `null`. AWS does not say
    /// what Lambda does with it; taken as a complete failure.
    FailuresNotArray {
        /// The JSON type found.
        found: &'static str,
    },
    /// Entry `index` is not an object: Lambda fails the whole batch.
    EntryNotObject {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has no `itemIdentifier` key: Lambda fails the whole batch.
    MissingIdentifier {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has a key other than `itemIdentifier`, e.g. a
    /// misspelling: Lambda fails the whole batch.
    UnknownKey {
        /// Position in `batchItemFailures`.
        index: usize,
        /// The key.
        key: String,
    },
    /// Entry `index` has `"itemIdentifier": null`: Lambda fails the whole batch.
    NullIdentifier {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has `"itemIdentifier": ""`: Lambda fails the whole batch.
    EmptyIdentifier {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has an `itemIdentifier` that is not a string: taken as a
    /// complete failure.
    IdentifierNotString {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` names a record that is not in this batch: Lambda fails
    /// the whole batch (documented for SQS, assumed for streams).
    NotInBatch {
        /// Position in `batchItemFailures`.
        index: usize,
        /// The identifier.
        id: String,
    },
    /// The same identifier is listed more than once. Harmless (Lambda reads
    /// the list as a set), but a sign of a bookkeeping mistake.
    Duplicate {
        /// The identifier.
        id: String,
    },
    /// Streams: more than one sequence number listed. Harmless: Lambda
    /// retries from the lowest and every record after it, so the others add
    /// nothing.
    SeveralSequenceNumbers {
        /// How many were listed.
        count: usize,
    },
    /// Kafka: entry `index`'s `itemIdentifier` is not an object
    /// `{"partition": "<topic>-<partition>", "offset": <number>}`: taken as a
    /// complete failure.
    NotKafkaPosition {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// FIFO: `failed` is retried but the later `deleted` is not, so the queue's
    /// order breaks. Once a message fails, it and every later message must
    /// be reported.
    NotSuffix {
        /// The first retried message.
        failed: String,
        /// A later message that would be deleted.
        deleted: String,
    },
    /// FIFO, group-scoped: in `group`, `failed` is retried but the later
    /// `deleted` is not, so the group's order breaks.
    GroupNotSuffix {
        /// The message group (`None`: records without a group).
        group: Option<String>,
        /// The first retried message of the group.
        failed: String,
        /// A later message of the group that would be deleted.
        deleted: String,
    },
}

impl fmt::Display for Problem {
    /// What is wrong, in plain words; [`Finding`]'s `Display` adds what
    /// Lambda does about it and what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotJson(error) => write!(f, "the response is not valid JSON ({error})"),
            Problem::NotAnObject { found } => {
                write!(f, "the response is a JSON {found}, not an object or null")
            }
            Problem::FailuresNotArray { found } => {
                write!(f, "`batchItemFailures` is a JSON {found}, not an array")
            }
            Problem::EntryNotObject { index } => {
                write!(f, "batchItemFailures[{index}] is not an object")
            }
            Problem::MissingIdentifier { index } => {
                write!(f, "batchItemFailures[{index}] has no `itemIdentifier`")
            }
            Problem::UnknownKey { index, key } => {
                write!(f, "batchItemFailures[{index}] has the key `{key}`; only `itemIdentifier` is allowed")
            }
            Problem::NullIdentifier { index } => {
                write!(f, "batchItemFailures[{index}].itemIdentifier is null")
            }
            Problem::EmptyIdentifier { index } => {
                write!(f, "batchItemFailures[{index}].itemIdentifier is empty")
            }
            Problem::IdentifierNotString { index } => {
                write!(f, "batchItemFailures[{index}].itemIdentifier is not a string")
            }
            Problem::NotKafkaPosition { index } => write!(
                f,
                "batchItemFailures[{index}].itemIdentifier is not a {{\"partition\": \"<topic>-<partition>\", \
                 \"offset\": <number>}} object"
            ),
            Problem::NotInBatch { index, id } => {
                write!(f, "batchItemFailures[{index}].itemIdentifier `{id}` names no record of this batch")
            }
            Problem::Duplicate { id } => write!(f, "`{id}` is listed more than once"),
            Problem::SeveralSequenceNumbers { count } => {
                write!(f, "{count} sequence numbers are listed")
            }
            Problem::NotSuffix { failed, deleted } => write!(
                f,
                "FIFO order breaks: `{failed}` is retried but the later `{deleted}` would be deleted"
            ),
            Problem::GroupNotSuffix { group, failed, deleted } => write!(
                f,
                "FIFO order breaks in group {}: `{failed}` is retried but the later `{deleted}` would be deleted",
                group.as_deref().map_or_else(|| "(none)".to_owned(), |g| format!("`{g}`"))
            ),
        }
    }
}

/// The web address of a section of [`aws_rules`](crate::aws_rules) in this
/// version's documentation on docs.rs. `.ci/book.sh` checks that every
/// section named exists.
macro_rules! aws_rules_section {
    ($id:literal) => {
        concat!(
            "https://docs.rs/lambda-batch/",
            env!("CARGO_PKG_VERSION"),
            "/lambda_batch/aws_rules/index.html#",
            $id
        )
    };
}

/// A problem with a response, how serious it is, what to do about it and
/// where the rule it breaks is explained.
///
/// Its `Display` says all of it in one line:
///
/// ```
/// use lambda_batch::validate::BatchView;
/// use lambda_batch::{sqs::Sqs, BatchEvent, Source};
/// let event = BatchEvent::from_json(r#"{"Records": [{"messageId": "a"}]}"#).unwrap();
/// let check = BatchView::read(Sqs::KIND, &event)
///     .check_text(r#"{"batchItemFailures": [{"itemIdentifier": ""}]}"#);
/// let finding = &check.findings()[0];
/// // https://docs.rs/lambda-batch/<this version>/lambda_batch/aws_rules/index.html#sqs-what-…
/// assert!(finding.reference().starts_with("https://docs.rs/lambda-batch/"));
/// assert!(finding.reference().ends_with("#sqs-what-a-partial-batch-response-may-contain"));
/// assert_eq!(
///     finding.to_string(),
///     format!(
///         "error: batchItemFailures[0].itemIdentifier is empty; Lambda retries the whole batch; set \
///          `itemIdentifier` to the `messageId` of the failed message, as a string (see {})",
///         finding.reference()
///     )
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong.
    pub problem: Problem,
    source: SourceKind,
}

impl Finding {
    pub(crate) fn new(severity: Severity, source: SourceKind, problem: Problem) -> Self {
        Finding { severity, problem, source }
    }

    /// The web address of the section of [`aws_rules`](crate::aws_rules)
    /// that explains the rule the response breaks, in this version's
    /// documentation on docs.rs, e.g.
    /// `https://docs.rs/lambda-batch/0.1.0/lambda_batch/aws_rules/index.html#fifo-queues-the-suffix-rule`.
    pub fn reference(&self) -> &'static str {
        match (self.source, &self.problem) {
            (_, Problem::NotSuffix { .. } | Problem::GroupNotSuffix { .. }) => {
                aws_rules_section!("fifo-queues-the-suffix-rule")
            }
            (kind, _) if kind.ordering() == OrderingRule::KafkaPartition => {
                aws_rules_section!("kafka-partial-batch-responses")
            }
            (kind, _) if !kind.is_stream() => {
                aws_rules_section!("sqs-what-a-partial-batch-response-may-contain")
            }
            (_, Problem::SeveralSequenceNumbers { .. } | Problem::Duplicate { .. }) => {
                aws_rules_section!("streams-checkpoints-and-sequence-numbers")
            }
            _ => aws_rules_section!("streams-what-a-partial-batch-response-may-contain"),
        }
    }

    /// The AWS documentation page behind the rule.
    pub fn aws_documentation(&self) -> &'static str {
        match self.source {
            kind if kind.ordering() == OrderingRule::KafkaPartition => {
                "https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html"
            }
            kind if kind.is_stream() => {
                "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html"
            }
            _ => "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html",
        }
    }

    /// What Lambda does with such a response and what to do instead, in
    /// plain words.
    pub fn advice(&self) -> &'static str {
        let sqs = !self.source.is_stream();
        if self.source.ordering() == OrderingRule::KafkaPartition
            && let Some(advice) = kafka_advice(&self.problem)
        {
            return advice;
        }
        match &self.problem {
            Problem::NotJson(_) if sqs => {
                "Lambda retries the whole batch; return a JSON object such as \
                 {\"batchItemFailures\": [{\"itemIdentifier\": \"<messageId>\"}]}, or {} when every message succeeded"
            }
            Problem::NotJson(_) => {
                "AWS does not say what Lambda does with it, so expect the whole batch to be retried; return a JSON \
                 object such as {\"batchItemFailures\": [{\"itemIdentifier\": \"<sequence number>\"}]}, or {} when \
                 every record succeeded"
            }
            Problem::NotAnObject { .. } => {
                "AWS does not say what Lambda does with it, so expect the whole batch to be retried; return an \
                 object such as {\"batchItemFailures\": [...]}, or {} or null when every record succeeded"
            }
            Problem::FailuresNotArray { .. } => {
                "AWS does not say what Lambda does with it, so expect the whole batch to be retried; make \
                 `batchItemFailures` an array of {\"itemIdentifier\": ...} objects, or leave it out when every record \
                 succeeded"
            }
            Problem::EntryNotObject { .. }
            | Problem::MissingIdentifier { .. }
            | Problem::UnknownKey { .. }
                if sqs =>
            {
                "Lambda retries the whole batch; write each entry as {\"itemIdentifier\": \"<messageId>\"}, with no \
                 other key"
            }
            Problem::EntryNotObject { .. }
            | Problem::MissingIdentifier { .. }
            | Problem::UnknownKey { .. } => {
                "Lambda retries the whole batch; write each entry as {\"itemIdentifier\": \"<sequence number>\"}, \
                 with no other key"
            }
            Problem::NullIdentifier { .. }
            | Problem::EmptyIdentifier { .. }
            | Problem::IdentifierNotString { .. }
                if sqs =>
            {
                "Lambda retries the whole batch; set `itemIdentifier` to the `messageId` of the failed message, as a \
                 string"
            }
            Problem::NullIdentifier { .. }
            | Problem::EmptyIdentifier { .. }
            | Problem::IdentifierNotString { .. }
            | Problem::NotKafkaPosition { .. } => {
                "Lambda retries the whole batch; set `itemIdentifier` to the sequence number of the failed record, \
                 as a string"
            }
            Problem::NotInBatch { .. } if sqs => {
                "Lambda retries the whole batch; report only `messageId`s of messages in this batch"
            }
            Problem::NotInBatch { .. } => {
                "AWS does not say what Lambda does with it, so expect the whole batch to be retried; report only \
                 sequence numbers of records in this batch"
            }
            Problem::Duplicate { .. } if sqs => {
                "harmless, since Lambda reads the list as a set, but it hints at a bookkeeping mistake; list each \
                 failed message once"
            }
            Problem::Duplicate { .. } => {
                "harmless, since only the lowest sequence number counts, but it hints at a bookkeeping mistake; list \
                 each record once"
            }
            Problem::SeveralSequenceNumbers { .. } => {
                "harmless: Lambda retries from the lowest one and every record after it, so the others change \
                 nothing; report only the first record that was not handled"
            }
            Problem::NotSuffix { .. } => {
                "Lambda deletes every message not listed, so the later message is processed before the failed one; \
                 on a FIFO queue stop at the first failure and report that message and every later message of the \
                 batch"
            }
            Problem::GroupNotSuffix { .. } => {
                "Lambda deletes every message not listed, so the later message is processed before the failed one; \
                 once a message of a group fails, report it and every later message of that group"
            }
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}: {}; {} (see {})", self.problem, self.advice(), self.reference())
    }
}

/// Advice where Kafka's object identifiers make it differ from the streams'.
fn kafka_advice(problem: &Problem) -> Option<&'static str> {
    Some(match problem {
        Problem::EntryNotObject { .. }
        | Problem::MissingIdentifier { .. }
        | Problem::UnknownKey { .. }
        | Problem::NullIdentifier { .. }
        | Problem::EmptyIdentifier { .. }
        | Problem::IdentifierNotString { .. }
        | Problem::NotKafkaPosition { .. } => {
            "expect the whole batch to be retried; write each entry as {\"itemIdentifier\": {\"partition\": \
             \"<topic>-<partition>\", \"offset\": <offset>}}, with no other key"
        }
        Problem::NotInBatch { .. } => {
            "AWS does not say what Lambda does with it, so expect the whole batch to be retried; report only \
             partitions and offsets of records in this batch"
        }
        Problem::SeveralSequenceNumbers { .. } | Problem::Duplicate { .. } => {
            "harmless: Lambda retries each partition from its lowest listed offset, so the others change nothing; \
             report only the first record of each partition that was not handled"
        }
        _ => return None,
    })
}
