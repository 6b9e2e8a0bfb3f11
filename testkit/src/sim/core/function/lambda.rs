//! The adapter that runs a real Lambda handler as a [`Function`]: the
//! event rendered exactly as Lambda sends it, on a paused tokio runtime,
//! with the run's per-record faults injected.

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use lambda_batch::fault::{CallFault, Injector};
use lambda_batch::{BatchEvent, LambdaEvent};
use lambda_runtime::Diagnostic;
use serde::Serialize;

use crate::harness::FromBatchJson;
use crate::sim::core::function::invocation::{Function, Invocation, InvocationResult};
use crate::sim::core::function::payload::Payload;
use crate::sim::core::function::render;

/// Runs a real Lambda handler: anything `lambda_runtime::service_fn`
/// takes, e.g. a `#[batch_handler]` function, `|event| handler(&state, event)`,
/// or an `async fn(LambdaEvent<Value>, ..)` for asynchronous invocation.
///
/// Each invocation renders the event exactly as Lambda would (real field
/// names, attributes, base64 Kinesis data), builds the payload type from
/// the JSON text as `lambda_runtime` does, runs the handler on a
/// single-threaded tokio runtime with a paused clock and a `Context` whose
/// request id and deadline are the invocation's, and serializes the
/// response. The run's per-record faults are injected into the engine.
///
/// Call the simulation from synchronous code (a plain `#[test]`, `main`, a
/// thread): inside an async context every invocation fails with
/// `Testkit.InsideAsyncContext` instead of blocking the runtime.
pub fn lambda_function<F, P>(handler: F) -> LambdaFunction<F, P> {
    LambdaFunction { handler, runtime: None, payload: PhantomData }
}

/// A real Lambda handler as a [`Function`]; see [`lambda_function`].
pub struct LambdaFunction<F, P> {
    handler: F,
    runtime: Option<tokio::runtime::Runtime>,
    payload: PhantomData<fn(P)>,
}

impl<F, P> std::fmt::Debug for LambdaFunction<F, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaFunction").finish_non_exhaustive()
    }
}

impl<F, Fut, P, R, E> Function for LambdaFunction<F, P>
where
    F: Fn(LambdaEvent<P>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    P: FromBatchJson,
    R: Serialize,
    E: Into<Diagnostic>,
{
    fn invoke(&mut self, invocation: &Invocation<'_>) -> InvocationResult {
        crate::harness::quiet_injected_panics();
        if tokio::runtime::Handle::try_current().is_ok() {
            return InvocationResult::error(
                "Testkit.InsideAsyncContext",
                "lambda_function runs the handler on its own tokio runtime and cannot be called from async \
                 code: run the simulation from a plain #[test] or main, or in std::thread::spawn",
            );
        }
        if self.runtime.is_none() {
            let built =
                tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build();
            match built {
                Ok(runtime) => self.runtime = Some(runtime),
                Err(error) => return InvocationResult::error("Testkit.Runtime", &error.to_string()),
            }
        }
        let Some(runtime) = &self.runtime else {
            return InvocationResult::error("Testkit.Runtime", "no tokio runtime");
        };
        let text = render::event(&invocation.payload);
        let payload = match P::from_batch_text(&text) {
            Ok(payload) => payload,
            Err(error) => return InvocationResult::error("Runtime.DeserializeError", &error),
        };
        let mut cx = crate::context_with_budget(Duration::from_millis(invocation.timeout));
        invocation.request_id.clone_into(&mut cx.request_id);
        let injector = injector(invocation.failing_records, &invocation.payload, &text);
        let call = AssertUnwindSafe(|| {
            runtime.block_on(injector.scope((self.handler)(LambdaEvent::new(payload, cx))))
        });
        match std::panic::catch_unwind(call).map(crate::harness::lambda_response) {
            Ok(Ok(value)) => InvocationResult::Response(value),
            Ok(Err(error)) => {
                InvocationResult::Error { error_type: error.error_type, message: error.message }
            }
            Err(_) => InvocationResult::error("Runtime.Panic", "the handler panicked"),
        }
    }
}

/// The injector of an invocation's record faults. It knows each record's
/// identifier, read from the rendered event by the runtime's own reader
/// (`SourceKind::identify`), so `lambda_batch::observe` in a hand-written
/// handler finds the record it is given. Without faults no lookup can
/// change an outcome, and none is made.
fn injector(failing_records: &[usize], payload: &Payload<'_>, event: &str) -> std::sync::Arc<Injector> {
    let faults = failing_records.iter().map(|&index| (index, CallFault::Error)).collect();
    let identifiers = match payload.source() {
        Some(source) if !failing_records.is_empty() => {
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
    Injector::with_identifiers(faults, identifiers)
}
