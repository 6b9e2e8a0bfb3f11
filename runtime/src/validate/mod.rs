//! How Lambda reads a batch response, as a checker.
//!
//! Given the batch and the response a function returned, the checkers say
//! what Lambda does with it ([`Verdict`]) and list every rule the response
//! breaks ([`Finding`]), each with what to do about it and a pointer to the
//! section of the repository's `docs/aws-rules.md` that explains the rule:
//!
//! - SQS ([`check_sqs_response`]): the forms AWS documents as a complete
//!   success or a complete failure, the undocumented cases (an identifier
//!   listed twice, JSON of the wrong shape), and for FIFO queues the rule
//!   that the reported messages must be the tail of the batch, or of each
//!   message group ([`FifoRule`]);
//! - Kinesis and DynamoDB Streams ([`check_stream_response`]): the documented
//!   success and failure forms, and the undocumented cases (an identifier
//!   not in the batch, a response that is not JSON) taken as a complete
//!   failure. Lambda retries from the lowest reported sequence number,
//!   compared as a whole number, never as a string.
//!
//! See <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html>
//! and <https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html>.
//!
//! ```
//! use lambda_batch::validate::{check_sqs_response, FifoRule, Verdict};
//! use serde_json::json;
//! let event = json!({"Records": [{"messageId": "a"}, {"messageId": "b"}]});
//! let check = check_sqs_response(&event, &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}), FifoRule::None);
//! assert_eq!(check.verdict(), &Verdict::PartialSuccess { retried: vec!["b".to_owned()] });
//! assert!(check.is_valid());
//! let check = check_sqs_response(&event, &json!({"batchItemFailures": [{"itemIdentifier": ""}]}), FifoRule::None);
//! assert_eq!(check.verdict(), &Verdict::CompleteFailure);
//! assert!(!check.is_valid());
//! ```

mod sqs;
mod stream;

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

pub use self::sqs::{FifoRule, check_sqs_against, check_sqs_response, check_sqs_response_text};
pub use self::stream::{check_stream_response, check_stream_response_text};

/// What Lambda does with the batch after reading the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record is done: messages deleted, or the stream checkpointed
    /// past the batch.
    CompleteSuccess,
    /// SQS: the listed messages come back after their visibility timeout and
    /// every other message is deleted. Streams: Lambda checkpoints before the
    /// lowest listed sequence number and retries every record from it on.
    /// `retried` is in batch order, each id once.
    PartialSuccess {
        /// The identifiers Lambda will retry.
        retried: Vec<String>,
    },
    /// Nothing is done: the whole batch comes back.
    CompleteFailure,
}

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

/// The source a response answers: it decides what an identifier is and
/// where a rule is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// SQS, standard or FIFO: identifiers are `messageId`s.
    Sqs,
    /// Kinesis or DynamoDB Streams: identifiers are sequence numbers.
    Stream,
}

/// A problem with a response, how serious it is, what to do about it and
/// where the rule it breaks is explained.
///
/// Its `Display` says all of it in one line:
///
/// ```
/// use lambda_batch::validate::{check_sqs_response, FifoRule};
/// use serde_json::json;
/// let event = json!({"Records": [{"messageId": "a"}]});
/// let response = json!({"batchItemFailures": [{"itemIdentifier": ""}]});
/// let check = check_sqs_response(&event, &response, FifoRule::None);
/// let finding = &check.findings()[0];
/// assert_eq!(finding.reference(), "docs/aws-rules.md#sqs-what-a-partial-batch-response-may-contain");
/// assert_eq!(
///     finding.to_string(),
///     "error: batchItemFailures[0].itemIdentifier is empty; Lambda retries the whole batch; set \
///      `itemIdentifier` to the `messageId` of the failed message, as a string \
///      (see docs/aws-rules.md#sqs-what-a-partial-batch-response-may-contain)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// What is wrong.
    pub problem: Problem,
    source: Source,
}

impl Finding {
    pub(crate) fn new(severity: Severity, source: Source, problem: Problem) -> Self {
        Finding { severity, problem, source }
    }

    /// The section of `docs/aws-rules.md`, in the lambda-batch repository,
    /// that explains the rule the response breaks, as a relative link, e.g.
    /// `"docs/aws-rules.md#fifo-queues-the-suffix-rule"`.
    pub fn reference(&self) -> &'static str {
        match (self.source, &self.problem) {
            (_, Problem::NotSuffix { .. } | Problem::GroupNotSuffix { .. }) => {
                "docs/aws-rules.md#fifo-queues-the-suffix-rule"
            }
            (Source::Sqs, _) => "docs/aws-rules.md#sqs-what-a-partial-batch-response-may-contain",
            (Source::Stream, Problem::SeveralSequenceNumbers { .. } | Problem::Duplicate { .. }) => {
                "docs/aws-rules.md#streams-checkpoints-and-sequence-numbers"
            }
            (Source::Stream, _) => "docs/aws-rules.md#streams-what-a-partial-batch-response-may-contain",
        }
    }

    /// The AWS documentation page behind the rule.
    pub fn aws_documentation(&self) -> &'static str {
        match self.source {
            Source::Sqs => "https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html",
            Source::Stream => {
                "https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html"
            }
        }
    }

    /// What Lambda does with such a response and what to do instead, in
    /// plain words.
    pub fn advice(&self) -> &'static str {
        let sqs = self.source == Source::Sqs;
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
            | Problem::IdentifierNotString { .. } => {
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

/// The verdict on a response and the findings behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseCheck {
    pub(crate) verdict: Verdict,
    pub(crate) findings: Vec<Finding>,
}

impl ResponseCheck {
    /// What Lambda does with the batch.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// Every problem found, errors and warnings.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// `true` if no finding is an error.
    pub fn is_valid(&self) -> bool {
        self.findings.iter().all(|f| f.severity == Severity::Warning)
    }

    /// The identifiers Lambda will retry, in batch order: none on complete
    /// success, all of the batch on complete failure.
    pub fn retried<'a>(&'a self, batch: &'a BatchView) -> Vec<&'a str> {
        match &self.verdict {
            Verdict::CompleteSuccess => Vec::new(),
            Verdict::PartialSuccess { retried } => retried.iter().map(String::as_str).collect(),
            Verdict::CompleteFailure => batch.ids().collect(),
        }
    }
}

/// What a checker needs to know of a batch: each record's identifier and
/// ordering key (SQS `MessageGroupId`), in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchView {
    pub(crate) records: Vec<(String, Option<String>)>,
}

impl BatchView {
    /// A view from `(identifier, ordering key)` pairs in batch order.
    ///
    /// ```
    /// use lambda_batch::validate::BatchView;
    /// let view = BatchView::from_records([("m-1".to_owned(), Some("g".to_owned()))]);
    /// assert_eq!(view.ids().collect::<Vec<_>>(), ["m-1"]);
    /// ```
    pub fn from_records(records: impl IntoIterator<Item = (String, Option<String>)>) -> Self {
        BatchView { records: records.into_iter().collect() }
    }

    /// Reads an SQS event: `messageId` and `attributes.MessageGroupId`.
    pub fn from_sqs_event(event: &Value) -> Self {
        Self::from_event(event, &["messageId"], Some(&["attributes", "MessageGroupId"]))
    }

    /// Reads a Kinesis event: `kinesis.sequenceNumber` and `kinesis.partitionKey`.
    pub fn from_kinesis_event(event: &Value) -> Self {
        Self::from_event(event, &["kinesis", "sequenceNumber"], Some(&["kinesis", "partitionKey"]))
    }

    /// Reads a DynamoDB Streams event: `dynamodb.SequenceNumber`.
    pub fn from_dynamodb_event(event: &Value) -> Self {
        Self::from_event(event, &["dynamodb", "SequenceNumber"], None)
    }

    /// Records without a string identifier cannot be named in a response and
    /// are left out.
    fn from_event(event: &Value, id: &[&str], key: Option<&[&str]>) -> Self {
        let at = |record: &Value, path: &[&str]| {
            path.iter()
                .try_fold(record, |value, field| value.get(field))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .map(|records| {
                records
                    .iter()
                    .filter_map(|record| Some((at(record, id)?, key.and_then(|key| at(record, key)))))
                    .collect()
            })
            .unwrap_or_default();
        BatchView { records }
    }

    /// The identifiers in batch order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.records.iter().map(|(id, _)| id.as_str())
    }
}

pub(crate) fn error_finding(source: Source, problem: Problem) -> Finding {
    Finding::new(Severity::Error, source, problem)
}

/// The identifiers listed, or `None` when the response is a complete failure.
pub(crate) fn read_identifiers<'r>(
    batch: &BatchView,
    source: Source,
    response: &'r Value,
    findings: &mut Vec<Finding>,
) -> Option<HashSet<&'r str>> {
    let failures = match response {
        Value::Null => return Some(HashSet::new()),
        Value::Object(map) => match map.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(HashSet::new()),
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                findings.push(error_finding(source, Problem::FailuresNotArray { found: value_type(other) }));
                return None;
            }
        },
        other => {
            findings.push(error_finding(source, Problem::NotAnObject { found: value_type(other) }));
            return None;
        }
    };
    let known: HashSet<&str> = batch.ids().collect();
    let mut listed = HashSet::new();
    let mut complete_failure = false;
    for (index, entry) in failures.iter().enumerate() {
        let mut fail = |problem| {
            findings.push(error_finding(source, problem));
            complete_failure = true;
        };
        let Some(entry) = entry.as_object() else {
            fail(Problem::EntryNotObject { index });
            continue;
        };
        if let Some(key) = entry.keys().find(|k| *k != "itemIdentifier") {
            fail(Problem::UnknownKey { index, key: key.clone() });
        }
        match entry.get("itemIdentifier") {
            None => fail(Problem::MissingIdentifier { index }),
            Some(Value::Null) => fail(Problem::NullIdentifier { index }),
            Some(Value::String(id)) if id.is_empty() => fail(Problem::EmptyIdentifier { index }),
            Some(Value::String(id)) if !known.contains(id.as_str()) => {
                fail(Problem::NotInBatch { index, id: id.clone() });
            }
            Some(Value::String(id)) => {
                if !listed.insert(id.as_str()) {
                    findings.push(Finding::new(
                        Severity::Warning,
                        source,
                        Problem::Duplicate { id: id.clone() },
                    ));
                }
            }
            Some(_) => fail(Problem::IdentifierNotString { index }),
        }
    }
    (!complete_failure).then_some(listed)
}

pub(crate) fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
