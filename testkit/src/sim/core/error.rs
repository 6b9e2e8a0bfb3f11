//! Configurations AWS would refuse, as errors. [`lambda_batch::aws_rules`]
//! describes the limits.

/// A simulator configuration outside the ranges AWS accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value outside its valid range.
    #[error("{name} = {value} is outside the valid range {range}: {rule}")]
    OutOfRange {
        /// The parameter, as AWS names it.
        name: &'static str,
        /// The value given.
        value: i64,
        /// The valid range, as text.
        range: &'static str,
        /// Who refuses it, in plain words (e.g. "SQS refuses such a queue").
        rule: &'static str,
    },
    /// Two settings that cannot go together.
    #[error("{0}")]
    Conflict(String),
}

/// Milliseconds as the signed value the range checks compare.
pub(crate) fn millis(ms: crate::sim::core::clock::Millis) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// `Ok` if `valid(value)`, otherwise the out-of-range error for `name`.
pub(crate) fn check_range(
    name: &'static str,
    value: i64,
    valid: impl Fn(i64) -> bool,
    range: &'static str,
    rule: &'static str,
) -> Result<(), ConfigError> {
    if valid(value) { Ok(()) } else { Err(ConfigError::OutOfRange { name, value, range, rule }) }
}

/// The limit is a queue attribute SQS checks.
pub(crate) const SQS_QUEUE: &str = "SQS refuses such a queue";
/// The limit is an event source mapping setting Lambda checks.
pub(crate) const MAPPING: &str = "Lambda refuses such an event source mapping";
/// The limit is one of the function's settings.
pub(crate) const FUNCTION: &str = "Lambda refuses such a function configuration";
/// The limit is an asynchronous invocation setting Lambda checks.
pub(crate) const ASYNC: &str = "Lambda refuses such an asynchronous invocation configuration";

/// The function timeout: 1 to 900 s.
pub(crate) fn check_function_timeout(timeout: crate::sim::core::clock::Millis) -> Result<(), ConfigError> {
    check_range(
        "function timeout (ms)",
        millis(timeout),
        |v| (1_000..=900_000).contains(&v),
        "1..=900 s",
        FUNCTION,
    )
}
