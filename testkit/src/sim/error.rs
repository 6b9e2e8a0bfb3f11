//! Configurations AWS would refuse, as errors.

/// A simulator configuration outside the ranges AWS accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value outside its valid range.
    #[error("{name} = {value} is outside the valid range {range} ({rule})")]
    OutOfRange {
        /// The parameter, as AWS names it.
        name: &'static str,
        /// The value given.
        value: i64,
        /// The valid range, as text.
        range: &'static str,
        /// The SEMANTICS.md rule.
        rule: &'static str,
    },
    /// Two settings that cannot go together.
    #[error("{0}")]
    Conflict(String),
}

pub(crate) fn check_range(
    name: &'static str,
    value: i64,
    valid: impl Fn(i64) -> bool,
    range: &'static str,
    rule: &'static str,
) -> Result<(), ConfigError> {
    if valid(value) { Ok(()) } else { Err(ConfigError::OutOfRange { name, value, range, rule }) }
}

/// The function timeout: 1 to 900 s (S-4.1).
pub(crate) fn check_function_timeout(timeout: super::clock::Millis) -> Result<(), ConfigError> {
    let ms = i64::try_from(timeout).unwrap_or(i64::MAX);
    check_range("function timeout (ms)", ms, |v| (1_000..=900_000).contains(&v), "1..=900 s", "S-4.1")
}
