//! The source-independent batch engine: calls the handler once per record,
//! isolates errors and panics, applies the ordering rule, and reports.

use std::any::Any;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use lambda_runtime::Context;
use tracing::Instrument;

use crate::handler::{RecordHandler, Source};
use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::report::RecordStatus;

/// What the engine needs from a record of any source.
pub trait BatchRecord {
    /// The record's identifier as Lambda expects it in `itemIdentifier`.
    fn item_identifier(&self) -> &str;
    /// The key whose records must be handled in order (FIFO message group).
    fn ordering_key(&self) -> Option<&str>;
    /// The tracing span for handling this record.
    fn span(&self) -> tracing::Span;
}

/// Which later records a failure stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopRule {
    /// A failure stops nothing (SQS standard).
    Nothing,
    /// A failure stops every later record (FIFO default).
    Everything,
    /// A failure stops the later records with the same ordering key; a
    /// failing record without a key stops everything.
    SameKey,
}

/// Handles `records` in order and returns each record's status.
pub(crate) async fn run<'e, S, H>(
    records: &[S::Record<'e>],
    rule: StopRule,
    handler: &H,
    cx: &Context,
) -> Vec<RecordStatus>
where
    S: Source,
    S::Record<'e>: BatchRecord,
    H: RecordHandler<S>,
{
    let mut statuses = Vec::with_capacity(records.len());
    let mut stopped_by: Option<usize> = None;
    let mut stopped_keys: Vec<(&str, usize)> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let blocker = stopped_by.or_else(|| {
            let key = record.ordering_key()?;
            stopped_keys.iter().find(|(k, _)| *k == key).map(|&(_, at)| at)
        });
        if let Some(cause) = blocker {
            statuses.push(RecordStatus::Skipped { cause });
            continue;
        }
        let span = record.span();
        let outcome = call_isolated::<S, H>(handler, S::shorten(record), cx).instrument(span.clone()).await;
        let status = match outcome {
            RecordOutcome::Success => {
                span.in_scope(|| tracing::debug!("record handled"));
                RecordStatus::Succeeded
            }
            RecordOutcome::Failure(error) => {
                span.in_scope(|| tracing::warn!(error = %error, kind = ?error.kind(), "record failed"));
                match (rule, record.ordering_key()) {
                    (StopRule::Nothing, _) => {}
                    (StopRule::Everything, _) | (StopRule::SameKey, None) => stopped_by = Some(index),
                    (StopRule::SameKey, Some(key)) => stopped_keys.push((key, index)),
                }
                RecordStatus::Failed(error)
            }
        };
        statuses.push(status);
    }
    statuses
}

/// Calls the handler for one record; a panic while making or polling the
/// future becomes this record's failure.
async fn call_isolated<'a, S, H>(handler: &'a H, record: &'a S::Record<'a>, cx: &'a Context) -> RecordOutcome
where
    S: Source,
    H: RecordHandler<S>,
{
    let future = match std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(record, cx))) {
        Ok(future) => future,
        Err(payload) => return panic_outcome(payload),
    };
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(payload) => panic_outcome(payload),
    }
}

fn panic_outcome(payload: Box<dyn Any + Send>) -> RecordOutcome {
    let message: Cow<'static, str> = if let Some(s) = payload.downcast_ref::<&'static str>() {
        Cow::Borrowed(s)
    } else if let Some(s) = payload.downcast_ref::<String>() {
        Cow::Owned(s.clone())
    } else {
        Cow::Borrowed("(panic payload is not a string)")
    };
    RecordOutcome::Failure(RecordError::new(RecordErrorKind::Panic, message))
}
