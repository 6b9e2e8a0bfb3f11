//! How Lambda reads a batch response, as a checker.
//!
//! Given the event and the response a function returned, [`check_sqs_response`]
//! says what Lambda does with it ([`Verdict`]) and lists every rule the
//! response breaks ([`Finding`]). It implements the SQS rules of the
//! project's `SEMANTICS.md`:
//!
//! - S-1.6.1: `null`, `{}`, `{"batchItemFailures": null}` and an empty list
//!   are a complete success;
//! - S-1.6.2: an entry with an empty, `null`, missing or misspelt
//!   `itemIdentifier`, or one that is not a `messageId` of the batch, makes
//!   the whole response a complete failure (so does a response that is not
//!   JSON: see [`check_sqs_response_text`]);
//! - S-1.6.5: the same id twice is read as a set (a warning); a response that
//!   is not an object, or whose `batchItemFailures` is not an array, is a
//!   complete failure; unknown top-level keys are ignored;
//! - S-1.7.5: on a FIFO queue the retried records must be a suffix of the
//!   batch ([`FifoRule::BatchSuffix`]) or, when only the failing group is
//!   skipped, a suffix of each message group ([`FifoRule::GroupSuffix`]).
//!   Lambda does not enforce this, so a breach leaves the verdict a partial
//!   success but is an error finding: the queue's order would break.
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

use std::collections::HashSet;
use std::fmt;

use serde_json::Value;

/// What Lambda does with the batch after reading the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every message is deleted.
    CompleteSuccess,
    /// The listed messages come back after their visibility timeout; every
    /// other message is deleted. `retried` is in batch order, each id once.
    PartialSuccess {
        /// The `messageId`s Lambda will retry.
        retried: Vec<String>,
    },
    /// No message is deleted: the whole batch comes back.
    CompleteFailure,
}

/// Which FIFO ordering rule the response must keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FifoRule {
    /// Not a FIFO queue: no ordering rule.
    #[default]
    None,
    /// S-1.7.5: once a record is retried, every later record of the batch is too.
    BatchSuffix,
    /// S-1.7.5, group-scoped: once a record is retried, every later record of
    /// its message group is too. Records without a `MessageGroupId` form one group.
    GroupSuffix,
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
                write!(
                    f,
                    "batchItemFailures[{index}] has the key `{key}`; only `itemIdentifier` is allowed"
                )
            }
            Problem::NullIdentifier { index } => {
                write!(f, "batchItemFailures[{index}].itemIdentifier is null")
            }
            Problem::EmptyIdentifier { index } => {
                write!(f, "batchItemFailures[{index}].itemIdentifier is empty")
            }
            Problem::IdentifierNotString { index } => {
                write!(
                    f,
                    "batchItemFailures[{index}].itemIdentifier is not a string"
                )
            }
            Problem::NotInBatch { index, id } => {
                write!(
                    f,
                    "batchItemFailures[{index}].itemIdentifier `{id}` is not a messageId of this batch"
                )
            }
            Problem::Duplicate { id } => write!(f, "`{id}` is listed more than once"),
            Problem::NotSuffix { failed, deleted } => write!(
                f,
                "FIFO order breaks: `{failed}` is retried but the later `{deleted}` would be deleted"
            ),
            Problem::GroupNotSuffix {
                group,
                failed,
                deleted,
            } => write!(
                f,
                "FIFO order breaks in group {}: `{failed}` is retried but the later `{deleted}` would be deleted",
                group
                    .as_deref()
                    .map_or_else(|| "(none)".to_owned(), |g| format!("`{g}`"))
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
    verdict: Verdict,
    findings: Vec<Finding>,
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
        self.findings
            .iter()
            .all(|f| f.severity == Severity::Warning)
    }

    /// The `messageId`s Lambda will retry, in batch order: none on complete
    /// success, all of the batch on complete failure.
    pub fn retried<'a>(&'a self, batch: &'a SqsBatchView) -> Vec<&'a str> {
        match &self.verdict {
            Verdict::CompleteSuccess => Vec::new(),
            Verdict::PartialSuccess { retried } => retried.iter().map(String::as_str).collect(),
            Verdict::CompleteFailure => batch.ids().collect(),
        }
    }
}

/// What the validator needs to know of an SQS batch: each record's
/// `messageId` and `MessageGroupId`, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SqsBatchView {
    records: Vec<(String, Option<String>)>,
}

impl SqsBatchView {
    /// Reads the view from an SQS event. Records without a string
    /// `messageId` cannot be named in a response and are left out.
    pub fn from_event(event: &Value) -> Self {
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .map(|records| {
                records
                    .iter()
                    .filter_map(|record| {
                        let id = record.get("messageId")?.as_str()?.to_owned();
                        let group = record
                            .get("attributes")
                            .and_then(|a| a.get("MessageGroupId"))
                            .and_then(Value::as_str)
                            .map(str::to_owned);
                        Some((id, group))
                    })
                    .collect()
            })
            .unwrap_or_default();
        SqsBatchView { records }
    }

    /// The `messageId`s in batch order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.records.iter().map(|(id, _)| id.as_str())
    }
}

/// Checks a response given as text: text that is not JSON is a complete
/// failure (S-1.6.2); otherwise as [`check_sqs_response`].
pub fn check_sqs_response_text(event: &Value, response: &str, fifo: FifoRule) -> ResponseCheck {
    match serde_json::from_str::<Value>(response) {
        Ok(value) => check_sqs_response(event, &value, fifo),
        Err(error) => ResponseCheck {
            verdict: Verdict::CompleteFailure,
            findings: vec![error_finding(
                "S-1.6.2",
                Problem::NotJson(error.to_string()),
            )],
        },
    }
}

/// Checks an SQS batch response against the event it answers.
pub fn check_sqs_response(event: &Value, response: &Value, fifo: FifoRule) -> ResponseCheck {
    check_against(&SqsBatchView::from_event(event), response, fifo)
}

/// Checks an SQS batch response against a batch view.
pub fn check_against(batch: &SqsBatchView, response: &Value, fifo: FifoRule) -> ResponseCheck {
    let mut findings = Vec::new();
    let listed = match read_identifiers(batch, response, &mut findings) {
        Some(listed) => listed,
        None => {
            return ResponseCheck {
                verdict: Verdict::CompleteFailure,
                findings,
            };
        }
    };
    if listed.is_empty() {
        return ResponseCheck {
            verdict: Verdict::CompleteSuccess,
            findings,
        };
    }
    let retried: Vec<String> = batch
        .records
        .iter()
        .map(|(id, _)| id)
        .filter(|id| listed.contains(id.as_str()))
        .fold(Vec::new(), |mut ids, id| {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
            ids
        });
    check_fifo(batch, &listed, fifo, &mut findings);
    ResponseCheck {
        verdict: Verdict::PartialSuccess { retried },
        findings,
    }
}

fn error_finding(rule: &'static str, problem: Problem) -> Finding {
    Finding {
        severity: Severity::Error,
        rule,
        problem,
    }
}

/// The identifiers listed, or `None` when the response is a complete failure.
fn read_identifiers<'r>(
    batch: &SqsBatchView,
    response: &'r Value,
    findings: &mut Vec<Finding>,
) -> Option<HashSet<&'r str>> {
    let failures = match response {
        Value::Null => return Some(HashSet::new()),
        Value::Object(map) => match map.get("batchItemFailures") {
            None | Some(Value::Null) => return Some(HashSet::new()),
            Some(Value::Array(entries)) => entries,
            Some(other) => {
                findings.push(error_finding(
                    "S-1.6.5",
                    Problem::FailuresNotArray {
                        found: value_type(other),
                    },
                ));
                return None;
            }
        },
        other => {
            findings.push(error_finding(
                "S-1.6.5",
                Problem::NotAnObject {
                    found: value_type(other),
                },
            ));
            return None;
        }
    };
    let known: HashSet<&str> = batch.ids().collect();
    let mut listed = HashSet::new();
    let mut complete_failure = false;
    for (index, entry) in failures.iter().enumerate() {
        let mut fail = |problem| {
            findings.push(error_finding("S-1.6.2", problem));
            complete_failure = true;
        };
        let Some(entry) = entry.as_object() else {
            fail(Problem::EntryNotObject { index });
            continue;
        };
        if let Some(key) = entry.keys().find(|k| *k != "itemIdentifier") {
            fail(Problem::UnknownKey {
                index,
                key: key.clone(),
            });
        }
        match entry.get("itemIdentifier") {
            None => fail(Problem::MissingIdentifier { index }),
            Some(Value::Null) => fail(Problem::NullIdentifier { index }),
            Some(Value::String(id)) if id.is_empty() => fail(Problem::EmptyIdentifier { index }),
            Some(Value::String(id)) if !known.contains(id.as_str()) => {
                fail(Problem::NotInBatch {
                    index,
                    id: id.clone(),
                });
            }
            Some(Value::String(id)) => {
                if !listed.insert(id.as_str()) {
                    findings.push(Finding {
                        severity: Severity::Warning,
                        rule: "S-1.6.5",
                        problem: Problem::Duplicate { id: id.clone() },
                    });
                }
            }
            Some(_) => fail(Problem::IdentifierNotString { index }),
        }
    }
    (!complete_failure).then_some(listed)
}

fn check_fifo(
    batch: &SqsBatchView,
    listed: &HashSet<&str>,
    fifo: FifoRule,
    findings: &mut Vec<Finding>,
) {
    let is_retried = |id: &str| listed.contains(id);
    match fifo {
        FifoRule::None => {}
        FifoRule::BatchSuffix => {
            if let Some((failed, deleted)) =
                first_gap(batch.records.iter().map(|(id, _)| id.as_str()), is_retried)
            {
                findings.push(error_finding(
                    "S-1.7.5",
                    Problem::NotSuffix { failed, deleted },
                ));
            }
        }
        FifoRule::GroupSuffix => {
            let mut groups: Vec<Option<&str>> = Vec::new();
            for (_, group) in &batch.records {
                if !groups.contains(&group.as_deref()) {
                    groups.push(group.as_deref());
                }
            }
            for group in groups {
                let members = batch
                    .records
                    .iter()
                    .filter(|(_, g)| g.as_deref() == group)
                    .map(|(id, _)| id.as_str());
                if let Some((failed, deleted)) = first_gap(members, is_retried) {
                    findings.push(error_finding(
                        "S-1.7.5",
                        Problem::GroupNotSuffix {
                            group: group.map(str::to_owned),
                            failed,
                            deleted,
                        },
                    ));
                }
            }
        }
    }
}

/// The first retried id followed later by one that is not retried.
fn first_gap<'a>(
    ids: impl Iterator<Item = &'a str>,
    is_retried: impl Fn(&str) -> bool,
) -> Option<(String, String)> {
    let mut first_failed = None;
    for id in ids {
        match (first_failed, is_retried(id)) {
            (None, true) => first_failed = Some(id),
            (Some(failed), false) => return Some((failed.to_owned(), id.to_owned())),
            _ => {}
        }
    }
    None
}

fn value_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
