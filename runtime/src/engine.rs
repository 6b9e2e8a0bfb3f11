//! The source-independent batch engine: calls the handler once per record,
//! isolates errors and panics, applies the ordering rule, and reports.

use std::any::Any;
use std::borrow::Cow;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use lambda_runtime::Context;
use tracing::Instrument;

use crate::handler::{PoisonRecord, RecordHandler, Source};
use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::report::RecordStatus;

/// What the engine needs from a record of any source.
pub trait BatchRecord {
    /// The event source's name (`"sqs"`, `"kinesis"`, `"dynamodb"`).
    const SOURCE: &'static str;
    /// The record's identifier as Lambda expects it in `itemIdentifier`.
    fn item_identifier(&self) -> &str;
    /// The key whose records must be handled in order: the FIFO message
    /// group, the Kinesis partition key, the DynamoDB item keys.
    fn ordering_key(&self) -> Option<&str>;
    /// How many times the record was delivered (SQS `ApproximateReceiveCount`).
    fn receive_count(&self) -> Option<u32> {
        None
    }
    /// When the record arrived, in epoch seconds (Kinesis
    /// `approximateArrivalTimestamp`, DynamoDB `ApproximateCreationDateTime`,
    /// SQS `SentTimestamp`).
    fn arrival_time(&self) -> Option<f64> {
        None
    }
    /// The record's JSON as received.
    fn raw_json(&self) -> &str;
    /// The tracing span for handling this record.
    fn span(&self) -> tracing::Span;
}

/// How the engine treats a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Which later records a failure stops.
    pub(crate) stop: StopRule,
    /// Drop a record as poison, without calling the handler, once it has
    /// been received more than this many times.
    pub(crate) max_receive_count: Option<u32>,
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
    plan: Plan,
    handler: &H,
    cx: &Context,
) -> Vec<RecordStatus>
where
    S: Source,
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
        let record = S::shorten(record);
        let outcome = match over_budget(record, plan.max_receive_count) {
            Some(reason) => RecordOutcome::Poison { reason },
            None => call_isolated::<S, H>(handler, record, cx).instrument(span.clone()).await,
        };
        let status = settle::<S, H>(outcome, handler, record, cx).instrument(span).await;
        if !status_keeps_order(&status) {
            match (plan.stop, record.ordering_key()) {
                (StopRule::Nothing, _) => {}
                (StopRule::Everything, _) | (StopRule::SameKey, None) => stopped_by = Some(index),
                (StopRule::SameKey, Some(key)) => stopped_keys.push((key, index)),
            }
        }
        statuses.push(status);
    }
    statuses
}

/// `true` if later records of the same order may go on: the record is done
/// (handled, or dropped and acknowledged).
fn status_keeps_order(status: &RecordStatus) -> bool {
    matches!(status, RecordStatus::Succeeded | RecordStatus::Dropped { .. })
}

/// The poison reason for a record received more times than allowed.
fn over_budget<R: BatchRecord>(record: &R, max_receive_count: Option<u32>) -> Option<String> {
    let (max, count) = (max_receive_count?, record.receive_count()?);
    (count > max).then(|| format!("received {count} times, more than the budget of {max}"))
}

/// Turns an outcome into a status, logging it; poison goes to the sink.
async fn settle<'a, S, H>(
    outcome: RecordOutcome,
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
                source: <S::Record<'a> as BatchRecord>::SOURCE,
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
                    RecordStatus::Dropped { reason }
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
