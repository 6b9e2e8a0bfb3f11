//! What connects a record function to the engine: [`RecordHandler`], the
//! poison record it may keep, and [`handler_fn`] for plain functions.

use std::future::Future;

use lambda_runtime::Context;

use crate::idempotency::batch::BatchIdempotency;
use crate::kind::SourceKind;
use crate::metrics::Metrics;
use crate::outcome::{IntoRecordOutcome, RecordError, RecordOutcome};
use crate::report::{BatchReport, RecordStatus};
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

    /// Called after a record is handled (`status` is
    /// [`Succeeded`](RecordStatus::Succeeded)) or replayed by idempotency
    /// ([`Replayed`](RecordStatus::Replayed)): count it, tell another
    /// system. It cannot change the record's status: an `Err`, a panic, or
    /// running past its time bound (the record timeout, if any, and the
    /// invocation deadline's cut-off) is logged and ignored. Records that
    /// end otherwise (retry later, poison, skipped, out of time) call
    /// neither hook; every record is in [`on_batch_end`](Self::on_batch_end)'s
    /// report.
    ///
    /// The default does nothing. `#[batch_handler(on_success = path)]` calls
    /// `path(record, status, cx)` (with `&State` first for a stateful
    /// handler).
    fn on_success<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        status: &'a RecordStatus,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        let _ = (record, status, cx);
        std::future::ready(Ok(()))
    }

    /// Called after a record fails ([`RecordStatus::Failed`]: an error, a
    /// panic, a timeout, a parameter that could not be extracted, a refused
    /// idempotency claim, a poison sink that refused it), with the error.
    /// Like [`on_success`](Self::on_success), it cannot change the record's
    /// status.
    ///
    /// The default does nothing. `#[batch_handler(on_failure = path)]` calls
    /// `path(record, error, cx)` (with `&State` first for a stateful
    /// handler).
    fn on_failure<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        error: &'a RecordError,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        let _ = (record, error, cx);
        std::future::ready(Ok(()))
    }

    /// Called once after the batch, with its report, before the response is
    /// returned: flush a buffer, log a summary of your own. It cannot change
    /// the response: an `Err`, a panic, or running past its time bound is
    /// logged and ignored.
    ///
    /// The default does nothing. `#[batch_handler(on_batch_end = path)]`
    /// calls `path(report, cx)` (with `&State` first for a stateful
    /// handler).
    fn on_batch_end<'a>(
        &'a self,
        report: &'a BatchReport<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        let _ = (report, cx);
        std::future::ready(Ok(()))
    }

    /// The handler's metrics, if any: one line in CloudWatch Embedded
    /// Metric Format is printed per invocation (see
    /// [`metrics`](crate::metrics)). The default has none.
    /// `#[batch_handler(metrics = path)]` returns `path()` (or
    /// `path(&state)`).
    fn metrics(&self) -> Option<&Metrics> {
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
