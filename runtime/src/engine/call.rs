//! Settling a record's outcome (the poison sink included) and reading
//! panic payloads, for the layers in `layer.rs`.

use std::any::Any;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use lambda_runtime::Context;

use super::BatchRecord;
use crate::handler::{PoisonRecord, RecordHandler, Source};
use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::report::RecordStatus;
use crate::source::SourceKind;

/// Turns an outcome into a status, logging it; poison goes to the sink.
pub(crate) async fn settle<'a, S, H>(
    outcome: RecordOutcome,
    source: SourceKind,
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
            let sent = match std::panic::catch_unwind(AssertUnwindSafe(|| handler.on_poison(&poison, cx))) {
                Ok(future) => AssertUnwindSafe(future)
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|p| Err(panic_message(p).into_owned())),
                Err(payload) => Err(panic_message(payload).into_owned()),
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

/// A caught panic as the record's outcome.
pub(crate) fn panic_outcome(payload: Box<dyn Any + Send>) -> RecordOutcome {
    RecordOutcome::Failure(RecordError::new(RecordErrorKind::Panic, panic_message(payload)))
}

fn panic_message(payload: Box<dyn Any + Send>) -> Cow<'static, str> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Cow::Borrowed(s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Cow::Owned(s.clone())
    } else {
        Cow::Borrowed("(panic payload is not a string)")
    }
}
