//! The one log event of a failed record, written by whichever part of the
//! engine decides the record failed: [`super::layer::Settle`] for every
//! record the handler (or a guard around it) settled, the idempotency
//! refusal in [`super::layer::Claimed`], and the deadline's abandon in
//! [`super::run`]. Nothing else logs a record's failure, so each failed
//! record is one event (one JSON line under a JSON formatter), which
//! `tests/tests/failure_log.rs` checks for every kind of failure.

use crate::kind::SourceKind;
use crate::outcome::RecordError;
use crate::source::BatchRecord;

/// The causes joined the way `Display` shows them (`a: b`), or `None`.
fn joined(causes: &[String]) -> Option<String> {
    (!causes.is_empty()).then(|| causes.join(": "))
}

/// Logs `record`'s failure once, at error level, with the fields
/// `record_id`, `source`, `error_kind`, `error` (the message), `causes`
/// (the `source()` chain, joined with `": "`, absent when there is none)
/// and `attempt` (SQS `ApproximateReceiveCount`; absent for streams).
pub(crate) fn record_failed<R: BatchRecord>(record: &R, source: SourceKind, error: &RecordError) {
    tracing::error!(
        record_id = record.item_identifier(),
        source = source.log_name(),
        error_kind = error.kind().name(),
        error = error.message(),
        causes = joined(error.causes()),
        attempt = record.receive_count(),
        "record failed"
    );
}
