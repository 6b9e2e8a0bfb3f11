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
