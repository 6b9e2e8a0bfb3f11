//! Runs a batch handler on an event with a fault plan and records what it did.

use std::future::Future;
use std::time::Duration;

use lambda_batch::fault::{Call, CallSite, Injector};
use lambda_batch::{BatchEvent, LambdaEvent};
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

use crate::faults::FaultPlan;
use crate::strategy::Batch;

/// A payload type a batch handler can take.
pub trait FromBatchJson: Sized {
    /// Builds the payload from the event JSON, as `lambda_runtime` would.
    ///
    /// # Errors
    /// Why the event does not fit (the invocation then fails).
    fn from_batch_json(event: &Value) -> Result<Self, String>;

    /// Builds the payload from the event JSON text.
    ///
    /// # Errors
    /// Why the event does not fit (the invocation then fails).
    fn from_batch_text(event: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(event).map_err(|error| error.to_string())?;
        Self::from_batch_json(&value)
    }
}

impl FromBatchJson for BatchEvent {
    fn from_batch_json(event: &Value) -> Result<Self, String> {
        Ok(BatchEvent::from(event))
    }

    fn from_batch_text(event: &str) -> Result<Self, String> {
        BatchEvent::from_json(event).map_err(|error| error.to_string())
    }
}

impl FromBatchJson for Value {
    fn from_batch_json(event: &Value) -> Result<Self, String> {
        Ok(event.clone())
    }
}

macro_rules! typed_payload {
    ($($ty:ty),*) => {$(
        impl FromBatchJson for $ty {
            fn from_batch_json(event: &Value) -> Result<Self, String> {
                serde_json::from_value(event.clone()).map_err(|error| error.to_string())
            }

            fn from_batch_text(event: &str) -> Result<Self, String> {
                serde_json::from_str(event).map_err(|error| error.to_string())
            }
        }
    )*};
}

typed_payload!(
    lambda_batch::aws_events::SqsEvent,
    lambda_batch::aws_events::KinesisEvent,
    lambda_batch::aws_events::DynamoDbEvent,
    lambda_batch::aws_events::KafkaEvent
);

/// How an invocation failed, as Lambda would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvocationError {
    /// `errorType` (e.g. `LambdaBatch.AllRecordsFailed`).
    pub error_type: String,
    /// `errorMessage`.
    pub message: String,
}

/// What one run did.
#[derive(Debug, Clone)]
pub struct HarnessRun {
    /// The batch as the handler got it (the plan's faults in the event
    /// applied: corrupted payloads, identifier faults).
    pub batch: Batch,
    /// The faults planned.
    pub plan: FaultPlan,
    /// The response JSON, or the invocation error.
    pub response: Result<Value, InvocationError>,
    /// The calls the engine made, or a hand-written handler's per-record
    /// work reported through `lambda_batch::observe`, in the order they
    /// started. Empty for a hand-written handler that does not call
    /// `observe`.
    pub calls: Vec<Call>,
    /// How long the invocation ran, on the harness's paused clock (the
    /// deadline is [`FUNCTION_TIMEOUT`] after its start); zero when the
    /// handler panicked or never ran.
    pub took: Duration,
}

impl HarnessRun {
    /// The identifiers listed in `batchItemFailures` (empty on an error), as
    /// text: Kafka's `{"partition": p, "offset": n}` as `p@n`, the form of
    /// [`lambda_batch::ItemIdentifier::as_str`].
    pub fn reported(&self) -> Vec<String> {
        self.response.as_ref().map(lambda_batch::reported::identifiers).unwrap_or_default()
    }

    /// Whether the handler's per-record calls were observed (a
    /// `#[batch_handler]`, another engine-based handler, or a hand-written
    /// handler that calls `lambda_batch::observe`).
    pub fn observed(&self) -> bool {
        !self.calls.is_empty() || self.batch.is_empty()
    }

    /// The time the invocation had left when it ended (its deadline is
    /// [`FUNCTION_TIMEOUT`] after its start).
    pub fn time_left(&self) -> Duration {
        FUNCTION_TIMEOUT.saturating_sub(self.took)
    }

    /// Who reported the calls: the engine, a hand-written handler's
    /// `observe`, or `None` when nothing was observed.
    pub fn observed_by(&self) -> Option<CallSite> {
        if self.calls.iter().any(|call| call.site == CallSite::Engine) {
            Some(CallSite::Engine)
        } else {
            self.calls.first().map(|call| call.site)
        }
    }
}

/// The function timeout `run` gives the handler (Lambda's maximum).
pub const FUNCTION_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Runs `handler` on `batch` with `plan`, on a fresh single-threaded tokio
/// runtime with a paused clock (so slow and hanging records cost no real
/// time), with a context whose deadline is 15 minutes away, as Lambda's
/// runtime would: a panic out of the handler fails the invocation
/// (`Runtime.Panic`, as `lambda_runtime` reports it), and so does running
/// past the deadline (`Sandbox.Timedout`).
///
/// `handler` is anything `lambda_runtime::service_fn` takes: a
/// `#[batch_handler]` function, `|event| handler(&state, event)`, or a
/// hand-written `async fn(LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error>`
/// (which gets the call faults of `plan` through `lambda_batch::observe`).
pub fn run<F, Fut, P, R, E>(handler: F, batch: &Batch, plan: &FaultPlan) -> HarnessRun
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    P: FromBatchJson,
    R: Serialize,
    E: Into<Diagnostic>,
{
    quiet_injected_panics();
    let batch = plan.corrupt(batch);
    let identifiers = batch
        .identities()
        .into_iter()
        .map(|identity| identity.map(|identity| identity.item_identifier).unwrap_or_default())
        .collect();
    let injector = Injector::with_identifiers(plan.call_faults(), identifiers);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build();
    let Ok(runtime) = runtime else {
        return failed(batch, plan, "Testkit.Runtime", "could not build a tokio runtime");
    };
    // The exact bytes Lambda would send, keys in Lambda's order.
    let payload = match P::from_batch_text(&batch.json()) {
        Ok(payload) => payload,
        Err(error) => return failed(batch, plan, "Runtime.DeserializeError", &error),
    };
    let cx = crate::context_with_budget(FUNCTION_TIMEOUT);
    let invocation = async {
        let started = tokio::time::Instant::now();
        let result = tokio::time::timeout(FUNCTION_TIMEOUT, handler(LambdaEvent::new(payload, cx))).await;
        (result, started.elapsed())
    };
    let call = std::panic::AssertUnwindSafe(|| runtime.block_on(injector.scope(invocation)));
    let (result, took) = match std::panic::catch_unwind(call) {
        Ok((result, took)) => (Ok(result), took),
        Err(panic) => (Err(panic), Duration::ZERO),
    };
    let response = match result {
        Ok(Ok(result)) => lambda_response(result),
        Ok(Err(_elapsed)) => Err(InvocationError {
            error_type: "Sandbox.Timedout".to_owned(),
            message: format!("Task timed out after {:.2} seconds", FUNCTION_TIMEOUT.as_secs_f64()),
        }),
        Err(panic) => Err(InvocationError {
            error_type: "Runtime.Panic".to_owned(),
            message: format!("Lambda panicked: {}", panic_message(panic.as_ref())),
        }),
    };
    HarnessRun { batch, plan: plan.clone(), response, calls: injector.calls(), took }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic payload that is not text)")
}

/// What Lambda gets from a handler's result: the response JSON, or the
/// error as the runtime reports it (`errorType`, `errorMessage`).
pub(crate) fn lambda_response<R: Serialize, E: Into<Diagnostic>>(
    result: Result<R, E>,
) -> Result<Value, InvocationError> {
    match result {
        Ok(response) => serde_json::to_value(response).map_err(|error| InvocationError {
            error_type: "Runtime.SerializeError".to_owned(),
            message: error.to_string(),
        }),
        Err(error) => {
            let diagnostic: Diagnostic = error.into();
            Err(InvocationError { error_type: diagnostic.error_type, message: diagnostic.error_message })
        }
    }
}

/// Keeps the output readable: panics injected by a fault plan are not
/// printed (they are expected and caught); every other panic goes to the
/// hook that was installed before.
pub(crate) fn quiet_injected_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"injected panic") {
                previous(info);
            }
        }));
    });
}

fn failed(batch: Batch, plan: &FaultPlan, error_type: &str, message: &str) -> HarnessRun {
    let error = InvocationError { error_type: error_type.to_owned(), message: message.to_owned() };
    HarnessRun { batch, plan: plan.clone(), response: Err(error), calls: Vec::new(), took: Duration::ZERO }
}
