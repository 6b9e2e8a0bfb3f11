//! The adapter that runs a real Lambda handler as a [`Function`]: the
//! event rendered exactly as Lambda sends it, on the simulation's clock
//! (`clockwork`), with the run's per-record faults and delays injected.

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use tokio::time::Instant;

use lambda_batch::fault::{CallFault, Injector};
use lambda_batch::{BatchEvent, LambdaEvent, RecordErrorKind, RecordStatus};
use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::check::RecordView;
use crate::harness::FromBatchJson;
use crate::sim::core::clock::Millis;
use crate::sim::core::function::clockwork::{Clockwork, InvocationFuture};
use crate::sim::core::function::invocation::{
    Clocked, Completed, Function, Invocation, InvocationResult, RecordNotes,
};
use crate::sim::core::function::render;

/// Runs a real Lambda handler: anything `lambda_runtime::service_fn`
/// takes, e.g. a `#[batch_handler]` function, `|event| handler(&state, event)`,
/// or an `async fn(LambdaEvent<Value>, ..)` for asynchronous invocation.
///
/// Each invocation renders the event exactly as Lambda would (real field
/// names, attributes, base64 Kinesis data), builds the payload type from
/// the JSON text as `lambda_runtime` does, and runs the handler with a
/// `Context` whose request id and deadline are the invocation's. The run's
/// per-record faults and delays are injected into the engine (or into a
/// hand-written handler's `lambda_batch::observe`d work).
///
/// The handler runs on the simulation's clock (a single-threaded tokio
/// runtime with a paused clock): what it awaits takes virtual time
/// (`tokio::time::sleep(..)` standing for a slow call, the engine's own
/// deadline guard), invocations that overlap in time run together,
/// interleaving at their awaits, and an invocation still running at the
/// function timeout is stopped there, its effects so far kept, and ends in
/// `Sandbox.Timedout` as on Lambda.
///
/// Call the simulation from synchronous code (a plain `#[test]`, `main`, a
/// thread): inside an async context every invocation fails with
/// `Testkit.InsideAsyncContext` instead of blocking the runtime.
pub fn lambda_function<'f, F, P>(handler: F) -> LambdaFunction<'f, F, P> {
    LambdaFunction { handler, clockwork: None, record_time: None, payload: PhantomData }
}

/// How long one record's call takes, from the record as the handler sees
/// it (see [`LambdaFunction::with_record_time`]).
type RecordTime<'f> = Box<dyn Fn(&RecordView<'_>) -> Duration + 'f>;

/// A real Lambda handler as a [`Function`]; see [`lambda_function`].
pub struct LambdaFunction<'f, F, P> {
    handler: F,
    clockwork: Option<Clockwork<'f>>,
    record_time: Option<RecordTime<'f>>,
    payload: PhantomData<fn(P)>,
}

impl<'f, F, P> LambdaFunction<'f, F, P> {
    /// Each record's call waits `time(record)` first (on the simulation's
    /// clock), as if the work took that long: a cost model of the
    /// handler, e.g. a record whose body says `"slow"` takes 20 minutes.
    /// Injected like the record faults: into a `#[batch_handler]`'s engine,
    /// or a hand-written handler's `lambda_batch::observe`d work (without
    /// `observe`, a hand-written handler's own awaits are its only time).
    ///
    /// ```
    /// use std::time::Duration;
    /// use lambda_batch::{batch_handler, RecordOutcome};
    /// use lambda_batch_testkit::sim::{self, lambda_function, QueueConfig, SqsSimConfig, SqsSimulation};
    ///
    /// #[batch_handler(sqs)]
    /// async fn handle(body: &str) -> RecordOutcome { let _ = body; RecordOutcome::Success }
    ///
    /// let mut function = lambda_function(handle).with_record_time(|record| {
    ///     if record.body() == Some("slow") { Duration::from_secs(20 * 60) } else { Duration::from_millis(5) }
    /// });
    /// let mut simulation = SqsSimulation::new(SqsSimConfig::new(QueueConfig::standard().with_dlq(1))).unwrap();
    /// simulation.send(0, "slow");
    /// let report = simulation.run(&mut function);
    /// // The engine's deadline guard gives up on it before the 3 s timeout.
    /// assert_eq!(report.metrics.dlq_messages_visible, 1);
    /// sim::check::progress(&report).unwrap();
    /// ```
    #[must_use]
    pub fn with_record_time(mut self, time: impl Fn(&RecordView<'_>) -> Duration + 'f) -> Self {
        self.record_time = Some(Box::new(time));
        self
    }
}

impl<F, P> std::fmt::Debug for LambdaFunction<'_, F, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaFunction").finish_non_exhaustive()
    }
}

impl<'f, F, Fut, P, R, E> LambdaFunction<'f, F, P>
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>> + 'f,
    P: FromBatchJson,
    R: Serialize,
    E: Into<Diagnostic>,
{
    /// The clockwork, built on first use; an error when the handler cannot
    /// run here.
    fn clockwork(&mut self) -> Result<&mut Clockwork<'f>, InvocationResult> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(InvocationResult::error(
                "Testkit.InsideAsyncContext",
                "lambda_function runs the handler on its own tokio runtime and cannot be called from async \
                 code: run the simulation from a plain #[test] or main, or in std::thread::spawn",
            ));
        }
        if self.clockwork.is_none() {
            let built = Clockwork::new()
                .map_err(|error| InvocationResult::error("Testkit.Runtime", &error.to_string()))?;
            self.clockwork = Some(built);
        }
        self.clockwork.as_mut().ok_or_else(|| InvocationResult::error("Testkit.Runtime", "no tokio runtime"))
    }

    /// The invocation's work as a future: the event rendered and read as
    /// `lambda_runtime` reads it, the handler called in the injector's
    /// scope, its response serialized.
    /// Each record's time from [`LambdaFunction::with_record_time`] (empty
    /// without it), read from the rendered event.
    fn record_times(&self, invocation: &Invocation<'_>, event: &str) -> Vec<Duration> {
        let (Some(time), Some(source)) = (&self.record_time, invocation.payload.source()) else {
            return Vec::new();
        };
        let Ok(event) = BatchEvent::from_json(event) else { return Vec::new() };
        let records = event.records().unwrap_or_default();
        let read = |record: &str| serde_json::from_str(record).unwrap_or_default();
        records.iter().map(|record| time(&RecordView::new(source, &read(record.get())))).collect()
    }

    /// `deadline`: the invocation's deadline on the clockwork's clock, for
    /// the engine's guard (`None`: it reads the `Context` against the wall
    /// clock, as in production).
    fn begin(&self, invocation: &Invocation<'_>, deadline: Option<Instant>) -> InvocationFuture<'f> {
        crate::harness::quiet_injected_panics();
        let text = render::event(&invocation.payload);
        let payload = match P::from_batch_text(&text) {
            Ok(payload) => payload,
            Err(error) => {
                let result = InvocationResult::error("Runtime.DeserializeError", &error);
                return Box::pin(std::future::ready(result.into()));
            }
        };
        let mut cx = crate::context_with_budget(Duration::from_millis(invocation.timeout));
        invocation.request_id.clone_into(&mut cx.request_id);
        let times = self.record_times(invocation, &text);
        let injector = injector(invocation, &text, &times, deadline);
        let called =
            std::panic::catch_unwind(AssertUnwindSafe(|| (self.handler)(LambdaEvent::new(payload, cx))));
        let Ok(handler) = called else {
            let result = InvocationResult::error("Runtime.Panic", "the handler panicked");
            return Box::pin(std::future::ready(result.into()));
        };
        Box::pin(async move {
            let result = match crate::harness::lambda_response(injector.scope(handler).await) {
                Ok(value) => InvocationResult::Response(value),
                Err(error) => {
                    InvocationResult::Error { error_type: error.error_type, message: error.message }
                }
            };
            Completed { result, notes: notes(&injector) }
        })
    }
}

impl<'f, F, Fut, P, R, E> Function for LambdaFunction<'f, F, P>
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>> + 'f,
    P: FromBatchJson,
    R: Serialize,
    E: Into<Diagnostic>,
{
    fn invoke(&mut self, invocation: &Invocation<'_>) -> InvocationResult {
        let future = self.begin(invocation, None);
        let clockwork = match self.clockwork() {
            Ok(clockwork) => clockwork,
            Err(error) => return error,
        };
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| clockwork.block_on(future).result));
        caught.unwrap_or_else(|_| InvocationResult::error("Runtime.Panic", "the handler panicked"))
    }

    fn clocked(&mut self) -> Option<&mut dyn Clocked> {
        // Where the handler cannot run on the clock, `invoke` says why.
        self.clockwork().ok()?;
        Some(self)
    }
}

impl<'f, F, Fut, P, R, E> Clocked for LambdaFunction<'f, F, P>
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>> + 'f,
    P: FromBatchJson,
    R: Serialize,
    E: Into<Diagnostic>,
{
    fn restart(&mut self) {
        if let Some(clockwork) = self.clockwork.as_mut() {
            clockwork.restart();
        }
    }

    fn start(&mut self, slot: usize, invocation: &Invocation<'_>) {
        let Ok(clockwork) = self.clockwork() else { return };
        let deadline = clockwork.instant(invocation.started_at.saturating_add(invocation.timeout));
        let future = self.begin(invocation, Some(deadline));
        if let Ok(clockwork) = self.clockwork() {
            clockwork.start(slot, invocation.started_at, invocation.timeout, future);
        }
    }

    fn running(&self) -> bool {
        self.clockwork.as_ref().is_some_and(Clockwork::running)
    }

    fn run_until(&mut self, until: Millis) -> Option<(usize, Option<Completed>, Millis)> {
        self.clockwork.as_mut()?.run_until(until)
    }
}

/// What the engine's calls of the batch say, by index: the records handed
/// to the poison sink (settled as poison), the ones replayed, and the ones
/// idempotency did not run.
fn notes(injector: &Injector) -> RecordNotes {
    let mut notes = RecordNotes::default();
    for call in injector.calls().into_iter().filter(|call| call.index != usize::MAX) {
        match call.status {
            Some(RecordStatus::Poison { .. }) => notes.parked.push(call.index),
            Some(RecordStatus::Replayed) => notes.replayed.push(call.index),
            Some(RecordStatus::Failed(error)) if error.kind() == RecordErrorKind::Idempotency => {
                notes.not_run.push((call.index, error.message().into()));
            }
            _ => {}
        }
    }
    notes
}

/// The injector of an invocation's record faults and delays (a failing
/// record fails without its delay). It knows each record's
/// identifier, read from the rendered event by the runtime's own reader
/// (`SourceKind::identify`), so `lambda_batch::observe` in a hand-written
/// handler finds the record it is given. Without faults no lookup can
/// change an outcome, and none is made.
fn injector(
    invocation: &Invocation<'_>,
    event: &str,
    times: &[Duration],
    deadline: Option<Instant>,
) -> std::sync::Arc<Injector> {
    let records = invocation.record_delays.len().max(times.len());
    let delay = |index: usize| {
        let jitter =
            invocation.record_delays.get(index).map_or(Duration::ZERO, |&ms| Duration::from_millis(ms));
        jitter + times.get(index).copied().unwrap_or_default()
    };
    let delays = (0..records).map(|index| (index, delay(index))).filter(|(_, delay)| !delay.is_zero());
    let mut faults: HashMap<usize, CallFault> =
        delays.map(|(index, delay)| (index, CallFault::Delay(delay))).collect();
    faults.extend(invocation.failing_records.iter().map(|&index| (index, CallFault::Error)));
    let identifiers = match invocation.payload.source() {
        Some(source) if !faults.is_empty() => {
            let event =
                BatchEvent::from_json(event).unwrap_or_else(|_| BatchEvent::from(serde_json::Value::Null));
            event
                .records()
                .unwrap_or_default()
                .iter()
                .enumerate()
                .map(|(index, record)| {
                    source
                        .identify(index, record.get())
                        .map(|identity| identity.item_identifier)
                        .unwrap_or_default()
                })
                .collect()
        }
        _ => Vec::new(),
    };
    match deadline {
        Some(deadline) => Injector::with_deadline(faults, identifiers, deadline),
        None => Injector::with_identifiers(faults, identifiers),
    }
}
