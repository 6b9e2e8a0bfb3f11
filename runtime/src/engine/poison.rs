//! The poison layers of the per-record stack ([`super::layer`]): the
//! receive-count budget that turns an over-delivered record into poison,
//! and the sink that hands poison to the handler before it is
//! acknowledged.

use std::future::{Future, ready};
use std::time::Duration;

use futures_util::future::Either;

use super::guard::{bounded, isolated};
use super::layer::{Layer, Req};
use super::observe::ApplyFault;
use crate::handler::{PoisonRecord, RecordHandler};
use crate::kind::SourceKind;
use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::source::{BatchRecord, Source};

/// Hands a poison record to the handler's poison sink before it is
/// acknowledged; a sink that refuses it (an error, a panic, or running past
/// the record timeout) fails the record instead, so it is retried rather
/// than lost.
pub(crate) struct Sink<I> {
    /// Named in what the poison sink gets.
    pub(super) source: SourceKind,
    /// The record timeout, which bounds the poison sink too (on a timer of
    /// its own).
    pub(super) timeout: Option<Duration>,
    pub(super) inner: I,
}

impl<S, H, F, I> Layer<S, H, F> for Sink<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordOutcome>,
{
    type Output = RecordOutcome;

    async fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> RecordOutcome {
        let (record, handler, cx) = (req.record, req.handler, req.cx);
        let reason = match self.inner.call(req).await {
            RecordOutcome::Poison { reason } => reason,
            other => return other,
        };
        let poison = PoisonRecord {
            id: record.item_identifier(),
            raw_json: record.raw_json(),
            reason: &reason,
            source: self.source,
        };
        let sink = isolated(|| handler.on_poison(&poison, cx), Err);
        let sent = bounded(self.timeout, sink, |limit| {
            Err(format!("the poison sink took longer than the record timeout of {} ms", limit.as_millis()))
        })
        .await;
        match sent {
            Ok(()) => RecordOutcome::Poison { reason },
            Err(sink_error) => RecordOutcome::Failure(RecordError::new(
                RecordErrorKind::PoisonSink,
                format!("{sink_error} (while dropping it as poison: {reason})"),
            )),
        }
    }
}

/// Drops a record received more times than the budget as poison, without
/// calling the layers below.
pub(crate) struct Budget<I> {
    pub(super) max_receive_count: Option<u32>,
    pub(super) drop_over_budget: bool,
    pub(super) inner: I,
}

impl<S, H, F, I> Layer<S, H, F> for Budget<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordOutcome>,
{
    type Output = RecordOutcome;

    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = RecordOutcome> + 'a {
        match over_budget(req.record, self.max_receive_count) {
            Some(reason) if H::HAS_POISON_SINK || self.drop_over_budget => {
                Either::Left(ready(RecordOutcome::Poison { reason }))
            }
            Some(reason) => Either::Left(ready(RecordOutcome::Failure(RecordError::new(
                RecordErrorKind::PoisonSink,
                format!(
                    "{reason}, but the handler has no poison sink to keep it, so it is failed rather than \
                     dropped (the queue's redrive policy moves it to its dead-letter queue); give the handler a \
                     poison sink, or choose to drop such records (`drop_over_budget`)"
                ),
            )))),
            None => Either::Right(self.inner.call(req)),
        }
    }
}

/// The poison reason for a record received more times than allowed.
fn over_budget<R: BatchRecord>(record: &R, max_receive_count: Option<u32>) -> Option<String> {
    let (max, count) = (max_receive_count?, record.receive_count()?);
    (count > max).then(|| format!("received {count} times, more than the budget of {max}"))
}
