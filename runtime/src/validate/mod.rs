//! How Lambda reads a batch response, as a checker.
//!
//! Given the batch and the response a function returned, the checkers say
//! what Lambda does with it ([`Verdict`]) and list every rule the response
//! breaks ([`Finding`]), citing the project's `SEMANTICS.md`:
//!
//! - SQS ([`check_sqs_response`]): S-1.6.1 success forms, S-1.6.2 failure
//!   forms, S-1.6.5 uncertain cases, and the FIFO suffix rule S-1.7.5 with
//!   its group-scoped variant;
//! - Kinesis and DynamoDB Streams ([`check_stream_response`]): S-2.4.4
//!   success forms, S-2.4.5 failure forms, and the uncertain S-2.4.6 cases
//!   (an identifier not in the batch, a response that is not JSON) taken as
//!   complete failure; Lambda retries from the lowest reported sequence
//!   number (S-2.4.3), compared as a big integer (S-2.4.9).
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
    /// The response text is not JSON (S-1.6.2).
    NotJson(String),
    /// The response is JSON but neither an object nor `null` (S-1.6.5).
    NotAnObject {
        /// The JSON type found.
        found: &'static str,
    },
    /// `batchItemFailures` is neither an array nor `null` (S-1.6.5).
    FailuresNotArray {
        /// The JSON type found.
        found: &'static str,
    },
    /// Entry `index` is not an object (S-1.6.2).
    EntryNotObject {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has no `itemIdentifier` key (S-1.6.2).
    MissingIdentifier {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has a key other than `itemIdentifier`, e.g. a misspelling (S-1.6.2).
    UnknownKey {
        /// Position in `batchItemFailures`.
        index: usize,
        /// The key.
        key: String,
    },
    /// Entry `index` has `"itemIdentifier": null` (S-1.6.2).
    NullIdentifier {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has `"itemIdentifier": ""` (S-1.6.2).
    EmptyIdentifier {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` has an `itemIdentifier` that is not a string (S-1.6.2).
    IdentifierNotString {
        /// Position in `batchItemFailures`.
        index: usize,
    },
    /// Entry `index` names a message that is not in this batch (S-1.6.2).
    NotInBatch {
        /// Position in `batchItemFailures`.
        index: usize,
        /// The identifier.
        id: String,
    },
    /// The same identifier is listed more than once (S-1.6.5, read as a set).
    Duplicate {
        /// The identifier.
        id: String,
    },
    /// Streams: more than one sequence number listed; Lambda retries from the
    /// lowest, so the others add nothing (harmless, R-7).
    SeveralSequenceNumbers {
        /// How many were listed.
        count: usize,
    },
    /// FIFO: `failed` is retried but the later `deleted` is not (S-1.7.5).
    NotSuffix {
        /// The first retried message.
        failed: String,
        /// A later message that would be deleted.
        deleted: String,
    },
    /// FIFO, group-scoped: in `group`, `failed` is retried but the later `deleted` is not.
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotJson(error) => write!(f, "the response is not valid JSON: {error}"),
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
                write!(f, "batchItemFailures[{index}].itemIdentifier `{id}` is not a messageId of this batch")
            }
            Problem::Duplicate { id } => write!(f, "`{id}` is listed more than once"),
            Problem::SeveralSequenceNumbers { count } => write!(
                f,
                "{count} sequence numbers are listed; Lambda retries from the lowest, so listing only it is enough"
            ),
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

/// A problem, how serious it is, and the `SEMANTICS.md` rule it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious it is.
    pub severity: Severity,
    /// The rule (`"S-1.6.2"`, ...).
    pub rule: &'static str,
    /// What is wrong.
    pub problem: Problem,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity} ({}): {}", self.rule, self.problem)
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

/// The rule each kind of problem breaks, which differs by source.
pub(crate) struct Rules {
    /// A malformed entry (empty, null, missing or misspelt identifier).
    pub(crate) entry: &'static str,
    /// An identifier that is not in the batch.
    pub(crate) not_in_batch: &'static str,
    /// A response or failure list of the wrong JSON type.
    pub(crate) shape: &'static str,
    /// The same identifier listed twice.
    pub(crate) duplicate: &'static str,
}

pub(crate) fn error_finding(rule: &'static str, problem: Problem) -> Finding {
    Finding { severity: Severity::Error, rule, problem }
}

/// The identifiers listed, or `None` when the response is a complete failure.
pub(crate) fn read_identifiers<'r>(
    batch: &BatchView,
    rules: &Rules,
    response: &'r Value,
    findings: &mut Vec<Finding>,
) -> Option<HashSet<&'r str>> {
    let failures = match response {
        Value::Null => return Some(HashSet::new()),
        Value::Object(map) => match map.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(HashSet::new()),
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                findings
                    .push(error_finding(rules.shape, Problem::FailuresNotArray { found: value_type(other) }));
                return None;
            }
        },
        other => {
            findings.push(error_finding(rules.shape, Problem::NotAnObject { found: value_type(other) }));
            return None;
        }
    };
    let known: HashSet<&str> = batch.ids().collect();
    let mut listed = HashSet::new();
    let mut complete_failure = false;
    for (index, entry) in failures.iter().enumerate() {
        let mut fail = |problem| {
            findings.push(error_finding(
                if matches!(problem, Problem::NotInBatch { .. }) { rules.not_in_batch } else { rules.entry },
                problem,
            ));
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
                    findings.push(Finding {
                        severity: Severity::Warning,
                        rule: rules.duplicate,
                        problem: Problem::Duplicate { id: id.clone() },
                    });
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
