//! What connects a record function to the engine: [`RecordHandler`], the
//! poison record it may keep, and [`handler_fn`] for plain functions.

use std::future::Future;

use lambda_runtime::Context;

use crate::idempotency::batch::BatchIdempotency;
use crate::kind::SourceKind;
use crate::outcome::{IntoRecordOutcome, RecordOutcome};
use crate::source::Source;

/// Handles one record of source `S`.
///
/// `#[batch_handler]` implements this for you. Implement it by hand to use the
/// engine without the macro, for example:
///
/// ```
/// use lambda_batch::{sqs::{Sqs, SqsRecord}, Context, RecordHandler, RecordOutcome};
///
/// struct Greeter;
///
/// impl RecordHandler<Sqs> for Greeter {
///     async fn handle(&self, record: &SqsRecord<'_>, _cx: &Context) -> RecordOutcome {
///         match record.body() {
///             Some(name) if !name.is_empty() => RecordOutcome::Success,
///             _ => RecordOutcome::failure("nobody to greet"),
///         }
///     }
/// }
///
/// // The future must be `Send`: an `async fn` whose state is `Send` is.
/// ```
pub trait RecordHandler<S: Source> {
    /// Handles one record. Panics inside the future (or in this call) are
    /// caught by the engine and fail this record only.
    fn handle<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a;

    /// `true` when [`on_poison`](Self::on_poison) keeps poison records
    /// somewhere (set it when you implement `on_poison`;
    /// `#[batch_handler(poison_sink = ..)]` does). Without a sink, records
    /// over the SQS receive-count budget fail instead of being dropped,
    /// unless the settings say
    /// [`drop_over_budget`](crate::sqs::SqsConfig::drop_over_budget).
    const HAS_POISON_SINK: bool = false;

    /// Receives a record dropped as poison ([`RecordOutcome::Poison`], or
    /// over the receive-count budget) before it is acknowledged: store it,
    /// send it to a dead-letter queue, page someone. An `Err` (or a panic)
    /// makes the record fail instead, so it is retried rather than lost.
    ///
    /// The default accepts every record (it is only logged).
    /// `#[batch_handler(poison_sink = path)]` calls `path(&poison, cx)`.
    fn on_poison<'a>(
        &'a self,
        poison: &'a PoisonRecord<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        let _ = (poison, cx);
        std::future::ready(Ok(()))
    }

    /// The handler's idempotency, if any: the engine then claims every
    /// record's key before the batch runs, replays records completed
    /// earlier, and records what happened after it (see
    /// [`idempotency`](crate::idempotency)). The default has none.
    /// `#[batch_handler(idempotency = path)]` returns `path()` (or
    /// `path(&state)`); [`Idempotent`](crate::idempotency::Idempotent)
    /// adds it to a hand-written handler.
    fn idempotency(&self) -> Option<&dyn BatchIdempotency<S>> {
        None
    }
}

/// A record dropped as poison, as handed to a poison sink.
#[derive(Debug, Clone, Copy)]
pub struct PoisonRecord<'a> {
    /// The record's identifier (`messageId` or sequence number).
    pub id: &'a str,
    /// The record's JSON as received, to store or forward unchanged.
    pub raw_json: &'a str,
    /// Why it was dropped.
    pub reason: &'a str,
    /// The event source (SQS standard and FIFO told apart).
    pub source: SourceKind,
}

/// A [`RecordHandler`] of any source from a plain function of the record
/// and the context.
///
/// ```
/// use lambda_batch::{handler_fn, kinesis::KinesisRecord, sqs::SqsRecord, Context};
/// let orders = handler_fn(|record: &SqsRecord<'_>, _cx: &Context| {
///     if record.body() == Some("boom") { Err("bad record") } else { Ok(()) }
/// });
/// let readings = handler_fn(|record: &KinesisRecord<'_>, _cx: &Context| {
///     if record.data().is_ok_and(|data| !data.is_empty()) { Ok(()) } else { Err("no data") }
/// });
/// # let _ = (orders, readings);
/// ```
pub fn handler_fn<F>(function: F) -> HandlerFn<F> {
    HandlerFn(function)
}

/// The handler made by [`handler_fn`]: a [`RecordHandler`] for every source
/// whose record type the function takes.
#[derive(Debug, Clone, Copy)]
pub struct HandlerFn<F>(F);

impl<S, F, O> RecordHandler<S> for HandlerFn<F>
where
    S: Source,
    F: for<'r> Fn(&'r S::Record<'r>, &'r Context) -> O,
    O: IntoRecordOutcome,
{
    fn handle<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a {
        let outcome = (self.0)(record, cx).into_record_outcome();
        std::future::ready(outcome)
    }
}
