//! One record's way through the engine: a stack of layers, one concern
//! each, composed in one place, [`super::stack::stack`] (the poison
//! layers are in [`super::poison`]).
//!
//! ```text
//!  engine::run: (index, &record, &handler, &cx)            RecordStatus
//!        |                                                       ^
//!  +-----v-------------------------------------------------------+-----+
//!  | Observe   observer.start(index, record) -> fault?   observer.end  |
//!  | +---------------------------------------------------------------+ |
//!  | | Span      the record's tracing span around all below          | |
//!  | | Hooks     status -> on_success (Succeeded, Replayed) or       | |
//!  | |           on_failure (Failed); isolated, bounded, the         | |
//!  | |           status unchanged (engine::hooks)                    | |
//!  | | Claimed   (a layer of its own, between Hooks and Settle)      | |
//!  | |           idempotency: replayed -> Replayed, refused -> fails | |
//!  | |           (nothing below runs); claimed or off -> below       | |
//!  | | +-----------------------------------------------------------+ | |
//!  | | | Settle    outcome -> status, logged                       | | |
//!  | | | +-------------------------------------------------------+ | | |
//!  | | | | Sink      Poison -> on_poison (isolated, and bounded  | | | |
//!  | | | |           by its own record timeout); refused: fails  | | | |
//!  | | | | +---------------------------------------------------+ | | | |
//!  | | | | | Budget    receive count > max -> Poison           | | | | |
//!  | | | | |           (nothing below runs)                    | | | | |
//!  | | | | | +-----------------------------------------------+ | | | | |
//!  | | | | | | Timeout   the record timeout on the call      | | | | | |
//!  | | | | | | +-------------------------------------------+ | | | | | |
//!  | | | | | | | Isolate   catch_unwind: making, polling   | | | | | | |
//!  | | | | | | | +---------------------------------------+ | | | | | | |
//!  | | | | | | | | Inject    the observer's fault, if any| | | | | | | |
//!  | | | | | | | | +-----------------------------------+ | | | | | | | |
//!  | | | | | | | | | Handler   H::handle(record, cx)   | | | | | | | | |
//! ```
//!
//! Why this order: `Hooks` sits inside the span (its warnings name the
//! record) and outside everything that decides the status: a replayed
//! record calls `on_success`, a refused claim `on_failure`, and the poison
//! sink runs before it (a sink that refuses makes the record fail, which
//! calls `on_failure`). `Claimed` sits inside the span (its log lines name the
//! record) and outside `Settle`: a replayed or refused record reaches
//! neither the budget, nor the handler, nor the poison sink, and its status
//! is decided there (`Replayed` is no handler outcome). The claims it reads
//! were made for the whole batch before any record started, and are
//! settled after the batch ([`crate::idempotency`]). The budget's answer is `Poison`, so it sits inside the
//! sink (which hands poison to the handler's `on_poison`) and outside the
//! timeout and the isolation (a record dropped for its receive count never
//! calls the handler). The record timeout bounds the handler call; the
//! poison sink runs after it, isolated by the same code as the handler
//! (`guard::isolated`) and bounded by a timer of its own as long as the
//! record timeout (`guard::bounded`), so a record may take up to twice the
//! record timeout when its handler returns poison just in time. An injected
//! fault acts inside the isolation (an injected panic is caught like the
//! handler's own) and inside the timeout (an injected hang times out); the
//! span covers the budget check, the call, the sink and the settling; the
//! observer sees the settled status. A record abandoned at the invocation
//! deadline is dropped mid-way and never reaches `Observe`'s end:
//! `engine::run` reports it through [`Observer::abandoned`].
//!
//! When each layer runs: `Observe`, `Span`, `Settle` and `Sink` are
//! `async fn`s, so nothing happens before the record's future is first
//! polled; `Sink`'s first poll builds the layers below it at once (`Budget`
//! decides, `Timeout` starts its timer, `Isolate` calls `H::handle` inside
//! `catch_unwind`, `Inject` wraps the handler's future). Building the inner
//! layers as plain combinators rather than `async fn`s keeps each from
//! storing its own copy of the request; and `Span` being an `async fn`
//! lets the compiler build its state in place (making `Span` a combinator
//! cost two 344-byte copies per record).
//!
//! Why our own [`Layer`] and not tower's `Layer`/`Service`: a record's
//! future borrows the record, the handler and the `Context` for a lifetime
//! `'a` (records borrow the event), while `Service::call` takes `&mut self`
//! (one call at a time, or a clone of the service per call) and its futures
//! are in practice `'static` or boxed; readiness (`poll_ready`) means
//! nothing here. A boxed future per record would bring back the allocation
//! per record that the single-record path removed on purpose. Here every
//! layer is a plain generic struct, [`Stack`] is one concrete type, and a
//! record's future is one state machine inside the batch future (or one
//! `FuturesUnordered` task under concurrency, as before): no allocation, no
//! dynamic dispatch, and `Send` shows through because every type in the
//! stack is concrete.

use std::future::{Future, ready};
use std::time::Duration;

use futures_util::future::Either;
use lambda_runtime::Context;
use tracing::Instrument;

use super::guard::{bounded, isolated};
use super::log::record_failed;
use super::observe::{ApplyFault, Observer};
use crate::handler::RecordHandler;
use crate::idempotency::Key;
use crate::idempotency::batch::{BatchClaims, Decision};
use crate::outcome::{RecordError, RecordErrorKind, RecordOutcome};
use crate::report::RecordStatus;
use crate::source::{BatchRecord, Source};

/// One record on its way down the stack.
pub(crate) struct Req<'a, S: Source, H, F> {
    /// The record's index in the batch.
    pub(crate) index: usize,
    /// The record.
    pub(crate) record: &'a S::Record<'a>,
    /// The user's handler.
    pub(crate) handler: &'a H,
    /// The invocation's context.
    pub(crate) cx: &'a Context,
    /// The fault to apply to the handler call (set by [`Observe`]).
    pub(crate) fault: Option<F>,
}

impl<'a, S: Source, H, F> Req<'a, S, H, F> {
    /// Record `index`, with no fault yet.
    pub(crate) fn new(index: usize, record: &'a S::Record<'a>, handler: &'a H, cx: &'a Context) -> Self {
        Req { index, record, handler, cx, fault: None }
    }
}

impl<S: Source, H, F: Copy> Clone for Req<'_, S, H, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: Source, H, F: Copy> Copy for Req<'_, S, H, F> {}

/// One concern of handling a record, wrapping the layers below it.
///
/// The future borrows the layer and the request for `'a`; it is made
/// without allocating and is not required to be `Send` here: the stack is
/// concrete, so whether it is `Send` is decided (and checked) where the
/// handler's types are known.
pub(crate) trait Layer<S: Source, H: RecordHandler<S>, F: ApplyFault> {
    /// What the layer hands back up: an outcome below [`Settle`], the
    /// record's status from there up.
    type Output;

    /// Handles one record.
    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = Self::Output> + 'a;
}

/// Tells the observer when a record starts and how it ended; passes the
/// fault it asks for down to [`Inject`].
pub(crate) struct Observe<'o, O, I> {
    pub(super) observer: &'o O,
    pub(super) inner: I,
}

impl<S, H, O, I> Layer<S, H, O::Fault> for Observe<'_, O, I>
where
    S: Source,
    H: RecordHandler<S>,
    O: Observer,
    I: Layer<S, H, O::Fault, Output = RecordStatus>,
{
    type Output = RecordStatus;

    async fn call<'a>(&'a self, mut req: Req<'a, S, H, O::Fault>) -> RecordStatus {
        let index = req.index;
        req.fault = self.observer.start(index, req.record);
        let status = self.inner.call(req).await;
        self.observer.end(index, &status);
        status
    }
}

/// Runs the layers below inside the record's tracing span.
pub(crate) struct Span<I>(pub(super) I);

impl<S, H, F, I> Layer<S, H, F> for Span<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F>,
{
    type Output = I::Output;

    async fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> I::Output {
        let span = req.record.span();
        self.0.call(req).instrument(span).await
    }
}

/// Runs a record only if idempotency claimed its key (or is off): a
/// record whose key completed earlier is replayed (not run), one that must
/// not run now fails with the reason.
pub(crate) struct Claimed<'c, I> {
    pub(super) claims: Option<&'c BatchClaims>,
    pub(super) inner: I,
}

impl<S, H, F, I> Layer<S, H, F> for Claimed<'_, I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordStatus>,
{
    type Output = RecordStatus;

    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = RecordStatus> + 'a {
        let Some(claims) = self.claims else { return Either::Right(self.inner.call(req)) };
        let key = claims.key(req.index);
        match claims.decision(req.index) {
            Decision::Run => Either::Right(self.inner.call(req)),
            Decision::Replay => {
                tracing::info!(
                    key = key.map(Key::as_str),
                    "record handled in an earlier delivery: replayed, not run"
                );
                Either::Left(ready(RecordStatus::Replayed))
            }
            Decision::Refuse(error) => {
                record_failed(req.record, S::KIND, error);
                Either::Left(ready(RecordStatus::Failed(error.clone())))
            }
        }
    }
}

/// Turns the outcome into the record's status, logging it: a failure is
/// its record's one log event ([`record_failed`]).
pub(crate) struct Settle<I>(pub(super) I);

impl<S, H, F, I> Layer<S, H, F> for Settle<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordOutcome>,
{
    type Output = RecordStatus;

    async fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> RecordStatus {
        let record = req.record;
        match self.0.call(req).await {
            RecordOutcome::Success => {
                tracing::debug!("record handled");
                RecordStatus::Succeeded
            }
            RecordOutcome::Failure(error) => {
                record_failed(record, S::KIND, &error);
                RecordStatus::Failed(error)
            }
            RecordOutcome::RetryLater { reason } => {
                tracing::info!(reason = reason.as_deref().unwrap_or(""), "record to be retried later");
                RecordStatus::RetryLater { reason }
            }
            RecordOutcome::Poison { reason } => {
                tracing::warn!(id = record.item_identifier(), reason = %reason, "record dropped as poison");
                RecordStatus::Poison { reason }
            }
        }
    }
}

/// Fails the record if the layers below take longer than the record timeout.
pub(crate) struct Timeout<I> {
    pub(super) limit: Option<Duration>,
    pub(super) inner: I,
}

impl<S, H, F, I> Layer<S, H, F> for Timeout<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordOutcome>,
{
    type Output = RecordOutcome;

    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = RecordOutcome> + 'a {
        bounded(self.limit, self.inner.call(req), |limit| {
            RecordOutcome::Failure(RecordError::new(
                RecordErrorKind::Timeout,
                format!("took longer than the record timeout of {} ms", limit.as_millis()),
            ))
        })
    }
}

/// A panic while making or polling the call below becomes this record's
/// failure.
pub(crate) struct Isolate<I>(pub(super) I);

impl<S, H, F, I> Layer<S, H, F> for Isolate<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordOutcome>,
{
    type Output = RecordOutcome;

    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = RecordOutcome> + 'a {
        isolated(
            move || self.0.call(req),
            |message| RecordOutcome::Failure(RecordError::new(RecordErrorKind::Panic, message)),
        )
    }
}

/// Applies the observer's fault, if any, to the handler's future.
pub(crate) struct Inject<I>(pub(super) I);

impl<S, H, F, I> Layer<S, H, F> for Inject<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordOutcome>,
{
    type Output = RecordOutcome;

    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = RecordOutcome> + 'a {
        let fault = req.fault;
        let call = self.0.call(req);
        match fault {
            None => Either::Left(call),
            Some(fault) => Either::Right(fault.apply(call, || RecordOutcome::failure("injected error"))),
        }
    }
}

/// The user's handler: `H::handle`, called at once.
pub(crate) struct Handler;

impl<S, H, F> Layer<S, H, F> for Handler
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
{
    type Output = RecordOutcome;

    fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> impl Future<Output = RecordOutcome> + 'a {
        req.handler.handle(req.record, req.cx)
    }
}
