//! The user's hooks: [`Hooks`], the layer of the per-record stack that
//! calls `on_success` or `on_failure` once a record's status is known, and
//! [`end_batch`], which calls `on_batch_end` once after the batch.
//!
//! A hook only watches: its error, its panic (isolated by the same code as
//! the handler, [`isolated`]) or its running past its bound ([`bounded`])
//! is logged, naming the hook and the record, and the status stays as it
//! was. The bound is the record timeout, if any, and no later than the
//! deadline's cut-off for a record's hook (so a hanging hook never reaches
//! the abandon point, where the record would be failed) or its abandon
//! point for `on_batch_end` (leaving the other half of the margin to send
//! the response). Without a record timeout and a deadline a hook is not
//! bounded, like the handler.

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures_util::FutureExt;
use lambda_runtime::Context;
use tokio::time::Instant;

use super::deadline::Deadline;
use super::guard::{bounded, isolated};
use super::layer::{Layer, Req};
use super::observe::ApplyFault;
use crate::handler::RecordHandler;
use crate::policy::Limits;
use crate::report::{BatchReport, RecordStatus};
use crate::source::{BatchRecord, Source};

/// Calls the handler's `on_success` for a record that succeeded or was
/// replayed, `on_failure` for one that failed; the status it hands up is
/// the one from below, whatever the hook did.
pub(crate) struct Hooks<I> {
    /// The record timeout, which bounds a hook too (on a timer of its own).
    pub(super) timeout: Option<Duration>,
    /// The deadline's cut-off: no hook runs past it.
    pub(super) cut_off: Option<Instant>,
    pub(super) inner: I,
}

impl<S, H, F, I> Layer<S, H, F> for Hooks<I>
where
    S: Source,
    H: RecordHandler<S>,
    F: ApplyFault,
    I: Layer<S, H, F, Output = RecordStatus>,
{
    type Output = RecordStatus;

    async fn call<'a>(&'a self, req: Req<'a, S, H, F>) -> RecordStatus {
        let (record, handler, cx) = (req.record, req.handler, req.cx);
        let status = self.inner.call(req).await;
        // The record is borrowed for the stack's `'a`, the status only here.
        let limit = || bound(self.timeout, self.cut_off);
        let id = Some(record.item_identifier());
        match &status {
            RecordStatus::Succeeded | RecordStatus::Replayed => {
                watched("on_success", id, limit, || handler.on_success(S::shorten(record), &status, cx))
                    .await;
            }
            RecordStatus::Failed(error) => {
                watched("on_failure", id, limit, || handler.on_failure(S::shorten(record), error, cx)).await;
            }
            _ => {}
        }
        status
    }
}

/// Calls the handler's `on_batch_end` with the batch's report, isolated and
/// bounded by the record timeout and the `deadline`'s abandon point (the
/// invocation's, read once when it started).
pub(crate) async fn end_batch<S, H>(
    handler: &H,
    report: &BatchReport<'_>,
    cx: &Context,
    limits: &Limits,
    deadline: Option<Deadline>,
) where
    S: Source,
    H: RecordHandler<S>,
{
    let limit = || bound(limits.record_timeout(), deadline.map(|d| d.abandon));
    watched("on_batch_end", None, limit, || handler.on_batch_end(report, cx)).await;
}

/// How long a hook may run from now: the record timeout, and no later
/// than `until`; `None` when neither is set.
fn bound(timeout: Option<Duration>, until: Option<Instant>) -> Option<Duration> {
    let left = until.map(|until| until.saturating_duration_since(Instant::now()));
    match (timeout, left) {
        (Some(timeout), Some(left)) => Some(timeout.min(left)),
        (timeout, left) => timeout.or(left),
    }
}

/// Runs the hook `make` makes, isolated and bounded by `limit`; whatever
/// goes wrong is logged as a warning naming `hook` and the record `id`,
/// and goes no further.
///
/// A hook that is done at its first poll (the default no-op, most hooks
/// that only count or log) needs no bound: the clock is read and the timer
/// made only for one that is not.
async fn watched<Fut>(
    hook: &'static str,
    id: Option<&str>,
    limit: impl FnOnce() -> Option<Duration>,
    make: impl FnOnce() -> Fut,
) where
    Fut: Future<Output = Result<(), String>>,
{
    let mut call = pin!(isolated(
        || make().map(|done| done.map_err(|error| format!("returned an error: {error}"))),
        |panic| Err(format!("panicked: {panic}")),
    ));
    let done = match call.as_mut().now_or_never() {
        Some(done) => done,
        None => {
            bounded(limit(), call, |limit| {
                Err(format!("did not finish within its bound of {} ms and was dropped", limit.as_millis()))
            })
            .await
        }
    };
    if let Err(error) = done {
        tracing::warn!(
            hook,
            id,
            error = %error,
            "a hook failed; it is ignored and the response is unchanged (fix the hook, or make it return \
             sooner)"
        );
    }
}
