//! The simulated function: what it is given, what it returns, and the
//! adapter that runs a real Lambda handler (a `#[batch_handler]` function
//! or any function `lambda_runtime::service_fn` takes).

use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use lambda_batch::LambdaEvent;
use lambda_batch::fault::{Fault, Injector};
use lambda_batch::kafka::KafkaHeader;
use lambda_runtime::Diagnostic;
use serde::Serialize;
use serde_json::Value;

use crate::harness::FromBatchJson;
use crate::sim::core::clock::Millis;
use crate::sim::function::render;

/// One SQS message as the event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsDelivery {
    /// `messageId`.
    pub message_id: Arc<str>,
    /// `body`.
    pub body: Arc<str>,
    /// `attributes.MessageGroupId` (FIFO).
    pub group: Option<Arc<str>>,
    /// `attributes.MessageDeduplicationId` (FIFO).
    pub deduplication_id: Option<Arc<str>>,
    /// `attributes.SequenceNumber` (FIFO; rendered as 20 digits).
    pub sequence_number: Option<u64>,
    /// `attributes.ApproximateReceiveCount` (1 on the first delivery).
    pub receive_count: u32,
    /// When it was sent (virtual ms).
    pub sent_at: Millis,
    /// When it was first received (virtual ms).
    pub first_received_at: Millis,
}

/// One stream record as the event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamDelivery {
    /// The sequence number (decimal text).
    pub sequence_number: Arc<str>,
    /// Kinesis partition key, or the DynamoDB item key (`Keys.id.S`).
    pub key: Arc<str>,
    /// Kinesis: the data (base64-encoded in the event). DynamoDB: the
    /// image, as DynamoDB JSON text (`NewImage`, or `OldImage` for `REMOVE`).
    pub data: Arc<str>,
    /// DynamoDB `eventName` (`INSERT`, `MODIFY`, `REMOVE`); `None` for Kinesis.
    pub event_name: Option<&'static str>,
    /// When it arrived on the shard (virtual ms).
    pub arrived_at: Millis,
}

/// One Kafka record as the event source mapping delivers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaDelivery {
    /// `topic`.
    pub topic: Arc<str>,
    /// `partition`.
    pub partition: u32,
    /// `offset`.
    pub offset: u64,
    /// `key` (base64-encoded in the event; `null` when `None`).
    pub key: Option<Arc<str>>,
    /// `value` (base64-encoded in the event).
    pub value: Arc<[u8]>,
    /// `headers`, in order.
    pub headers: Arc<[KafkaHeader]>,
    /// When it was produced (virtual ms): `timestamp`, `CREATE_TIME`.
    pub produced_at: Millis,
}

impl KafkaDelivery {
    /// `<topic>-<partition>`: the key of the event's `records` map.
    pub fn partition_key(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }

    /// `<topic>-<partition>@<offset>`, the identifier's text form.
    pub fn item_identifier(&self) -> String {
        format!("{}-{}@{}", self.topic, self.partition, self.offset)
    }
}

/// What an invocation carries, by source.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// An SQS batch.
    Sqs {
        /// `eventSourceARN` (ends in `.fifo` for a FIFO queue).
        queue_arn: &'a str,
        /// The messages, in delivery order.
        messages: &'a [SqsDelivery],
    },
    /// A Kinesis batch (one shard).
    Kinesis {
        /// `eventSourceARN`.
        stream_arn: &'a str,
        /// `shardId-000000000000`, ...
        shard_id: &'a str,
        /// The records, in sequence order.
        records: &'a [StreamDelivery],
    },
    /// A DynamoDB Streams batch (one shard).
    DynamoDb {
        /// `eventSourceARN`.
        stream_arn: &'a str,
        /// The records, in sequence order.
        records: &'a [StreamDelivery],
    },
    /// A Kafka batch (Amazon MSK): records of one or more partitions of
    /// the topic.
    Kafka {
        /// The records in event order: partition after partition, each in
        /// offset order.
        records: &'a [KafkaDelivery],
    },
    /// An asynchronous invocation's event, unchanged.
    Async {
        /// The event.
        event: &'a Value,
    },
}

impl Payload<'_> {
    /// Each record's identifier as text, in event order (what a
    /// hand-written handler gives `lambda_batch::observe`).
    pub(crate) fn identifiers(&self) -> Vec<String> {
        match self {
            Payload::Sqs { messages, .. } => messages.iter().map(|m| m.message_id.to_string()).collect(),
            Payload::Kinesis { records, .. } | Payload::DynamoDb { records, .. } => {
                records.iter().map(|r| r.sequence_number.to_string()).collect()
            }
            Payload::Kafka { records } => records.iter().map(KafkaDelivery::item_identifier).collect(),
            Payload::Async { .. } => Vec::new(),
        }
    }

    /// How many records it carries (an asynchronous event carries none).
    pub(crate) fn records(&self) -> usize {
        match self {
            Payload::Sqs { messages, .. } => messages.len(),
            Payload::Kinesis { records, .. } | Payload::DynamoDb { records, .. } => records.len(),
            Payload::Kafka { records } => records.len(),
            Payload::Async { .. } => 0,
        }
    }
}

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
    /// [`lambda_function`] injects them into the engine, or into a
    /// hand-written handler's per-record work wrapped in
    /// `lambda_batch::observe`; a [`Function`] closure should fail them
    /// itself.
    pub failing_records: &'a [usize],
}

/// What the function returned.
#[derive(Debug, Clone, PartialEq)]
pub enum FunctionResult {
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

impl FunctionResult {
    /// `{"batchItemFailures": []}`: every record handled.
    pub fn all_handled() -> Self {
        FunctionResult::Response(serde_json::json!({ "batchItemFailures": [] }))
    }

    /// `{"batchItemFailures": [...]}` with these identifiers.
    pub fn failures<'a>(ids: impl IntoIterator<Item = &'a str>) -> Self {
        let entries: Vec<Value> =
            ids.into_iter().map(|id| serde_json::json!({ "itemIdentifier": id })).collect();
        FunctionResult::Response(serde_json::json!({ "batchItemFailures": entries }))
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
        FunctionResult::Response(serde_json::json!({ "batchItemFailures": entries }))
    }

    /// A function error of this type.
    pub fn error(error_type: &str, message: &str) -> Self {
        FunctionResult::Error { error_type: error_type.to_owned(), message: message.to_owned() }
    }
}

/// A function the simulator invokes. Closures
/// `FnMut(&Invocation) -> FunctionResult` are functions; so is
/// [`lambda_function`]`(handler)` for a real Lambda handler.
pub trait Function {
    /// Runs one invocation. Effects happen at `invocation.started_at`.
    fn invoke(&mut self, invocation: &Invocation<'_>) -> FunctionResult;
}

impl<F: FnMut(&Invocation<'_>) -> FunctionResult> Function for F {
    fn invoke(&mut self, invocation: &Invocation<'_>) -> FunctionResult {
        self(invocation)
    }
}

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
    fn invoke(&mut self, invocation: &Invocation<'_>) -> FunctionResult {
        crate::harness::quiet_injected_panics();
        if tokio::runtime::Handle::try_current().is_ok() {
            return FunctionResult::error(
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
                Err(error) => return FunctionResult::error("Testkit.Runtime", &error.to_string()),
            }
        }
        let Some(runtime) = &self.runtime else {
            return FunctionResult::error("Testkit.Runtime", "no tokio runtime");
        };
        let text = render::event(invocation);
        let payload = match P::from_batch_text(&text) {
            Ok(payload) => payload,
            Err(error) => return FunctionResult::error("Runtime.DeserializeError", &error),
        };
        let mut cx = crate::context_with_budget(Duration::from_millis(invocation.timeout));
        invocation.request_id.clone_into(&mut cx.request_id);
        let faults = invocation.failing_records.iter().map(|&index| (index, Fault::Error)).collect();
        let injector = Injector::with_identifiers(faults, invocation.payload.identifiers());
        let call = AssertUnwindSafe(|| {
            runtime.block_on(injector.scope((self.handler)(LambdaEvent::new(payload, cx))))
        });
        match std::panic::catch_unwind(call).map(crate::harness::lambda_response) {
            Ok(Ok(value)) => FunctionResult::Response(value),
            Ok(Err(error)) => FunctionResult::Error { error_type: error.error_type, message: error.message },
            Err(_) => FunctionResult::error("Runtime.Panic", "the handler panicked"),
        }
    }
}

/// Whether `response` is `{"batchItemFailures": []}` exactly (what
/// [`FunctionResult::all_handled`] returns).
pub(crate) fn lists_nothing(response: &serde_json::Value) -> bool {
    response.as_object().is_some_and(|object| {
        object.len() == 1
            && object
                .get("batchItemFailures")
                .and_then(serde_json::Value::as_array)
                .is_some_and(Vec::is_empty)
    })
}
