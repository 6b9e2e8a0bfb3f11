//! [`Idempotent`]: idempotency around a hand-written record handler.

use std::future::Future;

use lambda_runtime::Context;

use super::batch::BatchIdempotency;
use crate::handler::{PoisonRecord, RecordHandler};
use crate::metrics::Metrics;
use crate::outcome::{RecordError, RecordOutcome};
use crate::report::{BatchReport, RecordStatus};
use crate::source::Source;

/// A [`RecordHandler`] with idempotency: the engine claims the batch's
/// keys before any record runs, replays completed ones, and records what
/// happened after the batch. `#[batch_handler(idempotency = ..)]` does
/// the same for a record function.
///
/// ```
/// use lambda_batch::idempotency::{Idempotency, Idempotent, MemoryStore};
/// use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
/// use lambda_batch::{handler_fn, BatchPipeline, Context};
///
/// # async fn run(event: lambda_batch::BatchEvent, cx: Context) -> Result<(), lambda_batch::BatchError> {
/// let charge = handler_fn(|record: &SqsRecord<'_>, _cx: &Context| {
///     if record.body().is_some() { Ok(()) } else { Err("no order") }
/// });
/// let handler = Idempotent::new(charge, Idempotency::new(MemoryStore::new()));
/// let report = Sqs::process(&handler, &SqsConfig::new(), &event, &cx).await?;
/// println!("{:?}", report.counts());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Idempotent<H, I> {
    handler: H,
    idempotency: I,
}

impl<H, I> Idempotent<H, I> {
    /// `handler`, guarded by `idempotency`.
    pub fn new(handler: H, idempotency: I) -> Self {
        Idempotent { handler, idempotency }
    }

    /// The handler inside.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// The idempotency settings.
    pub fn idempotency(&self) -> &I {
        &self.idempotency
    }
}

impl<S, H, I> RecordHandler<S> for Idempotent<H, I>
where
    S: Source,
    H: RecordHandler<S>,
    I: BatchIdempotency<S>,
{
    const HAS_POISON_SINK: bool = H::HAS_POISON_SINK;

    fn handle<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = RecordOutcome> + Send + 'a {
        self.handler.handle(record, cx)
    }

    fn on_poison<'a>(
        &'a self,
        poison: &'a PoisonRecord<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        self.handler.on_poison(poison, cx)
    }

    fn idempotency(&self) -> Option<&dyn BatchIdempotency<S>> {
        Some(&self.idempotency)
    }

    fn on_success<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        status: &'a RecordStatus,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        self.handler.on_success(record, status, cx)
    }

    fn on_failure<'a>(
        &'a self,
        record: &'a S::Record<'a>,
        error: &'a RecordError,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        self.handler.on_failure(record, error, cx)
    }

    fn on_batch_end<'a>(
        &'a self,
        report: &'a BatchReport<'a>,
        cx: &'a Context,
    ) -> impl Future<Output = Result<(), String>> + Send + 'a {
        self.handler.on_batch_end(report, cx)
    }

    fn metrics(&self) -> Option<&Metrics> {
        self.handler.metrics()
    }
}
