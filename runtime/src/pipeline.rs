//! One invocation, start to end, for any source: read the records, plan the
//! batch from the settings, run the engine, report, answer Lambda.
//!
//! [`BatchPipeline`] gives every source these steps as associated
//! functions (`Sqs::process(..)`, `Kinesis::handle(..)`);
//! [`BatchService`](crate::BatchService) is the same pipeline as a
//! `tower::Service`, and `#[batch_handler]` calls [`BatchPipeline::handle`].

use std::future::Future;
use std::panic::AssertUnwindSafe;

use lambda_runtime::{Context, LambdaEvent};

use crate::engine::deadline::Deadline;
use crate::engine::hooks::end_batch;
use crate::error::{BatchError, log_failure};
use crate::event::BatchEvent;
use crate::handler::RecordHandler;
use crate::idempotency::settle_allowance;
use crate::metrics::{BatchTimes, Metrics, oldest_arrival};
use crate::plan::BatchPlan;
use crate::report::BatchReport;
use crate::report::RecordStatus;
use crate::response::BatchResponse;
use crate::source::Source;

/// Handles batches of a source: implemented for every [`Source`].
///
/// ```
/// use lambda_batch::sqs::{Sqs, SqsConfig, SqsRecord};
/// use lambda_batch::{handler_fn, BatchEvent, BatchPipeline, Context};
///
/// # async fn run(event: BatchEvent, cx: Context) -> Result<(), lambda_batch::BatchError> {
/// let handler = handler_fn(|record: &SqsRecord<'_>, _cx: &Context| {
///     if record.body() == Some("boom") { Err("bad record") } else { Ok(()) }
/// });
/// let report = Sqs::process(&handler, &SqsConfig::new(), &event, &cx).await?;
/// println!("{:?}", report.counts());
/// # Ok(()) }
/// ```
pub trait BatchPipeline: Source + Sized {
    /// Reads every record of an event as this source, in order.
    ///
    /// # Errors
    /// [`BatchError::InvalidEvent`] if the event is not a batch of this
    /// source (no `Records` array, or for Kafka no `records` map);
    /// [`BatchError::MissingItemIdentifier`] if a record cannot be named.
    fn read_records(event: &BatchEvent) -> Result<Vec<Self::Record<'_>>, BatchError> {
        read_records::<Self>(event)
    }

    /// Handles a batch and reports what happened to each record.
    ///
    /// # Errors
    /// See [`read_records`](Self::read_records); nothing is handled when the
    /// event cannot be read.
    fn process<'e, H: RecordHandler<Self>>(
        handler: &H,
        config: &Self::Config,
        event: &'e BatchEvent,
        cx: &Context,
    ) -> impl Future<Output = Result<BatchReport<'e>, BatchError>> {
        process::<Self, H>(handler, config, event, cx)
    }

    /// Handles an invocation: [`process`](Self::process), then the
    /// all-failed policy; an error is logged once.
    ///
    /// # Errors
    /// See [`process`](Self::process) and [`BatchReport::into_response`].
    fn handle<H: RecordHandler<Self> + Sync>(
        handler: &H,
        config: &Self::Config,
        event: LambdaEvent<BatchEvent>,
    ) -> impl Future<Output = Result<BatchResponse, BatchError>> + Send {
        handle::<Self, H>(handler, config, event)
    }
}

impl<S: Source> BatchPipeline for S {}

/// Reads every record of an event as source `S`, in order.
pub(crate) fn read_records<S: Source>(event: &BatchEvent) -> Result<Vec<S::Record<'_>>, BatchError> {
    let raw = event.records()?;
    let mut records = Vec::with_capacity(raw.len());
    for (index, raw) in raw.iter().enumerate() {
        records.push(S::read_record(index, raw)?);
    }
    Ok(records)
}

/// Handles a batch of source `S` under `config` and reports each record's
/// status; then writes the metrics line, if the handler has metrics, and
/// calls `on_batch_end`.
pub(crate) async fn process<'e, S, H>(
    handler: &H,
    config: &S::Config,
    event: &'e BatchEvent,
    cx: &Context,
) -> Result<BatchReport<'e>, BatchError>
where
    S: Source,
    H: RecordHandler<S>,
{
    let started = tokio::time::Instant::now();
    let records = read_records::<S>(event)?;
    let plan = S::plan(config, &records);
    let deadline = Deadline::from_context(cx, plan.limits.deadline_margin());
    let metrics = metrics_of::<S, H>(handler);
    let oldest_arrival = metrics.and_then(|_| oldest_arrival(&records));
    // Records' work moved to other threads (`parallel`) goes to this
    // invocation's own crew of threads.
    let statuses = crate::parallel::crew::scope(run::<S, H>(handler, &records, &plan, cx)).await;
    let report = report::<S>(records, statuses, &plan);
    if let Some(metrics) = metrics {
        let times = BatchTimes::now(started.elapsed(), oldest_arrival);
        let published = std::panic::catch_unwind(AssertUnwindSafe(|| metrics.publish(&report, &times)));
        if published.is_err() {
            tracing::warn!(
                "the metrics output panicked: no metrics line for this invocation (the response is not changed)"
            );
        }
    }
    end_batch::<S, H>(handler, &report, cx, &plan.limits, deadline).await;
    Ok(report)
}

/// The handler's metrics settings, if it has them. The user's function
/// behind `metrics = path` runs here: a panic in it is logged and means no
/// metrics line, never a failed invocation.
fn metrics_of<S: Source, H: RecordHandler<S>>(handler: &H) -> Option<&Metrics> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| handler.metrics())) {
        Ok(metrics) => metrics,
        Err(_) => {
            tracing::warn!("the handler's metrics function panicked: no metrics line for this invocation");
            None
        }
    }
}

/// Runs the engine on `records`, with the handler's idempotency around it
/// if it has one: claims before, results written after.
async fn run<S, H>(
    handler: &H,
    records: &[S::Record<'_>],
    plan: &BatchPlan,
    cx: &Context,
) -> Vec<RecordStatus>
where
    S: Source,
    H: RecordHandler<S>,
{
    let observer = crate::observer::current();
    let Some(idempotency) = handler.idempotency() else {
        return crate::engine::run::<S, H, _>(records, plan, handler, cx, &observer, None).await;
    };
    let deadline = crate::engine::deadline::invocation_deadline(cx);
    let margin = plan.limits.deadline_margin();
    // Claims expire at the deadline; they must be made before the cut-off,
    // to leave time for the records.
    let claim_by = deadline.map(|d| d.checked_sub(margin).unwrap_or(d));
    let claims = idempotency.claim(records, cx, deadline, claim_by).await;
    let statuses = crate::engine::run::<S, H, _>(records, plan, handler, cx, &observer, Some(&claims)).await;
    // The results must be written before the response is due.
    let settle_by = deadline.map(|d| d.checked_sub(margin / 2 - settle_allowance(margin)).unwrap_or(d));
    idempotency.settle(&claims, &statuses, settle_by).await;
    statuses
}

/// The batch's report, logged.
fn report<'e, S: Source>(
    records: Vec<S::Record<'e>>,
    statuses: Vec<RecordStatus>,
    plan: &BatchPlan,
) -> BatchReport<'e> {
    let report = BatchReport::new(records.into_iter().map(S::into_item_identifier), statuses, plan);
    report.log_summary();
    report
}

/// Handles an invocation of source `S`: `process`, then the all-failed
/// policy; an error is logged once.
pub async fn handle<S, H>(
    handler: &H,
    config: &S::Config,
    event: LambdaEvent<BatchEvent>,
) -> Result<BatchResponse, BatchError>
where
    S: Source,
    H: RecordHandler<S>,
{
    let (payload, context) = event.into_parts();
    let result =
        process::<S, H>(handler, config, &payload, &context).await.and_then(BatchReport::into_response);
    log_failure(S::KIND, result)
}
