//! Settling a record's outcome (the poison sink included) and reading
//! panic payloads, for the layers in `layer.rs`.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use lambda_runtime::Context;

use super::BatchRecord;
use super::contain::Contained;
use crate::handler::{PoisonRecord, RecordHandler, Source};
use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::report::RecordStatus;
use crate::source::SourceKind;

/// Turns an outcome into a status, logging it; poison goes to the sink.
pub(crate) async fn settle<'a, S, H>(
    outcome: RecordOutcome,
    source: SourceKind,
    timeout: Option<Duration>,
    handler: &'a H,
    record: &'a S::Record<'a>,
    cx: &'a Context,
) -> RecordStatus
where
    S: Source,
    H: RecordHandler<S>,
{
    match outcome {
        RecordOutcome::Success => {
            tracing::debug!("record handled");
            RecordStatus::Succeeded
        }
        RecordOutcome::Failure(error) => {
            tracing::warn!(error = %error, kind = ?error.kind(), "record failed");
            RecordStatus::Failed(error)
        }
        RecordOutcome::RetryLater { reason } => {
            tracing::info!(reason = reason.as_deref().unwrap_or(""), "record to be retried later");
            RecordStatus::RetryLater { reason }
        }
        RecordOutcome::Poison { reason } => {
            let poison = PoisonRecord {
                id: record.item_identifier(),
                raw_json: record.raw_json(),
                reason: &reason,
                source,
            };
            // The sink is isolated like the handler: a panic (also one
            // while dropping its future) fails the record, and the record
            // timeout bounds it.
            let sent = match std::panic::catch_unwind(AssertUnwindSafe(|| handler.on_poison(&poison, cx))) {
                Ok(future) => {
                    let sink = AssertUnwindSafe(Contained::new(future))
                        .catch_unwind()
                        .map(|done| done.unwrap_or_else(|p| Err(panic_message(p))));
                    match timeout {
                        Some(limit) => tokio::time::timeout(limit, sink).await.unwrap_or_else(|_| {
                            Err(format!(
                                "the poison sink took longer than the record timeout of {} ms",
                                limit.as_millis()
                            ))
                        }),
                        None => sink.await,
                    }
                }
                Err(payload) => Err(panic_message(payload)),
            };
            match sent {
                Ok(()) => {
                    tracing::warn!(id = poison.id, reason = %reason, "record dropped as poison");
                    RecordStatus::Poison { reason }
                }
                Err(sink_error) => {
                    let error = RecordError::new(
                        RecordErrorKind::PoisonSink,
                        format!("{sink_error} (while dropping it as poison: {reason})"),
                    );
                    tracing::warn!(error = %error, "record failed: the poison sink did not take it");
                    RecordStatus::Failed(error)
                }
            }
        }
    }
}

/// A caught panic as the record's outcome; the payload is dropped where
/// a panic in its own `Drop` is contained too.
pub(crate) fn panic_outcome(payload: Box<dyn Any + Send>) -> RecordOutcome {
    RecordOutcome::Failure(RecordError::new(RecordErrorKind::Panic, panic_message(payload)))
}

/// The panic's message, the payload dropped safely.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let text = super::contain::message(&*payload);
    super::contain::drop_payload(payload);
    text
}
