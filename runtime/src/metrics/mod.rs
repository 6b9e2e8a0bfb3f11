//! Metrics in CloudWatch Embedded Metric Format (EMF): one JSON line per
//! invocation, printed to standard output, which Lambda sends to CloudWatch
//! Logs, where CloudWatch turns it into metrics. Opt-in:
//! `#[batch_handler(sqs, metrics = path)]` (a function returning
//! `&Metrics`, taking `&State` for a stateful handler), or
//! [`RecordHandler::metrics`](crate::RecordHandler::metrics) by hand.
//!
//! Every line has these metrics, under the namespace given to
//! [`Metrics::new`] and one dimension set: `Service` (when given with
//! [`Metrics::with_service`]), `EventSource` (the [`SourceKind`](crate::SourceKind) name, such
//! as `SQS FIFO`) and the dimensions added with [`Metrics::with_dimension`]:
//!
//! | metric | unit | what |
//! |---|---|---|
//! | `RecordsSucceeded` | Count | records handled |
//! | `RecordsFailed` | Count | records failed (error, panic, timeout, ...) |
//! | `RecordsTimedOut` | Count | of those, the ones that ran past the record timeout or the deadline |
//! | `RecordsSkipped` | Count | records not run because of an earlier failure |
//! | `RecordsPoisoned` | Count | records dropped as poison |
//! | `RecordsRetryLater` | Count | records the handler asked to retry later |
//! | `RecordsOutOfTime` | Count | records not started before the deadline's cut-off |
//! | `RecordsReplayed` | Count | records replayed by idempotency |
//! | `BatchSize` | Count | records in the batch |
//! | `HandlerDuration` | Milliseconds | from reading the event to the report |
//! | `OldestRecordAge` | Milliseconds | age of the oldest record (left out when no record tells its arrival time) |
//!
//! ```
//! use lambda_batch::metrics::Metrics;
//!
//! # fn main() -> Result<(), lambda_batch::metrics::MetricsError> {
//! let metrics = Metrics::new("Orders")?.with_service("orders")?.with_dimension("Stage", "prod")?;
//! # let _ = metrics;
//! # Ok(()) }
//! ```
//!
//! [`Metrics::line`] builds the line from a report, and nothing else (test
//! it, or check it with `lambda_batch_testkit::emf::check_line`); the
//! engine writes it with one write to a locked standard output, or hands it
//! to [`Metrics::with_output`]'s function.

mod line;

use std::fmt;
use std::io::Write;
use std::sync::Arc;

pub use self::line::BatchTimes;
pub(crate) use self::line::oldest_arrival;

/// The most dimensions a dimension set may have (the EMF specification).
pub const MAX_DIMENSIONS: usize = 30;

/// The longest name (namespace, dimension or metric) the EMF
/// specification allows, in characters.
pub const MAX_NAME_LENGTH: usize = 255;

/// The longest dimension value CloudWatch takes, in characters.
pub const MAX_VALUE_LENGTH: usize = 1024;

/// The dimensions every line has besides the user's: `Service` and
/// `EventSource`.
const DEFAULT_DIMENSIONS: usize = 2;

/// Where the lines go.
#[derive(Clone)]
enum Output {
    /// Standard output, one write per line.
    Stdout,
    /// A function of the user's.
    Function(Arc<dyn Fn(&str) + Send + Sync>),
}

/// What a handler's metrics line holds besides the report: the namespace,
/// the service and the dimensions. Built once (in a `static` or the
/// handler's state), every name checked when it is built.
#[derive(Clone)]
pub struct Metrics {
    namespace: String,
    service: Option<String>,
    dimensions: Vec<(String, String)>,
    output: Output,
}

/// A metrics setting that would make lines CloudWatch rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// A namespace, a dimension name or a dimension value is empty.
    #[error("the metrics {what} is empty: give it a name")]
    Empty {
        /// What is empty (`namespace`, `dimension name`, ...).
        what: &'static str,
    },
    /// A name is longer than [`MAX_NAME_LENGTH`] characters (a value than
    /// [`MAX_VALUE_LENGTH`]).
    #[error(
        "the metrics {what} `{name}` is {length} characters long; CloudWatch allows at most {max}: shorten it"
    )]
    TooLong {
        /// What it names (`namespace`, `dimension name`, ...).
        what: &'static str,
        /// The name given.
        name: String,
        /// Its length in characters.
        length: usize,
        /// The most allowed.
        max: usize,
    },
    /// A namespace, a dimension name or a dimension value that CloudWatch
    /// would drop: not ASCII, a control character, only spaces, a dimension
    /// name starting with `:`, or a namespace outside its character set or
    /// starting with `AWS/`.
    #[error("the metrics {what} `{name}` {problem}: CloudWatch would drop the metrics; choose another")]
    InvalidCharacter {
        /// What it names (`namespace`, `dimension name`, ...).
        what: &'static str,
        /// The name given.
        name: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// One more dimension would pass [`MAX_DIMENSIONS`] in the set.
    #[error(
        "the dimension `{name}` would be number {} of the dimension set, which allows at most \
         {MAX_DIMENSIONS} (`Service` and `EventSource` included): drop a dimension",
        MAX_DIMENSIONS + 1
    )]
    TooManyDimensions {
        /// The dimension that did not fit.
        name: String,
    },
    /// A dimension name is already taken: by another dimension, a default
    /// dimension (`Service`, `EventSource`), a metric, or EMF's `_aws`.
    #[error(
        "the dimension name `{name}` is taken (by another dimension, by `Service` or `EventSource`, by a \
         metric of the line, or by `_aws`): choose another name"
    )]
    NameTaken {
        /// The name given.
        name: String,
    },
}

impl Metrics {
    /// Metrics under `namespace` (a CloudWatch namespace such as `Orders`).
    ///
    /// # Errors
    /// [`MetricsError::Empty`] or [`MetricsError::TooLong`] for a namespace
    /// CloudWatch would reject.
    pub fn new(namespace: impl Into<String>) -> Result<Self, MetricsError> {
        let namespace = checked("namespace", namespace.into(), MAX_NAME_LENGTH)?;
        Ok(Metrics { namespace, service: None, dimensions: Vec::new(), output: Output::Stdout })
    }

    /// The `Service` dimension's value (the service's name).
    ///
    /// # Errors
    /// [`MetricsError::Empty`] or [`MetricsError::TooLong`].
    pub fn with_service(mut self, service: impl Into<String>) -> Result<Self, MetricsError> {
        self.service = Some(checked("service", service.into(), MAX_VALUE_LENGTH)?);
        Ok(self)
    }

    /// Adds a dimension to the set (after `Service` and `EventSource`).
    ///
    /// # Errors
    /// [`MetricsError::Empty`] or [`MetricsError::TooLong`] for the name or
    /// the value; [`MetricsError::NameTaken`] for a name already in the
    /// line; [`MetricsError::TooManyDimensions`] past [`MAX_DIMENSIONS`].
    pub fn with_dimension(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, MetricsError> {
        let name = checked("dimension name", name.into(), MAX_NAME_LENGTH)?;
        let value = checked("dimension value", value.into(), MAX_VALUE_LENGTH)?;
        let taken = self.dimensions.iter().any(|(taken, _)| *taken == name)
            || ["Service", "EventSource", "_aws"].contains(&name.as_str())
            || line::METRIC_NAMES.contains(&name.as_str());
        if taken {
            return Err(MetricsError::NameTaken { name });
        }
        if self.dimensions.len() + DEFAULT_DIMENSIONS >= MAX_DIMENSIONS {
            return Err(MetricsError::TooManyDimensions { name });
        }
        self.dimensions.push((name, value));
        Ok(self)
    }

    /// Sends every line to `output` instead of standard output (a test's
    /// buffer, another logger). It is called once per invocation, from the
    /// invocation's task.
    #[must_use]
    pub fn with_output(mut self, output: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.output = Output::Function(Arc::new(output));
        self
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The `Service` dimension's value, if given.
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// The dimensions added with [`with_dimension`](Self::with_dimension),
    /// in order.
    pub fn dimensions(&self) -> impl Iterator<Item = (&str, &str)> {
        self.dimensions.iter().map(|(name, value)| (name.as_str(), value.as_str()))
    }

    /// Writes one line: with one `write_all` of the line and its newline
    /// on a locked standard output (so lines of concurrent writers never
    /// interleave), or to the output function. A failed write is logged,
    /// and goes no further.
    pub(crate) fn write(&self, line: &str) {
        match &self.output {
            Output::Function(output) => output(line),
            Output::Stdout => {
                let mut bytes = Vec::with_capacity(line.len() + 1);
                bytes.extend_from_slice(line.as_bytes());
                bytes.push(b'\n');
                if let Err(error) = std::io::stdout().lock().write_all(&bytes) {
                    tracing::error!(
                        error = %error,
                        namespace = %self.namespace,
                        "the metrics line could not be written to standard output; this invocation's metrics are lost"
                    );
                }
            }
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let output = match self.output {
            Output::Stdout => "stdout",
            Output::Function(_) => "a function",
        };
        f.debug_struct("Metrics")
            .field("namespace", &self.namespace)
            .field("service", &self.service)
            .field("dimensions", &self.dimensions)
            .field("output", &output)
            .finish()
    }
}

/// `name` if CloudWatch takes it as a `what` of at most `max` characters.
fn checked(what: &'static str, name: String, max: usize) -> Result<String, MetricsError> {
    let length = name.chars().count();
    if length == 0 {
        return Err(MetricsError::Empty { what });
    }
    if length > max {
        return Err(MetricsError::TooLong { what, name, length, max });
    }
    match character_problem(what, &name) {
        Some(problem) => Err(MetricsError::InvalidCharacter { what, name, problem }),
        None => Ok(name),
    }
}

/// Why CloudWatch would drop `name` as a `what`, if it would: names and
/// values are ASCII without control characters and not only spaces;
/// dimension names do not start with `:`; namespaces use letters, digits
/// and `. - _ / # :` and spaces, and do not start with `AWS/` (see
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html>
/// and the `Namespace` of
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html>).
fn character_problem(what: &str, name: &str) -> Option<&'static str> {
    if !name.is_ascii() {
        return Some("has characters outside ASCII");
    }
    if name.bytes().any(|byte| byte.is_ascii_control()) {
        return Some("has a control character");
    }
    if name.trim().is_empty() {
        return Some("is only spaces");
    }
    match what {
        "dimension name" if name.starts_with(':') => Some("starts with `:`"),
        "namespace" if name.starts_with("AWS/") => {
            Some("starts with `AWS/`, which AWS keeps for its own namespaces")
        }
        "namespace" if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b" .-_/#:".contains(&b)) => {
            Some("has a character other than letters, digits, spaces and `. - _ / # :`")
        }
        _ => None,
    }
}
