//! A checker for CloudWatch Embedded Metric Format (EMF) lines: the rules
//! of the EMF specification that decide whether CloudWatch extracts a
//! line's metrics, checked on the text of one line, as
//! `lambda_batch::metrics` writes it (or any other EMF writer).
//!
//! ```
//! use lambda_batch_testkit::emf::{check_line, EmfViolation};
//!
//! let line = r#"{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Orders",
//!     "Dimensions":[["Service"]],"Metrics":[{"Name":"Handled","Unit":"Count"}]}]},
//!     "Service":"orders","Handled":3}"#;
//! assert_eq!(check_line(line), Ok(()));
//! let bad = line.replace(r#""Count""#, r#""Apples""#);
//! assert!(matches!(check_line(&bad), Err(EmfViolation::BadUnit { .. })));
//! ```
//!
//! The rules: the line is one JSON object; its `_aws` member is an object
//! with an integer `Timestamp` (milliseconds since the epoch) and a
//! `CloudWatchMetrics` array of directives; each directive has a non-empty
//! string `Namespace`, `Dimensions` (an array of dimension sets, each an
//! array of at most [`MAX_DIMENSIONS`] names, each present at the root as
//! a string) and `Metrics` (an array of at most [`MAX_METRICS`]
//! definitions, each with a `Name`, an optional `Unit` from [`UNITS`] and
//! an optional `StorageResolution` of 1 or 60, each name present at the
//! root as a number or an array of at most [`MAX_VALUES`] numbers); every
//! name is 1 to [`MAX_NAME_LENGTH`] characters.

use std::fmt;

use serde_json::{Map, Value};

/// The most dimensions in one dimension set.
pub const MAX_DIMENSIONS: usize = 30;
/// The most metric definitions in one directive.
pub const MAX_METRICS: usize = 100;
/// The most values of one metric in one line.
pub const MAX_VALUES: usize = 100;
/// The longest namespace, dimension or metric name, in characters.
pub const MAX_NAME_LENGTH: usize = 255;

/// The units a metric definition may name.
pub const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// One way a line breaks the EMF specification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmfViolation {
    /// The line is not one JSON object.
    NotAnObject {
        /// What it is instead, or the JSON error.
        found: String,
    },
    /// `_aws` is missing or not an object.
    NoMetadata,
    /// `_aws.Timestamp` is missing or not a non-negative integer.
    BadTimestamp,
    /// `_aws.CloudWatchMetrics` is missing or not an array.
    NoDirectives,
    /// A member of a directive is missing or of the wrong type.
    BadDirective {
        /// The directive's index in `CloudWatchMetrics`.
        directive: usize,
        /// What is wrong.
        problem: String,
    },
    /// A namespace, dimension or metric name is empty or too long.
    BadName {
        /// What it names.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A dimension set has more than [`MAX_DIMENSIONS`] dimensions.
    TooManyDimensions {
        /// The directive's index.
        directive: usize,
        /// How many the set has.
        count: usize,
    },
    /// A dimension is not at the root as a string.
    DimensionNotAtRoot {
        /// The dimension's name.
        name: String,
    },
    /// A directive has more than [`MAX_METRICS`] metrics.
    TooManyMetrics {
        /// The directive's index.
        directive: usize,
        /// How many it has.
        count: usize,
    },
    /// A metric's `Unit` is not one of [`UNITS`].
    BadUnit {
        /// The metric's name.
        name: String,
        /// The unit given.
        unit: String,
    },
    /// A metric's `StorageResolution` is not 1 or 60.
    BadStorageResolution {
        /// The metric's name.
        name: String,
    },
    /// A metric is not at the root as a number or an array of numbers.
    MetricNotAtRoot {
        /// The metric's name.
        name: String,
    },
    /// A metric has more than [`MAX_VALUES`] values.
    TooManyValues {
        /// The metric's name.
        name: String,
        /// How many it has.
        count: usize,
    },
}

impl fmt::Display for EmfViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmfViolation::NotAnObject { found } => write!(f, "an EMF line is one JSON object, not {found}"),
            EmfViolation::NoMetadata => f.write_str("the line has no `_aws` object"),
            EmfViolation::BadTimestamp => {
                f.write_str("`_aws.Timestamp` must be an integer number of milliseconds since the epoch")
            }
            EmfViolation::NoDirectives => {
                f.write_str("`_aws.CloudWatchMetrics` must be an array of directives")
            }
            EmfViolation::BadDirective { directive, problem } => {
                write!(f, "directive {directive}: {problem}")
            }
            EmfViolation::BadName { what, name } => {
                write!(f, "the {what} `{name}` must be 1 to {MAX_NAME_LENGTH} characters long")
            }
            EmfViolation::TooManyDimensions { directive, count } => write!(
                f,
                "directive {directive} has a dimension set of {count} dimensions, more than {MAX_DIMENSIONS}"
            ),
            EmfViolation::DimensionNotAtRoot { name } => {
                write!(f, "the dimension `{name}` must be a string member of the line's root")
            }
            EmfViolation::TooManyMetrics { directive, count } => {
                write!(f, "directive {directive} has {count} metrics, more than {MAX_METRICS}")
            }
            EmfViolation::BadUnit { name, unit } => {
                write!(f, "the metric `{name}` has the unknown unit `{unit}`")
            }
            EmfViolation::BadStorageResolution { name } => {
                write!(f, "the metric `{name}` has a `StorageResolution` other than 1 or 60")
            }
            EmfViolation::MetricNotAtRoot { name } => write!(
                f,
                "the metric `{name}` must be a member of the line's root, a number or an array of numbers"
            ),
            EmfViolation::TooManyValues { name, count } => {
                write!(f, "the metric `{name}` has {count} values, more than {MAX_VALUES}")
            }
        }
    }
}

impl std::error::Error for EmfViolation {}

/// `Ok` if `line` is a valid EMF line, else the first violation found.
///
/// # Errors
/// The first [`EmfViolation`], in the order of [`violations`].
pub fn check_line(line: &str) -> Result<(), EmfViolation> {
    violations(line).into_iter().next().map_or(Ok(()), Err)
}

/// Every violation of the EMF specification in `line`, in the order of
/// the document (empty for a valid line).
pub fn violations(line: &str) -> Vec<EmfViolation> {
    let root = match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(root)) => root,
        Ok(other) => return vec![EmfViolation::NotAnObject { found: kind(&other).to_owned() }],
        Err(error) => return vec![EmfViolation::NotAnObject { found: format!("valid JSON ({error})") }],
    };
    let Some(Value::Object(metadata)) = root.get("_aws") else { return vec![EmfViolation::NoMetadata] };
    let mut found = Vec::new();
    if !metadata.get("Timestamp").is_some_and(|t| t.is_u64()) {
        found.push(EmfViolation::BadTimestamp);
    }
    match metadata.get("CloudWatchMetrics") {
        Some(Value::Array(directives)) => {
            for (index, directive) in directives.iter().enumerate() {
                check_directive(&root, index, directive, &mut found);
            }
        }
        _ => found.push(EmfViolation::NoDirectives),
    }
    found
}

/// Checks directive `index` against the `root` it refers to.
fn check_directive(
    root: &Map<String, Value>,
    index: usize,
    directive: &Value,
    found: &mut Vec<EmfViolation>,
) {
    let problem =
        |problem: &str| EmfViolation::BadDirective { directive: index, problem: problem.to_owned() };
    let Value::Object(directive) = directive else { return found.push(problem("it is not an object")) };
    match directive.get("Namespace") {
        Some(Value::String(namespace)) => check_name("namespace", namespace, found),
        _ => found.push(problem("`Namespace` must be a string")),
    }
    match directive.get("Dimensions") {
        Some(Value::Array(sets)) => {
            for set in sets {
                check_dimension_set(root, index, set, found);
            }
        }
        _ => found.push(problem("`Dimensions` must be an array of dimension sets")),
    }
    match directive.get("Metrics") {
        Some(Value::Array(metrics)) => {
            if metrics.len() > MAX_METRICS {
                found.push(EmfViolation::TooManyMetrics { directive: index, count: metrics.len() });
            }
            for metric in metrics {
                check_metric(root, index, metric, found);
            }
        }
        _ => found.push(problem("`Metrics` must be an array of metric definitions")),
    }
}

/// Checks one dimension set of directive `index`.
fn check_dimension_set(root: &Map<String, Value>, index: usize, set: &Value, found: &mut Vec<EmfViolation>) {
    let Value::Array(names) = set else {
        let problem = "a dimension set must be an array of dimension names".to_owned();
        return found.push(EmfViolation::BadDirective { directive: index, problem });
    };
    if names.len() > MAX_DIMENSIONS {
        found.push(EmfViolation::TooManyDimensions { directive: index, count: names.len() });
    }
    for name in names {
        let Value::String(name) = name else {
            let problem = format!("a dimension name must be a string, not {}", kind(name));
            found.push(EmfViolation::BadDirective { directive: index, problem });
            continue;
        };
        check_name("dimension name", name, found);
        if !root.get(name).is_some_and(Value::is_string) {
            found.push(EmfViolation::DimensionNotAtRoot { name: name.clone() });
        }
    }
}

/// Checks one metric definition of directive `index`.
fn check_metric(root: &Map<String, Value>, index: usize, metric: &Value, found: &mut Vec<EmfViolation>) {
    let Some(Value::String(name)) = metric.get("Name") else {
        let problem = "a metric definition must be an object with a string `Name`".to_owned();
        return found.push(EmfViolation::BadDirective { directive: index, problem });
    };
    check_name("metric name", name, found);
    match metric.get("Unit") {
        None => {}
        Some(Value::String(unit)) if UNITS.contains(&unit.as_str()) => {}
        Some(unit) => found.push(EmfViolation::BadUnit { name: name.clone(), unit: unit.to_string() }),
    }
    if let Some(resolution) = metric.get("StorageResolution")
        && !matches!(resolution.as_u64(), Some(1 | 60))
    {
        found.push(EmfViolation::BadStorageResolution { name: name.clone() });
    }
    match root.get(name) {
        Some(Value::Number(_)) => {}
        Some(Value::Array(values)) if values.iter().all(Value::is_number) => {
            if values.len() > MAX_VALUES {
                found.push(EmfViolation::TooManyValues { name: name.clone(), count: values.len() });
            }
        }
        _ => found.push(EmfViolation::MetricNotAtRoot { name: name.clone() }),
    }
}

/// Checks that a `what` name is 1 to [`MAX_NAME_LENGTH`] characters.
fn check_name(what: &'static str, name: &str, found: &mut Vec<EmfViolation>) {
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_LENGTH {
        found.push(EmfViolation::BadName { what, name: name.to_owned() });
    }
}

/// The JSON type of `value`, with its article.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
