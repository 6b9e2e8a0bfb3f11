//! Policies shared by every event source.

/// What to return when every record of a batch failed.
///
/// Records skipped because of an earlier failure (FIFO, stream checkpoint)
/// are not counted as failed for this rule: a FIFO batch whose first record
/// fails returns the partial response, not an error.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum AllFailedPolicy {
    /// Fail the invocation with [`BatchError::AllRecordsFailed`](crate::BatchError::AllRecordsFailed),
    /// so that Lambda backs off polling and the `Errors` metric shows the
    /// outage (the default, as in Powertools).
    #[default]
    Error,
    /// Return every record as a failure and let the invocation succeed:
    /// no back-off, and `Errors` stays flat.
    ReportAll,
}
