//! One invocation of the simulated function: what it is given
//! ([`Invocation`]), what it returns ([`InvocationResult`]), and the
//! [`Function`] trait the simulations invoke.

use std::sync::Arc;

use serde_json::Value;

use crate::sim::core::clock::Millis;
use crate::sim::core::function::payload::{KafkaDelivery, Payload};

/// One invocation of the function.
#[derive(Debug, Clone, Copy)]
pub struct Invocation<'a> {
    /// The request id (`Context::request_id`). The same on every retry of
    /// an asynchronous event; new for every batch.
    pub request_id: &'a str,
    /// Attempt number: asynchronous retries count 1, 2, 3; batches are 1.
    pub attempt: u32,
    /// When it started (virtual ms).
    pub started_at: Millis,
    /// The function timeout (ms).
    pub timeout: Millis,
    /// What it carries.
    pub payload: Payload<'a>,
    /// Records the run's fault schedule fails (indices into the batch).
    /// [`lambda_function`](crate::sim::lambda_function) injects them into
    /// the engine, or into a hand-written handler's per-record work wrapped
    /// in `lambda_batch::observe`; a [`Function`] closure should fail them
    /// itself.
    pub failing_records: &'a [usize],
    /// How long each record's call waits first (ms, by index; empty when
    /// [`Timing::jitter`](crate::sim::Timing::jitter) is 0). Injected like
    /// `failing_records`; a closure may ignore them.
    pub record_delays: &'a [Millis],
}

/// What the function returned.
#[derive(Debug, Clone, PartialEq)]
pub enum InvocationResult {
    /// A response (for batches: read as Lambda reads it, with the
    /// runtime's validator).
    Response(Value),
    /// A function error (the runtime posted to `/invocation/{id}/error`).
    Error {
        /// `errorType`.
        error_type: String,
        /// `errorMessage`.
        message: String,
    },
}

impl InvocationResult {
    /// `{"batchItemFailures": []}`: every record handled.
    pub fn all_handled() -> Self {
        InvocationResult::Response(serde_json::json!({ "batchItemFailures": [] }))
    }

    /// `{"batchItemFailures": [...]}` with these identifiers.
    pub fn failures<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let entries: Vec<Value> =
            ids.into_iter().map(|id| serde_json::json!({ "itemIdentifier": id })).collect();
        InvocationResult::Response(serde_json::json!({ "batchItemFailures": entries }))
    }

    /// A Kafka response naming these records:
    /// `{"itemIdentifier": {"partition": "<topic>-<partition>", "offset": n}}` each.
    pub fn kafka_failures<'a>(records: impl IntoIterator<Item = &'a KafkaDelivery>) -> Self {
        let entries: Vec<Value> = records
            .into_iter()
            .map(|record| {
                serde_json::json!({
                    "itemIdentifier": { "partition": record.partition_key(), "offset": record.offset }
                })
            })
            .collect();
        InvocationResult::Response(serde_json::json!({ "batchItemFailures": entries }))
    }

    /// A function error of this type.
    pub fn error(error_type: &str, message: &str) -> Self {
        InvocationResult::Error { error_type: error_type.to_owned(), message: message.to_owned() }
    }
}

/// Whether `response` is `{"batchItemFailures": []}` exactly (what
/// [`InvocationResult::all_handled`] returns).
pub(crate) fn lists_nothing(response: &Value) -> bool {
    response.as_object().is_some_and(|object| {
        object.len() == 1
            && object.get("batchItemFailures").and_then(Value::as_array).is_some_and(Vec::is_empty)
    })
}

/// A function the simulator invokes. Closures
/// `FnMut(&Invocation) -> InvocationResult` are functions: they run at
/// once, their effects at `invocation.started_at`. So is
/// [`lambda_function`](crate::sim::lambda_function)`(handler)` for a real
/// Lambda handler, which runs on the simulation's clock (see
/// [`Timing`](crate::sim::Timing)).
pub trait Function {
    /// Runs one invocation to its end.
    fn invoke(&mut self, invocation: &Invocation<'_>) -> InvocationResult;

    /// The function as one whose invocations take virtual time of their
    /// own and run together, if it is one (a real handler). The
    /// simulations use it; there is no need to implement it.
    #[doc(hidden)]
    fn clocked(&mut self) -> Option<&mut dyn Clocked> {
        None
    }
}

/// A function whose invocations take virtual time of their own: started
/// one by one, run together on the simulation's clock until one ends or is
/// killed at its timeout. Implemented by
/// [`LambdaFunction`](crate::sim::LambdaFunction); the simulations drive it.
#[doc(hidden)]
pub trait Clocked {
    /// A run starts: virtual time 0 is now, and invocations left from an
    /// earlier run (one stopped at its `until`) are dropped.
    fn restart(&mut self);

    /// Starts `invocation` in `slot` at `invocation.started_at`; it is
    /// killed `invocation.timeout` ms later if still running.
    fn start(&mut self, slot: usize, invocation: &Invocation<'_>);

    /// Whether an invocation started is still running.
    fn running(&self) -> bool;

    /// Runs the invocations started until one ends (its slot, what it
    /// yielded, or `None` if it was killed at its timeout, and the virtual
    /// time it ended), or until virtual time `until` with none ended.
    fn run_until(&mut self, until: Millis) -> Option<(usize, Option<Completed>, Millis)>;
}

/// What an invocation's work yields: the result, and what the engine
/// said about some of its records.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    /// What the function returned.
    pub result: InvocationResult,
    /// The records the engine parked, replayed or did not run.
    pub notes: RecordNotes,
}

impl From<InvocationResult> for Completed {
    fn from(result: InvocationResult) -> Self {
        Completed { result, notes: RecordNotes::default() }
    }
}

/// What the engine of a real handler said about some records of one
/// invocation, by index into the batch (all empty for a closure, or a
/// hand-written handler's work outside the engine).
#[doc(hidden)]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordNotes {
    /// Handed to the poison sink: acknowledged and parked, not handled.
    pub parked: Vec<usize>,
    /// Replayed: handled in an earlier delivery (idempotency found its key
    /// completed), not run again; acknowledged like a success.
    pub replayed: Vec<usize>,
    /// Not run in this delivery, and why: idempotency kept the record from
    /// running (its key in progress elsewhere, no claim because the store
    /// failed, no key). It fails, so it comes back.
    pub not_run: Vec<(usize, Arc<str>)>,
}

impl RecordNotes {
    /// Why record `index` was not run in this delivery, if it was not.
    pub(crate) fn not_run(&self, index: usize) -> Option<&Arc<str>> {
        self.not_run.iter().find(|(at, _)| *at == index).map(|(_, why)| why)
    }
}

impl<F: FnMut(&Invocation<'_>) -> InvocationResult> Function for F {
    fn invoke(&mut self, invocation: &Invocation<'_>) -> InvocationResult {
        self(invocation)
    }
}
